/**
 * The fixture of the officials' node tests, made by the Python reference
 * (ledger/entry.py, services/voting) in tests/webapp/test_js_officials.py.
 *
 * `pytest tests/webapp/test_js_officials.py` writes it and names it in the
 * environment variable PNYX_OFFICIALS_FIXTURE; run directly (`node --test`), the
 * tests make it themselves (python-fixture.js).
 */

import { loadPythonFixture } from './python-fixture.js';

export { copy } from './python-fixture.js';

export function loadFixture() {
  return loadPythonFixture('PNYX_OFFICIALS_FIXTURE', 'tests.webapp.test_js_officials', 'officials');
}

/** Bytes → lowercase hex. */
export function hex(bytes) {
  return Buffer.from(bytes).toString('hex');
}
