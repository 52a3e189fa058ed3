"""k-of-n election key without a dealer, and threshold decryption (docs/crypto.md §5).

Joint-Feldman key generation (Pedersen, EUROCRYPT '91; Gennaro–Jarecki–Krawczyk–
Rabin, J. Cryptology 2007) run over a public board, with commit-then-reveal:

1. Commit. Dealer i (1 ≤ i ≤ n) draws f_i(x) = a_{i,0} + a_{i,1}x + … + a_{i,k−1}x^{k−1},
   computes A_{i,t} = a_{i,t}·G with a Schnorr proof of knowledge of each a_{i,t}
   bound to (context, i, t), and posts only digest_i = SHA-256 of them (§5.1).
2. Reveal. Once every digest is on the board, dealer i posts the commitments
   and proofs (`verify_commitments` checks them against digest_i) and, for each
   j ≠ i, the share f_i(j) in a libsodium sealed box to trustee j's X25519 key
   (§5.2). A dealer cannot choose its polynomial after seeing the others', and a
   rogue key A_{i,0} = X − Σ others fails its proof of knowledge.
3. Complain. Trustee j opens its boxes and checks f_i(j)·G = Σ_t j^t·A_{i,t}.
   On failure it posts a `Complaint` carrying the box's shared key, which lets
   any third party open that one box and decide (`judge_complaint`); if the box
   does not open under the revealed key, dealer i must answer by publishing
   f_i(j), which anyone checks against the commitments (`judge_answer`) (§5.3).
4. The qualified dealers QUAL are those not at fault. Joint key K = Σ_{i∈QUAL} A_{i,0};
   trustee j's secret share s_j = Σ_{i∈QUAL} f_i(j) and its verification key
   K_j = s_j·G = Σ_{i∈QUAL} Σ_t j^t·A_{i,t}, computable by anyone (§5.4).

Decryption: trustee j posts D_j = s_j·α with a DLEQ proof against K_j (§4.4).
`combine_partial_decryptions` checks every proof, excludes and names each bad
share, and combines any k good ones by Lagrange interpolation at 0:
M = β − Σ λ_j·D_j with λ_j = Π_{m≠j} m / (m − j) (§5.5).

Residual bias (documented, §5.6): a dealer who gets itself disqualified after
the reveal chooses between two joint keys (with or without its contribution);
each corrupt dealer can thus bias the key by at most one bit, which does not
help to break ElGamal (GJKR 2007, §4).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, final

import nacl.bindings as sodium
import nacl.exceptions

from crypto.elgamal import Ciphertext
from crypto.errors import InvalidEncoding, InvalidProof, ThresholdError
from crypto.group import GENERATOR, ORDER, Point, RandomSource, Scalar, length_prefixed
from crypto.proofs.decryption import prove_decryption_share, verify_decryption_share
from crypto.proofs.dleq import DleqProof
from crypto.proofs.schnorr import SchnorrProof, prove_knowledge, verify_knowledge
from crypto.transcript import Transcript

__all__ = [
    "MAX_TRUSTEES",
    "SEALED_SHARE_LENGTH",
    "BoxKeyPair",
    "CeremonyParameters",
    "CoefficientCommitments",
    "Complaint",
    "DealerSecret",
    "Dealing",
    "DecryptionOutcome",
    "PartialDecryption",
    "Verdict",
    "combine_partial_decryptions",
    "commit",
    "deal",
    "generate_box_keypair",
    "joint_public_key",
    "judge_answer",
    "judge_complaint",
    "lagrange_coefficient",
    "make_complaint",
    "open_share",
    "partial_decrypt",
    "trustee_secret_share",
    "verification_key",
    "verify_commitments",
    "verify_share",
]

_COEFFICIENT_PROTOCOL: Final = b"pnyx/vss-coefficient/v1"
_DIGEST_TAG: Final = b"pnyx/vss-commitments/v1"
_SHARE_TAG: Final = b"pnyx/vss-share/v1"
_PARTIAL_PROTOCOL: Final = b"pnyx/partial-decryption/v1"
_SHARE_PLAINTEXT_LENGTH: Final = 4 + len(_SHARE_TAG) + 32 + 4 + 4 + 32
#: A sealed share: ephemeral key (32) ‖ Poly1305 tag (16) ‖ the 93-byte plaintext.
SEALED_SHARE_LENGTH: Final = 32 + 16 + _SHARE_PLAINTEXT_LENGTH
MAX_TRUSTEES: Final = 255


def _index_bytes(index: int) -> bytes:
    return index.to_bytes(4, "big")


@final
@dataclass(frozen=True, slots=True)
class CeremonyParameters:
    """The public frame of a ceremony: context hash, threshold k, trustees 1..n."""

    context: bytes
    threshold: int
    trustees: int

    def __post_init__(self) -> None:
        if len(self.context) != 32:
            raise ValueError("the context is a 32-byte hash")
        if not 1 <= self.threshold <= self.trustees <= MAX_TRUSTEES:
            raise ValueError(f"need 1 ≤ k ≤ n ≤ {MAX_TRUSTEES}")

    def check_index(self, index: int) -> None:
        """Trustee indices are 1..n; 0 would be the secret itself."""
        if not isinstance(index, int) or not 1 <= index <= self.trustees:
            raise ThresholdError(f"trustee index {index!r} is not in 1..{self.trustees}")


@final
@dataclass(frozen=True, slots=True)
class BoxKeyPair:
    """A trustee's X25519 key pair for receiving shares (libsodium crypto_box)."""

    public: bytes
    secret: bytes = field(repr=False)


