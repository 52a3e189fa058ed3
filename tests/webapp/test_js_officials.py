"""The officials' dashboard code (webapp/static/js/officials/) against the Python reference.

This file writes a fixture made by the Python code and runs the node tests
(webapp/js-tests/officials-*.test.js) over it (env ``PNYX_OFFICIALS_FIXTURE``; run
alone, the node tests make it with ``python -m tests.webapp.test_js_officials OUT``):

- entries: for the same key file, time and body, ``entry.js`` must make the exact
  canonical bytes and Ed25519 signature that ``ledger/entry.py`` makes (bodies with
  non-ASCII keys that RFC 8785 orders by UTF-16 code units, escapes, the largest
  integers, nesting, a real manifest); key files ``ledger/note.py`` refuses are refused;
- forms: the dashboard's form values become exactly the manifest that
  ``services/voting/manifest.py`` accepts (``Manifest.from_json(m).to_json() == m``);
- drafts: an election run on a board (4 trustees, k = 2, one absent, one posting a
  wrong partial decryption, a re-vote, a challenge) with the election document,
  reveals, counted ballots and partials the page reads from the API at each step,
  and the server's drafts; the page's checks must recompute each draft and refuse
  tampered ones.

The entries the page posts are then checked by the board itself in
tests/webapp/test_browser_officials.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crypto.threshold import generate_box_keypair
from ledger.cosignature import CosignatureSigner
from ledger.entry import Entry, key_id, make_entry, signing_bytes
from ledger.errors import MalformedEntry
from ledger.note import Signer, encode_skey
from services.voting import domain as d
from services.voting.ceremony import Trustee
from services.voting.manifest import Manifest
from services.voting.scenario import VOTING, ElectionBoard
from webapp.app import create_app

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
NODE_TESTS = (
    "js-tests/officials-entry.test.js",
    "js-tests/officials-manifest.test.js",
    "js-tests/officials-checks.test.js",
)
ELECTION = "town-2026"
API = f"/api/v1/voting/elections/{ELECTION}"
TIME = "2026-05-01T12:34:56Z"

BODIES: list[tuple[str, dict[str, Any]]] = [
    ("voting.open", {"election": "city-2026"}),
    ("notice.publish", {"title": "Été", "text": "line\nnext\ttab", "attachments": []}),
    (
        "test.order",
        {
            "\ue000": 1,
            "😀": 2,
            "a": 3,
            "A": 4,
            "é": 5,
            "\u00e9\u0301": 6,
            "": 7,
            "z\u0000": 8,
            "10": 9,
            "9": 10,
            "-1": 11,
        },
    ),
    (
        "test.strings",
        {
            "quote": 'say "hi" \\ back/slash',
            "controls": "\u0000\u0001\u001f\u007f\u0080",
            "separators": "\u2028\u2029",
            "script": "</script><!--",
            "astral": "𝄞😀",
            "bom": "\ufeff",
        },
    ),
    (
        "test.numbers",
        {
            "max": 2**53 - 1,
            "min": -(2**53 - 1),
            "zero": 0,
            "list": [1, -1, 10, 100000, 1000],
            "bools": [True, False, None],
        },
    ),
    ("test.nested", {"a": [[[[{"b": [[], {}, [{}]]}]]]], "empty": {}, "list": []}),
]


def node() -> str:
    path = shutil.which("node")
    assert path is not None, "node (20) is needed for the browser code's tests"
    return path


# ------------------------------------------------------------------ entries


def _entries() -> list[dict[str, Any]]:
    out = []
    for n, (kind, body) in enumerate(BODIES):
        signer = Signer.generate(["officials", "city.hall", "ÉlectionsVille", "a-b_c"][n % 4])
        author = key_id(signer.verifier().public_key)
        leaf = make_entry(kind, body, author, signer.sign, TIME)
        entry = Entry.from_leaf(leaf)
        out.append(
            {
                "skey": signer.to_skey() + ("\n" if n % 2 else ""),
                "name": signer.name,
                "note_key_id": signer.key_id.hex(),
                "public_key": signer.verifier().public_key.hex(),
                "author": author,
                "kind": kind,
                "time": TIME,
                "body": body,
                "signing_bytes": signing_bytes(kind, TIME, author, body).hex(),
                "leaf": leaf.hex(),
                "signature": entry.signature.hex(),
            }
        )
    return out


def _manifest_entry() -> dict[str, Any]:
    """A real manifest body, signed as the page signs it."""
    eb_manifest = _roll_manifest()
    signer = Signer.generate("officials")
    author = key_id(signer.verifier().public_key)
    leaf = make_entry(d.ELECTION, eb_manifest, author, signer.sign, TIME)
    return {
        "skey": signer.to_skey(),
        "name": signer.name,
        "note_key_id": signer.key_id.hex(),
        "public_key": signer.verifier().public_key.hex(),
        "author": author,
        "kind": d.ELECTION,
        "time": TIME,
        "body": eb_manifest,
        "signing_bytes": signing_bytes(d.ELECTION, TIME, author, eb_manifest).hex(),
        "leaf": leaf.hex(),
        "signature": Entry.from_leaf(leaf).signature.hex(),
    }


def _bad_keys() -> list[dict[str, str]]:
    good = Signer.generate("officials")
    skey = good.to_skey()
    name, hex_id, material = skey[len("PRIVATE+KEY+") :].split("+", 2)
    other = Signer.generate("officials").to_skey()[len("PRIVATE+KEY+") :].split("+", 2)[2]
    wrong_type = encode_skey("officials", 0x02, bytes(32))
    return [
        {"text": "-----BEGIN PRIVATE KEY-----", "error": "not an authority key file"},
        {"text": f"PRIVATE+KEY+{name}+{hex_id}", "error": "PRIVATE+KEY+name+keyid+key"},
        {"text": f"PRIVATE+KEY+{name}+{hex_id}+{other}", "error": "key id does not match"},
        {"text": f"PRIVATE+KEY+other+{hex_id}+{material}", "error": "key id does not match"},
        {"text": f"PRIVATE+KEY+{name}+{hex_id[:6]}+{material}", "error": "8 hex digits"},
        {"text": f"PRIVATE+KEY+{name}+{hex_id}+{material[:10]} {material[10:]}", "error": "base64"},
        {"text": f"PRIVATE+KEY+{name}+{hex_id}+{material[:-4]}", "error": "32-byte seed"},
        {"text": f"PRIVATE+KEY+na me+{hex_id}+{material}", "error": "not a valid key name"},
        {"text": CosignatureSigner.generate("witness").to_skey(), "error": "witness key"},
        {"text": wrong_type, "error": "type 0x02"},
        {"text": skey + "A" * 5000, "error": "too large"},
    ]


# -------------------------------------------------------------------- forms


def _roll_manifest() -> dict[str, Any]:
    keys = [bytes([i]) * 32 for i in (1, 2, 3)]
    trustees = [Signer.generate(f"t{j}") for j in (1, 2, 3)]
    boxes = [generate_box_keypair().public.hex() for _ in trustees]
    manifest = {
        "version": 1,
        "id": "town-2026",
        "title": "Town vote 2026",
        "contests": [
            {"id": "mayor", "title": "Mayor", "options": ["Alice", "Bob", "Carol"],
             "min": 1, "max": 1, "blank": True},
            {"id": "parks", "title": "More parks?", "options": ["yes", "no"],
             "min": 0, "max": 1, "blank": False},
        ],
        "eligibility": {"type": "roll", "voters": [k.hex() for k in keys]},
        "revote": "deny",
        "trustees": [
            {"index": j, "key_id": key_id(t.verifier().public_key), "box": b}
            for j, (t, b) in enumerate(zip(trustees, boxes, strict=True), start=1)
        ],
        "threshold": 2,
        "opens": "2026-05-01T07:00:00Z",
        "closes": "2026-05-01T19:00:30Z",
    }  # fmt: skip
    assert Manifest.from_json(manifest).to_json() == manifest
    return manifest


def _forms() -> list[dict[str, Any]]:
    roll = _roll_manifest()
    roll_form = {
        "id": " town-2026 ",
        "title": "Town vote 2026 ",
        "revote": "deny",
        "opens": "2026-05-01T07:00",
        "closes": "2026-05-01T19:00:30",
        "contests": [
            {"id": "mayor", "title": "Mayor", "options": "Alice\r\nBob\n\n  Carol  \n",
             "min": "1", "max": "1", "blank": True},
            {"id": "parks", "title": "More parks?", "options": "yes\nno", "min": "0",
             "max": "1", "blank": False},
        ],
        "eligibility": "roll",
        "roll": "\n".join(
            [roll["eligibility"]["voters"][0].upper(), "  " + roll["eligibility"]["voters"][1],
             "", roll["eligibility"]["voters"][2] + " "]
        ),
        "credential": {},
        "trustees": [
            {"key_id": t["key_id"], "box": (t["box"].upper() if t["index"] == 2 else t["box"])}
            for t in roll["trustees"]
        ],
        "threshold": "2",
    }  # fmt: skip
    credential = {
        **roll,
        "id": "city-2026",
        "eligibility": {
            "type": "credential",
            "issuer": "cityhall",
            "schema": "eid",
            "attributes": {"district": 7, "resident": True, "zone": "north"},
            "predicates": [
                {"attribute": "birthDate", "op": "<=", "value": "2008-05-01"},
                {"attribute": "income", "op": ">=", "value": 1000},
            ],
            "date": "2026-05-01",
        },
        "revote": "last",
    }
    assert Manifest.from_json(credential).to_json() == credential
    credential_form = {
        **roll_form,
        "id": "city-2026",
        "revote": "last",
        "eligibility": "credential",
        "roll": "",
        "credential": {
            "issuer": "cityhall",
            "schema": "eid",
            "attributes": "district = 7\nresident=true\n zone = north",
            "predicates": "birthDate <= 2008-05-01\nincome >= 1000",
            "date": "2026-05-01",
            "types": {"district": "integer", "resident": "boolean", "zone": "string"},
        },
    }
    return [
        {"form": roll_form, "manifest": roll},
        {"form": credential_form, "manifest": credential},
    ]


# ------------------------------------------------------------------- drafts


def _reveals(eb: ElectionBoard) -> dict[str, str]:
    return {
        k.rsplit("/", 1)[1]: v["commitments"]
        for k, v in eb.board.scan("voting", f"reveal/{ELECTION}/")
    }


def _counted_contests(client: TestClient, eb: ElectionBoard) -> list[list[str]]:
    rows = client.get(f"{API}/ballots", params={"limit": 1000}).json()["ballots"]
    out = []
    for row in rows:
        if row["counted"]:
            [(_, leaf)] = eb.board.entries(row["index"], row["index"] + 1)
            out.append(json.loads(leaf)["body"]["ballot"]["contests"])
    return out


def _partials(eb: ElectionBoard) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _, leaf in eb.board.entries(0, eb.board.size(), d.PARTIAL):
        body = json.loads(leaf)["body"]
        out[str(body["trustee"])] = body["shares"]
    return out


def _drafts(url: str) -> dict[str, Any]:
    """An election's steps as the dashboard sees them through the API."""
    eb = ElectionBoard(url, trustees=4, threshold=2, eligibility="roll", roll=3, election=ELECTION)
    client = TestClient(create_app(url))
    eb.create()
    eb.trustees = {j: Trustee(ELECTION, j, eb.boxes[j - 1]) for j in (1, 2, 3)}
    for j, t in eb.trustees.items():
        eb.post(eb.trustee_signers[j - 1], d.TRUSTEE_COMMIT, t.commit_body(eb.data))
    for j, t in eb.trustees.items():
        eb.post(eb.trustee_signers[j - 1], d.TRUSTEE_REVEAL, t.reveal_body(eb.data))
    ceremony = client.get(API).json()
    joint_key = client.get(f"{API}/drafts/joint_key").json()
    out: dict[str, Any] = {
        "ceremony": {"election": ceremony, "reveals": _reveals(eb), "draft": joint_key}
    }
    eb.post(eb.official, d.JOINT_KEY, joint_key["body"])
    for t in eb.trustees.values():
        t.secret_share(eb.data)
    eb.open()
    choices = [
        [[1, 0, 0, 0], [1, 0], [1, 1, 0, 0]],
        [[0, 1, 0, 0], [0, 1], [0, 0, 0, 1]],
        [[0, 0, 0, 1], [1, 0], [0, 0, 0, 0]],
    ]
    for v, choice in enumerate(choices):
        eb.cast(eb.ballot(eb.roll[v], choice)[1])
    made, _ = eb.ballot(eb.roll[1], [[1, 0, 0, 0], [1, 0], [0, 0, 0, 0]])
    eb.ballot_box.challenge(made, VOTING)
    final = [[0, 0, 1, 0], [0, 1], [0, 1, 1, 0]]
    eb.cast(eb.ballot(eb.roll[0], final)[1])  # a re-vote: the last ballot counts
    eb.close()
    closed = client.get(API).json()
    tally = client.get(f"{API}/drafts/tally").json()
    out["closed"] = {
        "election": closed,
        "counted": _counted_contests(client, eb),
        "draft": tally,
    }
    eb.post(eb.official, d.TALLY, tally["body"])
    eb.partial(1, bad=True)
    eb.partial(2)
    eb.partial(3)
    tallied = client.get(API).json()
    result = client.get(f"{API}/drafts/result").json()
    out["tallied"] = {"election": tallied, "partials": _partials(eb), "draft": result}
    eb.post(eb.official, d.RESULT, result["body"])
    expected = [
        [sum(x) for x in zip(*rows, strict=True)] for rows in zip(final, *choices[1:], strict=True)
    ]
    assert result["body"]["totals"] == expected
    assert result["body"]["used"] == [2, 3]
    assert [x["trustee"] for x in result["body"]["excluded"]] == [1]
    return out


