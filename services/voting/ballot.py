"""Ballots: making, hashing, decoding, challenging and proving eligibility (docs/voting.md §4–§5).

A ballot is ``{"version": 1, "election", "voter", "contests": [hex, ...]}``;
its hash ``h_b = SHA-256("pnyx/voting/ballot/v1\\n" ‖ JCS(ballot))`` is what the
voter's eligibility proof signs (the presentation's nonce, or the roll
signature), what a challenge and the re-vote rule refer to.

Once :func:`ballot_fields` has checked the members (ASCII hex strings, the
election id's alphabet, the integer 1), Python's C JSON encoder with sorted
keys and no spaces writes exactly the RFC 8785 bytes, so :func:`ballot_hash`
needs no second canonicalisation.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from crypto.bbs.pseudonym import calculate_pseudonym
from crypto.contest import ContestShape, EncryptedContest, encrypt_contest
from crypto.elgamal import verify_nonce
from crypto.errors import InvalidEncoding
from crypto.group import Point, RandomSource, Scalar
from services.identity.board_data import BoardData
from services.identity.credential import Credential
from services.identity.presentation import present
from services.identity.request import PresentationRequest
from services.voting.errors import InvalidChallenge, MalformedVotingEntry, NotEligible
from services.voting.manifest import ELECTION_ID_RE, CredentialRule

VERSION = 1
BALLOT_PREFIX = b"pnyx/voting/ballot/v1\n"
ROLL_PREFIX = b"pnyx/voting/roll/v1\n"
HEX_RE = re.compile(r"[0-9a-f]*")
PSEUDONYM_HEX = 96
"""A BBS pseudonym: a compressed BLS12-381 G1 point, 48 bytes."""
KEY_ID_HEX = 64
BALLOT_FIELDS = frozenset({"version", "election", "voter", "contests"})
_COMPACT = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode


def _is_hex(value: Any, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and HEX_RE.fullmatch(value) is not None


def ballot_fields(ballot: Any) -> tuple[str, str, list[str]]:
    """``(election, voter, contests)`` of a ballot with exactly the members of §4, else refused.

    Only the form: hex strings of even length, the version, the election id.
    Lengths against the shapes are the caller's (it knows the manifest).
    """
    if not isinstance(ballot, dict) or ballot.keys() != BALLOT_FIELDS:
        raise MalformedVotingEntry(f"a ballot has exactly the members {sorted(BALLOT_FIELDS)}")
    if type(ballot["version"]) is not int or ballot["version"] != VERSION:
        raise MalformedVotingEntry(f"ballot version must be {VERSION}")
    election, voter, contests = ballot["election"], ballot["voter"], ballot["contests"]
    if not isinstance(election, str) or not ELECTION_ID_RE.fullmatch(election):
        raise MalformedVotingEntry("the ballot's election is not an election id")
    if not isinstance(voter, str) or not voter or not _is_hex(voter, len(voter)):
        raise MalformedVotingEntry("the ballot's voter is lowercase hex")
    if not isinstance(contests, list) or not all(
        isinstance(c, str) and _is_hex(c, len(c)) and len(c) % 2 == 0 for c in contests
    ):
        raise MalformedVotingEntry("the ballot's contests are lowercase hex strings")
    return election, voter, contests


def ballot_hash(ballot: dict[str, Any]) -> bytes:
    """``h_b`` (§2) of a ballot that passed :func:`ballot_fields`."""
    return hashlib.sha256(BALLOT_PREFIX + _COMPACT(ballot).encode("ascii")).digest()


def decode_contests(
    contests: Sequence[str], shapes: Sequence[ContestShape]
) -> list[EncryptedContest]:
    """Each contest's bytes for its shape; every point and scalar validated."""
    if len(contests) != len(shapes):
        raise MalformedVotingEntry(
            f"the ballot has {len(contests)} contests, the election {len(shapes)}"
        )
    out = []
    for c, (text, shape) in enumerate(zip(contests, shapes, strict=True)):
        if len(text) != 2 * shape.encoded_length:
            raise MalformedVotingEntry(
                f"contest {c} has {len(text) // 2} bytes, its shape {shape.encoded_length}"
            )
        try:
            out.append(EncryptedContest.from_bytes(bytes.fromhex(text), shape))
        except (InvalidEncoding, ValueError) as e:
            raise MalformedVotingEntry(f"contest {c} does not decode: {e}") from None
    return out


def ciphertext_hex(contests: Sequence[str], shapes: Sequence[ContestShape]) -> str:
    """The option ciphertexts of all contests, concatenated (what the tally needs)."""
    pairs = zip(contests, shapes, strict=True)
    return "".join(text[: 128 * shape.options] for text, shape in pairs)


# ------------------------------------------------------------------- voters


def credential_pseudonym(data: BoardData, record: dict[str, Any], election: str) -> str:
    """The holder's pseudonym (hex) in ``election``: BBS per-verifier pseudonym, context = id."""
    cred = Credential.from_json(record["credential"])
    key = data.issuer_key(cred.key_id)
    if key is None:
        raise NotEligible("the credential's issuer key is not on this board")
    nym = int(record["secrets"]["nymSecret"], 16)
    return calculate_pseudonym(key.suite.suite, election.encode("ascii"), [nym]).hex()


def roll_voter(key: VerifyKey) -> str:
    """A roll voter's pseudonym: the key id, SHA-256 of the Ed25519 public key (hex)."""
    return hashlib.sha256(bytes(key)).hexdigest()


