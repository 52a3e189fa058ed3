"""Prechecks outside the write lock: tokens, their soundness, the process pool (docs/board.md §2).

A toy domain stands in for an expensive one.  ``toy.set {name, value}``
writes a value, ``toy.ban {name}`` bans a name; ``toy.claim {name, digest}``
claims a name once (a cheap check in the lock) and its precheck does the
"expensive" part: the name is not banned (a prefix scan) and the digest is
SHA-256 of the name's current value.  A claim's validity thus depends on
state that another writer may change between the precheck and the lock,
which is what the tests do.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import authorities
from ledger.board import POOL_CHUNK, Admission, Board
from ledger.domains import (
    Domain,
    Kind,
    Overlay,
    Precheck,
    Registry,
    SnapshotView,
    View,
    prechecked,
)
from ledger.entry import Entry, Json
from ledger.errors import DomainRejection
from ledger.note import Signer
from ledger.store import Store
from tests.kit import ORIGIN, entry
from tests.ledger.precheck_kit import between, check_batch_like_sequential, txn_source

SET, BAN, CLAIM, ROLE = "toy.set", "toy.ban", "toy.claim", "toy_writer"
NAMES = ("n0", "n1", "n2", "n3", "n4")
VALUES = ("a", "b", "c", "dd")


class ToyRejection(DomainRejection):
    code = "toy"

    def __init__(self, detail: str, why: str) -> None:
        super().__init__(detail)
        self.why = why


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def claim_fields(entry: Entry) -> tuple[str, str]:
    b = entry.body
    if set(b) != {"name", "digest"} or not all(isinstance(v, str) for v in b.values()):
        raise ToyRejection("a claim is {name, digest}", "malformed")
    return b["name"], b["digest"]


def precheck_claim(entry: Entry, view: View) -> Json:
    """The expensive part: the digest is the SHA-256 of the name's value."""
    name, d = claim_fields(entry)
    if f"ban/{name}" in {key for key, _ in view.scan("ban/")}:
        raise ToyRejection(f"{name} is banned", "banned")
    value = view.get(f"value/{name}")
    if value is None:
        raise ToyRejection(f"{name} has no value", "unset")
    if digest(str(value)) != d:
        raise ToyRejection(f"{name}: the digest is not its value's", "digest")
    return {"length": len(str(value))}


def check_set(entry: Entry, view: View) -> None:
    b = entry.body
    if set(b) != {"name", "value"} or not all(isinstance(v, str) for v in b.values()):
        raise ToyRejection("a set is {name, value}", "malformed")


def apply_set(entry: Entry, view: View) -> None:
    view.put(f"value/{entry.body['name']}", entry.body["value"])


def check_ban(entry: Entry, view: View) -> None:
    if set(entry.body) != {"name"} or not isinstance(entry.body["name"], str):
        raise ToyRejection("a ban is {name}", "malformed")


def apply_ban(entry: Entry, view: View) -> None:
    view.put(f"ban/{entry.body['name']}", 1)


def apply_claim(entry: Entry, view: View) -> None:
    view.put(f"claimed/{entry.body['name']}", view.index)


def toy_registry(precheck: Precheck = precheck_claim, registered: bool = True) -> Registry:
    """The board's own domain and the toy; claims are prechecked by ``precheck``.

    With ``registered=False`` the kind declares no precheck (the check still
    calls it, in the lock): the plain sequential admission to compare with.
    """

    def check_claim(entry: Entry, view: View) -> None:
        name, _ = claim_fields(entry)
        if view.get(f"claimed/{name}") is not None:
            raise ToyRejection(f"{name} is claimed already", "claimed")
        facts = prechecked(view, entry, precheck)
        if facts["length"] != 1:
            raise ToyRejection(f"{name}: values of one letter only", "length")

    toy = Domain(
        "toy",
        (
            Kind(SET, ROLE, check_set, apply_set),
            Kind(BAN, ROLE, check_ban, apply_ban),
            Kind(CLAIM, ROLE, check_claim, apply_claim, precheck if registered else None),
        ),
    )
    return Registry([authorities.BOARD, toy])


