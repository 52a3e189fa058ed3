"""The voting domain on the board (docs/voting.md §3, §6, §7).

Kinds and roles: ``voting.election``, ``voting.joint_key``, ``voting.open``,
``voting.close``, ``voting.tally``, ``voting.result`` (``election_official``);
``voting.trustee_commit``, ``voting.trustee_reveal``,
``voting.trustee_complaint``, ``voting.trustee_answer``, ``voting.partial``
(``trustee``); ``voting.ballot``, ``voting.challenge`` (``ballot_box``).

Each ``check`` refuses with a :mod:`services.voting.errors` rejection naming
the cause; each ``apply`` writes only what later checks, the tally and the
record need.  ``apply`` trusts what ``check`` verified in the same admission
and recomputes nothing expensive, except the verdicts that are *recorded*
rather than refused (a complaint's verdict, a partial decryption's validity).

Ballots and challenges have a *precheck* (docs/board.md §2, "Prechecks"):
:func:`precheck_ballot` verifies the contest proofs and the eligibility proof
(roll signature, or the BBS presentation with its disclosed attributes and
pseudonym), :func:`precheck_challenge` opens the challenged ciphertexts.  Both
are pure functions of the entry and the state values they read (the election
record, the issuer's key, authority, schema and status list), so the board
runs them before its write lock and passes the outcome to the check as a
token, honoured only while those values are unchanged.  :func:`check_ballot`
and :func:`check_challenge` run the cheap state-dependent checks in the lock
in the original order (form, phase and time, replay and challenge state, the
re-vote rule), take the costly part from the token or compute it
(:func:`ledger.domains.prechecked`), then the roll membership.
"""

from __future__ import annotations

import hashlib
from typing import Any

import nacl.bindings as sodium

from crypto.contest import ContestShape, verify_contest
from crypto.elgamal import Ciphertext
from crypto.errors import InvalidEncoding, InvalidProof, ThresholdError
from crypto.group import GENERATOR, Point, Scalar
from crypto.threshold import (
    CeremonyParameters,
    CoefficientCommitments,
    Complaint,
    Dealing,
    PartialDecryption,
    Verdict,
    combine_partial_decryptions,
    joint_public_key,
    judge_answer,
    judge_complaint,
    verification_key,
    verify_commitments,
)
from ledger import authorities
from ledger.domains import Domain, Kind, View, prechecked
from ledger.entry import Entry, Json
from services.identity.board_data import BoardData
from services.identity.errors import PresentationRejected
from services.identity.presentation import verify_presentation
from services.voting.ballot import (
    KEY_ID_HEX,
    PSEUDONYM_HEX,
    ballot_fields,
    ballot_hash,
    check_roll_signature,
    ciphertext_hex,
    decode_contests,
    open_challenge,
    presentation_request,
)
from services.voting.election import NAME
from services.voting.errors import (
    AlreadyVoted,
    BallotChallenged,
    BallotReplayed,
    CeremonyRejection,
    ElectionExists,
    InvalidBallot,
    MalformedVotingEntry,
    NotEligible,
    NotEnoughPartials,
    NotTheTally,
    NotTheTrustee,
    ResultMismatch,
    TallyMismatch,
    UnknownElection,
    WindowPassed,
    WrongPhase,
)
from services.voting.manifest import (
    CredentialRule,
    Manifest,
    election_context,
    manifest_hash,
    parse_eligibility,
)
from services.voting.tally import counted_tally, tally_digest

ELECTION = "voting.election"
TRUSTEE_COMMIT = "voting.trustee_commit"
TRUSTEE_REVEAL = "voting.trustee_reveal"
TRUSTEE_COMPLAINT = "voting.trustee_complaint"
TRUSTEE_ANSWER = "voting.trustee_answer"
JOINT_KEY = "voting.joint_key"
OPEN = "voting.open"
BALLOT = "voting.ballot"
CHALLENGE = "voting.challenge"
CLOSE = "voting.close"
TALLY = "voting.tally"
PARTIAL = "voting.partial"
RESULT = "voting.result"
OFFICIAL_ROLE = "election_official"
TRUSTEE_ROLE = "trustee"
BALLOT_BOX_ROLE = "ballot_box"

CEREMONY, KEYED, OPENED, CLOSED, TALLIED, DECIDED = (
    "ceremony",
    "keyed",
    "open",
    "closed",
    "tallied",
    "decided",
)
PARTIAL_HEX = 200
ANSWERED = "answered"
MAX_REASON = 200


# -------------------------------------------------------------------- helpers


