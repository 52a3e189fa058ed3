"""Generate the ballot-cryptography test vectors (docs/crypto.md §8).

    .venv/bin/python tests/vectors/generate_ballot_vectors.py          # rewrite the files
    .venv/bin/python tests/vectors/generate_ballot_vectors.py --check  # compare only

Every random choice comes from a deterministic source, SHAKE-256 over
"pnyx-test-vectors/v1" ‖ a per-vector seed label, read as a stream: rng(n) returns
the next n bytes. A re-implementation that consumes the stream in the same order
(docs/crypto.md §8) reproduces every byte; one that draws its own randomness must
still verify every valid vector and reject every invalid one.

Files: group.json, transcript.json, elgamal.json, proofs.json, contest.json,
threshold.json, all in this folder, written as sorted, indented JSON with
lowercase hex for bytes. tests/crypto/test_vectors.py regenerates them and
fails if any byte differs.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from crypto.contest import ContestShape, encrypt_contest  # noqa: E402
from crypto.dlog import discrete_log  # noqa: E402
from crypto.elgamal import (  # noqa: E402
    decrypt_to_point,
    encrypt,
    generate_keypair,
    sum_ciphertexts,
)
from crypto.group import (  # noqa: E402
    FIELD_PRIME,
    GENERATOR,
    IDENTITY,
    ORDER,
    Scalar,
    hash_to_point,
    hash_to_scalar,
    length_prefixed,
)
from crypto.proofs.decryption import prove_decryption_share  # noqa: E402
from crypto.proofs.dleq import prove_dleq  # noqa: E402
from crypto.proofs.range import prove_range  # noqa: E402
from crypto.proofs.schnorr import prove_knowledge  # noqa: E402
from crypto.threshold import (  # noqa: E402
    CeremonyParameters,
    DealerSecret,
    combine_partial_decryptions,
    commit,
    joint_public_key,
    partial_decrypt,
    trustee_secret_share,
    verification_key,
)
from crypto.transcript import Transcript  # noqa: E402

FILES = ("group", "transcript", "elgamal", "proofs", "contest", "threshold")


class Stream:
    """rng(n): the next n bytes of SHAKE-256("pnyx-test-vectors/v1" ‖ label)."""

    def __init__(self, label: str) -> None:
        self._shake = hashlib.shake_256(b"pnyx-test-vectors/v1" + label.encode())
        self._offset = 0

    def __call__(self, n: int) -> bytes:
        out = self._shake.digest(self._offset + n)[self._offset :]
        self._offset += n
        return out


def context_of(name: str) -> bytes:
    """The 32-byte context hash used by the vectors: SHA-256 of a label."""
    return hashlib.sha256(name.encode()).digest()


# RFC 9496 Appendix A.2: the encodings every ristretto255 decoder must refuse.
RFC9496_INVALID = {
    "non-canonical field encoding (RFC 9496 A.2)": (
        "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
    "negative field element (RFC 9496 A.2)": (
        "0100000000000000000000000000000000000000000000000000000000000000",
        "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20",
        "c34c4e1826e5d403b78e246e88aa051c36ccf0aafebffe137d148a2bf9104562",
        "c940e5a4404157cfb1628b108db051a8d439e1a421394ec4ebccb9ec92a8ac78",
        "47cfc5497c53dc8e61c91d17fd626ffb1c49e2bca94eed052281b510b1117a24",
        "f1c6165d33367351b0da8f6e4511010c68174a03b6581212c71c0e1d026c3c72",
        "87260f7a2f12495118360f02c26a470f450dadf34a413d21042b43b9d93e1309",
    ),
    "non-square x² (RFC 9496 A.2)": (
        "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371",
        "4eac077a713c57b4f4397629a4145982c661f48044dd3f96427d40b147d9742f",
        "de6a7b00deadc788eb6b6c8d20c0ae96c2f2019078fa604fee5b87d6e989ad7b",
        "bcab477be20861e01e4a0e295284146a510150d9817763caf1a6f4b422d67042",
        "2a292df7e32cababbd9de088d1d1abec9fc0440f637ed2fba145094dc14bea08",
        "f4a9e534fc0d216c44b218fa0c42d99635a0127ee2e53c712f70609649fdff22",
        "8268436f8c4126196cf64b3c7ddbda90746a378625f9813dd9b8457077256731",
        "2810e5cbc2cc4d4eece54f61c6f69758e289aa7ab440b3cbeaa21995c2f4232b",
    ),
    "negative x·y (RFC 9496 A.2)": (
        "3eb858e78f5a7254d8c9731174a94f76755fd3941c0ac93735c07ba14579630e",
        "a45fdc55c76448c049a1ab33f17023edfb2be3581e9c7aade8a6125215e04220",
        "d483fe813c6ba647ebbfd3ec41adca1c6130c2beeee9d9bf065c8d151c5f396e",
        "8a2e1d30050198c65a54483123960ccc38aef6848e1ec8f5f780e8523769ba32",
        "32888462f8b486c68ad7dd9610be5192bbeaf3b443951ac1a8118419d9fa097b",
        "227142501b9d4355ccba290404bde41575b037693cef1f438c47f8fbf35d1165",
        "5c37cc491da847cfeb9281d407efc41e15144c876e0170b499a96a22ed31e01e",
        "445425117cb8c90edcbc7c1cc0e74f747f2c1efa5630a967c64f287792a48a4b",
    ),
    "s = −1, y = 0 (RFC 9496 A.2)": (
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ),
}


def group_vectors() -> dict[str, Any]:
    rng = Stream("group")
    multiples = []
    for k in (1, 2, 3, 8, ORDER - 1):
        multiples.append(
            {"scalar": Scalar.from_int(k).hex(), "point": (Scalar.from_int(k) * GENERATOR).hex()}
        )
    for _ in range(3):
        r = Scalar.random(rng)
        multiples.append({"scalar": r.hex(), "point": (r * GENERATOR).hex()})
    arithmetic = []
    for _ in range(3):
        a, b, c = Scalar.random(rng), Scalar.random(rng), Scalar.random(rng)
        p, q = a * GENERATOR, b * GENERATOR
        arithmetic.append(
            {
                "p": p.hex(),
                "q": q.hex(),
                "k": c.hex(),
                "p_plus_q": (p + q).hex(),
                "p_minus_q": (p - q).hex(),
                "k_times_p": (c * p).hex(),
            }
        )
    scalars = []
    for _ in range(3):
        a, b = Scalar.random(rng), Scalar.random(rng)
        scalars.append(
            {
                "a": a.hex(),
                "b": b.hex(),
                "a_plus_b": (a + b).hex(),
                "a_minus_b": (a - b).hex(),
                "a_times_b": (a * b).hex(),
                "inverse_a": a.invert().hex(),
            }
        )
    wide = rng(64)
    valid_point = (Scalar.from_int(1234567) * GENERATOR).to_bytes()
    invalid_points = [
        {"encoding": encoding, "reason": reason}
        for reason, encodings in RFC9496_INVALID.items()
        for encoding in encodings
    ]
    s = int.from_bytes(valid_point, "little")
    invalid_points += [
        {
            "encoding": valid_point[:31].hex() + f"{valid_point[31] | 0x80:02x}",
            "reason": "a valid encoding with bit 255 set (s ≥ p; libsodium 1.0.18 ignores the bit)",
        },
        {
            "encoding": (FIELD_PRIME - s).to_bytes(32, "little").hex(),
            "reason": "p − s for a valid s: the same s², but negative (odd)",
        },
        {
            "encoding": (FIELD_PRIME + 1).to_bytes(32, "little").hex(),
            "reason": "s = p + 1 (non-canonical, even)",
        },
        {"encoding": bytes(31).hex() + "80", "reason": "the identity with bit 255 set"},
        {
            "encoding": IDENTITY.hex(),
            "reason": "the identity: a group element, refused by every format (§2.2)",
        },
        {"encoding": valid_point.hex()[:62], "reason": "31 bytes"},
        {"encoding": valid_point.hex() + "00", "reason": "33 bytes"},
    ]
    invalid_scalars = [
        {"encoding": v.to_bytes(32, "little").hex(), "reason": r}
        for v, r in (
            (ORDER, "ℓ"),
            (ORDER + 1, "ℓ + 1"),
            (2**253, "2^253"),
            (2**256 - 1, "2^256 − 1"),
        )
    ]
    return {
        "description": "ristretto255 (RFC 9496): encodings, arithmetic, hashing "
        "(docs/crypto.md §2)",
        "order": str(ORDER),
        "generator": GENERATOR.hex(),
        "identity": IDENTITY.hex(),
        "multiples_of_generator": multiples,
        "point_arithmetic": arithmetic,
        "scalar_arithmetic": scalars,
        "wide_reduction": {"input": wide.hex(), "scalar": Scalar.reduce_wide(wide).hex()},
        "hash_to_scalar": [
            {"dst": dst.decode(), "message": msg.hex(), "scalar": hash_to_scalar(dst, msg).hex()}
            for dst, msg in ((b"pnyx/test/v1", b""), (b"pnyx/test/v1", b"abc"), (b"x", bytes(100)))
        ],
        "hash_to_point": [
            {
                "dst": dst.decode(),
                "message": msg.hex(),
                "uniform_bytes": hashlib.sha512(length_prefixed(dst) + length_prefixed(msg))
                .digest()
                .hex(),
                "point": hash_to_point(dst, msg).hex(),
            }
            for dst, msg in (
                (b"pnyx/test/v1", b""),
                (b"pnyx/test/v1", b"abc"),
                (b"x", bytes(100)),
            )
        ],
        "invalid_points": invalid_points,
        "invalid_scalars": invalid_scalars,
    }


def transcript_vectors() -> dict[str, Any]:
    context = context_of("transcript")
    t = Transcript.start(b"pnyx/test/v1", context=context, prover=b"voter-1")
    items = [
        ("label", b"value".hex()),
        ("point", GENERATOR.hex()),
        ("int", (7).to_bytes(8, "big").hex()),
        ("empty", ""),
    ]
    for label, value in items:
        t = t.append(label.encode(), bytes.fromhex(value))
    rng = Stream("transcript")
    seed = rng(32)
    return {
        "description": "Fiat–Shamir transcript (docs/crypto.md §3.1)",
        "protocol": "pnyx/test/v1",
        "context": context.hex(),
        "prover": b"voter-1".hex(),
        "items": [{"label": label, "value": value} for label, value in items],
        "digest": t.digest().hex(),
        "challenge_label": "c",
        "challenge": t.challenge(b"c").hex(),
        "nonces": {
            "witness": b"secret".hex(),
            "seed": seed.hex(),
            "values": [n.hex() for n in t.nonces(2, b"secret", lambda _n: seed)],
        },
    }


def elgamal_vectors() -> dict[str, Any]:
    rng = Stream("elgamal")
    keys = generate_keypair(rng)
    encryptions = []
    ciphertexts = []
    for m in (0, 1, 5, 1000):
        ciphertext, nonce = encrypt(keys.public, m, rng)
        ciphertexts.append(ciphertext)
        encryptions.append(
            {"message": m, "nonce": nonce.hex(), "ciphertext": ciphertext.to_bytes().hex()}
        )
    total = sum_ciphertexts(ciphertexts)
    plaintext = decrypt_to_point(keys.secret, total)
    assert discrete_log(plaintext, 2000) == 1006
    return {
        "description": "exponential ElGamal (docs/crypto.md §3.2)",
        "secret_key": keys.secret.hex(),
        "public_key": keys.public.hex(),
        "encryptions": encryptions,
        "sum": {
            "ciphertext": total.to_bytes().hex(),
            "plaintext_point": plaintext.hex(),
            "plaintext": 1006,
        },
    }


def proof_vectors() -> dict[str, Any]:
    rng = Stream("proofs")
    context = context_of("proofs")
    out: dict[str, Any] = {"description": "proofs (docs/crypto.md §4)", "context": context.hex()}

    def transcript(prover: bytes) -> Transcript:
        return Transcript.start(b"pnyx/test/v1", context=context, prover=prover)

    secret = Scalar.random(rng)
    public, proof = prove_knowledge(secret, transcript(b"alice"), rng)
    out["schnorr"] = {
        "protocol": "pnyx/test/v1",
        "prover": b"alice".hex(),
        "secret": secret.hex(),
        "public": public.hex(),
        "proof": proof.to_bytes().hex(),
    }
    g2 = hash_to_point(b"pnyx/test/v1", b"second base")
    h1, h2, dleq = prove_dleq(secret, GENERATOR, g2, transcript(b"alice"), rng)
    out["dleq"] = {
        "protocol": "pnyx/test/v1",
        "prover": b"alice".hex(),
        "secret": secret.hex(),
        "g1": GENERATOR.hex(),
        "h1": h1.hex(),
        "g2": g2.hex(),
        "h2": h2.hex(),
        "proof": dleq.to_bytes().hex(),
    }
    keys = generate_keypair(rng)
    ranges = []
    for value, lower, upper in ((0, 0, 1), (1, 0, 1), (2, 0, 3), (3, 2, 5)):
        ciphertext, nonce = encrypt(keys.public, value, rng)
        proof_r = prove_range(
            keys.public, ciphertext, value, nonce, lower, upper, transcript(b"bob"), rng
        )
        ranges.append(
            {
                "value": value,
                "nonce": nonce.hex(),
                "lower": lower,
                "upper": upper,
                "ciphertext": ciphertext.to_bytes().hex(),
                "proof": proof_r.to_bytes().hex(),
            }
        )
    ciphertext, _ = encrypt(keys.public, 42, rng)
    share, proof_d = prove_decryption_share(keys.secret, ciphertext, transcript(b"carol"), rng)
    out["range"] = {
        "protocol": "pnyx/test/v1",
        "prover": b"bob".hex(),
        "secret_key": keys.secret.hex(),
        "public_key": keys.public.hex(),
        "cases": ranges,
    }
    out["decryption"] = {
        "protocol": "pnyx/test/v1",
        "prover": b"carol".hex(),
        "secret_key": keys.secret.hex(),
        "public_key": keys.public.hex(),
        "ciphertext": ciphertext.to_bytes().hex(),
        "share": share.hex(),
        "plaintext": 42,
        "proof": proof_d.to_bytes().hex(),
    }
    return out


def contest_vectors() -> dict[str, Any]:
    rng = Stream("contest")
    context = context_of("election-2026")
    keys = generate_keypair(rng)
    cases = []
    for contest_id, options, minimum, maximum, limit, selections in (
        (b"mayor", 3, 0, 1, 1, [0, 1, 0]),
        (b"mayor", 3, 0, 1, 1, [0, 0, 0]),
        (b"council", 10, 1, 3, 1, [1, 0, 0, 1, 0, 0, 0, 1, 0, 0]),
        (b"points", 3, 0, 4, 3, [3, 0, 1]),
    ):
        shape = ContestShape(contest_id, options, minimum, maximum, limit)
        prover = b"pseudonym-" + contest_id
        contest, nonces = encrypt_contest(
            keys.public, shape, selections, context=context, prover=prover, rng=rng
        )
        cases.append(
            {
                "contest_id": contest_id.hex(),
                "options": options,
                "minimum": minimum,
                "maximum": maximum,
                "option_limit": limit,
                "prover": prover.hex(),
                "selections": selections,
                "nonces": [n.hex() for n in nonces],
                "encrypted": contest.to_bytes().hex(),
            }
        )
    return {
        "description": "encrypted contests (docs/crypto.md §4.5)",
        "context": context.hex(),
        "secret_key": keys.secret.hex(),
        "public_key": keys.public.hex(),
        "cases": cases,
    }


def threshold_vectors() -> dict[str, Any]:
    rng = Stream("threshold")
    parameters = CeremonyParameters(context_of("election-2026"), 2, 3)
    dealers = {i: DealerSecret.generate(parameters, i, rng) for i in (1, 2, 3)}
    commitments = {i: commit(parameters, dealers[i], rng) for i in dealers}
    qualified = list(commitments.values())
    shares = {
        j: trustee_secret_share({i: dealers[i].evaluate(j) for i in dealers}) for j in (1, 2, 3)
    }
    keys = {j: verification_key(qualified, j) for j in (1, 2, 3)}
    public = joint_public_key(qualified)
    ciphertext, _ = encrypt(public, 17, rng)
    partials = [partial_decrypt(parameters, j, shares[j], ciphertext, rng) for j in (1, 3)]
    outcome = combine_partial_decryptions(parameters, keys, ciphertext, partials)
    assert discrete_log(outcome.plaintext, 100) == 17
    return {
        "description": "2-of-3 key generation and threshold decryption (docs/crypto.md §5); "
        "sealed boxes are randomised by libsodium and not part of the vectors",
        "context": parameters.context.hex(),
        "threshold": 2,
        "trustees": 3,
        "dealers": [
            {
                "index": i,
                "coefficients": [c.hex() for c in dealers[i].coefficients],
                "commitments": commitments[i].to_bytes().hex(),
                "digest": commitments[i].digest(parameters).hex(),
                "shares": {str(j): dealers[i].evaluate(j).hex() for j in (1, 2, 3) if j != i},
            }
            for i in (1, 2, 3)
        ],
        "joint_public_key": public.hex(),
        "trustee_shares": {str(j): shares[j].hex() for j in (1, 2, 3)},
        "verification_keys": {str(j): keys[j].hex() for j in (1, 2, 3)},
        "ciphertext": ciphertext.to_bytes().hex(),
        "partial_decryptions": [p.to_bytes().hex() for p in partials],
        "lagrange_1_3": {
            "1": Scalar.from_int(3 * pow(2, -1, ORDER)).hex(),
            "3": Scalar.from_int(-pow(2, -1, ORDER)).hex(),
        },
        "plaintext_point": outcome.plaintext.hex(),
        "plaintext": 17,
    }


def generate() -> dict[str, str]:
    """{file name: JSON text} for every vector file."""
    builders = {
        "group": group_vectors,
        "transcript": transcript_vectors,
        "elgamal": elgamal_vectors,
        "proofs": proof_vectors,
        "contest": contest_vectors,
        "threshold": threshold_vectors,
    }
    return {
        f"{name}.json": json.dumps(
            {"version": 1, **builder()}, indent=2, sort_keys=True, ensure_ascii=False
        )
        + "\n"
        for name, builder in builders.items()
    }


def main() -> int:
    check = "--check" in sys.argv[1:]
    differing = []
    for name, text in generate().items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                differing.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if differing:
        print("vectors differ from the generator: " + ", ".join(differing))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
