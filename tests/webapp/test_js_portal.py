"""The patient portal's browser code (webapp/static/js/portal/) against services/health.

This file writes a fixture made by the Python code and runs the node tests
(webapp/js-tests/portal*.test.js) over it (env ``PNYX_PORTAL_FIXTURE``; run alone,
the node tests make it with ``python -m tests.webapp.test_js_portal OUT``):

- keys: from the key file ``pnyx health patient new`` writes, the page derives for
  each provider the pseudonym's Ed25519 and X25519 public keys, its id and its signed
  card exactly as ``PatientKeys.pseudonym`` does;
- records: the page opens the record key sealed for the pseudonym and decrypts the
  blob (XChaCha20-Poly1305 with the record's associated data) to the very bytes the
  provider encrypted; blobs that do not match their commitment, keys sealed for
  someone else and blobs bound to another provider or pseudonym are refused;
- sealed boxes: for the same ephemeral secret the page's ``crypto_box_seal`` is
  libsodium's, byte for byte; libsodium's (random) boxes open in the page;
- signed documents: a grant (keys re-sealed with given ephemeral secrets), a
  revocation and a read request are byte for byte those of ``Pseudonym.grant``,
  ``revoke`` and ``request`` (Ed25519 is deterministic); grant ids are equal;
- public keys: the page accepts exactly the Ed25519 and X25519 keys
  ``services.health.messages`` accepts (small order, non-canonical, mixed order).

And the other way: grants, revocations and read requests made by the page with
fresh randomness verify in Python, and the keys they seal open with the grantee's
secret. The page itself runs in Chromium in tests/webapp/test_browser_portal.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

from hypothesis import given, reject, settings
from hypothesis import strategies as st
from nacl import bindings
from nacl.public import PrivateKey, SealedBox

from services.health.errors import MalformedRecord
from services.health.fhir import validate_bundle
from services.health.keys import PatientKeys, Pseudonym, Reader
from services.health.messages import (
    ACCESS_PREFIX,
    GRANT_PREFIX,
    REVOKE_PREFIX,
    digest,
    sign,
    valid_box_key,
    valid_sign_key,
    verify,
)
from services.health.sealing import blob_hash, record_aad, seal_record, unwrap_key, wrap_key
from tests.services.health.kit import BUNDLE
from webapp.cli_health import HealthKeys
from webapp.keystore import KeyStore

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
NODE_TESTS = ("js-tests/portal-keys.test.js", "js-tests/portal-fhir.test.js")
TIME = "2026-05-01T12:34:56Z"
EXPIRES = "2026-06-01T00:00:00Z"
P = 2**255 - 19

UNICODE_BUNDLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "name": [{"family": "Ærøskøbing-𝄞", "given": ["Zoë", "\u2028line"]}],
                "birthDate": "2001-01-01",
            }
        },
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": 'quote " back\\slash </script>'},
                "valueQuantity": {"value": 1e-7, "unit": "mmol/L"},
            }
        },
    ],
}


def node() -> str:
    path = shutil.which("node")
    assert path is not None, "node (20) is needed for the browser code's tests"
    return path


def sealed_with(esk: bytes, message: bytes, pk: bytes) -> bytes:
    """libsodium's ``crypto_box_seal`` with a chosen ephemeral secret (docs/crypto.md):
    ``epk || crypto_box(m, BLAKE2b-192(epk || pk), pk, esk)``."""
    epk = bindings.crypto_scalarmult_base(esk)
    nonce = hashlib.blake2b(epk + pk, digest_size=24).digest()
    return epk + bindings.crypto_box(message, nonce, pk, esk)


def provider_id() -> str:
    return secrets.token_bytes(32).hex()


def record_out(p: Pseudonym, plaintext: bytes, **over: Any) -> tuple[dict[str, Any], bytes, bytes]:
    """A record as the API lists it (``RecordOut``), its blob and its key."""
    provider = over.get("aad_provider", p.provider)
    patient = over.get("aad_patient", p.id)
    key, blob = seal_record(plaintext, record_aad(provider, patient))
    box = over.get("wrap_for", p.box_public)
    rec = {
        "sha256": blob_hash(blob),
        "patient": p.id,
        "provider": p.provider,
        "provider_name": "st-mary",
        "size": len(blob),
        "key": wrap_key(key, box).hex(),
        "emergency": {},
        "index": 7,
        "time": TIME,
    }
    return rec, blob, key


def release_of(rec: dict[str, Any], blob: bytes) -> dict[str, Any]:
    """``POST /gateway/reads``' answer for the patient's own read."""
    return {
        "record": rec,
        "blob": base64.b64encode(blob).decode(),
        "wrapped_key": rec["key"],
        "access_index": 9,
        "via": "patient",
    }


def _pseudonyms(folder: Path) -> list[dict[str, Any]]:
    """Patients (one from a real key file) and their pseudonyms at several providers."""
    hk = HealthKeys(KeyStore(folder / "keys"))
    hk.new_patient("zenobia")
    key_file = hk.patient_path("zenobia").read_text()
    out = []
    for n, text in enumerate([key_file, secrets.token_bytes(32).hex(), "00" * 32, "ff" * 32]):
        patient = PatientKeys(bytes.fromhex(text.strip()))
        for provider in [provider_id(), provider_id()]:
            p = patient.pseudonym(provider)
            out.append(
                {
                    "key_file": text if n == 0 else text + "\n",
                    "provider": provider,
                    "sign": p.sign_public.hex(),
                    "box": p.box_public.hex(),
                    "id": p.id,
                    "card": p.card(),
                }
            )
    return out


def _records() -> dict[str, Any]:
    patient = PatientKeys.generate()
    p = patient.pseudonym(provider_id())
    cases = []
    for bundle in (BUNDLE, UNICODE_BUNDLE):
        plaintext = validate_bundle(bundle)
        rec, blob, key = record_out(p, plaintext)
        cases.append(
            {
                "record": rec,
                "release": release_of(rec, blob),
                "key": key.hex(),
                "plaintext": plaintext.hex(),
                "bundle": bundle,
            }
        )
    plaintext = validate_bundle(BUNDLE)
    other = PatientKeys.generate().pseudonym(p.provider)
    refused = {}
    rec, blob, _ = record_out(p, plaintext, aad_provider=provider_id())
    refused["another provider in the associated data"] = release_of(rec, blob)
    rec, blob, _ = record_out(p, plaintext, aad_patient=other.id)
    refused["another pseudonym in the associated data"] = release_of(rec, blob)
    rec, blob, _ = record_out(p, plaintext, wrap_for=other.box_public)
    refused["a key sealed for another pseudonym"] = release_of(rec, blob)
    return {
        "master": patient.master.hex(),
        "provider": p.provider,
        "pid": p.id,
        "cases": cases,
        "refused": refused,
    }


def _boxes() -> dict[str, Any]:
    made = []
    for size in (0, 1, 32, 100):
        sk = PrivateKey.generate()
        pk = bytes(sk.public_key)
        esk, message = secrets.token_bytes(32), secrets.token_bytes(size)
        sealed = sealed_with(esk, message, pk)
        assert SealedBox(sk).decrypt(sealed) == message  # the construction is libsodium's
        made.append(
            {
                "esk": esk.hex(),
                "pk": pk.hex(),
                "sk": bytes(sk).hex(),
                "message": message.hex(),
                "sealed": sealed.hex(),
                "libsodium": bytes(SealedBox(sk.public_key).encrypt(message)).hex(),
            }
        )
    return {"made": made}


def _signed(records: dict[str, Any]) -> dict[str, Any]:
    """A grant with chosen ephemerals and nonce, a revocation and a read request, as
    services/health makes them (the grant's sealed keys as ``sealed_with``)."""
    p = PatientKeys(bytes.fromhex(records["master"])).pseudonym(records["provider"])
    reader = Reader.generate()
    card = reader.card()
    recs = [c["record"] for c in records["cases"]]
    esks = [secrets.token_bytes(32) for _ in recs]
    nonce = secrets.token_bytes(16).hex()
    keys = {
        r["sha256"]: sealed_with(esk, bytes.fromhex(c["key"]), bytes.fromhex(card["box"])).hex()
        for r, esk, c in zip(recs, esks, records["cases"], strict=True)
    }
    doc = {"patient": p.id, "grantee": card, "keys": keys, "expires": EXPIRES, "nonce": nonce}
    grant = {"grant": doc, "signature": sign(p.signing_key, GRANT_PREFIX, doc)}
    for sha, wrapped in keys.items():  # what the grantee opens
        key = unwrap_key(bytes.fromhex(wrapped), reader.box_secret)
        assert key.hex() == next(c["key"] for c in records["cases"] if c["record"]["sha256"] == sha)
    gid = digest(doc)
    request_nonce = secrets.token_bytes(16).hex()
    return {
        "grantee": card,
        "grantee_box_secret": bytes(reader.box_secret).hex(),
        "ephemerals": [e.hex() for e in esks],
        "nonce": nonce,
        "expires": EXPIRES,
        "grant": grant,
        "grant_id": gid,
        "revoke": p.revoke(gid),
        "request": p.request(recs[0]["sha256"], TIME, request_nonce),
        "request_nonce": request_nonce,
        "time": TIME,
    }


def _le(n: int) -> str:
    return n.to_bytes(32, "little").hex()


def _public_keys() -> dict[str, Any]:
    """Public keys with services.health.messages' verdicts (the page must agree)."""
    order8 = [
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    ]
    good = [bytes(Reader.generate().signing_key.verify_key).hex() for _ in range(4)]
    mixed = [
        bytes(bindings.crypto_core_ed25519_add(bytes.fromhex(g), bytes.fromhex(t))).hex()
        for g, t in zip(good, order8, strict=True)
    ]
    sign_keys = [
        *good,
        *order8,
        *mixed,
        _le(1),
        _le(P - 1),
        "00" * 32,
        "00" * 31 + "80",
        _le(P),
        _le(P + 1),
        "ff" * 31 + "7f",
        good[0].upper(),
        good[0][:-2],
        *(secrets.token_bytes(32).hex() for _ in range(8)),
    ]
    u8 = 325606250916557431795983626356110631294008115727848805560023387167927233504
    u8b = 39382357235489614581723060781553021112529911719440698176882885853963445705823
    small = [0, 1, u8, u8b, P - 1, P, P + 1]
    box_keys = [
        *(bytes(PrivateKey.generate().public_key).hex() for _ in range(4)),
        *(_le(u) for u in small),
        *(_le(u + 2**255) for u in small),
        _le(9),
        _le(P + 9),
        bytes(PrivateKey.generate().public_key).hex().upper(),
        *(secrets.token_bytes(32).hex() for _ in range(4)),
    ]
    return {
        "sign": [{"key": k, "valid": valid_sign_key(k) is not None} for k in sign_keys],
        "box": [{"key": k, "valid": valid_box_key(k) is not None} for k in box_keys],
    }


def fixture(folder: Path) -> dict[str, Any]:
    records = _records()
    return {
        "pseudonyms": _pseudonyms(folder),
        "records": records,
        "boxes": _boxes(),
        "signed": _signed(records),
        "public_keys": _public_keys(),
        "bad_key_files": ["", "not a key\n", "ab" * 31 + "\n", "ab" * 33 + "\n", "zz" * 32],
    }


def run_node(
    args: list[str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node(), *args],
        cwd=WEBAPP,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_portal_js_matches_python(tmp_path: Path) -> None:
    """node --test over the portal's modules with the Python-made fixture: exit 0."""
    path = tmp_path / "portal.json"
    path.write_text(json.dumps(fixture(tmp_path), ensure_ascii=False))
    proc = run_node(["--test", *NODE_TESTS], {"PNYX_PORTAL_FIXTURE": str(path)})
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "# fail 0" in proc.stdout
    assert "# pass " in proc.stdout and "# pass 0\n" not in proc.stdout


MAKE = """
import { readFileSync } from 'node:fs';
import { parsePatientKeyFile } from './static/js/portal/keys.js';
const f = JSON.parse(readFileSync(process.argv[1], 'utf8'));
const p = parsePatientKeyFile(f.master).pseudonym(f.provider);
const grant = p.grant(f.grantee, f.records, f.expires);
console.log(JSON.stringify({
  id: p.id, card: p.card(), grant, revoke: p.revoke(f.grant_id),
  request: p.request(f.records[0].sha256, f.time),
}));
"""


def test_what_the_page_signs_and_seals_python_accepts(tmp_path: Path) -> None:
    """With fresh randomness (ephemeral keys, nonces) in the page: the signatures verify
    under the pseudonym's key, the sealed keys open with the grantee's secret."""
    records = _records()
    p = PatientKeys(bytes.fromhex(records["master"])).pseudonym(records["provider"])
    reader = Reader.generate()
    gid = secrets.token_bytes(32).hex()
    given_ = {
        "master": records["master"],
        "provider": records["provider"],
        "grantee": reader.card(),
        "records": [c["record"] for c in records["cases"]],
        "expires": EXPIRES,
        "grant_id": gid,
        "time": TIME,
    }
    path = tmp_path / "in.json"
    path.write_text(json.dumps(given_))
    proc = run_node(["--input-type=module", "-e", MAKE, str(path)])
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["id"] == p.id and out["card"] == p.card()
    pk = p.sign_public
    doc = out["grant"]["grant"]
    assert verify(pk, GRANT_PREFIX, doc, out["grant"]["signature"])
    assert doc["patient"] == p.id and doc["grantee"] == reader.card()
    assert doc["expires"] == EXPIRES and len(doc["nonce"]) == 32
    assert set(doc["keys"]) == {c["record"]["sha256"] for c in records["cases"]}
    for c in records["cases"]:
        wrapped = bytes.fromhex(doc["keys"][c["record"]["sha256"]])
        assert unwrap_key(wrapped, reader.box_secret).hex() == c["key"]
    assert out["revoke"] == p.revoke(gid)
    q = out["request"]
    assert verify(pk, ACCESS_PREFIX, q["request"], q["signature"])
    assert q["request"]["grant"] is None and q["request"]["reader"] == pk.hex()
    assert q["request"]["time"] == TIME and len(q["request"]["nonce"]) == 32
    assert verify(pk, REVOKE_PREFIX, out["revoke"]["revoke"], out["revoke"]["signature"])


OPEN = """
import { readFileSync } from 'node:fs';
import { toHex } from './static/js/ballot/bytes.js';
import { parsePatientKeyFile } from './static/js/portal/keys.js';
const f = JSON.parse(readFileSync(process.argv[1], 'utf8'));
const p = parsePatientKeyFile(f.master).pseudonym(f.provider);
console.log(JSON.stringify(f.releases.map(({ sha, release }) => {
  try { return toHex(p.openRelease(sha, release)); } catch (e) { return e.name; }
})));
"""


@settings(max_examples=8, deadline=None)
@given(
    texts=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=4),
    flips=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=4),
)
def test_any_record_opens_and_any_changed_byte_is_refused(
    texts: list[str], flips: list[int]
) -> None:
    """Records with arbitrary text open to the provider's bytes; a release whose blob or
    sealed key has one bit flipped (the commitment moved along) is refused, never opened."""
    patient = PatientKeys.generate()
    p = patient.pseudonym(provider_id())
    releases, expected = [], []
    for text in texts:
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": {"resourceType": "Condition", "subject": {"reference": "x"},
                                    "code": {"text": text}}}],
        }  # fmt: skip
        try:
            plaintext = validate_bundle(bundle)
        except MalformedRecord:
            reject()  # FHIR refuses the text (e.g. only white space): no record
        rec, blob, _ = record_out(p, plaintext)
        releases.append({"sha": rec["sha256"], "release": release_of(rec, blob)})
        expected.append(plaintext.hex())
        for flip in flips:
            bad = bytearray(blob)
            wrapped = bytearray.fromhex(rec["key"])
            target = bad if flip % 2 else wrapped
            target[(flip // 2) % len(target)] ^= 1 << (flip % 8)
            moved = {**rec, "sha256": blob_hash(bytes(bad)), "key": wrapped.hex()}
            releases.append({"sha": moved["sha256"], "release": release_of(moved, bytes(bad))})
            expected.append("RecordUndecryptable")
    with_file = {"master": patient.master.hex(), "provider": p.provider, "releases": releases}
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"pnyx-portal-{secrets.token_hex(8)}.json"
    try:
        path.write_text(json.dumps(with_file))
        proc = run_node(["--input-type=module", "-e", OPEN, str(path)])
    finally:
        path.unlink(missing_ok=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == expected


if __name__ == "__main__":  # the node tests run alone call this module with OUT
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        Path(sys.argv[1]).write_text(json.dumps(fixture(Path(folder)), ensure_ascii=False))