@dataclass
class Toy:
    url: str
    registry: Registry
    board: Board
    root: Signer
    writer: Signer
    ticks: list[int] = field(default_factory=lambda: [0])

    def _time(self) -> str:
        self.ticks[0] += 1
        t = self.ticks[0]
        return f"2026-01-01T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}Z"

    def set(self, name: str, value: str) -> bytes:
        return entry(self.writer, SET, {"name": name, "value": value}, self._time())

    def ban(self, name: str) -> bytes:
        return entry(self.writer, BAN, {"name": name}, self._time())

    def claim(self, name: str, value: str) -> bytes:
        return entry(self.writer, CLAIM, {"name": name, "digest": digest(value)}, self._time())

    def other_board(self) -> Board:
        """Another writer on the same database (as another process would be)."""
        return Board(Store(self.url), self.registry)


def make_toy(url: str, precheck: Precheck = precheck_claim, names: Sequence[str] = NAMES) -> Toy:
    """A board with the toy domain, a writer, and the value ``a`` for each name but the last."""
    registry = toy_registry(precheck)
    board = Board(Store(url), registry)
    root, writer = Signer.generate("root"), Signer.generate("writer")
    toy = Toy(url, registry, board, root, writer)
    genesis = {
        "origin": ORIGIN,
        "log_key": Signer.generate(ORIGIN).verifier().vkey(),
        "root": {"name": "root", "public_key": root.verifier().public_key.hex()},
    }
    writer_body = {
        "name": "writer",
        "public_key": writer.verifier().public_key.hex(),
        "roles": [ROLE],
    }
    board.append_many(
        [
            entry(root, authorities.GENESIS, genesis),
            entry(root, authorities.AUTHORITY, writer_body),
            *[toy.set(n, "a") for n in names[:-1]],
        ]
    )
    return toy


@pytest.fixture
def toys() -> Iterator[list[Toy]]:
    """Toy boards made in a test, their pools ended afterwards."""
    made: list[Toy] = []
    yield made
    for t in made:
        t.board.close()


def state_of(board: Board) -> dict[tuple[str, str], str]:
    with board.store.read() as tx:
        return tx.all_state()


# ------------------------------------------------------------------ tokens


def test_a_single_append_is_prechecked_before_the_lock_and_checked_with_its_token(
    db_url: str, toys: list[Toy]
) -> None:
    seen: list[tuple[str, str]] = []

    def counting(entry: Entry, view: View) -> Json:
        seen.append((entry.body["name"], type(view).__name__))
        return precheck_claim(entry, view)

    toy = make_toy(db_url, counting)
    toys.append(toy)
    counts = toy.board.admission.counts
    index = toy.board.append(toy.claim("n0", "a"))
    assert seen == [("n0", "SnapshotView")]  # once, on the snapshot: not again in the lock
    assert counts["here"] == 1 and counts["honoured"] == 1
    assert toy.board.state("toy", "claimed/n0") == index
    # a refusal travels in the token too: the precheck runs once, the check raises it
    with pytest.raises(ToyRejection) as e:
        toy.board.append(toy.claim("n1", "b"))
    assert e.value.why == "digest" and e.value.detail == "n1: the digest is not its value's"
    assert seen[-1] == ("n1", "SnapshotView") and len(seen) == 2
    assert counts["honoured"] == 2
    # the cheap check in the lock still runs with a token: n0 is claimed already
    with pytest.raises(ToyRejection) as e:
        toy.board.append(toy.claim("n0", "a"))
    assert e.value.why == "claimed"
    # replay and verify need no token: the check runs the precheck itself (a View, in the lock)
    assert toy.board.replay() == [] and toy.board.verify() == []
    assert ("n0", "View") in seen


