"""The browser's board checks (webapp/static/js/board/verify.js) under node.

``node --test webapp/js-tests/board*.test.js`` runs the RFC 9162 and C2SP
vectors of ../shared/vectors and, through the fixture written here, a real
board made by the Python code: its checkpoint note (signed by the log key,
cosigned by two of three witnesses), entries with their leaf hashes, and a
receipt the Python ballot box issued before the board grew — with the board's
own HTTP answers recorded from the API, which the JS fetches through a fake
``fetch``.  The JS must accept all of it and refuse every tampered variant.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ledger import authorities
from ledger.cosignature import CosignatureSigner
from ledger.note import Signer, parse_note, sign_note
from services.notices import PUBLISH, notice_body
from services.voting.scenario import ORIGIN, ElectionBoard
from tests.conftest import VECTORS
from webapp.app import create_app

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
API = "/api/v1/board"
TIMES = [1_767_225_600, 1_767_225_660]


def node() -> str:
    path = shutil.which("node")
    assert path is not None, "node (20) is needed for the browser code's tests"
    return path


def board_fixture(tmp_path: Path) -> dict[str, Any]:
    """A roll election with two ballots, a receipt, then more entries, witnesses and a
    cosigned checkpoint; the API's answers to what verify.js asks."""
    url = f"sqlite:///{tmp_path / 'board.db'}"
    eb = ElectionBoard(url, trustees=1, threshold=1, eligibility="roll", roll=2)
    eb.create()
    eb.ceremony()
    eb.open()
    made, body = eb.ballot(eb.roll[0])
    receipt = eb.cast(body)  # signs a checkpoint of the board as it is now
    _, other = eb.ballot(eb.roll[1])
    eb.cast(other)
    city = eb.authority("city", "publisher")
    for i in range(5):
        eb.post(city, PUBLISH, notice_body(f"notice {i}", "text"))
    witnesses = [CosignatureSigner.generate(f"witness-{i}.example") for i in (1, 2, 3)]
    eb.post(
        eb.root,
        authorities.WITNESSES,
        {"witnesses": [w.verifier().vkey() for w in witnesses], "quorum": 2},
    )
    note = eb.board.sign_checkpoint(eb.log)
    text = parse_note(note).text
    size = int(text.split("\n")[1])
    for w, t in zip(witnesses[:2], TIMES, strict=True):
        eb.board.add_cosignature(size, w.cosign(text, t))
    assert size > receipt.size

    client = TestClient(create_app(url))
    paths = ["/checkpoint", f"/proof/consistency?old={receipt.size}&size={size}"]
    entries = [0, receipt.index, size - 1]
    for i in entries:
        paths += [f"/entries?start={i}&end={i + 1}", f"/proof/inclusion?index={i}&size={size}"]
    responses = {}
    for p in paths:
        r = client.get(API + p)
        assert r.status_code == 200, (p, r.text)
        responses[p] = {"status": r.status_code, "body": r.text}
    latest = responses["/checkpoint"]["body"]
    assert latest == eb.board.checkpoint().note.decode()
    impostor = Signer.generate(ORIGIN)  # the same log name, another key
    return {
        "log_key": eb.log.verifier().vkey(),
        "other_log_key": impostor.verifier().vkey(),
        "other_note": sign_note(text, [impostor]).decode(),
        "witnesses": [w.verifier().vkey() for w in witnesses],
        "quorum": 2,
        "latest_note": latest,
        "latest_size": size,
        "latest_root": eb.board.root(size)[1].hex(),
        "cosigned_by": sorted(w.name for w in witnesses[:2]),
        "cosigned_at": TIMES,
        "entries": [
            {"index": i, "leaf_hash": eb.board.inclusion_proof(i, size).leaf_hash.hex()}
            for i in entries
        ],
        "receipt": receipt.to_json(),
        "ballot": made.ballot,
        "responses": responses,
    }


def test_node_board_tests_pass(tmp_path: Path) -> None:
    """Every node test passes; the vector suites skip only when ../shared/vectors is absent."""
    fixture = tmp_path / "board-fixture.json"
    fixture.write_text(json.dumps(board_fixture(tmp_path)), encoding="utf-8")
    tests = sorted(str(p.relative_to(WEBAPP)) for p in (WEBAPP / "js-tests").glob("board*.test.js"))
    assert tests, "no board tests"
    proc = subprocess.run(
        [node(), "--test", *tests],
        cwd=WEBAPP,
        env={
            **os.environ,
            "PNYX_VECTORS": str(VECTORS),
            "PNYX_BOARD_FIXTURE": str(fixture),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, out[-8000:] + proc.stderr[-4000:]
    assert "# fail 0" in out and "# pass 0" not in out
    skipped = re.findall(r"# SKIP (.*)", out)
    if VECTORS.is_dir():
        assert not skipped, skipped
    else:
        assert skipped and all("vectors not found" in s for s in skipped), skipped