def _members(body: Any, fields: set[str], kind: str) -> dict[str, Any]:
    if not isinstance(body, dict) or body.keys() != fields:
        raise MalformedVotingEntry(f"{kind} has exactly the members {sorted(fields)}")
    return body


def _hex(value: Any, what: str, length: int | None = None) -> bytes:
    if not isinstance(value, str) or (length is not None and len(value) != 2 * length):
        raise MalformedVotingEntry(
            f"{what} must be " + (f"{2 * length} " if length else "") + "lowercase hex digits"
        )
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise MalformedVotingEntry(f"{what} must be lowercase hex digits") from None
    if raw.hex() != value:
        raise MalformedVotingEntry(f"{what} must be lowercase hex digits")
    return raw


def _index(value: Any, what: str, n: int) -> int:
    if type(value) is not int or not 1 <= value <= n:
        raise MalformedVotingEntry(f"{what} must be a trustee index in 1..{n}")
    return value


def election_record(view: View, election: Any) -> dict[str, Any]:
    """The state record of an election on the board, else :class:`UnknownElection`."""
    if not isinstance(election, str):
        raise MalformedVotingEntry("election must be an election id")
    rec = view.get(f"election/{election}")
    if rec is None:
        raise UnknownElection(f"no election {election[:64]!r} on this board")
    return dict(rec)


def _phase(rec: dict[str, Any], kind: str, *phases: str) -> None:
    if rec["phase"] not in phases:
        raise WrongPhase(
            f"{kind} is accepted when the election is {' or '.join(phases)}; "
            f"election {rec['id']} is {rec['phase']}"
        )


def _trustee(view: View, rec: dict[str, Any], index: int) -> None:
    """The author is the authority the manifest lists for trustee ``index``."""
    if view.author is None or view.author.key_id != rec["trustees"][index - 1][0]:
        raise NotTheTrustee(
            f"the author is not trustee {index} of election {rec['id']} (its key id differs)"
        )


def ceremony_parameters(rec: dict[str, Any]) -> CeremonyParameters:
    """``CeremonyParameters(H_M, k, n)`` of the key ceremony (docs/voting.md §2)."""
    return CeremonyParameters(
        bytes.fromhex(rec["manifest"]), rec["threshold"], len(rec["trustees"])
    )


def decryption_parameters(rec: dict[str, Any], threshold: int | None = None) -> CeremonyParameters:
    """``CeremonyParameters(H_C, k, n)`` of partial decryptions."""
    return CeremonyParameters(
        bytes.fromhex(rec["context"]),
        rec["threshold"] if threshold is None else threshold,
        len(rec["trustees"]),
    )


def shapes_of(rec: dict[str, Any]) -> list[ContestShape]:
    return [ContestShape(c.encode(), m, lo, hi) for c, m, lo, hi in rec["shapes"]]


def _box_key_ok(value: str) -> bool:
    """An X25519 key of small order makes the shared secret zero; libsodium then refuses."""
    try:
        sodium.crypto_scalarmult(b"\x09" * 32, bytes.fromhex(value))
    except Exception:  # libsodium's RuntimeError for an all-zero result
        return False
    return True


def _board_data(view: View) -> BoardData:
    return BoardData(
        lambda domain, key: view.read(domain, key),
        lambda domain, prefix: list(view.scan(prefix, domain=domain)),
    )


# --------------------------------------------------------------------- election


def check_election(entry: Entry, view: View) -> None:
    m = Manifest.from_json(entry.body)
    if view.get(f"election/{m.id}") is not None:
        raise ElectionExists(f"an election {m.id!r} exists on this board already")
    if m.closes <= entry.time:
        raise WindowPassed(
            f"the manifest's voting window closed at {m.closes}, before this entry ({entry.time});"
            " choose a closing time in the future"
        )
    for t in m.trustees:
        a = authorities.authority(view, t.key_id)
        if a is None or TRUSTEE_ROLE not in a.roles:
            raise MalformedVotingEntry(
                f"trustee {t.index}'s key id is not a registered authority with the role trustee"
            )
        if not _box_key_ok(t.box):
            raise MalformedVotingEntry(f"trustee {t.index}'s box key is of small order")
    if isinstance(m.eligibility, CredentialRule):
        rule = m.eligibility
        schema = _board_data(view).schema(rule.issuer, rule.schema)
        if schema is None:
            raise MalformedVotingEntry(f"no schema {rule.issuer}/{rule.schema} on this board")
        try:
            for name, value in rule.attributes:
                schema.attribute(name).check_value(value)
            presentation_request(rule, m.id, bytes(32)).check_against(schema)
        except Exception as e:  # identity's BadDocument / DomainRejection, with a detail
            raise MalformedVotingEntry(
                f"manifest: the eligibility rule does not fit the schema: {getattr(e, 'detail', e)}"
            ) from None


