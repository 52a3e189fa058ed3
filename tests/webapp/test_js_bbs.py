"""The browser's BBS code (webapp/static/js/bbs) against the Python one (crypto/bbs).

First the JS's own tests under ``node --test`` (webapp/js-tests/bbs*.test.js: every
fixture of ../shared/vectors/bbs, bbs-blind and bbs-pseudonyms byte for byte). Then
fresh random credentials both ways, through webapp/js-tests/bbs-cli.mjs (a batch of
JSON operations on stdin): Python signs and JS proves with disclosed subsets, Python
verifies, and the reverse; JS and Python signatures are byte-equal (Sign is
deterministic); blind commitments made in JS are signed by Python; pseudonyms agree
for the same secret and context; presentations with predicates made in JS verify in
crypto/bbs/predicates.py and, as W3C presentations of a board's credential, in
services/identity/presentation.py.
"""

from __future__ import annotations

import json
import random
import secrets
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto import bbs
from crypto.bbs import blind
from crypto.bbs import predicates as pr
from crypto.bbs import pseudonym as nym
from crypto.bbs.interface import BBSInterface
from crypto.bbs.suite import calculate_random_scalars

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
CLI = WEBAPP / "js-tests" / "bbs-cli.mjs"
SUITES = {
    "BLS12-381-SHA-256": bbs.BLS12_381_SHA_256,
    "BLS12-381-SHAKE-256": bbs.BLS12_381_SHAKE_256,
}


def node() -> str:
    exe = shutil.which("node")
    assert exe is not None, "node (Node 20) is required: see README / make install"
    assert (WEBAPP / "node_modules" / "@noble" / "curves").is_dir(), "run make install"
    return exe


def js(ops: Sequence[dict[str, Any]]) -> list[Any]:
    """Run a batch of operations in the JS implementation; every one must succeed."""
    out = js_raw(ops)
    for op, r in zip(ops, out, strict=True):
        assert "error" not in r, f"JS {op['op']} failed: {r['error']}"
    return [r["result"] for r in out]