def fixture(tmp_path: Path) -> dict[str, Any]:
    return {
        "entries": [*_entries(), _manifest_entry()],
        "bad_keys": _bad_keys(),
        "forms": _forms(),
        "drafts": _drafts(f"sqlite:///{tmp_path / 'drafts.db'}"),
    }


def test_officials_js_matches_python(tmp_path: Path) -> None:
    """node --test over the officials' modules with the Python-made fixture: exit 0."""
    path = tmp_path / "officials.json"
    path.write_text(json.dumps(fixture(tmp_path), ensure_ascii=False))
    proc = subprocess.run(
        [node(), "--test", *NODE_TESTS],
        cwd=WEBAPP,
        env={**os.environ, "PNYX_OFFICIALS_FIXTURE": str(path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "# fail 0" in proc.stdout
    assert "# pass " in proc.stdout and "# pass 0\n" not in proc.stdout


def _nested(n: int, inner: Any) -> Any:
    value = inner
    for _ in range(1, n):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("n", "inner", "ok"),
    [(31, {}, True), (32, {}, False), (30, {"x": 1}, True), (31, {"x": 1}, False),
     (30, [1], True), (31, [1], False)],
)  # fmt: skip
def test_depth_boundary_is_the_one_the_js_tests(n: int, inner: Any, ok: bool) -> None:
    """officials-entry.test.js signs or refuses these same bodies: this is the board's rule."""
    signer = Signer.generate("officials")
    author = key_id(signer.verifier().public_key)
    if ok:
        make_entry("test.kind", _nested(n, inner), author, signer.sign, TIME)
    else:
        with pytest.raises(MalformedEntry, match="nested deeper"):
            make_entry("test.kind", _nested(n, inner), author, signer.sign, TIME)


def test_fixture_bodies_are_what_the_board_takes() -> None:
    """The fixture's tricky bodies are valid entries (so the JS is compared on real cases)."""
    entries = _entries()
    assert len(entries) == len(BODIES)
    for e in entries:
        leaf = bytes.fromhex(e["leaf"])
        assert Entry.from_leaf(leaf).body == e["body"]
    # RFC 8785 orders members by UTF-16 code units: 😀 (D83D DE00) before U+E000
    order = json.loads(bytes.fromhex(entries[2]["leaf"]))["body"]
    keys = list(order)
    assert keys.index("😀") < keys.index("\ue000")


if __name__ == "__main__":  # the node tests run alone call this module with OUT
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        out = Path(sys.argv[1])
        out.write_text(json.dumps(fixture(Path(folder)), ensure_ascii=False))
