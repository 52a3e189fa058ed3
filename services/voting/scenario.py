"""A whole election on a board, for the demo, the tests and the benchmarks (docs/voting.md §9).

:func:`run_election` sets up a board (genesis, root, officials, trustees, the
ballot box, an e-ID issuer with its BBS key and schema), issues N voters an
e-ID credential by blind issuance, runs the trustee ceremony over the board
(one trustee absent), opens the election, lets every voter cast (some first
challenge a ballot, some vote again: the last ballot counts), closes, posts
the tally, the partial decryptions (one of them bad) and the result. It
returns the totals the simulated voters intended beside the decrypted ones.

The voters' choices are drawn from ``random.Random(seed)`` (what they vote,
who challenges, who re-votes); every cryptographic value still comes from the
operating system's random source.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from crypto import bbs
from crypto.threshold import generate_box_keypair
from ledger import authorities
from ledger.board import Board
from ledger.entry import key_id, make_entry
from ledger.note import Signer
from ledger.store import Store
from services.identity import issuance
from services.identity.board_data import BoardData
from services.identity.domain import ISSUER_KEY, SCHEMA
from services.identity.keys import issuer_key_body
from services.identity.schema import schema_body
from services.registry import default_registry
from services.voting import domain as d
from services.voting.casting import BallotBox, credential_ballot
from services.voting.ceremony import Trustee, joint_key_body
from services.voting.election import ElectionInfo
from services.voting.manifest import Contest
from services.voting.receipt import Receipt
from services.voting.tally import Result, decrypt_result, tally_body

ORIGIN = "demo.pnyx.example/board"
ISSUER = "cityhall"
SUITE = "BLS12-381-SHA-256"
ELECTION_DAY = date(2026, 5, 1)
OPENS = "2026-05-01T07:00:00Z"
VOTING = "2026-05-01T12:00:00Z"
CLOSES = "2026-05-01T19:00:00Z"
BEFORE = "2026-04-20T09:00:00Z"
AFTER = "2026-05-01T19:30:00Z"
DISTRICT = 7
FIRST_NAMES = ("Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John")
FAMILY_NAMES = ("Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus")

EID = schema_body(
    "eid",
    "Electronic identity",
    [
        ("givenName", "string"),
        ("familyName", "string"),
        ("birthDate", "date"),
        ("district", "integer"),
    ],
    "short_lived",
    30,
)
CONTESTS = (
    Contest("mayor", "Mayor", ("Alice", "Bob", "Carol"), 1, 1, True),
    Contest("parks", "More parks?", ("yes", "no"), 1, 1, False),
    Contest("council", "City council (up to 2)", ("Dana", "Eve", "Frank", "Gus"), 0, 2, False),
)


def voter_name(i: int) -> tuple[str, str]:
    """The simulated voter ``i``'s given and family names (for privacy tests to search for)."""
    return (
        FIRST_NAMES[i % len(FIRST_NAMES)] + f"{i:03d}",
        FAMILY_NAMES[(i // len(FIRST_NAMES)) % len(FAMILY_NAMES)] + f"x{i:03d}",
    )


@dataclass
class Voter:
    """A simulated voter: the names on its e-ID and its wallet record (with the holder secrets)."""

    given: str
    family: str
    record: dict[str, Any] = field(repr=False)


@dataclass
class ScenarioResult:
    """What happened: intended and decrypted totals, the board, the actors' keys."""

    board: Board
    election: str
    intended: list[list[int]]
    totals: list[list[int]]
    result: Result
    voters: list[Voter] = field(repr=False)
    receipts: list[Receipt] = field(repr=False)
    challenged: int = 0
    revotes: int = 0
    absent: int | None = None
    bad: int | None = None
    signers: dict[str, Signer] = field(default_factory=dict, repr=False)
    log: Signer | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.intended == self.totals


Progress = Callable[[str, int, int], None]
"""``(step, done, total)``, called as the scenario goes."""


def _random_selection(rng: random.Random, contest: Contest) -> list[int]:
    m = len(contest.choices)
    k = rng.randint(max(contest.minimum, 0), contest.maximum)
    chosen = set(rng.sample(range(m), k))
    return [1 if o in chosen else 0 for o in range(m)]


def run_election(
    url: str,
    *,
    voters: int = 10,
    trustees: int = 5,
    threshold: int = 3,
    seed: int = 0,
    challenges: int | None = None,
    revotes: int | None = None,
    absent: int | None = -1,
    bad: int | None = -1,
    election: str = "city-2026",
    progress: Progress | None = None,
) -> ScenarioResult:
    """Run a complete election on the board at ``url`` (an empty database).

    ``absent`` is the trustee who takes no part at all (no commitment, no
    partial), ``bad`` the one whose partial decryption is wrong; ``-1`` picks
    the last and the first trustee, ``None`` none. ``challenges`` and
    ``revotes`` default to about a fifth of the voters each.
    """
    absent = trustees if absent == -1 else absent
    bad = 1 if bad == -1 else bad
    honest = trustees - (absent is not None) - (bad is not None and bad != absent)
    if honest < threshold:
        raise ValueError(
            f"{trustees} trustees, one absent and one bad, leave {honest}: the threshold "
            f"{threshold} could not be met"
        )
    rng = random.Random(seed)
    step = progress or (lambda name, done, total: None)
    board = Board(Store(url), default_registry())
    log, root = Signer.generate(ORIGIN), Signer.generate("root")

    def post(signer: Signer, kind: str, body: dict[str, Any], time: str) -> int:
        leaf = make_entry(kind, body, key_id(signer.verifier().public_key), signer.sign, time)
        return board.append(leaf)

    post(
        root,
        authorities.GENESIS,
        {
            "origin": ORIGIN,
            "log_key": log.verifier().vkey(),
            "root": {"name": "root", "public_key": root.verifier().public_key.hex()},
        },
        BEFORE,
    )
    signers: dict[str, Signer] = {}

    def authority(name: str, role: str) -> Signer:
        s = signers[name] = Signer.generate(name)
        body = {"name": name, "public_key": s.verifier().public_key.hex(), "roles": [role]}
        post(root, authorities.AUTHORITY, body, BEFORE)
        return s

    official = authority("officials", d.OFFICIAL_ROLE)
    box_signer = authority("ballot-box", d.BALLOT_BOX_ROLE)
    issuer = authority(ISSUER, "issuer")
    trustee_signers = [authority(f"trustee-{j}", d.TRUSTEE_ROLE) for j in range(1, trustees + 1)]

    # the e-ID issuer, its key and schema; the voters' credentials (blind issuance)
    sk = bbs.BLS12_381_SHA_256.keygen(bytes(rng.getrandbits(8) for _ in range(32)), b"demo")
    post(issuer, ISSUER_KEY, issuer_key_body(SUITE, sk, ORIGIN, ISSUER), BEFORE)
    post(issuer, SCHEMA, EID, BEFORE)
    data = BoardData.from_board(board)
    people: list[Voter] = []
    for i in range(voters):
        given, family = voter_name(i)
        birth = date(1950 + rng.randint(0, 50), rng.randint(1, 12), rng.randint(1, 28))
        values = {
            "givenName": given,
            "familyName": family,
            "birthDate": birth.isoformat(),
            "district": DISTRICT,
        }
        req, secrets = issuance.make_request(data, ISSUER, "eid")
        issued = issuance.issue(
            data, ISSUER, sk, req, values, ELECTION_DAY - timedelta(days=10), 30, None
        )
        people.append(Voter(given, family, issuance.accept(data, issued, req, secrets)))
        step("credentials", i + 1, voters)

    # the manifest
    boxes = [generate_box_keypair() for _ in range(trustees)]
    adult = (ELECTION_DAY - timedelta(days=18 * 366)).isoformat()
    manifest = {
        "version": 1,
        "id": election,
        "title": "City elections 2026",
        "contests": [c.to_json() for c in CONTESTS],
        "eligibility": {
            "type": "credential",
            "issuer": ISSUER,
            "schema": "eid",
            "attributes": {"district": DISTRICT},
            "predicates": [{"attribute": "birthDate", "op": "<=", "value": adult}],
            "date": ELECTION_DAY.isoformat(),
        },
        "revote": "last",
        "trustees": [
            {
                "index": j,
                "key_id": key_id(s.verifier().public_key),
                "box": boxes[j - 1].public.hex(),
            }
            for j, s in enumerate(trustee_signers, start=1)
        ],
        "threshold": threshold,
        "opens": OPENS,
        "closes": CLOSES,
    }
    post(official, d.ELECTION, manifest, BEFORE)

    # the trustee ceremony over the board
    present = [j for j in range(1, trustees + 1) if j != absent]
    ts = {j: Trustee(election, j, boxes[j - 1]) for j in present}
    for j in present:
        post(trustee_signers[j - 1], d.TRUSTEE_COMMIT, ts[j].commit_body(data), BEFORE)
    for j in present:
        post(trustee_signers[j - 1], d.TRUSTEE_REVEAL, ts[j].reveal_body(data), BEFORE)
        step("ceremony", j, trustees)
    for j in present:
        for body in ts[j].complaint_bodies(data):
            post(trustee_signers[j - 1], d.TRUSTEE_COMPLAINT, body, BEFORE)
    for j in present:
        for body in ts[j].answer_bodies(data):
            post(trustee_signers[j - 1], d.TRUSTEE_ANSWER, body, BEFORE)
    post(official, d.JOINT_KEY, joint_key_body(data, election), BEFORE)
    for j in present:
        ts[j].secret_share(data)
    post(official, d.OPEN, {"election": election}, OPENS)

    # voting: challenges, re-votes, the last ballot counts
    box = BallotBox(board, box_signer, log)
    n_challenges = voters // 5 if challenges is None else challenges
    n_revotes = voters // 5 if revotes is None else revotes
    challengers = set(rng.sample(range(voters), min(n_challenges, voters)))
    revoters = set(rng.sample(range(voters), min(n_revotes, voters)))
    final: list[list[list[int]]] = []
    receipts: list[Receipt] = []
    for i, person in enumerate(people):
        if i in challengers:
            made, _ = credential_ballot(
                data, person.record, election, [_random_selection(rng, c) for c in CONTESTS]
            )
            box.challenge(made, VOTING)
        rounds = 2 if i in revoters else 1
        for _ in range(rounds):
            choice = [_random_selection(rng, c) for c in CONTESTS]
            _, body = credential_ballot(data, person.record, election, choice)
            receipts.append(box.cast(body, VOTING))
        final.append(choice)
        step("votes", i + 1, voters)
    post(official, d.CLOSE, {"election": election}, CLOSES)

    # tally, partial decryptions (one bad, one trustee absent), result
    post(official, d.TALLY, tally_body(data, election), AFTER)
    info = ElectionInfo.load(data, election)
    for j in present:
        t = ts[j]
        if j == bad:
            assert t.share is not None
            wrong = Trustee(election, j, t.box, share=t.share + t.share)
            body = wrong.partial_body(data)
        else:
            body = t.partial_body(data)
        post(trustee_signers[j - 1], d.PARTIAL, body, AFTER)
        step("decryption", j, trustees)
    digest, result = decrypt_result(data, election)
    post(official, d.RESULT, result.body(election, digest), AFTER)
    intended = [
        [sum(f[c][o] for f in final) for o in range(len(contest.choices))]
        for c, contest in enumerate(CONTESTS)
    ]
    assert info.id == election
    return ScenarioResult(
        board,
        election,
        intended,
        result.totals,
        result,
        people,
        receipts,
        challenged=len(challengers),
        revotes=len(revoters),
        absent=absent,
        bad=bad,
        signers={**signers, "root": root},
        log=log,
    )