def js_raw(ops: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [node(), str(CLI)],
        cwd=WEBAPP,
        input=json.dumps(list(ops)),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: list[dict[str, Any]] = json.loads(proc.stdout)
    assert len(result) == len(ops)
    return result


def hx(xs: Sequence[bytes]) -> list[str]:
    return [x.hex() for x in xs]


def sh(x: int) -> str:
    return x.to_bytes(32, "big").hex()


def random_messages(rng: random.Random, n: int) -> list[bytes]:
    return [rng.randbytes(rng.choice([0, 1, 7, 32, 100])) for _ in range(n)]


def random_subsets(rng: random.Random, n: int, k: int) -> list[list[int]]:
    subsets = [[], list(range(n))]
    for _ in range(k):
        subsets.append(sorted(rng.sample(range(n), rng.randint(0, n))))
    return subsets


def new_key(s: BBSInterface) -> tuple[bytes, bytes]:
    sk = s.keygen(secrets.token_bytes(32), b"js cross test")
    return sk, s.sk_to_pk(sk)


# ------------------------------------------------------------------ node tests


def test_node_tests_pass_on_every_fixture() -> None:
    """The JS suite's own tests (every published BBS fixture, tampering, malformed input)."""
    files = sorted(str(p.relative_to(WEBAPP)) for p in (WEBAPP / "js-tests").glob("bbs*.test.js"))
    assert len(files) >= 4, files
    proc = subprocess.run(
        [node(), "--test", *files],
        cwd=WEBAPP,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    tail = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, tail
    assert "# fail 0" in proc.stdout, tail
    # nothing may be skipped when the vectors are there
    if (WEBAPP.parents[1] / "shared" / "vectors").is_dir():
        assert "# skipped 0" in proc.stdout, tail


# ------------------------------------------------------------------ core BBS


@pytest.mark.parametrize("name", list(SUITES))
def test_python_signs_js_proves_python_verifies(name: str) -> None:
    s = SUITES[name]
    rng = random.Random(secrets.randbits(64))
    sk, pk = new_key(s)
    header = rng.randbytes(rng.choice([0, 16]))
    msgs = random_messages(rng, rng.randint(1, 10))
    sig = s.sign(sk, pk, header, msgs)
    subsets = random_subsets(rng, len(msgs), 3)
    base = {"suite": name, "pk": pk.hex(), "header": header.hex()}
    ops: list[dict[str, Any]] = [
        {**base, "op": "verify", "signature": sig.hex(), "messages": hx(msgs)},
        {**base, "op": "verify", "signature": sig.hex(), "messages": hx([b"x", *msgs[1:]])},
        {**base, "op": "sign", "sk": sk.hex(), "messages": hx(msgs)},
    ]
    for i, idx in enumerate(subsets):
        ops.append(
            {
                **base,
                "op": "proofGen",
                "signature": sig.hex(),
                "ph": f"nonce {i}".encode().hex(),
                "messages": hx(msgs),
                "disclosed": idx,
            }
        )
    out = js(ops)
    assert out[0] is True and out[1] is False
    assert out[2] == sig.hex(), "Sign is deterministic: JS and Python give the same bytes"
    for i, (idx, proof_hex) in enumerate(zip(subsets, out[3:], strict=True)):
        proof = bytes.fromhex(proof_hex)
        assert len(proof) == 272 + 32 * (len(msgs) - len(idx))
        shown = [msgs[j] for j in idx]
        ph = f"nonce {i}".encode()
        assert s.proof_verify(pk, proof, header, ph, shown, idx)
        assert not s.proof_verify(pk, proof, header, ph + b"!", shown, idx)
        if idx:
            assert not s.proof_verify(pk, proof, header, ph, [b"forged", *shown[1:]], idx)


@pytest.mark.parametrize("name", list(SUITES))
def test_python_proofs_verify_in_js(name: str) -> None:
    s = SUITES[name]
    rng = random.Random(secrets.randbits(64))
    sk, pk = new_key(s)
    msgs = random_messages(rng, 10)
    sig = s.sign(sk, pk, b"hdr", msgs)
    base = {"suite": name, "pk": pk.hex(), "header": b"hdr".hex(), "ph": b"ph".hex()}
    ops = []
    for idx in random_subsets(rng, 10, 3):
        proof = s.proof_gen(pk, sig, b"hdr", b"ph", msgs, idx)
        shown = hx([msgs[j] for j in idx])
        ops.append(
            {**base, "op": "proofVerify", "proof": proof.hex(), "messages": shown, "disclosed": idx}
        )
        bad = bytearray(proof)
        bad[200] ^= 1
        ops.append(
            {**base, "op": "proofVerify", "proof": bad.hex(), "messages": shown, "disclosed": idx}
        )
    out = js(ops)
    assert out == [True, False] * (len(ops) // 2)


# ------------------------------------------------------------------ blind issuance


@pytest.mark.parametrize("name", list(SUITES))
def test_js_commitment_python_blind_signature(name: str) -> None:
    s = SUITES[name]
    rng = random.Random(secrets.randbits(64))
    sk, pk = new_key(s)
    committed = random_messages(rng, 3)
    (c,) = js([{"op": "commit", "suite": name, "committed": hx(committed)}])
    cwp, prover_blind = bytes.fromhex(c["commitment"]), int(c["proverBlind"], 16)
    msgs = random_messages(rng, 4)
    sig = blind.blind_sign(s.suite, sk, pk, cwp, b"h", msgs)  # checks the JS proof of knowledge
    assert blind.verify_blind_sign(s.suite, pk, sig, b"h", msgs, committed, prover_blind)
    bad = bytearray(cwp)
    bad[60] ^= 1
    with pytest.raises(bbs.BBSError):
        blind.blind_sign(s.suite, sk, pk, bytes(bad), b"h", msgs)
    base = {"suite": name, "pk": pk.hex(), "signature": sig.hex(), "header": b"h".hex()}
    out = js(
        [
            {
                **base,
                "op": "verifyBlindSign",
                "messages": hx(msgs),
                "committed": hx(committed),
                "proverBlind": sh(prover_blind),
            },
            {
                **base,
                "op": "verifyBlindSign",
                "messages": hx(msgs),
                "committed": hx(committed),
                "proverBlind": sh(prover_blind + 1),
            },
            {
                **base,
                "op": "blindProofGen",
                "ph": "00",
                "messages": hx(msgs),
                "committed": hx(committed),
                "disclosed": [0, 2],
                "disclosedCommitted": [1],
                "proverBlind": sh(prover_blind),
            },
        ]
    )
    assert out[:2] == [True, False]
    proof = bytes.fromhex(out[2])
    assert blind.blind_proof_verify(
        s.suite, pk, proof, b"h", b"\x00", 4, [msgs[0], msgs[2]], [committed[1]], [0, 2], [1]
    )
    assert not blind.blind_proof_verify(
        s.suite, pk, proof, b"h", b"\x01", 4, [msgs[0], msgs[2]], [committed[1]], [0, 2], [1]
    )
    py_proof = blind.blind_proof_gen(
        s.suite, pk, sig, b"h", b"\x00", msgs, committed, [1], [], prover_blind
    )
    (ok,) = js(
        [
            {
                **base,
                "op": "blindProofVerify",
                "proof": py_proof.hex(),
                "ph": "00",
                "length": 4,
                "messages": hx([msgs[1]]),
                "committed": [],
                "disclosed": [1],
                "disclosedCommitted": [],
            }
        ]
    )
    assert ok is True


# ------------------------------------------------------------------ pseudonyms


def _nym_credential(
    name: str, attributes: list[bytes | int]
) -> tuple[BBSInterface, bytes, bytes, int, int, int, bytes]:
    """JS commits to a Python-drawn prover nym, Python signs blindly with entropy."""
    s = SUITES[name]
    sk, pk = new_key(s)
    prover_nym, entropy = calculate_random_scalars(2)
    (c,) = js(
        [{"op": "commitWithNym", "suite": name, "committed": [], "proverNyms": [sh(prover_nym)]}]
    )
    cwp, prover_blind = bytes.fromhex(c["commitment"]), int(c["proverBlind"], 16)
    sig = pr.blind_sign_attributes(s, sk, pk, cwp, 1, entropy, b"cred", attributes)
    return s, sk, pk, prover_nym, entropy, prover_blind, sig


def _attr(a: bytes | int) -> dict[str, str]:
    return {"b": a.hex()} if isinstance(a, bytes) else {"i": str(a)}


@pytest.mark.parametrize("name", list(SUITES))
def test_pseudonyms_agree_and_js_nym_proofs_verify_in_python(name: str) -> None:
    attributes: list[bytes | int] = [b"Ada", b"Lovelace", -3000, 7, b"GB", 1]
    s, _, pk, prover_nym, entropy, blind_, sig = _nym_credential(name, attributes)
    api = nym.pseudonym_api_id(s.suite)
    scalars = pr.attribute_scalars(s, attributes, api)
    py_secrets = nym.verify_finalize_with_nym(
        s.suite, pk, sig, b"cred", scalars, [], [prover_nym], entropy, blind_
    )
    contexts = [b"election-2026", b"election-2027", "pnyx/unlinked/\u00e9".encode()]
    base = {"suite": name, "pk": pk.hex(), "signature": sig.hex(), "header": b"cred".hex()}
    ops: list[dict[str, Any]] = [
        {
            **base,
            "op": "verifyFinalizeWithNym",
            "attributes": [_attr(a) for a in attributes],
            "committed": [],
            "proverNyms": [sh(prover_nym)],
            "entropy": sh(entropy),
            "proverBlind": sh(blind_),
        },
        {
            **base,
            "op": "verifyFinalizeWithNym",
            "attributes": [_attr(a) for a in attributes],
            "committed": [],
            "proverNyms": [sh(prover_nym)],
            "entropy": sh(entropy + 1),
            "proverBlind": sh(blind_),
        },
    ]
    ops += [
        {
            "op": "calculatePseudonym",
            "suite": name,
            "contextId": ctx.hex(),
            "nymSecrets": [sh(x) for x in py_secrets],
        }
        for ctx in contexts
    ]
    octets = [a if isinstance(a, bytes) else str(a).encode() for a in attributes]
    raw = js_raw(ops)
    assert raw[0]["result"] == [sh(x) for x in py_secrets]
    assert "does not verify" in raw[1]["error"]
    pseudonyms = [r["result"] for r in raw[2:]]
    for ctx, p in zip(contexts, pseudonyms, strict=True):
        assert p == nym.calculate_pseudonym(s.suite, ctx, py_secrets).hex()
    assert len(set(pseudonyms)) == len(contexts)
    # a credential over octet messages: JS proves with the pseudonym, Python verifies
    sk2, pk2 = new_key(s)
    (c,) = js(
        [{"op": "commitWithNym", "suite": name, "committed": [], "proverNyms": [sh(prover_nym)]}]
    )
    cwp, blind2 = bytes.fromhex(c["commitment"]), int(c["proverBlind"], 16)
    sig2 = nym.blind_sign_with_nym(s.suite, sk2, pk2, cwp, 1, entropy, b"cred", octets)
    secrets2 = nym.verify_finalize_with_nym(
        s.suite,
        pk2,
        sig2,
        b"cred",
        s.suite.messages_to_scalars(octets, api),
        [],
        [prover_nym],
        entropy,
        blind2,
    )
    (made,) = js(
        [
            {
                "op": "proofGenWithNym",
                "suite": name,
                "pk": pk2.hex(),
                "signature": sig2.hex(),
                "header": b"cred".hex(),
                "ph": b"nonce".hex(),
                "nymSecrets": [sh(x) for x in secrets2],
                "contextId": contexts[0].hex(),
                "messages": hx(octets),
                "committed": [],
                "disclosed": [3],
                "proverBlind": sh(blind2),
            }
        ]
    )
    proof, pseudonym = bytes.fromhex(made["proof"]), bytes.fromhex(made["pseudonym"])
    assert pseudonym == nym.calculate_pseudonym(s.suite, contexts[0], secrets2)
    assert nym.proof_verify_with_nym(
        s.suite, pk2, proof, b"cred", b"nonce", pseudonym, contexts[0], 6, 1, [octets[3]], [], [3]
    )
    assert not nym.proof_verify_with_nym(
        s.suite, pk2, proof, b"cred", b"nonce", pseudonym, contexts[1], 6, 1, [octets[3]], [], [3]
    )
    # and the reverse: Python's proof verifies in JS
    py_proof, py_nym = nym.proof_gen_with_nym(
        s.suite, pk2, sig2, b"cred", b"nonce", secrets2, contexts[1], octets, [], [0], [], blind2
    )
    (ok,) = js(
        [
            {
                "op": "proofVerifyWithNym",
                "suite": name,
                "pk": pk2.hex(),
                "proof": py_proof.hex(),
                "header": b"cred".hex(),
                "ph": b"nonce".hex(),
                "pseudonym": py_nym.hex(),
                "contextId": contexts[1].hex(),
                "length": 6,
                "nymLength": 1,
                "messages": hx([octets[0]]),
                "committed": [],
                "disclosed": [0],
            }
        ]
    )
    assert ok is True


# ------------------------------------------------------------------ predicates layer


@pytest.mark.parametrize("name", list(SUITES))
def test_js_presentations_verify_in_python(name: str) -> None:
    attributes: list[bytes | int] = [b"Ada", b"Lovelace", -3000, 7, 20_430, b"GB", 1, 0, b"x", 42]
    s, _, pk, prover_nym, entropy, blind_, sig = _nym_credential(name, attributes)
    api = nym.pseudonym_api_id(s.suite)
    (secret,) = nym.verify_finalize_with_nym(
        s.suite,
        pk,
        sig,
        b"cred",
        pr.attribute_scalars(s, attributes, api),
        [],
        [prover_nym],
        entropy,
        blind_,
    )
    preds = {2: (-40_000, -2_000), 4: (20_400, 20_430)}
    base = {
        "suite": name,
        "pk": pk.hex(),
        "signature": sig.hex(),
        "header": b"cred".hex(),
        "attributes": [_attr(a) for a in attributes],
    }
    nym_in = {
        "contextId": b"election-2026".hex(),
        "nymSecrets": [sh(secret)],
        "proverBlind": sh(blind_),
    }
    out = js_raw(
        [
            {
                **base,
                "op": "present",
                "ph": b"request".hex(),
                "disclosed": [3, 5],
                "predicates": [[j, lo, hi] for j, (lo, hi) in preds.items()],
                "nym": nym_in,
            },
            {
                **base,
                "op": "present",
                "ph": b"request".hex(),
                "disclosed": [0],
                "predicates": [],
                "nym": nym_in,
            },
            # a predicate that does not hold cannot be proven
            {
                **base,
                "op": "present",
                "ph": b"request".hex(),
                "disclosed": [],
                "predicates": [[2, 0, 100]],
                "nym": nym_in,
            },
        ]
    )
    assert "outside the range" in out[2]["error"]
    with_preds, plain = out[0]["result"], out[1]["result"]
    assert (
        with_preds["pseudonym"]
        == nym.calculate_pseudonym(s.suite, b"election-2026", [secret]).hex()
    )
    raw = bytes.fromhex(with_preds["presentation"])
    kw: dict[str, Any] = {"predicates": preds, "context_id": b"election-2026", "num_messages": 10}
    assert pr.verify_presentation(s, pk, raw, b"cred", b"request", {3: 7, 5: b"GB"}, **kw)
    assert not pr.verify_presentation(s, pk, raw, b"cred", b"request", {3: 8, 5: b"GB"}, **kw)
    assert not pr.verify_presentation(s, pk, raw, b"cred", b"other", {3: 7, 5: b"GB"}, **kw)
    moved = {**kw, "predicates": {2: (-40_000, -2_001), 4: (20_400, 20_430)}}
    assert not pr.verify_presentation(s, pk, raw, b"cred", b"request", {3: 7, 5: b"GB"}, **moved)
    other_ctx = {**kw, "context_id": b"election-2027"}
    assert not pr.verify_presentation(
        s, pk, raw, b"cred", b"request", {3: 7, 5: b"GB"}, **other_ctx
    )
    plain_raw = bytes.fromhex(plain["presentation"])
    assert plain["pseudonym"] == with_preds["pseudonym"]
    assert pr.verify_presentation(
        s, pk, plain_raw, b"cred", b"request", {0: b"Ada"}, context_id=b"election-2026"
    )
    # Python's presentation verifies in JS; a changed disclosed value does not
    nym_input = pr.NymInput(b"election-2026", (secret,), blind_)
    py = pr.present(
        s, pk, sig, b"cred", b"request", attributes, [3], predicates=preds, nym=nym_input
    )
    verify_op = {
        "suite": name,
        "op": "verifyPresentation",
        "pk": pk.hex(),
        "header": b"cred".hex(),
        "ph": b"request".hex(),
        "presentation": py.to_bytes().hex(),
        "predicates": [[j, lo, hi] for j, (lo, hi) in preds.items()],
        "contextId": b"election-2026".hex(),
        "numMessages": 10,
    }
    assert js(
        [
            {**verify_op, "disclosed": {"3": {"i": "7"}}},
            {**verify_op, "disclosed": {"3": {"i": "6"}}},
            {
                **verify_op,
                "disclosed": {"3": {"i": "7"}},
                "presentation": with_preds["presentation"],
            },
        ]
    ) == [True, False, False]


def test_js_core_presentation_with_integer_attributes() -> None:
    """A core-interface credential (no pseudonym) with a predicate, both ways."""
    s = bbs.BLS12_381_SHA_256
    sk, pk = new_key(s)
    attributes: list[bytes | int] = [b"name", 19_000, -5, b""]
    sig = pr.sign_attributes(s, sk, pk, b"h", attributes)
    (out,) = js(
        [
            {
                "op": "present",
                "suite": "BLS12-381-SHA-256",
                "pk": pk.hex(),
                "signature": sig.hex(),
                "header": b"h".hex(),
                "ph": b"p".hex(),
                "attributes": [_attr(a) for a in attributes],
                "disclosed": [0, 2],
                "predicates": [[1, 18_000, 20_000]],
                "nym": None,
            }
        ]
    )
    assert out["pseudonym"] is None
    raw = bytes.fromhex(out["presentation"])
    assert pr.verify_presentation(
        s, pk, raw, b"h", b"p", {0: b"name", 2: -5}, predicates={1: (18_000, 20_000)}
    )
    assert not pr.verify_presentation(
        s, pk, raw, b"h", b"p", {0: b"name", 2: 5}, predicates={1: (18_000, 20_000)}
    )


# ------------------------------------------------------------------ services layer


def _board_json(data: Any, issuer: str, schema_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from services.identity.issuance import latest_key

    key = latest_key(data, issuer)
    schema = data.schema(issuer, schema_id)
    assert schema is not None
    key_json = {
        "key_id": key.key_id,
        "issuer": key.issuer,
        "ciphersuite": key.ciphersuite,
        "public_key": key.public_key.hex(),
    }
    schema_json = {"issuer": issuer, **schema.to_body(), "digest": schema.digest}
    return key_json, schema_json


@pytest.mark.parametrize("schema_id", ["eid", "permit"])
def test_js_wallet_issuance_and_presentation_verify_in_services(
    schema_id: str, tmp_path: Path
) -> None:
    """The page's holder: request (blind commitment), accept, present; the service verifies."""
    from datetime import date, timedelta

    from services.identity import issuance
    from services.identity.board_data import BoardData
    from services.identity.errors import PresentationRejected
    from services.identity.presentation import present as py_present
    from services.identity.presentation import verify_presentation
    from services.identity.request import Predicate, PresentationRequest
    from tests.services.identity.kit import ADA, ISSUER, PLATE, make_identity_kit

    ik = make_identity_kit(f"sqlite:///{tmp_path / 'board.db'}")
    data = BoardData.from_board(ik.board)
    key, schema = _board_json(data, ISSUER, schema_id)
    (made,) = js([{"op": "makeRequest", "key": key, "schema": schema}])
    request, holder = made["request"], made["secrets"]
    assert set(holder) == {"proverNym", "proverBlind"}
    today = date.today()
    values, status = (ADA, None) if schema_id == "eid" else (PLATE, ("permit-1", 4242))
    issued = issuance.issue(data, ISSUER, ik.sk, request, values, today, 30, status)
    py_record = issuance.accept(data, issued, request, holder)
    raw = js_raw(
        [
            {
                "op": "acceptIssuance",
                "key": key,
                "schema": schema,
                "request": request,
                "secrets": holder,
                "issued": issued,
            },
            {
                "op": "acceptIssuance",
                "key": key,
                "schema": schema,
                "request": request,
                "secrets": {**holder, "proverBlind": sh(int(holder["proverBlind"], 16) + 1)},
                "issued": issued,
            },
        ]
    )
    record = raw[0]["result"]
    assert record["secrets"] == py_record["secrets"], "the same nym secret on both sides"
    assert raw[1]["code"] == "rejected"

    if schema_id == "eid":
        adult = Predicate("birthDate", "<=", (today - timedelta(days=18 * 366)).isoformat())
        asks = [
            PresentationRequest.new(ISSUER, "eid", ["district"], [adult], today, "election-2026"),
            PresentationRequest.new(ISSUER, "eid", ["givenName", "resident"], [], today, None),
        ]
    else:
        asks = [PresentationRequest.new(ISSUER, "permit", ["zone"], [], today, "parking")]
    ops = [
        {
            "op": "presentCredential",
            "key": key,
            "schema": schema,
            "record": record,
            "request": r.to_json(),
        }
        for r in asks
    ]
    ops += [
        {"op": "pseudonymOf", "key": key, "record": record, "context": r.pseudonym_context}
        for r in asks
        if r.pseudonym_context
    ]
    out = js(ops)
    docs, nyms = out[: len(asks)], out[len(asks) :]
    for req, doc in zip(asks, docs, strict=True):
        v = verify_presentation(data, req, doc)
        assert v.disclosed == {n: values[n] for n in req.disclose}
        if req.pseudonym_context is not None:
            # the same pseudonym as Python's presentation of the same wallet record
            py_doc = py_present(data, py_record, req)
            assert v.pseudonym == py_doc["verifiableCredential"][0]["proof"]["pseudonym"]["value"]
            assert v.pseudonym == nyms[0]
        else:
            assert v.pseudonym is None
            context = doc["verifiableCredential"][0]["proof"]["pseudonym"]["context"]
            assert context.startswith("pnyx/unlinked/") and len(context) == 14 + 64
        if status is not None:
            assert v.status == status
        # a changed disclosed value, or the answer to another request, is refused
        forged = json.loads(json.dumps(doc))
        subject = forged["verifiableCredential"][0]["credentialSubject"]
        name = req.disclose[0]
        subject[name] = 8 if isinstance(values[name], int) else "Eve"
        with pytest.raises(PresentationRejected) as e:
            verify_presentation(data, req, forged)
        assert e.value.reason == "proof_invalid"
        other = PresentationRequest.new(
            ISSUER,
            req.schema,
            list(req.disclose),
            list(req.predicates),
            today,
            req.pseudonym_context,
        )
        with pytest.raises(PresentationRejected) as e:
            verify_presentation(data, other, doc)
        assert e.value.reason == "nonce_mismatch"
    # a predicate that does not hold cannot be presented
    if schema_id == "eid":
        minor = Predicate("birthDate", ">=", (today - timedelta(days=365)).isoformat())
        ask = PresentationRequest.new(ISSUER, "eid", [], [minor], today, None)
        (res,) = js_raw(
            [
                {
                    "op": "presentCredential",
                    "key": key,
                    "schema": schema,
                    "record": record,
                    "request": ask.to_json(),
                }
            ]
        )
        assert res["code"] == "cannot_present", res


# ------------------------------------------------------------------ range proofs


def _given(values: list[int]) -> Any:
    """A random-scalar source that returns these values (for byte-equal proofs)."""

    def draw(count: int) -> list[int]:
        assert count == len(values)
        return values

    return draw


@pytest.mark.parametrize("name", list(SUITES))
def test_range_proofs_byte_equal_and_cross_verify(name: str) -> None:
    """Aggregated Bulletproofs (range.py / range.js): with the same random scalars the
    two provers give the same bytes; each side verifies the other's proofs."""
    from crypto.bbs import range as rp
    from crypto.bbs.backend import ORDER, get_backend

    s = SUITES[name]
    backend = get_backend()
    gens = rp.pedersen_generators(s.suite, backend)
    rng = random.Random(secrets.randbits(64))
    cases: list[list[tuple[int, int]]] = [
        [(0, 1)],
        [(-719_162, 13_000), (20_410, 20_440)],
        [(-(2**63), 2**63 - 1)],
        [(5, 6), (-3, 100), (0, 2**40), (1000, 1001)],
    ]
    if name != "BLS12-381-SHA-256":
        cases = cases[:2]  # the wide ones once (64 bits: 128 generators)
    ops: list[dict[str, Any]] = []
    expected = []
    for ranges in cases:
        openings = [(rng.randint(lo, hi), calculate_random_scalars(1)[0]) for lo, hi in ranges]
        commitments = [rp.pedersen_commit(backend, gens, x, r) for x, r in openings]
        enc = [backend.g1_to_bytes(c).hex() for c in commitments]
        x0, r0 = openings[0]
        wrong = backend.g1_to_bytes(rp.pedersen_commit(backend, gens, x0 + 1, r0))
        n = rp.padded_length(ranges)
        fixed = calculate_random_scalars(4 + 2 * n)
        seed = rng.randbytes(32)
        proof = rp.prove_ranges(
            s.suite, backend, seed, commitments, openings, ranges, _given(fixed)
        )
        expected.append(proof.to_bytes())
        base = {
            "suite": name,
            "seed": seed.hex(),
            "commitments": enc,
            "ranges": [[str(lo), str(hi)] for lo, hi in ranges],
        }
        ops.append(
            {
                **base,
                "op": "proveRanges",
                "random": [sh(x) for x in fixed],
                "openings": [[str(x), sh(r)] for x, r in openings],
            }
        )
        ops.append(
            {**base, "op": "proveRanges", "openings": [[str(x), sh(r)] for x, r in openings]}
        )
        ops.append({**base, "op": "verifyRanges", "proof": proof.to_bytes().hex()})
        bad = bytearray(proof.to_bytes())
        bad[-40] ^= 1
        ops.append({**base, "op": "verifyRanges", "proof": bad.hex()})
        ops.append(
            {
                **base,
                "op": "verifyRanges",
                "proof": proof.to_bytes().hex(),
                "seed": (seed + b"x").hex(),
            }
        )
        ops.append(
            {
                **base,
                "op": "verifyRanges",
                "proof": proof.to_bytes().hex(),
                "commitments": [wrong.hex(), *enc[1:]],
            }
        )
    out = js(ops)
    for k, ranges in enumerate(cases):
        same, fresh, ok, tampered, reseeded, swapped = out[6 * k : 6 * k + 6]
        assert bytes.fromhex(same) == expected[k], f"byte-equal range proof for {ranges}"
        fresh_proof = rp.RangeProof.from_bytes(bytes.fromhex(fresh), rp.padded_length(ranges))
        commitments = [backend.g1_from_bytes(bytes.fromhex(c)) for c in ops[6 * k]["commitments"]]
        seed = bytes.fromhex(ops[6 * k]["seed"])
        assert rp.verify_ranges(s.suite, backend, seed, commitments, ranges, fresh_proof)
        assert not rp.verify_ranges(s.suite, backend, seed + b"!", commitments, ranges, fresh_proof)
        assert (ok, tampered, reseeded) == (True, False, False)
        assert swapped is False
    # a value outside its range cannot be proven on either side
    with pytest.raises(bbs.BBSError):
        rp.prove_ranges(s.suite, backend, b"", [gens.g], [(7, 1)], [(0, 5)])
    (res,) = js_raw(
        [
            {
                "op": "proveRanges",
                "suite": name,
                "seed": "",
                "ranges": [["0", "5"]],
                "commitments": [backend.g1_to_bytes(gens.g).hex()],
                "openings": [["7", sh(1)]],
            }
        ]
    )
    assert "outside the range" in res["error"]
    assert ORDER > 2**64


# ------------------------------------------------------------------ fuzz


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    mutations=st.lists(
        st.tuples(
            st.integers(0, 10_000), st.integers(1, 255), st.sampled_from(["xor", "cut", "add"])
        ),
        min_size=12,
        max_size=12,
    )
)
def test_js_verifiers_reject_mutated_inputs_without_crashing(
    mutations: list[tuple[int, int, str]],
) -> None:
    """Python's valid presentation and proof, mutated: the JS verifiers say False, never throw."""
    s = bbs.BLS12_381_SHA_256
    sk, pk = _FUZZ_KEY
    attributes: list[bytes | int] = [b"a", 5, b"c"]
    sig = pr.sign_attributes(s, sk, pk, b"h", attributes)
    pres = pr.present(s, pk, sig, b"h", b"p", attributes, [0], predicates={1: (0, 9)}).to_bytes()
    proof = s.proof_gen(pk, sig, b"h", b"p", [b"a", b"5", b"c"], [0])

    def mutate(data: bytes, at: int, byte: int, how: str) -> bytes:
        i = at % len(data)
        if how == "xor":
            return data[:i] + bytes([data[i] ^ byte]) + data[i + 1 :]
        if how == "cut":
            return data[:i]
        return data + bytes([byte]) * (1 + at % 40)

    ops: list[dict[str, Any]] = []
    for at, byte, how in mutations:
        ops.append(
            {
                "op": "verifyPresentation",
                "suite": "BLS12-381-SHA-256",
                "pk": pk.hex(),
                "header": b"h".hex(),
                "ph": b"p".hex(),
                "presentation": mutate(pres, at, byte, how).hex(),
                "disclosed": {"0": {"b": b"a".hex()}},
                "predicates": [[1, 0, 9]],
                "contextId": None,
            }
        )
        ops.append(
            {
                "op": "proofVerify",
                "suite": "BLS12-381-SHA-256",
                "pk": pk.hex(),
                "proof": mutate(proof, at, byte, how).hex(),
                "header": b"h".hex(),
                "ph": b"p".hex(),
                "messages": [b"a".hex()],
                "disclosed": [0],
            }
        )
    assert js(ops) == [False] * len(ops)


_FUZZ_KEY = new_key(bbs.BLS12_381_SHA_256)
