"""Every fixture of draft-irtf-cfrg-bbs-signatures-09 (../shared/vectors/bbs), both
ciphersuites, every curve backend: keys, hashing, generators, mocked random
scalars, and each signature and proof case — verification results, byte-exact
Sign, byte-exact ProofGen with the mocked random scalars, and the traces of the
core subroutines (domain, B, Abar, Bbar, D, T1, T2, challenge).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crypto.bbs.backend import CurveBackend
from crypto.bbs.core import (
    calculate_domain,
    proof_challenge_calculate,
    proof_init,
)
from crypto.bbs.interface import BBSInterface
from crypto.bbs.suite import EXPAND_LEN, i2osp, octets_to_signature
from tests.crypto.bbs.conftest import BBS_VECTORS, SUITES

H = bytes.fromhex


def _cases(kind: str) -> list[Any]:
    files = sorted(BBS_VECTORS.glob(f"*/{kind}/*.json"))
    if not files:  # the vectors fixture then skips, as the folder is absent
        return [pytest.param("bls12-381-sha-256", "absent", id="vectors-absent")]
    return [
        pytest.param(f.parent.parent.name, f.name, id=f"{f.parent.parent.name}/{f.stem}")
        for f in files
    ]


def _load(root: Path, suite_dir: str, *parts: str) -> Any:
    return json.loads((root / suite_dir / Path(*parts)).read_text())


@pytest.fixture(params=list(SUITES))
def suite_dir(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_fixture_set_is_complete(bbs_vectors: Path) -> None:
    for suite_dir in SUITES:
        assert len(list((bbs_vectors / suite_dir / "signature").glob("*.json"))) == 10
        assert len(list((bbs_vectors / suite_dir / "proof").glob("*.json"))) == 15


def test_keypair(bbs_vectors: Path, suite_dir: str, backend: CurveBackend) -> None:
    s = SUITES[suite_dir]
    k = _load(bbs_vectors, suite_dir, "keypair.json")
    assert H(k["keyDst"]) == s.api_id + b"KEYGEN_DST_"
    sk = s.keygen(H(k["keyMaterial"]), H(k["keyInfo"]), key_dst=H(k["keyDst"]))
    assert sk.hex() == k["keyPair"]["secretKey"]
    assert s.keygen(H(k["keyMaterial"]), H(k["keyInfo"])) == sk  # the default key_dst
    assert s.sk_to_pk(sk).hex() == k["keyPair"]["publicKey"]


def test_hash_to_scalar(bbs_vectors: Path, suite_dir: str) -> None:
    s = SUITES[suite_dir]
    h = _load(bbs_vectors, suite_dir, "h2s.json")
    assert H(h["dst"]) == s.api_id + b"H2S_"
    assert i2osp(s.suite.hash_to_scalar(H(h["message"]), H(h["dst"])), 32).hex() == h["scalar"]


def test_messages_to_scalars(bbs_vectors: Path, suite_dir: str) -> None:
    s = SUITES[suite_dir]
    m = _load(bbs_vectors, suite_dir, "MapMessageToScalarAsHash.json")
    assert H(m["dst"]) == s.api_id + b"MAP_MSG_TO_SCALAR_AS_HASH_"
    got = s.messages_to_scalars([H(c["message"]) for c in m["cases"]])
    assert [i2osp(x, 32).hex() for x in got] == [c["scalar"] for c in m["cases"]]


def test_mocked_random_scalars(bbs_vectors: Path, suite_dir: str) -> None:
    s = SUITES[suite_dir]
    r = _load(bbs_vectors, suite_dir, "mockedRng.json")
    got = s.suite.mocked_calculate_random_scalars(r["count"], H(r["seed"]), H(r["dst"]))
    assert [i2osp(x, 32).hex() for x in got] == r["mockedScalars"]


def test_generators_and_p1(bbs_vectors: Path, suite_dir: str, backend: CurveBackend) -> None:
    s = SUITES[suite_dir]
    g = _load(bbs_vectors, suite_dir, "generators.json")
    gens = s.suite.create_generators(backend, 1 + len(g["MsgGenerators"]), s.api_id)
    assert [backend.g1_to_bytes(p).hex() for p in gens] == [g["Q1"], *g["MsgGenerators"]]
    assert backend.g1_to_bytes(s.suite.p1(backend)).hex() == g["P1"]
    # P1 is create_generators' first point for generator_seed api_id || "BP_MESSAGE_GENERATOR_SEED".
    api_id, suite = s.api_id, s.suite
    seed_dst = api_id + b"SIG_GENERATOR_SEED_"
    v = suite.expand_message(api_id + b"BP_MESSAGE_GENERATOR_SEED", seed_dst, EXPAND_LEN)
    v = suite.expand_message(v + i2osp(1, 8), seed_dst, EXPAND_LEN)
    p1 = suite.hash_to_curve_g1(backend, v, api_id + b"SIG_GENERATOR_DST_")
    assert backend.g1_to_bytes(p1).hex() == g["P1"]


@pytest.mark.parametrize(("suite_dir", "name"), _cases("signature"))
def test_signature(bbs_vectors: Path, suite_dir: str, name: str, backend: CurveBackend) -> None:
    s = SUITES[suite_dir]
    c = _load(bbs_vectors, suite_dir, "signature", name)
    pk, sk = H(c["signerKeyPair"]["publicKey"]), H(c["signerKeyPair"]["secretKey"])
    header, messages, signature = H(c["header"]), [H(m) for m in c["messages"]], H(c["signature"])
    assert s.verify(pk, signature, header, messages) is c["result"]["valid"]
    if not c["result"]["valid"]:
        return
    assert s.sign(sk, pk, header, messages).hex() == c["signature"]
    # trace: domain and B
    gens = s.suite.create_generators(backend, len(messages) + 1, s.api_id)
    domain = calculate_domain(s.suite, backend, pk, gens[0], gens[1:], header, s.api_id)
    assert i2osp(domain, 32).hex() == c["trace"]["domain"]
    scalars = s.messages_to_scalars(messages)
    b = backend.g1_msm([s.suite.p1(backend), *gens], [1, domain, *scalars])
    assert backend.g1_to_bytes(b).hex() == c["trace"]["B"]


def _trace_scalars(c: dict[str, Any]) -> list[int]:
    rs = c["trace"]["random_scalars"]
    fixed = [rs[k] for k in ("r1", "r2", "e_tilde", "r1_tilde", "r3_tilde")]
    return [int(x, 16) for x in (*fixed, *rs["m_tilde_scalars"])]


@pytest.mark.parametrize(("suite_dir", "name"), _cases("proof"))
def test_proof(bbs_vectors: Path, suite_dir: str, name: str, backend: CurveBackend) -> None:
    s: BBSInterface = SUITES[suite_dir]
    c = _load(bbs_vectors, suite_dir, "proof", name)
    pk, header, ph = H(c["signerPublicKey"]), H(c["header"]), H(c["presentationHeader"])
    messages, idx = [H(m) for m in c["messages"]], c["disclosedIndexes"]
    disclosed = [messages[i] for i in idx if 0 <= i < len(messages)]
    assert s.proof_verify(pk, H(c["proof"]), header, ph, disclosed, idx) is c["result"]["valid"]
    if not c["result"]["valid"]:
        return
    # The trace's random scalars are the draft's seeded mocked scalars for count 5 + U.
    trace = _trace_scalars(c)
    r = _load(bbs_vectors, suite_dir, "mockedRng.json")
    assert s.suite.mocked_calculate_random_scalars(len(trace), H(r["seed"]), H(r["dst"])) == trace
    proof = s.proof_gen(
        pk, H(c["signature"]), header, ph, messages, idx, random_scalars=lambda n: trace
    )
    assert proof.hex() == c["proof"]
    # The core subroutines, one by one, against the trace.
    scalars = s.messages_to_scalars(messages)
    gens = s.suite.create_generators(backend, len(messages) + 1, s.api_id)
    undisclosed = [j for j in range(len(messages)) if j not in idx]
    init = proof_init(
        s.suite, backend, pk, octets_to_signature(backend, H(c["signature"])), gens, trace,
        header, scalars, undisclosed, s.api_id,
    )
    t = c["trace"]
    names = (("abar", "A_bar"), ("bbar", "B_bar"), ("d", "D"), ("t1", "T1"), ("t2", "T2"))
    for field, key in names:
        assert backend.g1_to_bytes(getattr(init, field)).hex() == t[key], key
    assert i2osp(init.domain, 32).hex() == t["domain"]
    challenge = proof_challenge_calculate(
        s.suite, backend, init, idx, [scalars[i] for i in idx], ph, s.api_id
    )
    assert i2osp(challenge, 32).hex() == t["challenge"]
