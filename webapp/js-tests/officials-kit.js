/**
 * The fixture of the officials' node tests, written by tests/webapp/test_js_officials.py
 * from the Python reference (ledger/entry.py, services/voting) and named by the
 * environment variable PNYX_OFFICIALS_FIXTURE. Without it the tests fail, saying so:
 * run them through `pytest tests/webapp/test_js_officials.py`.
 */

import { readFileSync } from 'node:fs';

export function loadFixture() {
  const path = process.env.PNYX_OFFICIALS_FIXTURE;
  if (!path) {
    throw new Error(
      'PNYX_OFFICIALS_FIXTURE is not set: run these tests through ' +
        '`pytest tests/webapp/test_js_officials.py`, which writes the Python-made fixture',
    );
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** A deep copy of a JSON value. */
export function copy(value) {
  return JSON.parse(JSON.stringify(value));
}

/** Bytes → lowercase hex. */
export function hex(bytes) {
  return Buffer.from(bytes).toString('hex');
}