def apply_election(entry: Entry, view: View) -> None:
    m = Manifest.from_json(entry.body)
    eligibility = m.eligibility.to_json()
    if eligibility["type"] == "roll":
        for key in eligibility.pop("voters"):
            view.put(f"roll/{m.id}/{hashlib.sha256(bytes.fromhex(key)).hexdigest()}", 1)
    view.put(
        f"election/{m.id}",
        {
            "id": m.id,
            "manifest": manifest_hash(entry.body).hex(),
            "phase": CEREMONY,
            "index": view.index,
            "threshold": m.threshold,
            "trustees": [[t.key_id, t.box] for t in m.trustees],
            "shapes": [[c.id, len(c.choices), c.minimum, c.maximum] for c in m.contests],
            "revote": m.revote,
            "eligibility": eligibility,
            "opens": m.opens,
            "closes": m.closes,
            "key": None,
            "context": None,
            "commits": 0,
            "reveals": 0,
        },
    )


# --------------------------------------------------------------------- ceremony


def check_commit(entry: Entry, view: View) -> None:
    b = _members(entry.body, {"election", "trustee", "digest"}, TRUSTEE_COMMIT)
    rec = election_record(view, b["election"])
    _phase(rec, TRUSTEE_COMMIT, CEREMONY)
    i = _index(b["trustee"], "trustee", len(rec["trustees"]))
    _trustee(view, rec, i)
    _hex(b["digest"], "digest", 32)
    if rec["reveals"]:
        raise CeremonyRejection("commitments are closed: a trustee has revealed already")
    if view.get(f"commit/{rec['id']}/{i}") is not None:
        raise CeremonyRejection(f"trustee {i} has committed already")


def apply_commit(entry: Entry, view: View) -> None:
    b = entry.body
    rec = election_record(view, b["election"])
    view.put(f"commit/{rec['id']}/{b['trustee']}", b["digest"])
    rec["commits"] += 1
    view.put(f"election/{rec['id']}", rec)


def _reveal(view: View, rec: dict[str, Any], i: int) -> tuple[CoefficientCommitments, Dealing]:
    r = view.get(f"reveal/{rec['id']}/{i}")
    if r is None:
        raise CeremonyRejection(f"trustee {i} has not revealed")
    return (
        CoefficientCommitments.from_bytes(bytes.fromhex(r["commitments"]), rec["threshold"]),
        Dealing.from_bytes(bytes.fromhex(r["dealing"])),
    )


def check_reveal(entry: Entry, view: View) -> None:
    b = _members(entry.body, {"election", "trustee", "commitments", "dealing"}, TRUSTEE_REVEAL)
    rec = election_record(view, b["election"])
    _phase(rec, TRUSTEE_REVEAL, CEREMONY)
    n = len(rec["trustees"])
    i = _index(b["trustee"], "trustee", n)
    _trustee(view, rec, i)
    digest = view.get(f"commit/{rec['id']}/{i}")
    if digest is None:
        raise CeremonyRejection(f"trustee {i} reveals without having committed")
    if view.get(f"reveal/{rec['id']}/{i}") is not None:
        raise CeremonyRejection(f"trustee {i} has revealed already")
    if rec["commits"] < rec["threshold"]:
        raise CeremonyRejection(
            f"reveals start once {rec['threshold']} trustees committed ({rec['commits']} did)"
        )
    params = ceremony_parameters(rec)
    try:
        cc = CoefficientCommitments.from_bytes(
            _hex(b["commitments"], "commitments"), rec["threshold"]
        )
        dealing = Dealing.from_bytes(_hex(b["dealing"], "dealing"))
    except InvalidEncoding as e:
        raise CeremonyRejection(f"trustee {i}'s reveal does not decode: {e}") from None
    if cc.dealer != i or dealing.dealer != i:
        raise CeremonyRejection(f"the reveal's commitments or dealing are not trustee {i}'s")
    try:
        verify_commitments(params, cc, bytes.fromhex(digest))
    except (ThresholdError, InvalidProof) as e:
        raise CeremonyRejection(f"trustee {i}'s commitments are refused: {e}") from None
    if set(dealing.boxes) != set(range(1, n + 1)) - {i}:
        raise CeremonyRejection(f"trustee {i}'s dealing must hold one box for every other trustee")


