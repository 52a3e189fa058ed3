"""The election record export (docs/election-record.md §1–§2)."""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ledger import authorities
from ledger.checkpoint import Checkpoint
from ledger.cosignature import CosignatureSigner
from ledger.entry import Entry
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.note import parse_note
from services.notices import PUBLISH, notice_body
from services.voting.errors import UnknownElection
from services.voting.record import ExportError, export_record, write_record
from services.voting.scenario import VOTING, ElectionBoard
from services.voting.verifier import verify_file

WITNESS_TIME = 1_780_000_000


@dataclass
class Built:
    eb: ElectionBoard
    record: dict[str, Any]
    vkey: str
    witness: CosignatureSigner
    span: tuple[int, int]


def build_election(url: str) -> Built:
    """A finished credential election with everything a record can hold.

    3 trustees (k = 2, the first posts a bad partial), 3 voters, one
    challenge, one re-vote, a notice of another domain inside the span, a
    witness (quorum 1) that cosigns the final checkpoint.
    """
    eb = ElectionBoard(url, trustees=3, threshold=2, seed=11)
    witness = CosignatureSigner.generate("w1.test.example")
    eb.post(
        eb.root,
        authorities.WITNESSES,
        {"witnesses": [witness.verifier().vkey()], "quorum": 1},
    )
    city = eb.authority("city", "publisher")
    voters = [eb.credential() for _ in range(3)]
    first = eb.create()
    eb.ceremony()
    eb.open()
    made, _ = eb.ballot(voters[0])
    eb.ballot_box.challenge(made, VOTING)
    for v in voters:
        eb.cast(eb.ballot(v)[1])
    eb.post(city, PUBLISH, notice_body("Road works", "Main street, May 2."), VOTING)
    eb.cast(eb.ballot(voters[1])[1])
    eb.close()
    eb.tally()
    eb.partial(1, bad=True)
    eb.partial(2)
    eb.partial(3)
    last, _ = eb.result()
    note = eb.board.sign_checkpoint(eb.log)
    text = parse_note(note).text
    size = Checkpoint.from_text(text).size
    eb.board.add_cosignature(size, witness.cosign(text, WITNESS_TIME))
    record = export_record(eb.board, eb.election)
    return Built(eb, record, eb.board.log_verifier().vkey(), witness, (first, last))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    url = f"sqlite:///{tmp_path_factory.mktemp('record') / 'board.db'}"
    return build_election(url)


def _items(record: dict[str, Any]) -> list[dict[str, Any]]:
    ee = record["election_entries"]
    out = [*record["board"], *record["eligibility"], *record["other"]]
    for value in ee.values():
        out.extend(value if isinstance(value, list) else [value])
    return out


def _kind(item: dict[str, Any]) -> str:
    return Entry.from_leaf(base64.b64decode(item["leaf"])).kind


def test_sections_hold_the_election_by_kind(built: Built) -> None:
    r = built.record
    assert (r["version"], r["type"], r["election"]) == (1, "PnyxElectionRecord", "city-2026")
    ee = r["election_entries"]
    assert _kind(ee["manifest"]) == "voting.election"
    assert _kind(ee["result"]) == "voting.result"
    assert [_kind(x) for x in ee["ballots"]] == ["voting.ballot"] * 4
    assert [_kind(x) for x in ee["challenges"]] == ["voting.challenge"]
    assert [_kind(x) for x in ee["partials"]] == ["voting.partial"] * 3
    assert {_kind(x) for x in ee["ceremony"]} == {"voting.trustee_commit", "voting.trustee_reveal"}
    assert [_kind(x) for x in r["other"]] == ["notice.publish"]
    assert all(_kind(x).startswith("board.") for x in r["board"])
    assert r["board"][0]["index"] == 0 and _kind(r["board"][0]) == "board.genesis"
    assert {_kind(x) for x in r["eligibility"]} == {"identity.issuer_key", "identity.schema"}


