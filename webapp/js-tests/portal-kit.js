/**
 * The fixture of the portal's node tests, made by the Python reference
 * (services/health) in tests/webapp/test_js_portal.py.
 *
 * `pytest tests/webapp/test_js_portal.py` writes it and names it in the environment
 * variable PNYX_PORTAL_FIXTURE; run directly (`node --test`), the tests make it
 * themselves with the project's Python (PNYX_PYTHON, default ../.venv/bin/python).
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function loadFixture() {
  const given = process.env.PNYX_PORTAL_FIXTURE;
  if (given) return JSON.parse(readFileSync(given, 'utf8'));
  const python = process.env.PNYX_PYTHON ?? join(REPO, '.venv', 'bin', 'python');
  const dir = mkdtempSync(join(tmpdir(), 'pnyx-portal-'));
  try {
    const path = join(dir, 'portal.json');
    execFileSync(python, ['-W', 'ignore', '-m', 'tests.webapp.test_js_portal', path], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return JSON.parse(readFileSync(path, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A deep copy of a JSON value. */
export function copy(value) {
  return JSON.parse(JSON.stringify(value));
}