def apply_reveal(entry: Entry, view: View) -> None:
    b = entry.body
    rec = election_record(view, b["election"])
    view.put(
        f"reveal/{rec['id']}/{b['trustee']}",
        {"commitments": b["commitments"], "dealing": b["dealing"]},
    )
    rec["reveals"] += 1
    view.put(f"election/{rec['id']}", rec)


def _complaint(entry: Entry, view: View) -> tuple[dict[str, Any], Complaint, Verdict]:
    b = _members(entry.body, {"election", "complaint"}, TRUSTEE_COMPLAINT)
    rec = election_record(view, b["election"])
    _phase(rec, TRUSTEE_COMPLAINT, CEREMONY)
    n = len(rec["trustees"])
    try:
        c = Complaint.from_bytes(_hex(b["complaint"], "complaint"))
    except InvalidEncoding as e:
        raise MalformedVotingEntry(f"the complaint does not decode: {e}") from None
    i = _index(c.dealer, "the accused dealer", n)
    j = _index(c.recipient, "the complainer", n)
    _trustee(view, rec, j)
    if i == j:
        raise CeremonyRejection("a trustee cannot complain about itself")
    if view.get(f"complaint/{rec['id']}/{i}/{j}") is not None:
        raise CeremonyRejection(f"trustee {j} has complained about trustee {i} already")
    cc, dealing = _reveal(view, rec, i)
    box = bytes.fromhex(rec["trustees"][j - 1][1])
    verdict = judge_complaint(ceremony_parameters(rec), cc, dealing, c, box)
    return rec, c, verdict


def check_complaint(entry: Entry, view: View) -> None:
    _complaint(entry, view)


def apply_complaint(entry: Entry, view: View) -> None:
    rec, c, verdict = _complaint(entry, view)
    view.put(
        f"complaint/{rec['id']}/{c.dealer}/{c.recipient}", {"verdict": verdict.value, "share": None}
    )
    if verdict is Verdict.DEALER_AT_FAULT:
        view.put(
            f"fault/{rec['id']}/{c.dealer}",
            f"trustee {c.recipient}'s complaint: the share dealt to it is wrong",
        )


def check_answer(entry: Entry, view: View) -> None:
    b = _members(entry.body, {"election", "trustee", "recipient", "share"}, TRUSTEE_ANSWER)
    rec = election_record(view, b["election"])
    _phase(rec, TRUSTEE_ANSWER, CEREMONY)
    n = len(rec["trustees"])
    i = _index(b["trustee"], "trustee", n)
    j = _index(b["recipient"], "recipient", n)
    _trustee(view, rec, i)
    c = view.get(f"complaint/{rec['id']}/{i}/{j}")
    if c is None or c["verdict"] != Verdict.ANSWER_REQUIRED.value:
        raise CeremonyRejection(f"no complaint of trustee {j} awaits an answer from trustee {i}")
    _hex(b["share"], "share", 32)


def apply_answer(entry: Entry, view: View) -> None:
    b = entry.body
    rec = election_record(view, b["election"])
    i, j = b["trustee"], b["recipient"]
    cc, _ = _reveal(view, rec, i)
    if judge_answer(cc, j, bytes.fromhex(b["share"])):
        view.put(f"complaint/{rec['id']}/{i}/{j}", {"verdict": ANSWERED, "share": b["share"]})
    else:
        view.put(
            f"complaint/{rec['id']}/{i}/{j}",
            {"verdict": Verdict.DEALER_AT_FAULT.value, "share": b["share"]},
        )
        view.put(
            f"fault/{rec['id']}/{i}",
            f"its answer to trustee {j}'s complaint does not match its commitments",
        )


def qualified_dealers(view: View, rec: dict[str, Any]) -> tuple[list[int], dict[int, str]]:
    """QUAL (revealed, not at fault, nothing pending) and why each other revealer is out."""
    eid = rec["id"]
    out: dict[int, str] = {}
    for key, reason in view.scan(f"fault/{eid}/"):
        out[int(key.rsplit("/", 1)[1])] = str(reason)
    for key, c in view.scan(f"complaint/{eid}/"):
        _, _, i, j = key.split("/")
        if c["verdict"] == Verdict.ANSWER_REQUIRED.value and int(i) not in out:
            out[int(i)] = f"did not answer trustee {j}'s complaint"
    revealed = sorted(int(k.rsplit("/", 1)[1]) for k, _ in view.scan(f"reveal/{eid}/"))
    return [i for i in revealed if i not in out], out


