"""C2SP tlog-witness add-checkpoint semantics (ledger/witness.py), in process.

Trees are built with ledger.merkle.MemoryTree; the shared signed-note vectors
give one end-to-end case (the generated size-8 checkpoint and witness key).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.checkpoint import Checkpoint
from ledger.cosignature import CosignatureSigner, verify_cosignature
from ledger.merkle import EMPTY_ROOT, MemoryTree
from ledger.note import (
    SIG_ED25519,
    Note,
    NoteSignature,
    Signer,
    Verifier,
    add_signatures,
    encode_skey,
    open_note,
    sign_note,
)
from ledger.witness import (
    Alarm,
    RefusalReason,
    StateError,
    TreeHead,
    Witness,
    WitnessRefusal,
    WitnessState,
)

VECTORS = Path(__file__).resolve().parents[2] / ".." / "shared" / "vectors"
ORIGIN = "example.com/pnyx/log"
NOW = 1767225600


class Setup:
    """A log, a witness over it, and a tree of 32 leaves to take checkpoints from."""

    def __init__(self) -> None:
        self.log = Signer.generate(ORIGIN)
        self.signer = CosignatureSigner.generate("example.org/witness")
        self.state = WitnessState()
        self.witness = Witness(self.signer, {ORIGIN: self.log.verifier()}, self.state)
        self.tree = MemoryTree(f"leaf {i}".encode() for i in range(32))

    def note(self, size: int, tree: MemoryTree | None = None, ext: tuple[str, ...] = ()) -> bytes:
        t = self.tree if tree is None else tree
        return sign_note(Checkpoint(ORIGIN, size, t.root(size), ext).to_text(), [self.log])

    def add(self, size: int, old: int, proof: list[bytes] | None = None) -> NoteSignature:
        if proof is None:
            proof = [] if old == 0 else self.tree.consistency_proof(old, size)
        return self.witness.add_checkpoint(self.note(size), old, proof, NOW)

    def refuse(self, note: bytes, old: int, proof: list[bytes]) -> WitnessRefusal:
        before = self.state.to_json()
        with pytest.raises(WitnessRefusal) as info:
            self.witness.add_checkpoint(note, old, proof, NOW)
        if info.value.reason is not RefusalReason.CONFLICTING_ROOT:
            assert self.state.to_json() == before, "a refusal changed the state"
        return info.value


@pytest.fixture
def s() -> Setup:
    return Setup()


def _cosigned(s: Setup, note: bytes, sig: NoteSignature) -> int:
    """Check the cosignature as a client does: append it and open the note."""
    text = open_note(note, [s.log.verifier()])[0].text
    both = add_signatures(note, [sig])
    _, verified = open_note(both, [s.signer.verifier()])
    assert verified == [sig]
    return verify_cosignature(s.signer.verifier(), text, sig)


# ----------------------------------------------------------- success paths


def test_first_checkpoint(s: Setup) -> None:
    sig = s.add(5, 0)
    assert sig.name == s.signer.name and sig.key_id == s.signer.key_id
    assert _cosigned(s, s.note(5), sig) == NOW
    assert s.state.latest(ORIGIN) == TreeHead(5, s.tree.root(5))
    assert s.state.alarms == []


def test_growth_with_valid_proofs(s: Setup) -> None:
    s.add(1, 0)
    for old, new in ((1, 2), (2, 3), (3, 8), (8, 13), (13, 16), (16, 31), (31, 32)):
        sig = s.add(new, old)
        assert _cosigned(s, s.note(new), sig) == NOW
        assert s.state.latest(ORIGIN) == TreeHead(new, s.tree.root(new))


@pytest.mark.parametrize("old", range(1, 9))
def test_every_growth_up_to_8(old: int) -> None:
    for new in range(old, 9):
        s = Setup()
        s.add(old, 0)
        s.add(new, old)
        assert s.state.latest(ORIGIN) == TreeHead(new, s.tree.root(new))


def test_same_size_same_root_is_cosigned_again(s: Setup) -> None:
    s.add(7, 0)
    sig = s.witness.add_checkpoint(s.note(7), 7, [], NOW + 60)
    assert (
        verify_cosignature(
            s.signer.verifier(), open_note(s.note(7), [s.log.verifier()])[0].text, sig
        )
        == NOW + 60
    )
    assert s.state.latest(ORIGIN) == TreeHead(7, s.tree.root(7))
    # ... but only with an empty proof.
    r = s.refuse(s.note(7), 7, [s.tree.root(3)])
    assert r.reason is RefusalReason.INCONSISTENT_PROOF


def test_empty_tree_then_growth(s: Setup) -> None:
    """A size-0 checkpoint carries SHA-256(""); from it, any tree is consistent."""
    s.add(0, 0)
    assert s.state.latest(ORIGIN) == TreeHead(0, EMPTY_ROOT)
    s.add(0, 0)  # again
    s.add(6, 0)
    assert s.state.latest(ORIGIN) == TreeHead(6, s.tree.root(6))


def test_unknown_signatures_and_extensions(s: Setup) -> None:
    other = CosignatureSigner.generate("other.example/w")
    note = s.note(4, ext=("ext line",))
    text = open_note(note, [s.log.verifier()])[0].text
    with_other = add_signatures(note, [other.cosign(text, NOW - 10)])
    sig = s.witness.add_checkpoint(with_other, 0, [], NOW)
    # The cosignature covers the extension lines (tlog-cosignature §Ed25519 signed message).
    assert text.endswith("ext line\n")
    assert verify_cosignature(s.signer.verifier(), text, sig) == NOW


def test_state_persists_across_witnesses(s: Setup) -> None:
    s.add(3, 0)
    loaded = WitnessState.from_json(s.state.to_json())
    assert loaded == s.state
    again = Witness(s.signer, {ORIGIN: s.log.verifier()}, loaded)
    again.add_checkpoint(s.note(9), 3, s.tree.consistency_proof(3, 9), NOW)
    assert loaded.latest(ORIGIN) == TreeHead(9, s.tree.root(9))
    assert s.state.latest(ORIGIN) == TreeHead(3, s.tree.root(3))


def test_the_generated_vector_checkpoint() -> None:
    """The witness cosigns the vector checkpoint byte-for-byte as the vector does."""
    folder = VECTORS / "signed-note"
    if not folder.is_dir():
        pytest.skip(f"shared test vectors not found at {folder.resolve()}")
    gen: dict[str, Any] = json.loads(
        (folder / "generated-cosignature-v1.json").read_text(encoding="utf-8")
    )
    log_v = Verifier.from_vkey(gen["log"]["vkey"])
    signer = CosignatureSigner(gen["witness"]["name"], bytes.fromhex(gen["witness"]["seed_hex"]))
    witness = Witness(signer, {log_v.name: log_v}, WitnessState())
    log = Signer.from_skey(
        encode_skey(gen["log"]["name"], SIG_ED25519, bytes.fromhex(gen["log"]["seed_hex"]))
    )
    note = sign_note(gen["checkpoint_body"], [log])
    sig = witness.add_checkpoint(note, 0, [], gen["cosignature"]["timestamp"])
    assert add_signatures(note, [sig]) == gen["signed_note"].encode("utf-8")
    # The tree behind it: the 8 RFC 9162 test leaves.
    merkle = json.loads((VECTORS / "merkle" / "rfc9162-sizes-0-8.json").read_text())
    tree = MemoryTree(bytes.fromhex(h) for h in merkle["leaf_inputs_hex"])
    assert witness.state.latest(log_v.name) == TreeHead(8, tree.root(8))


# ------------------------------------------------------------- refusals


def test_first_checkpoint_with_a_proof_is_refused(s: Setup) -> None:
    r = s.refuse(s.note(5), 0, [s.tree.root(1)])
    assert r.reason is RefusalReason.INCONSISTENT_PROOF
    assert s.state.latest(ORIGIN) is None


def test_first_checkpoint_with_nonzero_old_size(s: Setup) -> None:
    r = s.refuse(s.note(5), 3, s.tree.consistency_proof(3, 5))
    assert r.reason is RefusalReason.OLD_SIZE_MISMATCH
    assert r.known_size == 0


def test_altered_proofs_are_refused(s: Setup) -> None:
    s.add(3, 0)
    proof = s.tree.consistency_proof(3, 13)
    assert len(proof) > 1
    bad_proofs = [proof[:-1], [*proof, proof[0]], [], list(reversed(proof))]
    for i in range(len(proof)):
        for bit in (0, 7):
            p = list(proof)
            p[i] = bytes([p[i][0] ^ (1 << bit)]) + p[i][1:]
            bad_proofs.append(p)
    bad_proofs.append(s.tree.consistency_proof(4, 13))  # a proof from another size
    for bad in bad_proofs:
        r = s.refuse(s.note(13), 3, bad)
        assert r.reason is RefusalReason.INCONSISTENT_PROOF, bad
    assert s.state.latest(ORIGIN) == TreeHead(3, s.tree.root(3))
    s.add(13, 3)  # the right proof still works


def test_wrong_old_size_reports_the_known_size(s: Setup) -> None:
    s.add(5, 0)
    for old in (0, 3, 4, 6):
        proof = [] if old == 0 else s.tree.consistency_proof(old, 9)
        r = s.refuse(s.note(9), old, proof)
        assert r.reason is RefusalReason.OLD_SIZE_MISMATCH
        assert r.known_size == 5
    assert r.known_size is not None
    s.add(9, r.known_size)  # the client retries with the size it was told


def test_stale_checkpoint(s: Setup) -> None:
    s.add(10, 0)
    for old in (0, 4, 10):
        r = s.refuse(s.note(4), old, [])
        assert r.reason is RefusalReason.STALE
        assert r.known_size == 10


def test_old_size_above_checkpoint_size(s: Setup) -> None:
    s.add(4, 0)
    r = s.refuse(s.note(6), 7, [])
    assert r.reason is RefusalReason.MALFORMED


def test_split_view_raises_an_alarm(s: Setup) -> None:
    s.add(8, 0)
    before = s.state.latest(ORIGIN)
    fork = MemoryTree(f"fork {i}".encode() for i in range(8))
    bad_note = s.note(8, tree=fork)
    r = s.refuse(bad_note, 8, [])
    assert r.reason is RefusalReason.CONFLICTING_ROOT
    assert r.known_size == 8
    assert s.state.latest(ORIGIN) == before
    assert s.state.alarms == [
        Alarm(
            origin=ORIGIN,
            size=8,
            known_root=s.tree.root(8).hex(),
            conflicting_root=fork.root(8).hex(),
            note=bad_note.decode("utf-8"),
            time=NOW,
        )
    ]
    # The same evidence again is not recorded twice; other evidence is.
    s.refuse(bad_note, 8, [])
    assert len(s.state.alarms) == 1
    s.refuse(s.note(8, tree=fork, ext=("x",)), 0, [])  # wrong old size: still an alarm
    assert len(s.state.alarms) == 2
    doc = json.loads(s.state.to_json())
    assert doc["alarms"][0]["conflicting_root"] == fork.root(8).hex()
    assert doc["alarms"][0]["time"] == "2026-01-01T00:00:00Z"
    assert WitnessState.from_json(s.state.to_json()) == s.state
    # The honest log goes on.
    s.add(12, 8)


def test_note_signed_by_another_key(s: Setup) -> None:
    impostor = Signer.generate(ORIGIN)  # same name, other key: an unknown key
    text = Checkpoint(ORIGIN, 5, s.tree.root(5)).to_text()
    r = s.refuse(sign_note(text, [impostor]), 0, [])
    assert r.reason is RefusalReason.BAD_SIGNATURE
    # A forged signature under the log's own name and key ID.
    real = s.log.sign_text(text)
    forged = NoteSignature(real.name, real.key_id, impostor.sign(text.encode()))
    r = s.refuse(Note(text, (forged,)).to_bytes(), 0, [])
    assert r.reason is RefusalReason.BAD_SIGNATURE
    # A valid signature over another text.
    r = s.refuse(Note(text, (s.log.sign_text("other\n"),)).to_bytes(), 0, [])
    assert r.reason is RefusalReason.BAD_SIGNATURE
    assert s.state.latest(ORIGIN) is None


def test_unknown_log(s: Setup) -> None:
    other = Signer.generate("example.com/other-log")
    note = sign_note(Checkpoint(other.name, 1, s.tree.root(1)).to_text(), [other])
    assert s.refuse(note, 0, []).reason is RefusalReason.UNKNOWN_LOG


@pytest.mark.parametrize(
    "note",
    [
        b"",
        b"not a note",
        b"hello\n\n\xe2\x80\x94 x AAAAAAA=\n",
        b"\xff\n\n\xe2\x80\x94 x AAAAAAA=\n",
    ],
)
def test_malformed_notes(s: Setup, note: bytes) -> None:
    assert s.refuse(note, 0, []).reason is RefusalReason.MALFORMED


def test_malformed_requests(s: Setup) -> None:
    s.add(2, 0)
    note = s.note(4)
    proof = s.tree.consistency_proof(2, 4)
    not_a_checkpoint = sign_note("just text\n", [s.log])
    cases: list[tuple[bytes, Any, list[Any]]] = [
        (not_a_checkpoint, 2, proof),
        (note, -1, proof),
        (note, True, proof),
        (note, 2, [b"\x00" * 31, *proof[1:]]),
        (note, 2, [*proof, b"\x00" * 33]),
        (note, 2, ["not bytes"]),
        (note, 2, [bytes(32)] * 64),
    ]
    for data, old, p in cases:
        assert s.refuse(data, old, p).reason is RefusalReason.MALFORMED
    # A size-0 checkpoint must carry the empty tree's root.
    bogus = sign_note(Checkpoint(ORIGIN, 0, bytes(32)).to_text(), [s.log])
    assert s.refuse(bogus, 0, []).reason is RefusalReason.MALFORMED
    s.add(4, 2)


def test_programming_errors_are_not_refusals(s: Setup) -> None:
    for now in (-1, 2**63, True):
        with pytest.raises(ValueError):
            s.witness.add_checkpoint(s.note(1), 0, [], now)
    with pytest.raises(ValueError, match="not the origin"):
        Witness(s.signer, {"other": s.log.verifier()}, WitnessState())
    with pytest.raises(ValueError, match="Ed25519"):
        Witness(s.signer, {s.signer.name: s.signer.verifier()}, WitnessState())


def test_concurrent_submissions_are_atomic(s: Setup) -> None:
    """Many first checkpoints at once: one wins, the others learn its size."""
    results: dict[int, object] = {}
    barrier = threading.Barrier(8)

    def submit(size: int) -> None:
        barrier.wait()
        try:
            results[size] = s.witness.add_checkpoint(s.note(size), 0, [], NOW)
        except WitnessRefusal as exc:
            results[size] = exc

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [n for n, r in results.items() if isinstance(r, NoteSignature)]
    assert len(winners) == 1
    head = s.state.latest(ORIGIN)
    assert head == TreeHead(winners[0], s.tree.root(winners[0]))
    assert len(results) == 8
    for n, r in results.items():
        if n == winners[0]:
            continue
        assert isinstance(r, WitnessRefusal)
        want = RefusalReason.OLD_SIZE_MISMATCH if n > winners[0] else RefusalReason.STALE
        assert r.reason is want
        assert r.known_size == winners[0]


# ------------------------------------------------------------------ state


def test_state_json_is_stable_and_versioned(s: Setup) -> None:
    s.add(3, 0)
    text = s.state.to_json()
    assert text == s.state.to_json()
    doc = json.loads(text)
    assert doc == {
        "version": 1,
        "logs": {ORIGIN: {"size": 3, "root_hash": s.tree.root(3).hex()}},
        "alarms": [],
    }
    assert WitnessState.from_json(text).to_json() == text
    assert WitnessState().to_json() == WitnessState.from_json(WitnessState().to_json()).to_json()


def _valid_doc() -> dict[str, Any]:
    return {
        "version": 1,
        "logs": {"o": {"size": 2**64 - 1, "root_hash": "ab" * 32}},
        "alarms": [
            {
                "origin": "o",
                "size": 1,
                "known_root": "00" * 32,
                "conflicting_root": "11" * 32,
                "note": "o\n1\n...\n",
                "time": "2026-01-01T00:00:00Z",
            }
        ],
    }


def test_state_from_json_accepts_the_documented_form() -> None:
    state = WitnessState.from_json(json.dumps(_valid_doc()))
    assert state.logs == {"o": TreeHead(2**64 - 1, bytes.fromhex("ab" * 32))}
    assert state.alarms[0].time == NOW
    assert json.loads(state.to_json()) == _valid_doc()


def _mutations() -> list[tuple[str, Any]]:
    def doc_with(path: tuple[Any, ...], value: Any) -> Any:
        d = _valid_doc()
        target: Any = d
        for k in path[:-1]:
            target = target[k]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return d

    return [
        ("version 2", doc_with(("version",), 2)),
        ("version true", doc_with(("version",), True)),
        ("version string", doc_with(("version",), "1")),
        ("no version", doc_with(("version",), KeyError)),
        ("extra key", doc_with(("extra",), 1)),
        ("logs list", doc_with(("logs",), [])),
        ("size negative", doc_with(("logs", "o", "size"), -1)),
        ("size 2^64", doc_with(("logs", "o", "size"), 2**64)),
        ("size bool", doc_with(("logs", "o", "size"), True)),
        ("size float", doc_with(("logs", "o", "size"), 1.0)),
        ("root upper", doc_with(("logs", "o", "root_hash"), "AB" * 32)),
        ("root short", doc_with(("logs", "o", "root_hash"), "ab" * 31)),
        ("root missing", doc_with(("logs", "o", "root_hash"), KeyError)),
        ("log extra", doc_with(("logs", "o", "x"), 1)),
        ("bad origin", {**_valid_doc(), "logs": {"": {"size": 1, "root_hash": "ab" * 32}}}),
        ("origin newline", {**_valid_doc(), "logs": {"a\nb": {"size": 1, "root_hash": "ab" * 32}}}),
        ("alarms dict", doc_with(("alarms",), {})),
        ("alarm time", doc_with(("alarms", 0, "time"), 1767225600)),
        ("alarm time tz", doc_with(("alarms", 0, "time"), "2026-01-01T00:00:00+00:00")),
        ("alarm time bad", doc_with(("alarms", 0, "time"), "2026-02-30T00:00:00Z")),
        ("alarm note", doc_with(("alarms", 0, "note"), None)),
        ("alarm missing", doc_with(("alarms", 0, "size"), KeyError)),
        ("alarm root", doc_with(("alarms", 0, "known_root"), "zz" * 32)),
        ("not an object", []),
    ]


@pytest.mark.parametrize("doc", [d for _, d in _mutations()], ids=[n for n, _ in _mutations()])
def test_state_from_json_rejects(doc: Any) -> None:
    with pytest.raises(StateError):
        WitnessState.from_json(json.dumps(doc))


@pytest.mark.parametrize("text", ["", "{", "null", "[1]", '{"version": 1}', "\ud800"])
def test_state_from_json_rejects_non_documents(text: str) -> None:
    with pytest.raises(StateError):
        WitnessState.from_json(text)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=100),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
            lambda c: st.one_of(
                st.lists(c, max_size=3), st.dictionaries(st.text(max_size=8), c, max_size=3)
            ),
            max_leaves=10,
        ).map(json.dumps),
    )
)
def test_fuzz_state_from_json(text: str) -> None:
    try:
        state = WitnessState.from_json(text)
    except StateError:
        return
    assert WitnessState.from_json(state.to_json()) == state


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_fuzz_add_checkpoint(data: st.DataObject) -> None:
    """Random requests against a witness at size 5: only refusals or valid growth."""
    s = Setup()
    s.add(5, 0)
    size = data.draw(st.integers(0, 32))
    old = data.draw(st.integers(-2, 34))
    proof = data.draw(
        st.one_of(
            st.lists(st.binary(min_size=32, max_size=32), max_size=6),
            st.just(s.tree.consistency_proof(5, max(size, 5))),
        )
    )
    try:
        sig = s.witness.add_checkpoint(s.note(size), old, proof, NOW)
    except WitnessRefusal:
        assert s.state.latest(ORIGIN) == TreeHead(5, s.tree.root(5))
        return
    assert old == 5 and size >= 5
    assert s.state.latest(ORIGIN) == TreeHead(size, s.tree.root(size))
    assert _cosigned(s, s.note(size), sig) == NOW
