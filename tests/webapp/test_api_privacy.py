"""No API response, and no log line of the server, carries a plaintext vote or a secret.

The board holds the e-ID election of `pnyx demo election` (decided) and a roll election
open now, in which ballots are cast and challenged through the API.  Every response of a
walk over the whole read API, every write's response, and every log record of the server
is searched — as text in any case, as hex, as raw bytes, inside base64 leaves — for:

- the demo voters' names, birth dates and credential secrets (nym secret, prover blind,
  the credential's BBS signature);
- the nonces and the selections of every cast ballot (the demo's and the API's);
- the server's and the authorities' secret keys (log, root, ballot box, officials) and the
  trustees' box secrets and polynomial coefficients.

Positive controls: the challenged ballots' nonces and selections (public by design) and
the demo voters' pseudonyms are found by the same search.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ledger.note import SIG_ED25519, decode_skey
from services.identity.board_data import BoardData
from services.voting.ballot import MadeBallot, challenge_body, credential_pseudonym
from tests.webapp.test_api_kit import (
    ROLL_ELECTION,
    demo_board,
    identity_needles,
    post_json,
    response_parts,
    search,
    vote_needles,
)
from webapp.app import create_app
from webapp.cli_voting import DEMO_ELECTION

VOTING = "/api/v1/voting"


def _key_needles(keys_dir: Path) -> list[str]:
    """Every secret of the key folder: signing keys (the seed in their skey form), the
    trustees' box secrets and coefficients, the e-ID issuer's BBS secret key."""
    found = []
    for path in sorted(keys_dir.rglob("*")):
        if path.suffix == ".key" and "witnesses" not in path.parts:
            skey = path.read_text().strip()
            found += [skey, decode_skey(skey, SIG_ED25519)[1].hex()]
        elif path.suffix == ".json" and "trustees" in path.parts:
            doc = json.loads(path.read_text())
            found += [doc["box_secret"], *(doc.get("coefficients") or [])]
        elif path.suffix == ".json" and "issuers" in path.parts:
            found.append(json.loads(path.read_text())["secret_key"])
    return found


def test_no_vote_or_secret_in_any_response_or_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"sqlite:///{tmp_path / 'board.db'}"
    demo = demo_board(url, tmp_path / "keys", voters=4, seed=11)
    c = TestClient(create_app(url, demo.keys), raise_server_exceptions=False)
    responses: list[httpx.Response] = []

    # through the API: voters 0..2 cast (voter 0 twice), voter 2 challenges a ballot first
    roll = demo.roll
    cast: list[MadeBallot] = []
    challenged: list[MadeBallot] = []
    made, _ = roll.ballot(2, [[0, 0, 1, 0], [1, 0], [0, 0, 0, 1]])
    r = post_json(c, f"{VOTING}/elections/{ROLL_ELECTION}/challenges", challenge_body(made))
    assert r.status_code == 201
    responses.append(r)
    challenged.append(made)
    receipts = []
    for voter, choice in [
        (0, [[1, 0, 0, 0], [1, 0], [1, 1, 0, 0]]),
        (1, [[0, 1, 0, 0], [0, 1], [0, 1, 1, 0]]),
        (2, [[0, 0, 0, 1], [1, 0], [0, 0, 0, 0]]),
        (0, [[0, 0, 1, 0], [0, 1], [1, 0, 0, 1]]),
    ]:
        made, body = roll.ballot(voter, choice)
        r = post_json(c, f"{VOTING}/elections/{ROLL_ELECTION}/ballots", body)
        assert r.status_code == 201, r.text
        responses.append(r)
        receipts.append(r.json())
        cast.append(made)
    for receipt in receipts:
        r = post_json(c, f"{VOTING}/receipts/check", receipt)
        assert r.json()["valid"] is True
        responses.append(r)

    # a walk over the read API
    size = c.get("/api/v1/board/stats").json()["size"]
    paths = [
        "/api/v1/board/checkpoint",
        "/checkpoint",
        "/api/v1/board/stats",
        "/api/v1/board/witnesses",
        "/api/v1/board/authorities",
        "/api/v1/notices",
        f"{VOTING}/elections",
        *[f"/api/v1/board/entries?start={s}&limit=1000" for s in range(0, size, 1000)],
        *[f"/api/v1/board/entries/{i}" for i in range(size)],
        *[f"/api/v1/board/proof/inclusion?index={i}" for i in range(0, size, 7)],
        "/tile/entries/000" + ("" if size >= 256 else f".p/{size}"),
    ]
    for election in (DEMO_ELECTION, ROLL_ELECTION):
        e = f"{VOTING}/elections/{election}"
        paths += [e, f"{e}/ballots", f"{e}/challenges", f"{e}/turnout", f"{e}/record",
                  f"{e}/verification", f"{e}/drafts/joint_key", f"{e}/drafts/tally",
                  f"{e}/drafts/result"]  # fmt: skip
    for path in paths:
        r = c.get(path)
        assert r.status_code < 500, (path, r.text)
        responses.append(r)
    assert c.get(f"{VOTING}/elections/{DEMO_ELECTION}/verification").json()["status"] == "valid"
    parts = [p for r in responses for p in response_parts(r)]
    logs = [caplog.text.encode()] + [str(rec.__dict__).encode() for rec in caplog.records]

    outcome = demo.outcome
    demo_cast = [m for v in outcome.voters for m in v.cast]
    demo_challenged = [m for v in outcome.voters for m in v.challenged]
    secret_votes, public_votes = vote_needles(demo_cast + cast, demo_challenged + challenged)
    who = identity_needles(outcome)
    keys = _key_needles(tmp_path / "keys")
    assert len(who) == 4 * 7 and len(secret_votes) > 5 * 9 and len(keys) >= 10

    # positive controls: the search finds what is public
    data = BoardData.from_board(demo.board)
    nyms = [credential_pseudonym(data, v.record, DEMO_ELECTION) for v in outcome.voters]
    assert search(parts, public_votes) == public_votes
    assert search(parts, nyms) == nyms
    # nothing identifies a voter, nothing opens a cast ballot, no key leaks
    for where in (parts, logs):
        assert search(where, who) == []
        assert search(where, secret_votes) == []
        assert search(where, keys) == []