def generate_box_keypair() -> BoxKeyPair:
    """A fresh X25519 key pair (crypto_box_keypair)."""
    public, secret = sodium.crypto_box_keypair()
    return BoxKeyPair(public, secret)


# -- 1. commit ------------------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class DealerSecret:
    """Dealer i's polynomial coefficients a_{i,0..k−1}. Never leaves the dealer."""

    dealer: int
    coefficients: tuple[Scalar, ...] = field(repr=False)

    @classmethod
    def generate(
        cls, parameters: CeremonyParameters, dealer: int, rng: RandomSource = os.urandom
    ) -> DealerSecret:
        """Draw k random coefficients."""
        parameters.check_index(dealer)
        return cls(dealer, tuple(Scalar.random(rng) for _ in range(parameters.threshold)))

    def evaluate(self, x: int) -> Scalar:
        """f_i(x) by Horner's rule (constant-time scalar arithmetic)."""
        point = Scalar.from_int(x)
        result = self.coefficients[-1]
        for coefficient in reversed(self.coefficients[:-1]):
            result = result * point + coefficient
        return result


@final
@dataclass(frozen=True, slots=True)
class CoefficientCommitments:
    """A_{i,t} = a_{i,t}·G and a Schnorr proof for each t (§5.1).

    Encoding: u32_be(i) ‖ (A_{i,t} ‖ c_t ‖ z_t) for t = 0..k−1 (96 bytes each).
    """

    dealer: int
    commitments: tuple[Point, ...]
    proofs: tuple[SchnorrProof, ...]

    def to_bytes(self) -> bytes:
        """u32_be(i) ‖ (A_t ‖ proof_t)*."""
        return _index_bytes(self.dealer) + b"".join(
            a.to_bytes() + p.to_bytes() for a, p in zip(self.commitments, self.proofs, strict=True)
        )

    @classmethod
    def from_bytes(cls, data: bytes, threshold: int) -> CoefficientCommitments:
        """Decode commitments for threshold k; every point and scalar validated."""
        if len(data) != 4 + 96 * threshold:
            raise InvalidEncoding("wrong length for coefficient commitments")
        dealer = int.from_bytes(data[:4], "big")
        chunks = [data[4 + 96 * t : 4 + 96 * (t + 1)] for t in range(threshold)]
        return cls(
            dealer,
            tuple(Point.from_bytes(c[:32]) for c in chunks),
            tuple(SchnorrProof.from_bytes(c[32:]) for c in chunks),
        )

    def digest(self, parameters: CeremonyParameters) -> bytes:
        """SHA-256(LP("pnyx/vss-commitments/v1") ‖ LP(context) ‖ LP(encoding)): the phase-1 post."""
        return hashlib.sha256(
            length_prefixed(_DIGEST_TAG)
            + length_prefixed(parameters.context)
            + length_prefixed(self.to_bytes())
        ).digest()


