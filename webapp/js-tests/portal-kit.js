/**
 * The fixture of the portal's node tests, made by the Python reference
 * (services/health) in tests/webapp/test_js_portal.py.
 *
 * `pytest tests/webapp/test_js_portal.py` writes it and names it in the environment
 * variable PNYX_PORTAL_FIXTURE; run directly (`node --test`), the tests make it
 * themselves (python-fixture.js).
 */

import { loadPythonFixture } from './python-fixture.js';

export { copy } from './python-fixture.js';

export function loadFixture() {
  return loadPythonFixture('PNYX_PORTAL_FIXTURE', 'tests.webapp.test_js_portal', 'portal');
}