def test_a_value_changed_between_precheck_and_lock_is_verified_again(
    db_url: str, toys: list[Toy], monkeypatch: pytest.MonkeyPatch
) -> None:
    toy = make_toy(db_url)
    other = toy.other_board()
    toys += [toy]
    before = state_of(toy.board)
    # the precheck finds n0 = a and accepts; another writer sets n0 = b before the lock
    between(monkeypatch, toy.board, lambda: other.append(toy.set("n0", "b")))
    with pytest.raises(ToyRejection) as e:
        toy.board.append(toy.claim("n0", "a"))
    assert e.value.why == "digest"
    assert toy.board.admission.counts["stale"] == 1
    assert toy.board.admission.counts["honoured"] == 0
    assert state_of(toy.board) == {**before, ("toy", "value/n0"): '"b"'}
    # the other way round: n4 has no value at the precheck, gets one before the lock
    between(monkeypatch, toy.board, lambda: other.append(toy.set("n4", "c")))
    index = toy.board.append(toy.claim("n4", "c"))
    assert toy.board.state("toy", "claimed/n4") == index
    assert toy.board.admission.counts["stale"] == 2
    # a value the precheck saw through a prefix scan: n1 banned before the lock
    between(monkeypatch, toy.board, lambda: other.append(toy.ban("n1")))
    with pytest.raises(ToyRejection) as e:
        toy.board.append(toy.claim("n1", "a"))
    assert e.value.why == "banned"
    assert toy.board.admission.counts["stale"] == 3
    assert toy.board.verify() == []


def test_a_batch_whose_earlier_entry_changes_a_value_verifies_the_later_one_again(
    db_url: str, toys: list[Toy]
) -> None:
    toy = make_toy(db_url)
    toys.append(toy)
    # both claims are prechecked against n0 = a; the set in between makes the second stale
    with pytest.raises(ToyRejection) as e:
        toy.board.append_many([toy.set("n0", "b"), toy.claim("n0", "a")])
    assert e.value.why == "digest" and e.value.detail.startswith("entry 1 of the batch: ")
    assert toy.board.admission.counts["stale"] == 1
    first, second = toy.board.append_many([toy.set("n1", "c"), toy.claim("n1", "c")])
    assert toy.board.state("toy", "claimed/n1") == second == first + 1


def test_forged_tokens_are_not_honoured(
    db_url: str, toys: list[Toy], monkeypatch: pytest.MonkeyPatch
) -> None:
    toy = make_toy(db_url)
    toys.append(toy)
    admission = toy.board.admission
    good = Entry.from_leaf(toy.claim("n0", "a"))
    bad = Entry.from_leaf(toy.claim("n1", "b"))  # n1 is a
    with toy.board.store.read() as tx:
        source = txn_source(tx)
        good_token, bad_token = admission.prechecks([good, bad], source)
    assert good_token is not None and good_token.refusal is None
    assert bad_token is not None and bad_token.refusal is not None
    # a token of the same entry, made by another board's admission where it holds
    elsewhere = Overlay()
    elsewhere.set("toy", "value/n1", '"b"')
    (foreign,) = Admission(toy.registry).prechecks([bad], elsewhere)
    assert foreign is not None and foreign.refusal is None
    forgeries = [
        good_token,  # another entry's token
        dataclasses.replace(bad_token, refusal=None, facts='{"length": 1}'),  # edited
        dataclasses.replace(good_token, leaf_hash=bad.leaf_hash),  # rebound, seal kept
        dataclasses.replace(bad_token, reads=()),  # dependencies dropped
        foreign,  # sealed under another key
    ]
    before = state_of(toy.board)
    for n, forged in enumerate(forgeries, start=1):
        monkeypatch.setattr(admission, "prechecks", lambda entries, source, t=forged: [t])
        with pytest.raises(ToyRejection) as e:
            toy.board.append(bad.leaf)
        assert e.value.why == "digest"
        assert admission.counts["forged"] == n and admission.counts["honoured"] == 0
    assert state_of(toy.board) == before
    # the genuine token of the good entry is honoured
    monkeypatch.setattr(admission, "prechecks", lambda entries, source: [good_token])
    toy.board.append(good.leaf)
    assert admission.counts["honoured"] == 1