def check_joint_key(entry: Entry, view: View) -> None:
    b = _members(
        entry.body,
        {"election", "qualified", "public_key", "verification_keys", "context"},
        JOINT_KEY,
    )
    rec = election_record(view, b["election"])
    _phase(rec, JOINT_KEY, CEREMONY)
    qual, _ = qualified_dealers(view, rec)
    if len(qual) < rec["threshold"]:
        raise CeremonyRejection(
            f"{len(qual)} qualified trustees, the threshold is {rec['threshold']}"
        )
    if b["qualified"] != qual:
        raise CeremonyRejection(f"the qualified trustees are {qual}, not {b['qualified']!r}")
    dealers = [_reveal(view, rec, i)[0] for i in qual]
    key = joint_public_key(dealers)
    if b["public_key"] != key.hex():
        raise CeremonyRejection("the joint key is not the sum of the qualified commitments")
    n = len(rec["trustees"])
    vks = [verification_key(dealers, j).hex() for j in range(1, n + 1)]
    if b["verification_keys"] != vks:
        raise CeremonyRejection("the verification keys do not follow from the commitments")
    context = election_context(bytes.fromhex(rec["manifest"]), key.to_bytes()).hex()
    if b["context"] != context:
        raise CeremonyRejection("the context is not H_C of the manifest and the joint key")


def apply_joint_key(entry: Entry, view: View) -> None:
    b = entry.body
    rec = election_record(view, b["election"])
    _, out = qualified_dealers(view, rec)
    for i, reason in out.items():
        view.put(f"fault/{rec['id']}/{i}", reason)
    view.put(
        f"keys/{rec['id']}",
        {"qualified": b["qualified"], "verification_keys": b["verification_keys"]},
    )
    rec.update(phase=KEYED, key=b["public_key"], context=b["context"])
    view.put(f"election/{rec['id']}", rec)


# ------------------------------------------------------------- open and close


def check_open(entry: Entry, view: View) -> None:
    b = _members(entry.body, {"election"}, OPEN)
    rec = election_record(view, b["election"])
    _phase(rec, OPEN, KEYED)
    if not rec["opens"] <= entry.time < rec["closes"]:
        raise WrongPhase(
            f"the election opens at {rec['opens']} and closes at {rec['closes']}, "
            f"not at {entry.time}"
        )


def apply_open(entry: Entry, view: View) -> None:
    rec = election_record(view, entry.body["election"])
    rec["phase"] = OPENED
    view.put(f"election/{rec['id']}", rec)


def check_close(entry: Entry, view: View) -> None:
    b = _members(entry.body, {"election"}, CLOSE)
    rec = election_record(view, b["election"])
    _phase(rec, CLOSE, OPENED)
    if entry.time < rec["closes"]:
        raise WrongPhase(f"the election closes at {rec['closes']}, not before ({entry.time})")


def apply_close(entry: Entry, view: View) -> None:
    rec = election_record(view, entry.body["election"])
    rec["phase"] = CLOSED
    view.put(f"election/{rec['id']}", rec)


# ---------------------------------------------------------------------- ballots


def _ballot_form(
    entry: Entry, view: View, ballot: Any
) -> tuple[dict[str, Any], str, list[str], list[ContestShape]]:
    """Form, election, phase, time and the voter's length: the checks the election record gives."""
    election, voter, contests = ballot_fields(ballot)
    rec = election_record(view, election)
    if rec["phase"] != OPENED:
        raise WrongPhase(f"election {election} is not open for ballots: it is {rec['phase']}")
    if not rec["opens"] <= entry.time < rec["closes"]:
        raise WrongPhase(
            f"ballots are accepted from {rec['opens']} until {rec['closes']}, not at {entry.time}"
        )
    expected = PSEUDONYM_HEX if rec["eligibility"]["type"] == "credential" else KEY_ID_HEX
    if len(voter) != expected:
        raise MalformedVotingEntry(f"the voter of this election is {expected} hex digits")
    return rec, voter, contests, shapes_of(rec)


def _open_ballot(
    entry: Entry, view: View, kind: str, ballot: Any
) -> tuple[dict[str, Any], str, list[str], bytes, list[ContestShape]]:
    """Form, election, phase, time, shape lengths and replay of a ballot (the cheap checks)."""
    rec, voter, contests, shapes = _ballot_form(entry, view, ballot)
    election = rec["id"]
    h_b = ballot_hash(ballot)
    seen = view.get(f"seen/{election}/{h_b.hex()}")
    if seen == "challenged":
        raise BallotChallenged(f"{kind}: ballot {h_b.hex()} was challenged: it can never be cast")
    if seen is not None:
        raise BallotReplayed(f"{kind}: ballot {h_b.hex()} was cast already")
    return rec, voter, contests, h_b, shapes


