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

from nacl.signing import SigningKey

from crypto import bbs
from crypto.threshold import generate_box_keypair
from ledger import authorities
from ledger.board import Board
from ledger.entry import key_id, make_entry
from ledger.note import Signer
from ledger.store import Store
from services.identity import issuance
from services.identity.board_data import BoardData
from services.identity.domain import ISSUER_KEY, SCHEMA, STATUS_LIST, status_list_body
from services.identity.keys import issuer_key_body
from services.identity.schema import schema_body
from services.identity.status_list import StatusList
from services.registry import default_registry
from services.voting import domain as d
from services.voting.ballot import MadeBallot
from services.voting.casting import BallotBox, credential_ballot, roll_ballot
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


class ElectionBoard:
    """A board set up for an election, driven step by step (the scenario's and tests' engine).

    ``eligibility`` is ``"credential"`` (the e-ID of :data:`EID`; with
    ``revocable`` a status-list schema ``eid-r`` instead) or ``"roll"`` (the
    roll keys in :attr:`roll`).  Every ``post`` goes through the board's
    admission; a refusal raises the domain's error.
    """

    def __init__(
        self,
        url: str,
        *,
        trustees: int = 3,
        threshold: int = 2,
        seed: int = 0,
        election: str = "city-2026",
        revote: str = "last",
        eligibility: str = "credential",
        revocable: bool = False,
        roll: int = 0,
        contests: tuple[Contest, ...] = CONTESTS,
    ) -> None:
        self.rng = random.Random(seed)
        self.election = election
        self.contests = contests
        self.n, self.k = trustees, threshold
        self.board = Board(Store(url), default_registry())
        self.log, self.root = Signer.generate(ORIGIN), Signer.generate("root")
        self.post(
            self.root,
            authorities.GENESIS,
            {
                "origin": ORIGIN,
                "log_key": self.log.verifier().vkey(),
                "root": {"name": "root", "public_key": self.root.verifier().public_key.hex()},
            },
        )
        self.signers: dict[str, Signer] = {"root": self.root}
        self.official = self.authority("officials", d.OFFICIAL_ROLE)
        self.box_signer = self.authority("ballot-box", d.BALLOT_BOX_ROLE)
        self.issuer = self.authority(ISSUER, "issuer")
        self.trustee_signers = [
            self.authority(f"trustee-{j}", d.TRUSTEE_ROLE) for j in range(1, trustees + 1)
        ]
        self.boxes = [generate_box_keypair() for _ in range(trustees)]
        self.sk = bbs.BLS12_381_SHA_256.keygen(
            bytes(self.rng.getrandbits(8) for _ in range(32)), b"pnyx-demo"
        )
        self.post(self.issuer, ISSUER_KEY, issuer_key_body(SUITE, self.sk, ORIGIN, ISSUER))
        self.schema = "eid-r" if revocable else "eid"
        if revocable:
            self.post(
                self.issuer,
                SCHEMA,
                {**EID, "id": "eid-r", "revocation": "status_list", "max_validity_days": 365},
            )
            self.post(self.issuer, STATUS_LIST, status_list_body("eid-r-1", StatusList.empty()))
        else:
            self.post(self.issuer, SCHEMA, EID)
        self.data = BoardData.from_board(self.board)
        self.roll = [SigningKey.generate() for _ in range(roll)]
        self.eligibility = eligibility
        self.revote = revote
        self.trustees: dict[int, Trustee] = {}
        self.ballot_box = BallotBox(self.board, self.box_signer, self.log)
        self.issued = 0

    # ------------------------------------------------------------ plumbing

    def entry(self, signer: Signer, kind: str, body: dict[str, Any], time: str = BEFORE) -> bytes:
        return make_entry(kind, body, key_id(signer.verifier().public_key), signer.sign, time)

    def post(self, signer: Signer, kind: str, body: dict[str, Any], time: str = BEFORE) -> int:
        return self.board.append(self.entry(signer, kind, body, time))

    def authority(self, name: str, role: str) -> Signer:
        s = self.signers[name] = Signer.generate(name)
        body = {"name": name, "public_key": s.verifier().public_key.hex(), "roles": [role]}
        self.post(self.root, authorities.AUTHORITY, body)
        return s

    @property
    def info(self) -> ElectionInfo:
        return ElectionInfo.load(self.data, self.election)

    # ----------------------------------------------------------- voters

    def credential(self, values: dict[str, Any] | None = None, status: int | None = None) -> Voter:
        """A voter's e-ID by blind issuance (an adult of district 7 unless ``values`` says)."""
        i = self.issued
        self.issued += 1
        given, family = voter_name(i)
        birth = date(
            1950 + self.rng.randint(0, 50), self.rng.randint(1, 12), self.rng.randint(1, 28)
        )
        vals = {
            "givenName": given,
            "familyName": family,
            "birthDate": birth.isoformat(),
            "district": DISTRICT,
            **(values or {}),
        }
        req, secrets = issuance.make_request(self.data, ISSUER, self.schema)
        days = 365 if self.schema == "eid-r" else 30
        issued = issuance.issue(
            self.data,
            ISSUER,
            self.sk,
            req,
            vals,
            ELECTION_DAY - timedelta(days=10),
            days,
            None if status is None else ("eid-r-1", status),
        )
        return Voter(
            vals["givenName"], vals["familyName"], issuance.accept(self.data, issued, req, secrets)
        )

    def revoke(self, *indexes: int) -> None:
        """Set the status bits of revocable credentials."""
        self.post(
            self.issuer,
            STATUS_LIST,
            status_list_body("eid-r-1", StatusList.empty().with_set(*indexes)),
        )

    # -------------------------------------------------------- the election

    def manifest(self) -> dict[str, Any]:
        adult = (ELECTION_DAY - timedelta(days=18 * 366)).isoformat()
        eligibility: dict[str, Any]
        if self.eligibility == "roll":
            eligibility = {
                "type": "roll",
                "voters": [bytes(k.verify_key).hex() for k in self.roll],
            }
        else:
            eligibility = {
                "type": "credential",
                "issuer": ISSUER,
                "schema": self.schema,
                "attributes": {"district": DISTRICT},
                "predicates": [{"attribute": "birthDate", "op": "<=", "value": adult}],
                "date": ELECTION_DAY.isoformat(),
            }
        return {
            "version": 1,
            "id": self.election,
            "title": "City elections 2026",
            "contests": [c.to_json() for c in self.contests],
            "eligibility": eligibility,
            "revote": self.revote,
            "trustees": [
                {
                    "index": j,
                    "key_id": key_id(s.verifier().public_key),
                    "box": self.boxes[j - 1].public.hex(),
                }
                for j, s in enumerate(self.trustee_signers, start=1)
            ],
            "threshold": self.k,
            "opens": OPENS,
            "closes": CLOSES,
        }

    def create(self) -> int:
        return self.post(self.official, d.ELECTION, self.manifest())

    def ceremony(self, absent: int | None = None) -> None:
        """Commit, reveal, complain, answer, joint key; every trustee but ``absent`` takes part."""
        present = [j for j in range(1, self.n + 1) if j != absent]
        self.trustees = {j: Trustee(self.election, j, self.boxes[j - 1]) for j in present}
        for j in present:
            self.post(
                self.trustee_signers[j - 1],
                d.TRUSTEE_COMMIT,
                self.trustees[j].commit_body(self.data),
            )
        for j in present:
            self.post(
                self.trustee_signers[j - 1],
                d.TRUSTEE_REVEAL,
                self.trustees[j].reveal_body(self.data),
            )
        for j in present:
            for body in self.trustees[j].complaint_bodies(self.data):
                self.post(self.trustee_signers[j - 1], d.TRUSTEE_COMPLAINT, body)
        for j in present:
            for body in self.trustees[j].answer_bodies(self.data):
                self.post(self.trustee_signers[j - 1], d.TRUSTEE_ANSWER, body)
        self.post(self.official, d.JOINT_KEY, joint_key_body(self.data, self.election))
        for j in present:
            self.trustees[j].secret_share(self.data)

    def open(self) -> int:
        return self.post(self.official, d.OPEN, {"election": self.election}, OPENS)

    def close(self) -> int:
        return self.post(self.official, d.CLOSE, {"election": self.election}, CLOSES)

    def ballot(
        self, voter: Voter | SigningKey, selections: list[list[int]] | None = None
    ) -> tuple[MadeBallot, dict[str, Any]]:
        """A ballot of ``voter`` (random selections unless given) and its entry body."""
        choice = selections or [_random_selection(self.rng, c) for c in self.contests]
        if isinstance(voter, SigningKey):
            return roll_ballot(self.data, voter, self.election, choice)
        return credential_ballot(self.data, voter.record, self.election, choice)

    def cast(self, body: dict[str, Any], time: str = VOTING) -> Receipt:
        return self.ballot_box.cast(body, time)

    def tally(self) -> int:
        return self.post(self.official, d.TALLY, tally_body(self.data, self.election), AFTER)

    def partial(self, j: int, bad: bool = False) -> int:
        t = self.trustees[j]
        if bad:
            assert t.share is not None
            t = Trustee(self.election, j, t.box, share=t.share + t.share)
        return self.post(self.trustee_signers[j - 1], d.PARTIAL, t.partial_body(self.data), AFTER)

    def result(self) -> tuple[int, Result]:
        digest, result = decrypt_result(self.data, self.election)
        return self.post(self.official, d.RESULT, result.body(self.election, digest), AFTER), result


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
    step = progress or (lambda name, done, total: None)
    eb = ElectionBoard(url, trustees=trustees, threshold=threshold, seed=seed, election=election)
    rng = eb.rng
    people = []
    for i in range(voters):
        people.append(eb.credential())
        step("credentials", i + 1, voters)
    eb.create()
    eb.ceremony(absent)
    step("ceremony", 1, 1)
    eb.open()
    n_challenges = voters // 5 if challenges is None else challenges
    n_revotes = voters // 5 if revotes is None else revotes
    challengers = set(rng.sample(range(voters), min(n_challenges, voters)))
    revoters = set(rng.sample(range(voters), min(n_revotes, voters)))
    final: list[list[list[int]]] = []
    receipts: list[Receipt] = []
    for i, person in enumerate(people):
        if i in challengers:
            made, _ = eb.ballot(person)
            eb.ballot_box.challenge(made, VOTING)
        for _ in range(2 if i in revoters else 1):
            choice = [_random_selection(rng, c) for c in eb.contests]
            _, body = eb.ballot(person, choice)
            receipts.append(eb.cast(body))
        final.append(choice)
        step("votes", i + 1, voters)
    eb.close()
    eb.tally()
    for j in sorted(eb.trustees):
        eb.partial(j, bad=j == bad)
        step("decryption", j, trustees)
    _, result = eb.result()
    intended = [
        [sum(f[c][o] for f in final) for o in range(len(contest.choices))]
        for c, contest in enumerate(eb.contests)
    ]
    return ScenarioResult(
        eb.board,
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
        signers=eb.signers,
        log=eb.log,
    )