def test_a_precheck_that_breaks_its_contract_gives_no_token(
    tmp_path: Path, toys: list[Toy]
) -> None:
    def asks_index(entry: Entry, view: View) -> Json:
        if view.index < 0:
            raise ToyRejection("never", "index")
        return precheck_claim(entry, view)

    def hides_breach(entry: Entry, view: View) -> Json:
        try:
            view.put("x", 1)
        except Exception:
            pass
        return precheck_claim(entry, view)

    def fails_before_the_lock(entry: Entry, view: View) -> Json:
        if isinstance(view, SnapshotView):
            raise ValueError("only on the snapshot")
        return precheck_claim(entry, view)

    for precheck in (asks_index, hides_breach, fails_before_the_lock):
        toy = make_toy(f"sqlite:///{tmp_path / precheck.__name__}.db", precheck)
        toys.append(toy)
        index = toy.board.append(toy.claim("n0", "a"))  # checked in full in the lock
        assert toy.board.state("toy", "claimed/n0") == index
        with pytest.raises(ToyRejection) as e:
            toy.board.append(toy.claim("n1", "b"))
        assert e.value.why == "digest"
        counts = toy.board.admission.counts
        assert counts["here"] == 2 and counts["honoured"] == 0, precheck.__name__


# --------------------------------------------------------------- the pool


@pytest.fixture(scope="module")
def pool_toy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Toy]:
    path: Path = tmp_path_factory.mktemp("pool") / "toy.db"
    toy = make_toy(f"sqlite:///{path}")
    yield toy
    toy.board.close()


Op = tuple[str, str, str]

CLAIMS = st.tuples(st.just("claim"), st.sampled_from(NAMES), st.sampled_from(VALUES))
SETS = st.tuples(st.sampled_from(["set", "ban"]), st.sampled_from(NAMES), st.sampled_from(VALUES))


@st.composite
def batches(draw: st.DrawFn) -> list[Op]:
    """At least 64 claims (the pool's threshold), a few sets and bans among them."""
    ops: list[Op] = draw(st.lists(CLAIMS, min_size=64, max_size=72))
    for at, op in draw(st.lists(st.tuples(st.integers(0, 72), SETS), max_size=6)):
        ops.insert(at, op)
    return ops


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=batches())
def test_a_batch_prechecked_in_the_pool_is_admitted_as_sequential_admission_would(
    pool_toy: Toy, ops: list[Op]
) -> None:
    make = {
        "set": pool_toy.set,
        "ban": lambda n, v: pool_toy.ban(n),
        "claim": pool_toy.claim,
    }
    leaves = [make[op](n, v) for op, n, v in ops]
    check_batch_like_sequential(pool_toy.board, leaves, toy_registry(registered=False))


def test_workers_get_the_values_they_lacked_and_a_closure_is_prechecked_here(
    tmp_path: Path, toys: list[Toy]
) -> None:
    names = [f"m{i:02d}" for i in range(71)]
    toy = make_toy(f"sqlite:///{tmp_path / 'many.db'}", names=names)
    toys.append(toy)
    leaves = [toy.claim(n, "a") for n in names[:-1]]
    verdicts = check_batch_like_sequential(toy.board, leaves, toy_registry(registered=False))
    assert all(v[0] == "admitted" for v in verdicts)
    counts = toy.board.admission.counts
    # one probe here per batch, 69 to the pool: the entries of each job lacked the values
    # of their names at first (the probe read only m00's); the first of each job was then
    # prechecked here, the others went again with their values and were prechecked there
    jobs = -(-69 // POOL_CHUNK)
    assert counts["missed"] == 2 * jobs and counts["pool"] == 2 * (69 - jobs)

    def closure(entry: Entry, view: View) -> Json:  # a closure does not pickle
        return precheck_claim(entry, view)

    other = make_toy(f"sqlite:///{tmp_path / 'closure.db'}", closure, names)
    toys.append(other)
    other.board.append_many([other.claim(n, "a") for n in names[:-1]])
    c = other.board.admission.counts
    assert c["pool"] == 0 and c["missed"] == 69 and c["honoured"] == 70