def precheck_ballot(entry: Entry, view: View) -> Json:
    """The costly part of :func:`check_ballot`: contest proofs, then the eligibility proof.

    A pure function of the entry and of the state it reads: the election
    record and, for a credential election, the issuer's key, authority,
    schema and status list (:func:`services.identity.presentation.verify_presentation`).
    It repeats the checks of :func:`_ballot_form` first, which need only
    the election record, so that it never verifies a ballot the record
    already refuses.
    """
    b = _members(entry.body, {"ballot", "eligibility"}, BALLOT)
    rec, voter, contests, shapes = _ballot_form(entry, view, b["ballot"])
    h_b = ballot_hash(b["ballot"])
    decoded = decode_contests(contests, shapes)
    key = Point.from_bytes(bytes.fromhex(rec["key"]))
    context, prover = bytes.fromhex(rec["context"]), bytes.fromhex(voter)
    for c, (shape, contest) in enumerate(zip(shapes, decoded, strict=True)):
        try:
            verify_contest(key, shape, contest, context=context, prover=prover)
        except InvalidProof as e:
            raise InvalidBallot(
                f"contest {c} ({shape.contest_id.decode()}): {e} for this election and voter"
            ) from None
    _verify_eligibility(view, rec, b["eligibility"], voter, h_b)
    return None


def check_ballot(entry: Entry, view: View) -> None:
    b = _members(entry.body, {"ballot", "eligibility"}, BALLOT)
    rec, voter, _, _, _ = _open_ballot(entry, view, BALLOT, b["ballot"])
    eid = rec["id"]
    if rec["revote"] == "deny" and view.get(f"cast/{eid}/{voter}") is not None:
        raise AlreadyVoted(f"this voter has cast a ballot in {eid}, which denies re-votes")
    prechecked(view, entry, precheck_ballot)
    if rec["eligibility"]["type"] == "roll" and view.get(f"roll/{eid}/{voter}") is None:
        raise NotEligible("the voter's key is not on the election's roll", "not_on_roll")


def _verify_eligibility(
    view: View, rec: dict[str, Any], eligibility: Any, voter: str, h_b: bytes
) -> None:
    """The eligibility proof over ``h_b``; the roll membership is the check's, in the lock."""
    rule = rec["eligibility"]
    if rule["type"] == "roll":
        if not isinstance(eligibility, dict) or eligibility.keys() != {"key", "signature"}:
            raise NotEligible("a roll ballot's eligibility is {key, signature}", "malformed")
        check_roll_signature(eligibility, voter, h_b)
        return
    if not isinstance(eligibility, dict) or eligibility.keys() != {"presentation"}:
        raise NotEligible("a credential ballot's eligibility is {presentation}", "malformed")
    cred = parse_eligibility(rule)
    assert isinstance(cred, CredentialRule)
    request = presentation_request(cred, rec["id"], h_b)
    try:
        verified = verify_presentation(_board_data(view), request, eligibility["presentation"])
    except PresentationRejected as e:
        raise NotEligible(f"the presentation is refused: {e.detail}", e.reason) from None
    for name, value in cred.attributes:
        if verified.disclosed.get(name) != value:
            raise NotEligible(
                f"the credential's {name} is not the required {value!r}", "ineligible"
            )
    if verified.pseudonym != voter:
        raise NotEligible(
            "the presentation proves another pseudonym than the ballot's voter",
            "pseudonym_mismatch",
        )


def apply_ballot(entry: Entry, view: View) -> None:
    ballot = entry.body["ballot"]
    eid, voter = ballot["election"], ballot["voter"]
    rec = election_record(view, eid)
    h_b = ballot_hash(ballot).hex()
    view.put(f"seen/{eid}/{h_b}", "cast")
    view.put(
        f"cast/{eid}/{voter}",
        {
            "ballot": h_b,
            "index": view.index,
            "ciphertexts": ciphertext_hex(ballot["contests"], shapes_of(rec)),
        },
    )


def precheck_challenge(entry: Entry, view: View) -> Json:
    """The costly part of :func:`check_challenge`: the nonces open every ciphertext.

    Reads only the election record (and repeats :func:`_ballot_form`'s checks first).
    """
    b = _members(entry.body, {"ballot", "nonces", "selections"}, CHALLENGE)
    rec, _, contests, shapes = _ballot_form(entry, view, b["ballot"])
    decoded = decode_contests(contests, shapes)
    key = Point.from_bytes(bytes.fromhex(rec["key"]))
    open_challenge(key, decoded, b["nonces"], b["selections"])
    return None


def check_challenge(entry: Entry, view: View) -> None:
    b = _members(entry.body, {"ballot", "nonces", "selections"}, CHALLENGE)
    _open_ballot(entry, view, CHALLENGE, b["ballot"])
    prechecked(view, entry, precheck_challenge)