def _coefficient_transcript(parameters: CeremonyParameters, dealer: int, t: int) -> Transcript:
    return Transcript.start(
        _COEFFICIENT_PROTOCOL, context=parameters.context, prover=_index_bytes(dealer)
    ).append_int(b"coefficient", t)


def commit(
    parameters: CeremonyParameters, secret: DealerSecret, rng: RandomSource = os.urandom
) -> CoefficientCommitments:
    """The coefficient commitments with their proofs of knowledge (§5.1)."""
    commitments, proofs = [], []
    for t, coefficient in enumerate(secret.coefficients):
        public, proof = prove_knowledge(
            coefficient, _coefficient_transcript(parameters, secret.dealer, t), rng
        )
        commitments.append(public)
        proofs.append(proof)
    return CoefficientCommitments(secret.dealer, tuple(commitments), tuple(proofs))


def verify_commitments(
    parameters: CeremonyParameters, commitments: CoefficientCommitments, digest: bytes
) -> None:
    """Check a reveal: index, count, the phase-1 digest, every proof (§5.2 steps 1–4).

    Raises `ThresholdError` (frame or digest) or `InvalidProof` (a proof).
    """
    parameters.check_index(commitments.dealer)  # step 1
    if not (
        len(commitments.commitments) == len(commitments.proofs) == parameters.threshold
    ):  # step 2
        raise ThresholdError("a dealer commits to exactly k coefficients")
    if not hmac.compare_digest(commitments.digest(parameters), digest):  # step 3
        raise ThresholdError(f"dealer {commitments.dealer}'s reveal does not match its commitment")
    for t, (public, proof) in enumerate(  # step 4
        zip(commitments.commitments, commitments.proofs, strict=True)
    ):
        verify_knowledge(public, proof, _coefficient_transcript(parameters, commitments.dealer, t))