def presentation_request(rule: CredentialRule, election: str, h_b: bytes) -> PresentationRequest:
    """The request a credential ballot answers (§5): the ballot hash is its nonce."""
    return PresentationRequest(
        rule.issuer,
        rule.schema,
        tuple(name for name, _ in rule.attributes),
        rule.predicates,
        rule.date,
        h_b.hex(),
        election,
    )


def credential_eligibility(
    data: BoardData, record: dict[str, Any], rule: CredentialRule, election: str, h_b: bytes
) -> dict[str, Any]:
    """``{"presentation": VP}`` for the ballot of hash ``h_b`` (raises CannotPresent)."""
    return {"presentation": present(data, record, presentation_request(rule, election, h_b))}


def roll_eligibility(key: SigningKey, h_b: bytes) -> dict[str, Any]:
    """``{"key", "signature"}``: Ed25519 over ``"pnyx/voting/roll/v1\\n" ‖ h_b``."""
    return {
        "key": bytes(key.verify_key).hex(),
        "signature": key.sign(ROLL_PREFIX + h_b).signature.hex(),
    }


def check_roll_signature(eligibility: dict[str, Any], voter: str, h_b: bytes) -> str:
    """The roll key (hex) after checking ``H(key) = voter`` and the signature; else NotEligible."""
    key, sig = eligibility.get("key"), eligibility.get("signature")
    if (
        not isinstance(key, str)
        or not isinstance(sig, str)
        or not _is_hex(key, 64)
        or not _is_hex(sig, 128)
    ):
        raise NotEligible("a roll eligibility is {key: 64 hex, signature: 128 hex}", "malformed")
    if hashlib.sha256(bytes.fromhex(key)).hexdigest() != voter:
        raise NotEligible("the roll key is not the ballot's voter", "pseudonym_mismatch")
    try:
        VerifyKey(bytes.fromhex(key)).verify(ROLL_PREFIX + h_b, bytes.fromhex(sig))
    except (BadSignatureError, ValueError):
        raise NotEligible(
            "the roll signature does not verify over this ballot's hash", "proof_invalid"
        ) from None
    return str(key)


# ------------------------------------------------------------------ making


@dataclass(frozen=True)
class MadeBallot:
    """A ballot, its hash and the option nonces (secret unless the ballot is challenged)."""

    ballot: dict[str, Any]
    hash: bytes
    selections: tuple[tuple[int, ...], ...]
    nonces: tuple[tuple[Scalar, ...], ...]

    def __repr__(self) -> str:
        return f"MadeBallot({self.hash.hex()})"


def make_ballot(
    election: str,
    public_key: Point,
    context: bytes,
    shapes: Sequence[ContestShape],
    voter: str,
    selections: Sequence[Sequence[int]],
    rng: RandomSource = os.urandom,
) -> MadeBallot:
    """Encrypt and prove every contest under ``context`` and the voter's pseudonym (§4)."""
    if len(selections) != len(shapes):
        raise ValueError("one selection list per contest")
    prover = bytes.fromhex(voter)
    contests, nonces = [], []
    for shape, sel in zip(shapes, selections, strict=True):
        enc, r = encrypt_contest(public_key, shape, sel, context=context, prover=prover, rng=rng)
        contests.append(enc.to_bytes().hex())
        nonces.append(r)
    ballot = {"version": VERSION, "election": election, "voter": voter, "contests": contests}
    return MadeBallot(
        ballot,
        ballot_hash(ballot),
        tuple(tuple(s) for s in selections),
        tuple(nonces),
    )


def ballot_body(ballot: dict[str, Any], eligibility: dict[str, Any]) -> dict[str, Any]:
    """The body of a ``voting.ballot`` entry."""
    return {"ballot": ballot, "eligibility": eligibility}


def challenge_body(made: MadeBallot) -> dict[str, Any]:
    """The body of a ``voting.challenge`` entry: the ballot with its nonces and selections."""
    return {
        "ballot": made.ballot,
        "nonces": [[r.hex() for r in contest] for contest in made.nonces],
        "selections": [list(s) for s in made.selections],
    }


def open_challenge(
    public_key: Point,
    contests: Sequence[EncryptedContest],
    nonces: Any,
    selections: Any,
) -> list[list[int]]:
    """Check that every option ciphertext is ``Enc_K(m; r)`` for the revealed ``(m, r)``."""
    if (
        not isinstance(nonces, list)
        or not isinstance(selections, list)
        or len(nonces) != len(contests)
        or len(selections) != len(contests)
    ):
        raise MalformedVotingEntry("a challenge has one nonce and one selection list a contest")
    out = []
    for c, (contest, rs, ms) in enumerate(zip(contests, nonces, selections, strict=True)):
        n = len(contest.ciphertexts)
        if not isinstance(rs, list) or not isinstance(ms, list) or len(rs) != n or len(ms) != n:
            raise MalformedVotingEntry(f"contest {c}: one nonce and one selection per option")
        for o, (ct, r, m) in enumerate(zip(contest.ciphertexts, rs, ms, strict=True)):
            if type(m) is not int or not 0 <= m < 2**53 or not _is_hex(r, 64):
                raise MalformedVotingEntry(f"contest {c} option {o}: bad nonce or selection")
            try:
                nonce = Scalar.from_bytes(bytes.fromhex(r))
            except InvalidEncoding:
                raise MalformedVotingEntry(f"contest {c} option {o}: bad nonce") from None
            if not verify_nonce(public_key, ct, m, nonce):
                raise InvalidChallenge(
                    f"contest {c} option {o}: the nonce and selection do not open the ciphertext"
                )
        out.append(list(ms))
    return out
