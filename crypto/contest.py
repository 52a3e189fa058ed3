"""An encrypted contest: one ciphertext per option, each proven in 0..option_limit,
and a proof that their homomorphic sum lies in minimum..maximum (docs/crypto.md §4.5).

No placeholder selections: the limits are proven directly on the sum
(A, B) = Σ (α_i, β_i) with the range proof of §4.3 and lower = minimum,
upper = maximum.

Every proof of the contest is bound, through its transcript, to the election
context, the voter's identity (pseudonym), the contest id, the shape and all
the option ciphertexts:

    T_contest = start("pnyx/contest/v1", context, prover)
                ‖ item("contest", contest_id) ‖ item("options", u64 n)
                ‖ item("option-limit", u64) ‖ item("minimum", u64) ‖ item("maximum", u64)
                ‖ item("ciphertext", α_1 ‖ β_1) ‖ … ‖ item("ciphertext", α_n ‖ β_n)
    option i proof: T_contest ‖ item("option", u64 i)   then §4.3
    sum proof:      T_contest ‖ item("sum", "")          then §4.3

so a proof moved to another ciphertext, contest, ballot (prover) or election
(context) does not verify. Encoding of an encrypted contest (§4.5):
ciphertext_1 ‖ … ‖ ciphertext_n ‖ option proof_1 ‖ … ‖ option proof_n ‖ sum proof.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import final

from crypto.elgamal import Ciphertext, encrypt_point, sum_ciphertexts
from crypto.errors import InvalidEncoding, InvalidProof
from crypto.group import GENERATOR, IDENTITY, Point, RandomSource, Scalar
from crypto.proofs.range import MAX_BRANCHES, RangeProof, prove_range, verify_range
from crypto.transcript import Transcript

__all__ = ["ContestShape", "EncryptedContest", "encrypt_contest", "verify_contest"]

_PROTOCOL = b"pnyx/contest/v1"


@final
@dataclass(frozen=True, slots=True)
class ContestShape:
    """The public rules of a contest: n options, each in 0..option_limit, sum in min..max."""

    contest_id: bytes
    options: int
    minimum: int
    maximum: int
    option_limit: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.options <= 1024:
            raise ValueError("a contest has 1 to 1024 options")
        if not 1 <= self.option_limit < MAX_BRANCHES:
            raise ValueError(f"the option limit is in 1..{MAX_BRANCHES - 1}")
        if not 0 <= self.minimum <= self.maximum <= self.options * self.option_limit:
            raise ValueError("need 0 ≤ minimum ≤ maximum ≤ options × option_limit")
        if self.maximum - self.minimum + 1 > MAX_BRANCHES:
            raise ValueError(f"the sum range has at most {MAX_BRANCHES} values")

    @property
    def encoded_length(self) -> int:
        """Bytes of an `EncryptedContest` of this shape."""
        option_proof = 64 * (self.option_limit + 1)
        sum_proof = 64 * (self.maximum - self.minimum + 1)
        return self.options * (64 + option_proof) + sum_proof


@final
@dataclass(frozen=True, slots=True)
class EncryptedContest:
    """Option ciphertexts with their range proofs and the proof on their sum (§4.5)."""

    ciphertexts: tuple[Ciphertext, ...]
    option_proofs: tuple[RangeProof, ...]
    sum_proof: RangeProof

    def to_bytes(self) -> bytes:
        """ciphertexts ‖ option proofs ‖ sum proof."""
        return (
            b"".join(c.to_bytes() for c in self.ciphertexts)
            + b"".join(p.to_bytes() for p in self.option_proofs)
            + self.sum_proof.to_bytes()
        )

    @classmethod
    def from_bytes(cls, data: bytes, shape: ContestShape) -> EncryptedContest:
        """Decode a contest of the given shape; every point and scalar validated."""
        if len(data) != shape.encoded_length:
            raise InvalidEncoding("wrong length for an encrypted contest of this shape")
        n = shape.options
        ciphertexts = tuple(Ciphertext.from_bytes(data[64 * i : 64 * i + 64]) for i in range(n))
        offset = 64 * n
        size = 64 * (shape.option_limit + 1)
        proofs = []
        for _ in range(n):
            proofs.append(
                RangeProof.from_bytes(data[offset : offset + size], shape.option_limit + 1)
            )
            offset += size
        sum_proof = RangeProof.from_bytes(data[offset:], shape.maximum - shape.minimum + 1)
        return cls(ciphertexts, tuple(proofs), sum_proof)


def _contest_transcript(
    shape: ContestShape,
    ciphertexts: Sequence[Ciphertext],
    context: bytes,
    prover: bytes,
) -> Transcript:
    items = [
        (b"contest", shape.contest_id),
        (b"options", shape.options.to_bytes(8, "big")),
        (b"option-limit", shape.option_limit.to_bytes(8, "big")),
        (b"minimum", shape.minimum.to_bytes(8, "big")),
        (b"maximum", shape.maximum.to_bytes(8, "big")),
    ]
    items += ((b"ciphertext", ciphertext.to_bytes()) for ciphertext in ciphertexts)
    return Transcript.start(_PROTOCOL, context=context, prover=prover).extend(items)


def encrypt_contest(
    public_key: Point,
    shape: ContestShape,
    selections: Sequence[int],
    *,
    context: bytes,
    prover: bytes,
    rng: RandomSource = os.urandom,
) -> tuple[EncryptedContest, tuple[Scalar, ...]]:
    """Encrypt and prove a contest; returns it and the option nonces (§4.5).

    The nonces stay with the voter; releasing them spoils the ballot (Benaloh
    challenge, checked by `crypto.elgamal.verify_nonce`).
    """
    if len(selections) != shape.options:
        raise ValueError("one selection per option")
    if any(not 0 <= s <= shape.option_limit for s in selections):
        raise ValueError("a selection is outside 0..option_limit")
    total = sum(selections)
    if not shape.minimum <= total <= shape.maximum:
        raise ValueError("the selections do not satisfy the contest's limits")
    # Plaintext points from a table, so the work does not depend on the selection.
    table = [IDENTITY, GENERATOR]
    for _ in range(2, shape.option_limit + 1):
        table.append(table[-1] + GENERATOR)
    nonces = tuple(Scalar.random(rng) for _ in selections)
    ciphertexts = tuple(
        encrypt_point(public_key, table[s], r) for s, r in zip(selections, nonces, strict=True)
    )
    transcript = _contest_transcript(shape, ciphertexts, context, prover)
    option_proofs = tuple(
        prove_range(
            public_key,
            ciphertext,
            selection,
            nonce,
            0,
            shape.option_limit,
            transcript.append_int(b"option", i),
            rng,
        )
        for i, (ciphertext, selection, nonce) in enumerate(
            zip(ciphertexts, selections, nonces, strict=True)
        )
    )
    total_nonce = nonces[0]
    for nonce in nonces[1:]:
        total_nonce = total_nonce + nonce
    # The prover knows Σ r_i: A = (Σ r_i)·G costs one fixed-base multiplication
    # instead of n − 1 additions; B is summed.
    total_beta = ciphertexts[0].beta
    for ciphertext in ciphertexts[1:]:
        total_beta = total_beta + ciphertext.beta
    sum_proof = prove_range(
        public_key,
        Ciphertext(total_nonce * GENERATOR, total_beta),
        total,
        total_nonce,
        shape.minimum,
        shape.maximum,
        transcript.append(b"sum", b""),
        rng,
    )
    return EncryptedContest(ciphertexts, option_proofs, sum_proof), nonces


def verify_contest(
    public_key: Point,
    shape: ContestShape,
    contest: EncryptedContest,
    *,
    context: bytes,
    prover: bytes,
) -> None:
    """Accept an encrypted contest or raise `InvalidProof` (§4.5, steps 1–4)."""
    if len(contest.ciphertexts) != shape.options or len(contest.option_proofs) != shape.options:
        raise InvalidProof("the contest has the wrong number of options")  # step 1
    if any(c.alpha.is_identity() or c.beta.is_identity() for c in contest.ciphertexts):
        raise InvalidProof("a ciphertext contains the identity")
    transcript = _contest_transcript(shape, contest.ciphertexts, context, prover)
    for i, (ciphertext, proof) in enumerate(  # step 2
        zip(contest.ciphertexts, contest.option_proofs, strict=True)
    ):
        verify_range(
            public_key,
            ciphertext,
            0,
            shape.option_limit,
            proof,
            transcript.append_int(b"option", i),
        )
    total = sum_ciphertexts(contest.ciphertexts)  # step 3
    verify_range(  # step 4
        public_key,
        total,
        shape.minimum,
        shape.maximum,
        contest.sum_proof,
        transcript.append(b"sum", b""),
    )