# -- 2. deal -------------------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class Dealing:
    """Dealer i's sealed boxes: recipient j → crypto_box_seal(plaintext_ij, pk_j) (§5.2).

    plaintext_ij = LP("pnyx/vss-share/v1") ‖ context ‖ u32_be(i) ‖ u32_be(j) ‖ f_i(j),
    so that a box is meaningful for one ceremony, one dealer and one recipient.
    """

    dealer: int
    boxes: Mapping[int, bytes]

    def to_bytes(self) -> bytes:
        """u32_be(i) ‖ (u32_be(j) ‖ box_ij) for j ascending; each box is 141 bytes."""
        return _index_bytes(self.dealer) + b"".join(
            _index_bytes(j) + self.boxes[j] for j in sorted(self.boxes)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Dealing:
        """Decode a dealing; recipients strictly ascending, every box 141 bytes."""
        record = 4 + SEALED_SHARE_LENGTH
        if len(data) < 4 or (len(data) - 4) % record:
            raise InvalidEncoding("wrong length for a dealing")
        boxes: dict[int, bytes] = {}
        previous = 0
        for offset in range(4, len(data), record):
            recipient = int.from_bytes(data[offset : offset + 4], "big")
            if recipient <= previous:
                raise InvalidEncoding("recipients must be strictly ascending and non-zero")
            boxes[recipient] = bytes(data[offset + 4 : offset + record])
            previous = recipient
        return cls(int.from_bytes(data[:4], "big"), boxes)


def _share_plaintext(
    parameters: CeremonyParameters, dealer: int, recipient: int, share: Scalar
) -> bytes:
    return (
        length_prefixed(_SHARE_TAG)
        + parameters.context
        + _index_bytes(dealer)
        + _index_bytes(recipient)
        + share.to_bytes()
    )


def deal(
    parameters: CeremonyParameters,
    secret: DealerSecret,
    recipients: Mapping[int, bytes],
) -> Dealing:
    """Seal f_i(j) to each recipient j's X25519 public key (§5.2).

    libsodium draws the ephemeral key of each sealed box itself.
    """
    boxes: dict[int, bytes] = {}
    for recipient, box_public in sorted(recipients.items()):
        parameters.check_index(recipient)
        if recipient == secret.dealer:
            continue
        plaintext = _share_plaintext(
            parameters, secret.dealer, recipient, secret.evaluate(recipient)
        )
        boxes[recipient] = sodium.crypto_box_seal(plaintext, box_public)
    return Dealing(secret.dealer, boxes)


def verify_share(commitments: CoefficientCommitments, recipient: int, share: Scalar) -> bool:
    """f_i(j)·G = Σ_t j^t·A_{i,t} (§5.3)."""
    return share * GENERATOR == _evaluate_in_exponent(commitments.commitments, recipient)


def _evaluate_in_exponent(commitments: Sequence[Point], x: int) -> Point:
    point = Scalar.from_int(x)
    result = commitments[-1]
    for commitment in reversed(commitments[:-1]):
        result = point * result + commitment
    return result


def _parse_share(
    parameters: CeremonyParameters, plaintext: bytes, dealer: int, recipient: int
) -> Scalar:
    expected = _share_plaintext(parameters, dealer, recipient, Scalar.from_int(0))[:-32]
    if len(plaintext) != _SHARE_PLAINTEXT_LENGTH or plaintext[:-32] != expected:
        raise ThresholdError("the box is not a share for this ceremony, dealer and recipient")
    try:
        return Scalar.from_bytes(plaintext[-32:])
    except InvalidEncoding as exc:
        raise ThresholdError("the share is not a canonical scalar") from exc


def _sealed_box_parts(box: bytes, recipient_public: bytes) -> tuple[bytes, bytes, bytes]:
    """(ephemeral public key, nonce, crypto_box ciphertext) of a sealed box."""
    if len(box) < 32 + 16:
        raise ThresholdError("a sealed box is at least 48 bytes")
    ephemeral = box[:32]
    nonce = hashlib.blake2b(ephemeral + recipient_public, digest_size=24).digest()
    return ephemeral, nonce, box[32:]


def open_share(
    parameters: CeremonyParameters,
    commitments: CoefficientCommitments,
    dealing: Dealing,
    recipient: int,
    box_keys: BoxKeyPair,
) -> Scalar:
    """Open and check the share dealt to `recipient`; `ThresholdError` means: complain (§5.3)."""
    if dealing.dealer != commitments.dealer:
        raise ThresholdError("the dealing and the commitments are from different dealers")
    box = dealing.boxes.get(recipient)
    if box is None:
        raise ThresholdError(f"dealer {dealing.dealer} sent nothing to trustee {recipient}")
    try:
        plaintext = sodium.crypto_box_seal_open(box, box_keys.public, box_keys.secret)
    except nacl.exceptions.CryptoError as exc:
        raise ThresholdError("the sealed box does not open") from exc
    share = _parse_share(parameters, plaintext, dealing.dealer, recipient)
    if not verify_share(commitments, recipient, share):
        raise ThresholdError(f"dealer {dealing.dealer}'s share does not match its commitments")
    return share


# -- 3. complaints ----------------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class Complaint:
    """Trustee j accuses dealer i, revealing the one box's shared key (§5.3).

    box_key = crypto_box_beforenm(ephemeral public key of the box, sk_j): it opens
    that box only and says nothing about sk_j or any other box.
    """

    dealer: int
    recipient: int
    box_key: bytes = field(repr=False)

    def to_bytes(self) -> bytes:
        """u32_be(i) ‖ u32_be(j) ‖ box_key (40 bytes; an empty key if j received no box)."""
        return _index_bytes(self.dealer) + _index_bytes(self.recipient) + self.box_key

    @classmethod
    def from_bytes(cls, data: bytes) -> Complaint:
        """Decode a complaint of 8 or 40 bytes."""
        if len(data) not in (8, 40):
            raise InvalidEncoding("a complaint is 8 or 40 bytes")
        return cls(int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big"), data[8:])


class Verdict(enum.Enum):
    """The judgement of a complaint (§5.3)."""

    DEALER_AT_FAULT = "dealer-at-fault"
    COMPLAINT_UNFOUNDED = "complaint-unfounded"
    ANSWER_REQUIRED = "answer-required"


def make_complaint(dealing: Dealing, recipient: int, box_keys: BoxKeyPair) -> Complaint:
    """The complaint of `recipient` against the dealer of `dealing`."""
    box = dealing.boxes.get(recipient, b"")
    if len(box) < 48:
        return Complaint(dealing.dealer, recipient, b"")
    ephemeral, _, _ = _sealed_box_parts(box, box_keys.public)
    return Complaint(
        dealing.dealer, recipient, sodium.crypto_box_beforenm(ephemeral, box_keys.secret)
    )


def judge_complaint(
    parameters: CeremonyParameters,
    commitments: CoefficientCommitments,
    dealing: Dealing,
    complaint: Complaint,
    recipient_box_public: bytes,
) -> Verdict:
    """Decide a complaint from public data only (§5.3, steps 1–4).

    1. no box for the recipient → the dealer is at fault;
    2. the box does not open under the revealed key → the dealer must answer
       with f_i(j) in the clear (`judge_answer`);
    3. the box opens but is not a well-formed share for (context, i, j), or the
       share fails f_i(j)·G = Σ_t j^t·A_{i,t} → the dealer is at fault;
    4. otherwise the complaint is unfounded.

    A complainer cannot frame an honest dealer: a key other than the true one
    opens the honest box only by forging Poly1305.
    """
    parameters.check_index(complaint.recipient)
    if complaint.dealer != dealing.dealer or complaint.dealer != commitments.dealer:
        raise ThresholdError("the complaint, dealing and commitments name different dealers")
    box = dealing.boxes.get(complaint.recipient)
    if box is None or len(box) < 48:  # step 1
        return Verdict.DEALER_AT_FAULT
    _, nonce, ciphertext = _sealed_box_parts(box, recipient_box_public)
    if len(complaint.box_key) != 32:
        return Verdict.ANSWER_REQUIRED
    try:  # step 2
        plaintext = sodium.crypto_box_open_afternm(ciphertext, nonce, complaint.box_key)
    except nacl.exceptions.CryptoError:
        return Verdict.ANSWER_REQUIRED
    try:  # step 3
        share = _parse_share(parameters, plaintext, complaint.dealer, complaint.recipient)
    except ThresholdError:
        return Verdict.DEALER_AT_FAULT
    if not verify_share(commitments, complaint.recipient, share):
        return Verdict.DEALER_AT_FAULT
    return Verdict.COMPLAINT_UNFOUNDED  # step 4


def judge_answer(
    commitments: CoefficientCommitments, recipient: int, published_share: bytes
) -> bool:
    """Whether the dealer's public answer f_i(j) matches its commitments (§5.3).

    False (or no answer at all) disqualifies the dealer.
    """
    try:
        share = Scalar.from_bytes(published_share)
    except InvalidEncoding:
        return False
    return verify_share(commitments, recipient, share)


# -- 4. the joint key ---------------------------------------------------------------


def _qualified(commitments: Iterable[CoefficientCommitments]) -> list[CoefficientCommitments]:
    qualified = list(commitments)
    dealers = [c.dealer for c in qualified]
    if not qualified:
        raise ThresholdError("no qualified dealer")
    if len(set(dealers)) != len(dealers) or any(d < 1 for d in dealers):
        raise ThresholdError("duplicate or zero dealer index")
    return qualified


def joint_public_key(qualified: Iterable[CoefficientCommitments]) -> Point:
    """K = Σ_{i∈QUAL} A_{i,0} (§5.4)."""
    dealers = _qualified(qualified)
    total = dealers[0].commitments[0]
    for dealer in dealers[1:]:
        total = total + dealer.commitments[0]
    return total


def verification_key(qualified: Iterable[CoefficientCommitments], trustee: int) -> Point:
    """K_j = Σ_{i∈QUAL} Σ_t j^t·A_{i,t} = s_j·G (§5.4)."""
    if trustee < 1:
        raise ThresholdError("trustee indices start at 1")
    dealers = _qualified(qualified)
    total = _evaluate_in_exponent(dealers[0].commitments, trustee)
    for dealer in dealers[1:]:
        total = total + _evaluate_in_exponent(dealer.commitments, trustee)
    return total


def trustee_secret_share(shares: Mapping[int, Scalar]) -> Scalar:
    """s_j = Σ_{i∈QUAL} f_i(j), from the shares trustee j holds (its own f_j(j) included)."""
    if not shares:
        raise ThresholdError("no shares")
    values = list(shares.values())
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


# -- 5. threshold decryption ---------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class PartialDecryption:
    """Trustee j's D_j = s_j·α with its DLEQ proof against K_j (§5.5).

    Encoding: u32_be(j) ‖ D_j ‖ c ‖ z (100 bytes).
    """

    trustee: int
    share: Point
    proof: DleqProof

    def to_bytes(self) -> bytes:
        """u32_be(j) ‖ D_j ‖ c ‖ z."""
        return _index_bytes(self.trustee) + self.share.to_bytes() + self.proof.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> PartialDecryption:
        """Decode; D_j must be a valid non-identity point."""
        if len(data) != 100:
            raise InvalidEncoding("a partial decryption is exactly 100 bytes")
        return cls(
            int.from_bytes(data[:4], "big"),
            Point.from_bytes(data[4:36]),
            DleqProof.from_bytes(data[36:]),
        )


def _partial_transcript(parameters: CeremonyParameters, trustee: int) -> Transcript:
    return Transcript.start(
        _PARTIAL_PROTOCOL, context=parameters.context, prover=_index_bytes(trustee)
    )


def partial_decrypt(
    parameters: CeremonyParameters,
    trustee: int,
    secret_share: Scalar,
    ciphertext: Ciphertext,
    rng: RandomSource = os.urandom,
) -> PartialDecryption:
    """D_j = s_j·α with a proof that log_G K_j = log_α D_j (§5.5)."""
    parameters.check_index(trustee)
    share, proof = prove_decryption_share(
        secret_share, ciphertext, _partial_transcript(parameters, trustee), rng
    )
    return PartialDecryption(trustee, share, proof)


def lagrange_coefficient(index: int, indices: Sequence[int]) -> Scalar:
    """λ_j = Π_{m ∈ S, m ≠ j} m / (m − j) mod ℓ, the weight of f(j) in f(0) (§5.5)."""
    numerator, denominator = 1, 1
    for other in indices:
        if other != index:
            numerator = numerator * other % ORDER
            denominator = denominator * (other - index) % ORDER
    return Scalar.from_int(numerator * pow(denominator, -1, ORDER))


@final
@dataclass(frozen=True, slots=True)
class DecryptionOutcome:
    """M = m·G, the trustees whose shares were used, and each rejected trustee's reason."""

    plaintext: Point
    used: tuple[int, ...]
    rejected: Mapping[int, str]


def combine_partial_decryptions(
    parameters: CeremonyParameters,
    verification_keys: Mapping[int, Point],
    ciphertext: Ciphertext,
    partials: Sequence[PartialDecryption],
) -> DecryptionOutcome:
    """Check every partial, exclude and attribute bad ones, combine k good ones (§5.5).

    Steps: 1. indices in 1..n, no duplicates (else `ThresholdError`); 2. each
    proof verified against K_j (a failure is recorded under j and the share
    dropped); 3. at least k good shares (else `ThresholdError`); 4. the k
    smallest good indices S; M = β − Σ_{j∈S} λ_j·D_j.
    """
    seen: set[int] = set()
    for partial in partials:  # step 1
        parameters.check_index(partial.trustee)
        if partial.trustee in seen:
            raise ThresholdError(f"duplicate partial decryption from trustee {partial.trustee}")
        seen.add(partial.trustee)
    good: dict[int, Point] = {}
    rejected: dict[int, str] = {}
    for partial in sorted(partials, key=lambda p: p.trustee):  # step 2
        key = verification_keys.get(partial.trustee)
        if key is None:
            rejected[partial.trustee] = "no verification key for this trustee"
            continue
        try:
            verify_decryption_share(
                key,
                ciphertext,
                partial.share,
                partial.proof,
                _partial_transcript(parameters, partial.trustee),
            )
        except InvalidProof:
            rejected[partial.trustee] = "the decryption proof does not verify"
            continue
        good[partial.trustee] = partial.share
    if len(good) < parameters.threshold:  # step 3
        raise ThresholdError(
            f"{len(good)} valid partial decryptions, {parameters.threshold} needed"
            + (f"; rejected: {sorted(rejected)}" if rejected else "")
        )
    chosen = sorted(good)[: parameters.threshold]  # step 4
    combined = lagrange_coefficient(chosen[0], chosen) * good[chosen[0]]
    for index in chosen[1:]:
        combined = combined + lagrange_coefficient(index, chosen) * good[index]
    return DecryptionOutcome(ciphertext.beta - combined, tuple(chosen), rejected)