def test_every_index_of_the_span_once(built: Built) -> None:
    indices = [x["index"] for x in _items(built.record)]
    assert len(indices) == len(set(indices))
    lo, hi = built.span
    assert set(range(lo, hi + 1)) <= set(indices)


def test_leaves_are_the_board_entries_and_prove_into_the_final_checkpoint(built: Built) -> None:
    final = Checkpoint.from_text(parse_note(built.record["checkpoints"][-1].encode()).text)
    assert final.size == built.eb.board.size()
    for x in _items(built.record):
        leaf = base64.b64decode(x["leaf"])
        assert built.eb.board.entries(x["index"], x["index"] + 1)[0][1] == leaf
        path = [bytes.fromhex(h) for h in x["path"]]
        verify_inclusion(leaf_hash(leaf), x["index"], final.size, path, final.root_hash)


def test_checkpoints_with_cosignatures_and_consistency(built: Built) -> None:
    cps = built.record["checkpoints"]
    notes = [parse_note(c.encode()) for c in cps]
    sizes = [Checkpoint.from_text(n.text).size for n in notes]
    assert sizes == sorted(set(sizes)) and sizes[0] > built.span[0]
    assert len(cps) >= 5  # a receipt's checkpoint for each ballot cast, and the final one
    assert [s.name for s in notes[-1].signatures][-1] == "w1.test.example"
    assert len(built.record["consistency"]) == len(cps) - 1
    for (a, b), proof in zip(
        itertools.pairwise(notes), built.record["consistency"], strict=True
    ):
        ca, cb = Checkpoint.from_text(a.text), Checkpoint.from_text(b.text)
        verify_consistency(
            ca.size, cb.size, ca.root_hash, cb.root_hash, [bytes.fromhex(h) for h in proof]
        )


def test_summary(built: Built) -> None:
    s = built.record["summary"]
    ee = built.record["election_entries"]
    manifest = Entry.from_leaf(base64.b64decode(ee["manifest"]["leaf"])).body
    assert s["manifest"] == manifest
    trackers = [leaf_hash(base64.b64decode(x["leaf"])).hex() for x in ee["ballots"]]
    # voters 0, 1, 2 cast, then voter 1 again: its first ballot is replaced
    assert s["counted"] == [trackers[0], trackers[2], trackers[3]]
    assert s["challenged"] == [leaf_hash(base64.b64decode(ee["challenges"][0]["leaf"])).hex()]
    assert (s["used"], s["excluded"], s["qualified"]) == ([2, 3], [1], [1, 2, 3])
    assert [t["contest"] for t in s["totals"]] == ["mayor", "parks", "council"]
    assert sum(s["totals"][0]["counts"].values()) == 3
    assert list(s["totals"][0]["counts"]) == ["Alice", "Bob", "Carol", "blank"]


def test_write_record_and_verify_the_file(built: Built, tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    written = write_record(built.eb.board, built.eb.election, path)
    assert json.loads(path.read_text()) == written == built.record
    assert verify_file(path, built.vkey, workers=1).status == "valid"


def test_unknown_election(built: Built) -> None:
    with pytest.raises(UnknownElection):
        export_record(built.eb.board, "no-such-election")


def test_a_checkpoint_must_cover_the_result(tmp_path: Path) -> None:
    eb = ElectionBoard(f"sqlite:///{tmp_path / 'b.db'}", trustees=1, threshold=1, seed=3)
    voter = eb.credential()
    eb.create()
    eb.ceremony()
    eb.open()
    eb.cast(eb.ballot(voter)[1])  # signs a checkpoint for the receipt
    eb.close()
    eb.tally()
    eb.partial(1)
    eb.result()
    with pytest.raises(ExportError, match="does not cover the result"):
        export_record(eb.board, eb.election)
    eb.board.sign_checkpoint(eb.log)
    assert export_record(eb.board, eb.election)["election_entries"]["result"]
