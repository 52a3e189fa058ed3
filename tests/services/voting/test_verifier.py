"""`pnyx verify election`: passes on a complete record, names the check a change breaks."""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.bbs.backend import ORDER
from crypto.bbs.predicates import Presentation
from ledger.entry import canonical
from ledger.note import Signer
from services.voting.record import export_record
from services.voting.scenario import VOTING, ElectionBoard
from services.voting.verifier import Report, verify_record
from tests.services.voting.test_record import Built, build_election
from tests.webapp.conftest import Cli

Mutation = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    url = f"sqlite:///{tmp_path_factory.mktemp('verifier') / 'board.db'}"
    return build_election(url)


def verify(built: Built, mutate: Mutation | None = None, workers: int = 1) -> Report:
    record = copy.deepcopy(built.record)
    if mutate is not None:
        mutate(record)
    return verify_record(record, built.vkey, workers=workers)


def entry_of(item: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(base64.b64decode(item["leaf"]))
    return doc


def edit(
    path: Callable[[dict[str, Any]], dict[str, Any]], change: Callable[[dict[str, Any]], Any]
) -> Mutation:
    """Change the entry of the item ``path(record)``, keeping its bytes canonical."""

    def mutate(record: dict[str, Any]) -> None:
        item = path(record)
        doc = entry_of(item)
        change(doc)
        item["leaf"] = base64.b64encode(canonical(doc)).decode()

    return mutate


def flip_hex(text: str, at: int) -> str:
    return text[:at] + ("1" if text[at] == "0" else "0") + text[at + 1 :]


def ee(name: str, k: int | None = None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def get(record: dict[str, Any]) -> dict[str, Any]:
        value = record["election_entries"][name]
        return value if k is None else value[k]

    return get


def set_in(doc: dict[str, Any], keys: list[Any], value: Any) -> None:
    for k in keys[:-1]:
        doc = doc[k]
    doc[keys[-1]] = value


def last_note_line(record: dict[str, Any], change: Callable[[list[str]], None]) -> None:
    lines = record["checkpoints"][-1].split("\n")
    change(lines)
    record["checkpoints"][-1] = "\n".join(lines)


def _root_line(lines: list[str]) -> None:
    root = base64.b64decode(lines[2])
    lines[2] = base64.b64encode(bytes([root[0] ^ 1]) + root[1:]).decode()


def _cosignature(lines: list[str]) -> None:
    name, sig = lines[-2].rsplit(" ", 1)
    raw = base64.b64decode(sig)
    lines[-2] = f"{name} {base64.b64encode(raw[:-1] + bytes([raw[-1] ^ 1])).decode()}"


def _consistency(record: dict[str, Any]) -> None:
    record["consistency"][0][0] = flip_hex(record["consistency"][0][0], 5)


def _ballot_proof(doc: dict[str, Any]) -> None:
    contests = doc["body"]["ballot"]["contests"]
    contests[0] = flip_hex(contests[0], 600)  # inside the first option's range proof


def _challenge(doc: dict[str, Any]) -> None:
    sel = doc["body"]["selections"][0]
    sel[0] = 1 - sel[0]


def _reveal(doc: dict[str, Any]) -> None:
    doc["body"]["commitments"] = flip_hex(doc["body"]["commitments"], 100)


def _reveal_item(record: dict[str, Any]) -> dict[str, Any]:
    return next(
        x
        for x in record["election_entries"]["ceremony"]
        if entry_of(x)["kind"] == "voting.trustee_reveal"
    )


def _summary(record: dict[str, Any]) -> None:
    record["summary"]["totals"][1]["counts"]["yes"] += 1


# one change in each section: (section, mutation, the steps that must fail)
CHANGES: list[tuple[str, Mutation, set[str]]] = [
    ("checkpoints", lambda r: last_note_line(r, _root_line), {"V3"}),
    ("consistency", _consistency, {"V4"}),
    ("checkpoints", lambda r: last_note_line(r, _cosignature), {"V5"}),
    (
        "board",
        edit(lambda r: r["board"][2], lambda d: set_in(d, ["body", "name"], "mallory")),
        {"V6", "V7"},
    ),
    (
        "eligibility",
        edit(lambda r: r["eligibility"][1], lambda d: set_in(d, ["body", "title"], "Forged")),
        {"V6", "V7"},
    ),
    (
        "election_entries.manifest",
        edit(ee("manifest"), lambda d: set_in(d, ["body", "title"], "Other")),
        {"V6", "V7", "V10"},
    ),
    ("election_entries.ceremony", edit(_reveal_item, _reveal), {"V6", "V10"}),
    (
        "election_entries.joint_key",
        edit(ee("joint_key"), lambda d: set_in(d, ["body", "context"], "00" * 32)),
        {"V6", "V11"},
    ),
    (
        "election_entries.open",
        edit(ee("open"), lambda d: set_in(d, ["time"], "2026-05-01T06:59:59Z")),
        {"V6", "V12"},
    ),
    ("election_entries.ballots", edit(ee("ballots", 0), _ballot_proof), {"V6", "V13", "V16"}),
    ("election_entries.challenges", edit(ee("challenges", 0), _challenge), {"V6", "V14"}),
    (
        "election_entries.close",
        edit(ee("close"), lambda d: set_in(d, ["time"], "2026-05-01T18:00:00Z")),
        {"V6", "V12"},
    ),
    (
        "election_entries.tally",
        edit(ee("tally"), lambda d: set_in(d, ["body", "ballots"], 4)),
        {"V6", "V16"},
    ),
    (
        "election_entries.partials",
        edit(
            ee("partials", 1),
            lambda d: set_in(d, ["body", "shares", 0, 0], flip_hex(d["body"]["shares"][0][0], 150)),
        ),
        {"V6", "V18"},
    ),
    (
        "election_entries.result",
        edit(
            ee("result"),
            lambda d: set_in(d, ["body", "totals", 0, 0], d["body"]["totals"][0][0] + 1),
        ),
        {"V6", "V18"},
    ),
    (
        "other",
        edit(lambda r: r["other"][0], lambda d: set_in(d, ["body", "text"], "Moved.")),
        {"V6"},
    ),
    ("summary", _summary, {"V19"}),
]


def test_a_complete_record_is_valid(built: Built) -> None:
    report = verify(built)
    assert report.status == "valid" and report.exit_code == 0, report.findings
    assert all(s.passed for s in report.steps)
    assert report.step("V13").checked == 4
    assert report.step("V5").checked == 1  # the witness's cosignature
    assert report.step("V17").checked == 3
    assert [s["step"] for s in report.to_json()["steps"]] == [f"V{i}" for i in range(1, 20)]


@pytest.mark.parametrize(
    ("section", "mutate", "steps"), CHANGES, ids=[f"{c[0]}-{sorted(c[2])[-1]}" for c in CHANGES]
)
def test_a_changed_value_fails_naming_the_check(
    built: Built, section: str, mutate: Mutation, steps: set[str]
) -> None:
    report = verify(built, mutate)
    assert report.status == "invalid" and report.exit_code == 1
    assert steps <= set(report.failed_steps()), report.failed_steps()
    named = {f.item for f in report.findings if f.step in steps}
    prefix = section.split(".")[-1]
    assert any(prefix in item for item in named), named


def test_a_removed_counted_ballot(built: Built) -> None:
    counted = built.record["summary"]["counted"][-1]

    def remove(record: dict[str, Any]) -> None:
        ballots = record["election_entries"]["ballots"]
        ballots.remove(next(b for b in ballots if _tracker(b) == counted))

    report = verify(built, remove)
    assert report.status == "invalid"
    assert {"V8", "V16"} <= set(report.failed_steps())
    removed = next(b for b in built.record["election_entries"]["ballots"] if _tracker(b) == counted)
    assert f"entry {removed['index']}" in [f.item for f in report.step("V8").findings]
    # voter 1's earlier ballot now counts in its place: the tally is not its sum
    assert any("not the sum" in f.detail for f in report.step("V16").findings)


def _tracker(item: dict[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(b"\x00" + base64.b64decode(item["leaf"])).hexdigest()


def _new_ballot(built: Built, index: int) -> dict[str, Any]:
    """A well-formed, eligible ballot that was never on the board, signed by the ballot box."""
    eb = built.eb
    voter = eb.credential()
    _, body = eb.ballot(voter)
    leaf = eb.ballot_box.entry("voting.ballot", body, VOTING)
    path = built.record["election_entries"]["ballots"][-1]["path"]
    return {"index": index, "leaf": base64.b64encode(leaf).decode(), "path": path}


def test_an_added_ballot_after_the_tree(built: Built) -> None:
    size = built.eb.board.size()
    extra = _new_ballot(built, size)
    report = verify(built, lambda r: r["election_entries"]["ballots"].append(extra))
    assert report.status == "invalid"
    assert {"V6", "V12", "V16"} <= set(report.failed_steps())
    assert "V13" not in report.failed_steps()  # the ballot itself is well formed and eligible
    assert any(f"entry {size}" in f.item for f in report.step("V6").findings)


def test_an_added_ballot_in_place_of_another_entry(built: Built) -> None:
    notice = built.record["other"][0]

    def swap(record: dict[str, Any]) -> None:
        record["other"] = []
        ballots = record["election_entries"]["ballots"]
        ballots.append(_new_ballot(built, notice["index"]))
        ballots.sort(key=lambda b: b["index"])

    report = verify(built, swap)
    assert report.status == "invalid"
    assert {"V6", "V16"} <= set(report.failed_steps())
    assert "V8" not in report.failed_steps()


def test_a_replayed_ballot(built: Built) -> None:
    def replay(record: dict[str, Any]) -> None:
        ballots = record["election_entries"]["ballots"]
        ballots.append(dict(ballots[0], index=built.eb.board.size()))

    report = verify(built, replay)
    assert {"V6", "V15"} <= set(report.failed_steps())
    assert any("ballot_replayed" in f.detail for f in report.step("V15").findings)


def test_a_ballot_hidden_among_the_other_entries(built: Built) -> None:
    def hide(record: dict[str, Any]) -> None:
        ballot = record["election_entries"]["ballots"].pop(0)
        record["other"] = sorted([*record["other"], ballot], key=lambda b: b["index"])

    report = verify(built, hide)
    assert report.status == "invalid"
    assert any("hidden among the others" in f.detail for f in report.step("V8").findings)


@pytest.mark.parametrize(
    "member", ["checkpoints", "summary", "board", "eligibility", "other", "election_entries"]
)
def test_a_missing_section_is_incomplete(built: Built, member: str) -> None:
    report = verify(built, lambda r: r.pop(member))
    assert report.status == "incomplete" and report.exit_code == 2, report.findings
    assert any(f.item == member for f in report.step("V1").findings)


@pytest.mark.parametrize("name", ["result", "ballots", "tally"])
def test_a_missing_election_member_is_incomplete(built: Built, name: str) -> None:
    report = verify(built, lambda r: r["election_entries"].pop(name))
    assert report.status == "incomplete"
    assert report.step("V13").findings[0].detail.startswith("not run")


def test_without_the_witness_quorum_the_record_is_incomplete(built: Built) -> None:
    def uncosign(record: dict[str, Any]) -> None:
        last_note_line(record, lambda lines: lines.pop(-2))

    report = verify(built, uncosign)
    assert report.status == "incomplete"
    assert "quorum" in report.step("V5").findings[0].detail


def test_another_log_key(built: Built) -> None:
    other = Signer.generate(built.eb.board.origin()).verifier().vkey()
    report = verify_record(copy.deepcopy(built.record), other, workers=1)
    assert report.status == "invalid"
    assert {"V2", "V3"} <= set(report.failed_steps())


def test_two_workers_give_the_same_report(built: Built) -> None:
    bad = edit(ee("ballots", 2), _ballot_proof)
    assert verify(built, bad, workers=2).to_json() == verify(built, bad, workers=1).to_json()


def _range_answer(doc: dict[str, Any]) -> None:
    """The eligibility range proof's last response changed: the BBS challenge does not
    cover it, so only the range equation (deferred to the batch, crypto/bbs/batch.py)
    fails."""
    proof = doc["body"]["eligibility"]["presentation"]["verifiableCredential"][0]["proof"]
    pres = Presentation.from_bytes(bytes.fromhex(proof["proofValue"][1:]))
    rp = pres.range_proof
    assert rp is not None
    changed = dataclasses.replace(rp, b=(rp.b + 1) % ORDER)
    proof["proofValue"] = "f" + dataclasses.replace(pres, range_proof=changed).to_bytes().hex()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_presentation_failing_only_in_the_batch(built: Built, workers: int) -> None:
    """Among the other ballots of its chunk, the one presentation whose range proof
    fails is named, with the refusal a verification without a batch gives."""
    report = verify(built, edit(ee("ballots", 1), _range_answer), workers=workers)
    assert report.status == "invalid"
    findings = report.step("V13").findings
    index = built.record["election_entries"]["ballots"][1]["index"]
    assert len(findings) == 1 and f"(entry {index})" in findings[0].item, findings
    assert "presentation refused (proof_invalid)" in findings[0].detail


def test_not_a_record(built: Built) -> None:
    for value in ([], "x", {"version": 1, "election_entries": []}):
        report = verify_record(value, built.vkey, workers=1)
        assert report.status != "valid"
        assert not report.step("V1").passed


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_changed_leaf_byte_is_caught(built: Built, data: st.DataObject) -> None:
    """Flip one character of one entry's leaf (kept valid base64): never valid again."""
    items = [*built.record["board"], *built.record["eligibility"], *built.record["other"]]
    for value in built.record["election_entries"].values():
        items.extend(value if isinstance(value, list) else [value])
    k = data.draw(st.integers(0, len(items) - 1))
    leaf = bytearray(base64.b64decode(items[k]["leaf"]))
    at = data.draw(st.integers(0, len(leaf) - 1))
    leaf[at] = data.draw(st.integers(0, 255).filter(lambda b: b != leaf[at]))
    index = items[k]["index"]

    def mutate(record: dict[str, Any]) -> None:
        for item in _all_items(record):
            if item["index"] == index:
                item["leaf"] = base64.b64encode(bytes(leaf)).decode()

    report = verify(built, mutate)
    assert report.status == "invalid"
    assert "V6" in report.failed_steps()


def _all_items(record: dict[str, Any]) -> list[dict[str, Any]]:
    out = [*record["board"], *record["eligibility"], *record["other"]]
    for value in record["election_entries"].values():
        out.extend(value if isinstance(value, list) else [value])
    return out


# ------------------------------------------------------------------ the command


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(f"sqlite:///{tmp_path / 'unused.db'}", tmp_path / "keys", capsys)


def test_command_exit_codes(built: Built, cli: Cli, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(built.record))
    vkey_file = tmp_path / "board.vkey"
    vkey_file.write_text(built.vkey + "\n")
    r = cli.raw("verify", "election", str(good), "--vkey", built.vkey, "--workers", "1")
    assert r.code == 0, r.out + r.err
    assert "valid" in r.out.splitlines()[-1]
    r = cli.raw("verify", "election", str(good), "--vkey", str(vkey_file), "--json")
    assert r.code == 0
    assert json.loads(r.out)["status"] == "valid"

    bad = copy.deepcopy(built.record)
    _summary(bad)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    r = cli.raw("verify", "election", str(path), "--vkey", built.vkey, "--json")
    assert r.code == 1
    doc = json.loads(r.out)
    assert doc["status"] == "invalid"
    failed = [s for s in doc["steps"] if not s["passed"]]
    assert [s["step"] for s in failed] == ["V19"]
    assert failed[0]["findings"][0]["item"] == "summary.totals"

    partial = copy.deepcopy(built.record)
    del partial["checkpoints"]
    path.write_text(json.dumps(partial))
    r = cli.raw("verify", "election", str(path), "--vkey", built.vkey)
    assert r.code == 2
    assert "incomplete" in r.out.splitlines()[-1]

    path.write_text("{not json")
    r = cli.raw("verify", "election", str(path), "--vkey", built.vkey)
    assert r.code == 1
    assert r.err.startswith("error: ") and "Traceback" not in r.err


def test_a_roll_election(tmp_path: Path) -> None:
    eb = ElectionBoard(
        f"sqlite:///{tmp_path / 'roll.db'}", trustees=2, threshold=2, eligibility="roll", roll=3
    )
    eb.create()
    eb.ceremony()
    eb.open()
    for key in eb.roll:
        eb.cast(eb.ballot(key)[1])
    eb.close()
    eb.tally()
    eb.partial(1)
    eb.partial(2)
    eb.result()
    eb.board.sign_checkpoint(eb.log)
    record = export_record(eb.board, eb.election)
    vkey = eb.board.log_verifier().vkey()
    assert record["eligibility"] == []
    report = verify_record(copy.deepcopy(record), vkey, workers=1)
    assert report.status == "valid", report.findings
    assert report.step("V13").checked == 3

    def forge(doc: dict[str, Any]) -> None:
        sig = doc["body"]["eligibility"]["signature"]
        doc["body"]["eligibility"]["signature"] = flip_hex(sig, 3)

    edit(ee("ballots", 1), forge)(record)
    report = verify_record(record, vkey, workers=1)
    assert report.status == "invalid"
    assert any("roll signature" in f.detail for f in report.step("V13").findings)