def apply_challenge(entry: Entry, view: View) -> None:
    ballot = entry.body["ballot"]
    view.put(f"seen/{ballot['election']}/{ballot_hash(ballot).hex()}", "challenged")


# ------------------------------------------------------------------------ tally


def check_tally(entry: Entry, view: View) -> None:
    b = _members(entry.body, {"election", "ballots", "tally"}, TALLY)
    rec = election_record(view, b["election"])
    _phase(rec, TALLY, CLOSED)
    widths = [m for _, m, _, _ in rec["shapes"]]
    count, tally = counted_tally(view.scan, rec["id"], widths)
    if count == 0:
        raise TallyMismatch(f"election {rec['id']} has no counted ballot to tally")
    if b["ballots"] != count:
        raise TallyMismatch(f"{count} ballots are counted, the tally says {b['ballots']!r}")
    if b["tally"] != tally:
        raise TallyMismatch("the tally is not the sum of the counted ballots' ciphertexts")


def apply_tally(entry: Entry, view: View) -> None:
    b = entry.body
    rec = election_record(view, b["election"])
    view.put(
        f"tally/{rec['id']}",
        {"digest": tally_digest(b["tally"]), "ballots": b["ballots"], "tally": b["tally"]},
    )
    rec["phase"] = TALLIED
    view.put(f"election/{rec['id']}", rec)


def _tally(view: View, rec: dict[str, Any]) -> dict[str, Any]:
    t = view.get(f"tally/{rec['id']}")
    if t is None:
        raise WrongPhase(f"election {rec['id']} has no tally")
    return dict(t)


def check_partial(entry: Entry, view: View) -> None:
    b = _members(entry.body, {"election", "trustee", "tally", "shares"}, PARTIAL)
    rec = election_record(view, b["election"])
    _phase(rec, PARTIAL, TALLIED)
    j = _index(b["trustee"], "trustee", len(rec["trustees"]))
    _trustee(view, rec, j)
    if view.get(f"partial/{rec['id']}/{j}") is not None:
        raise CeremonyRejection(f"trustee {j} has posted its partial decryption already")
    tally = _tally(view, rec)
    if b["tally"] != tally["digest"]:
        raise NotTheTally(
            f"the partial decrypts tally {str(b['tally'])[:64]}, the board's tally is "
            f"{tally['digest']} (not over the board's counted ballots)"
        )
    shares = b["shares"]
    if not isinstance(shares, list) or [len(c) if isinstance(c, list) else -1 for c in shares] != [
        len(c) for c in tally["tally"]
    ]:
        raise MalformedVotingEntry("one partial decryption per tally ciphertext")
    for contest in shares:
        for s in contest:
            try:
                p = PartialDecryption.from_bytes(_hex(s, "a partial decryption", 100))
            except InvalidEncoding as e:
                raise MalformedVotingEntry(f"a partial decryption does not decode: {e}") from None
            if p.trustee != j:
                raise NotTheTrustee(f"a partial decryption names trustee {p.trustee}, not {j}")


def partial_verdict(rec: dict[str, Any], vk: Point, tally: list[list[str]], shares: Any) -> str:
    """``""`` when every DLEQ proof verifies against ``K_j`` and the tally, else the reason."""
    params = decryption_parameters(rec, threshold=1)
    for c, (cts, contest) in enumerate(zip(tally, shares, strict=True)):
        for o, (ct, s) in enumerate(zip(cts, contest, strict=True)):
            p = PartialDecryption.from_bytes(bytes.fromhex(s))
            ciphertext = Ciphertext.from_bytes(bytes.fromhex(ct))
            try:
                outcome = combine_partial_decryptions(params, {p.trustee: vk}, ciphertext, [p])
            except ThresholdError:
                return f"contest {c} option {o}: the decryption proof does not verify"
            if outcome.rejected:
                return f"contest {c} option {o}: the decryption proof does not verify"
    return ""


def apply_partial(entry: Entry, view: View) -> None:
    b = entry.body
    rec = election_record(view, b["election"])
    j = b["trustee"]
    keys = view.get(f"keys/{rec['id']}") or {}
    vk = Point.from_bytes(bytes.fromhex(keys["verification_keys"][j - 1]))
    reason = partial_verdict(rec, vk, _tally(view, rec)["tally"], b["shares"])
    view.put(
        f"partial/{rec['id']}/{j}",
        {"valid": not reason, "reason": reason or None, "shares": b["shares"]},
    )


