/**
 * Fixtures of the node tests made by the Python reference.
 *
 * Under pytest the Python test writes the fixture and names it in an
 * environment variable; run directly (`node --test`), the tests make it
 * themselves with the project's Python (PNYX_PYTHON, default ../.venv/bin/python)
 * by running the Python test module with an output path.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The JSON fixture named by the environment variable `envName`, or, without it,
 * the one `python -m module PATH` writes.
 */
export function loadPythonFixture(envName, module, name) {
  const given = process.env[envName];
  if (given) return JSON.parse(readFileSync(given, 'utf8'));
  const python = process.env.PNYX_PYTHON ?? join(REPO, '.venv', 'bin', 'python');
  const dir = mkdtempSync(join(tmpdir(), `pnyx-${name}-`));
  try {
    const path = join(dir, `${name}.json`);
    execFileSync(python, ['-W', 'ignore', '-m', module, path], {
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
