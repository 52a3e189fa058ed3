"""The booth page's rules in webapp/static/js/pages/booth-form.js, under ``node --test``.

webapp/js-tests/booth-page.test.js checks how contests are offered and counted, the
roll key file as ``pnyx election roll-key`` writes it, a credential voter's pseudonym
and presentation; here the same parser reads a key file the Python writer made.
The page itself runs in Chromium in tests/webapp/test_browser_booth.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from webapp.cli_voting import VotingKeys
from webapp.keystore import KeyStore

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
NODE_TEST = "js-tests/booth-page.test.js"
READ_KEY = """
import { readFileSync } from 'node:fs';
import { parseRollKeyFile, rollKeyInfo } from './static/js/pages/booth-form.js';
const seed = parseRollKeyFile(readFileSync(process.argv[1], 'utf8'));
const manifest = { eligibility: { type: 'roll', voters: [process.argv[2]] } };
console.log(JSON.stringify(rollKeyInfo(seed, manifest)));
"""


def node() -> str:
    path = shutil.which("node")
    assert path is not None, "node (20) is needed for the browser code's tests"
    return path


def test_node_booth_page_tests_pass() -> None:
    proc = subprocess.run(
        [node(), "--test", NODE_TEST],
        cwd=WEBAPP,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout


def test_the_page_reads_the_key_file_pnyx_writes(tmp_path: Path) -> None:
    keys = VotingKeys(KeyStore(tmp_path / "keys"))
    key = keys.new_voter("ada")
    public = bytes(key.verify_key).hex()
    proc = subprocess.run(
        [node(), "--input-type=module", "-e", READ_KEY, str(keys.voter_path("ada")), public],
        cwd=WEBAPP,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"publicKey": public, "onRoll": True}