def result_of_partials(
    view: View, rec: dict[str, Any]
) -> tuple[list[int], list[dict[str, Any]], dict[int, Any]]:
    """``(used, excluded, shares by trustee)`` from the recorded partial decryptions."""
    valid: dict[int, Any] = {}
    excluded = []
    for key, p in view.scan(f"partial/{rec['id']}/"):
        j = int(key.rsplit("/", 1)[1])
        if p["valid"]:
            valid[j] = p["shares"]
        else:
            excluded.append({"trustee": j, "reason": p["reason"]})
    excluded.sort(key=lambda x: x["trustee"])
    used = sorted(valid)[: rec["threshold"]]
    return used, excluded, valid


def check_result(entry: Entry, view: View) -> None:
    b = _members(entry.body, {"election", "tally", "totals", "used", "excluded"}, RESULT)
    rec = election_record(view, b["election"])
    _phase(rec, RESULT, TALLIED)
    tally = _tally(view, rec)
    if b["tally"] != tally["digest"]:
        raise NotTheTally("the result names another tally than the board's")
    used, excluded, valid = result_of_partials(view, rec)
    if len(valid) < rec["threshold"]:
        named = ", ".join(f"trustee {x['trustee']} ({x['reason']})" for x in excluded)
        raise NotEnoughPartials(
            f"{len(valid)} valid partial decryptions, {rec['threshold']} needed"
            + (f"; excluded: {named}" if named else "")
        )
    if b["used"] != used:
        raise ResultMismatch(f"the result must use trustees {used}, not {b['used']!r}")
    if b["excluded"] != excluded:
        raise ResultMismatch(f"the result must name the excluded partials {excluded}")
    totals = b["totals"]
    if not isinstance(totals, list) or [len(t) if isinstance(t, list) else -1 for t in totals] != [
        len(c) for c in tally["tally"]
    ]:
        raise ResultMismatch("the result has one total per tally ciphertext")
    keys = view.get(f"keys/{rec['id']}") or {}
    vks = {j: Point.from_bytes(bytes.fromhex(keys["verification_keys"][j - 1])) for j in used}
    params = decryption_parameters(rec)
    for c, (cts, ts) in enumerate(zip(tally["tally"], totals, strict=True)):
        for o, (ct, t) in enumerate(zip(cts, ts, strict=True)):
            if type(t) is not int or not 0 <= t <= tally["ballots"]:
                raise ResultMismatch(f"contest {c} option {o}: total {t!r} is out of range")
            partials = [PartialDecryption.from_bytes(bytes.fromhex(valid[j][c][o])) for j in used]
            outcome = combine_partial_decryptions(
                params, vks, Ciphertext.from_bytes(bytes.fromhex(ct)), partials
            )
            if outcome.plaintext != Scalar.from_int(t) * GENERATOR:
                raise ResultMismatch(
                    f"contest {c} option {o}: {t} is not what the partial decryptions give"
                )


def apply_result(entry: Entry, view: View) -> None:
    b = entry.body
    rec = election_record(view, b["election"])
    view.put(
        f"result/{rec['id']}",
        {"totals": b["totals"], "used": b["used"], "excluded": b["excluded"], "index": view.index},
    )
    rec["phase"] = DECIDED
    view.put(f"election/{rec['id']}", rec)


DOMAIN = Domain(
    NAME,
    (
        Kind(ELECTION, OFFICIAL_ROLE, check_election, apply_election),
        Kind(TRUSTEE_COMMIT, TRUSTEE_ROLE, check_commit, apply_commit),
        Kind(TRUSTEE_REVEAL, TRUSTEE_ROLE, check_reveal, apply_reveal),
        Kind(TRUSTEE_COMPLAINT, TRUSTEE_ROLE, check_complaint, apply_complaint),
        Kind(TRUSTEE_ANSWER, TRUSTEE_ROLE, check_answer, apply_answer),
        Kind(JOINT_KEY, OFFICIAL_ROLE, check_joint_key, apply_joint_key),
        Kind(OPEN, OFFICIAL_ROLE, check_open, apply_open),
        Kind(BALLOT, BALLOT_BOX_ROLE, check_ballot, apply_ballot, precheck_ballot),
        Kind(CHALLENGE, BALLOT_BOX_ROLE, check_challenge, apply_challenge, precheck_challenge),
        Kind(CLOSE, OFFICIAL_ROLE, check_close, apply_close),
        Kind(TALLY, OFFICIAL_ROLE, check_tally, apply_tally),
        Kind(PARTIAL, TRUSTEE_ROLE, check_partial, apply_partial),
        Kind(RESULT, OFFICIAL_ROLE, check_result, apply_result),
    ),
)
