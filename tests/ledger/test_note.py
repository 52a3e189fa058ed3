"""C2SP signed-note (ledger/note.py) against every fixture in shared/vectors/signed-note.

Vectors: ``upstream-notes.json`` (Go ``sumdb/note``, the C2SP example,
transparency-dev/formats).  The cosignature vectors are exercised in
test_checkpoint.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.note import (
    MAX_SIGNATURES,
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    InvalidSignature,
    Note,
    NoteError,
    NoteSignature,
    Signer,
    UnverifiedNote,
    Verifier,
    add_signatures,
    decode_skey,
    encode_skey,
    key_id,
    open_note,
    parse_note,
    sign_note,
)

VECTORS = Path(__file__).resolve().parents[2] / ".." / "shared" / "vectors"
NOTE_VECTORS = VECTORS / "signed-note"
MISSING = f"shared test vectors not found at {NOTE_VECTORS.resolve()}"


def _load(name: str) -> dict[str, Any] | None:
    """The vector file, or None only when the vectors folder is absent."""
    if not NOTE_VECTORS.is_dir():
        return None
    data: dict[str, Any] = json.loads((NOTE_VECTORS / name).read_text(encoding="utf-8"))
    return data


UPSTREAM = _load("upstream-notes.json")


def _params(items: list[Any] | None, ids: list[str] | None = None) -> list[Any]:
    if items is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING))]
    return [pytest.param(x, id=(ids[i] if ids else None)) for i, x in enumerate(items)]


def _up() -> dict[str, Any]:
    if UPSTREAM is None:
        pytest.skip(MISSING)
    return UPSTREAM


KEYS = UPSTREAM["keys"] if UPSTREAM else None
NOTES = UPSTREAM["notes"] if UPSTREAM else None
MALFORMED = UPSTREAM["malformed_notes"]["cases"] if UPSTREAM else None
BAD_VKEYS = UPSTREAM["bad_vkeys"]["cases"] if UPSTREAM else None
NOTE_SIGS = [(n, s) for n in UPSTREAM["notes"] for s in n["signatures"]] if UPSTREAM else None


def _key_ids(items: list[dict[str, Any]] | None) -> list[str] | None:
    return [k["id"] for k in items] if items else None


def _vkey(name: str) -> str:
    return next(k["vkey"] for k in _up()["keys"] if k["id"] == name)


def _signer(name: str) -> Signer:
    k = next(k for k in _up()["keys"] if k["id"] == name)
    if "skey" in k:
        return Signer.from_skey(k["skey"])
    return Signer.from_skey(encode_skey(name, SIG_ED25519, bytes.fromhex(k["seed_hex"])))


def _go_note() -> dict[str, Any]:
    return _up()["notes"][0]


def _peter_line() -> str:
    sig = _go_note()["signatures"][0]
    return f"\u2014 {sig['name']} {sig['base64']}\n"


def _sig(entry: dict[str, str]) -> NoteSignature:
    raw = base64.b64decode(entry["base64"])
    return NoteSignature(entry["name"], raw[:4], raw[4:])


# ---------------------------------------------------------------- keys


@pytest.mark.parametrize("key", _params(KEYS, _key_ids(KEYS)))
def test_vkey_parses_and_round_trips(key: dict[str, Any]) -> None:
    v = Verifier.from_vkey(key["vkey"])
    name, hex_id, material = key["vkey"].split("+", 2)
    assert v.name == key["id"] == name
    assert v.key_id.hex() == hex_id
    assert v.sig_type == SIG_ED25519
    assert base64.b64decode(material) == bytes([SIG_ED25519]) + v.public_key
    # The key ID is SHA-256(name || 0x0A || type || key)[:4], computed independently.
    want = hashlib.sha256(name.encode() + b"\n\x01" + v.public_key).digest()[:4]
    assert key_id(name, SIG_ED25519, v.public_key) == want == v.key_id
    assert v.vkey() == key["vkey"]
    assert Verifier.from_key(name, SIG_ED25519, v.public_key) == v


@pytest.mark.parametrize("key", _params([k for k in KEYS if "skey" in k] if KEYS else None, None))
def test_skey_parses_and_matches_vkey(key: dict[str, Any]) -> None:
    signer = Signer.from_skey(key["skey"])
    assert signer.name == key["id"]
    assert signer.to_skey() == key["skey"]
    assert signer.verifier().vkey() == key["vkey"]
    assert signer.key_id == Verifier.from_vkey(key["vkey"]).key_id
    msg = b"round trip\n"
    assert signer.verifier().verify(msg, signer.sign(msg))


def test_enoch_root_is_the_all_zero_seed() -> None:
    key = next(k for k in _up()["keys"] if k["id"] == "EnochRoot")
    seed = bytes.fromhex(key["seed_hex"])
    assert seed == bytes(32)
    skey = encode_skey("EnochRoot", SIG_ED25519, seed)
    assert skey.startswith("PRIVATE+KEY+EnochRoot+af0cfe78+")
    assert decode_skey(skey, SIG_ED25519) == ("EnochRoot", seed)
    assert Signer.from_skey(skey).verifier().vkey() == key["vkey"]


def test_signature_type_bytes() -> None:
    types = _up()["signature_type_bytes"]
    assert types["ed25519"] == SIG_ED25519
    assert types["ed25519_cosignature_v1"] == SIG_COSIGNATURE_V1
    pub = Verifier.from_vkey(_vkey("PeterNeumann")).public_key
    # 0x04 with the right key ID is a valid (cosignature) verifier key.
    cosigner = Verifier.from_key("PeterNeumann", SIG_COSIGNATURE_V1, pub)
    assert Verifier.from_vkey(cosigner.vkey()) == cosigner
    assert cosigner.key_id != Verifier.from_vkey(_vkey("PeterNeumann")).key_id
    # Every other assigned type is refused, even with a matching key ID.
    for label, t in types.items():
        if t in (SIG_ED25519, SIG_COSIGNATURE_V1):
            continue
        kid = key_id("PeterNeumann", t, pub).hex()
        material = base64.b64encode(bytes([t]) + pub).decode()
        with pytest.raises(NoteError, match="unknown signature type"):
            Verifier.from_vkey(f"PeterNeumann+{kid}+{material}")
        assert label


@pytest.mark.parametrize("case", _params(BAD_VKEYS, [c["desc"] for c in BAD_VKEYS or []]))
def test_bad_vkeys_are_rejected(case: dict[str, str]) -> None:
    with pytest.raises(NoteError):
        Verifier.from_vkey(case["vkey"])


def test_bad_vkeys_fail_for_the_stated_reason() -> None:
    """Both upstream bad vkeys carry an *adjusted* (matching) key hash: the
    rejection must come from the length / the algorithm byte, not the ID."""
    wrong_len, wrong_alg = (c["vkey"] for c in _up()["bad_vkeys"]["cases"])
    name, hex_id, b64 = wrong_len.split("+", 2)
    # Go's lenient base64 decoder reads "...BADKEY==" (non-canonical trailing bits);
    # ours refuses it as non-canonical.  The canonical form of the same bytes is
    # still refused, for the length.
    with pytest.raises(NoteError, match="non-canonical"):
        Verifier.from_vkey(wrong_len)
    raw = base64.b64decode(b64)
    assert key_id(name, raw[0], raw[1:]).hex() == hex_id
    canonical = f"{name}+{hex_id}+{base64.b64encode(raw).decode()}"
    with pytest.raises(NoteError, match="public key is 36 bytes"):
        Verifier.from_vkey(canonical)
    name, hex_id, b64 = wrong_alg.split("+", 2)
    raw = base64.b64decode(b64)
    assert raw[0] == 0x65
    assert key_id(name, raw[0], raw[1:]).hex() == hex_id
    with pytest.raises(NoteError, match="unknown signature type"):
        Verifier.from_vkey(wrong_alg)


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # empty name
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter\u00a0Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter\u2003Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter\nNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter\ud800+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # lone surrogate
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # 7 digits
        "PeterNeumann+c74f20a3a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f_0a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong ID
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW",  # URL alphabet
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # truncated
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ",
        "PeterNeumann+c74f20a3+ ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+",
        "PeterNeumann+c74f20a3+AA==",  # type only
    ],
)
def test_malformed_vkeys(vkey: str) -> None:
    with pytest.raises(NoteError):
        Verifier.from_vkey(vkey)


def test_vkey_key_id_hex_case() -> None:
    """Go accepts either case of hex in the key ID; we write lowercase."""
    upper = _vkey("PeterNeumann").replace("c74f20a3", "C74F20A3")
    assert Verifier.from_vkey(upper).vkey() == _vkey("PeterNeumann")


def test_verifier_constructor_validates() -> None:
    v = Verifier.from_vkey(_vkey("PeterNeumann"))
    with pytest.raises(NoteError):
        Verifier(v.name, b"\x00\x00\x00\x00", v.sig_type, v.public_key)
    with pytest.raises(NoteError):
        Verifier(v.name, v.key_id, v.sig_type, v.public_key[:31])
    with pytest.raises(NoteError):
        Verifier("Bad+Name", v.key_id, v.sig_type, v.public_key)
    with pytest.raises(NoteError):
        Verifier(v.name, v.key_id, 0x02, v.public_key)
    with pytest.raises(NoteError):
        key_id("x", 256, v.public_key)


def test_cosignature_verifier_does_not_verify_note_text() -> None:
    pub = Verifier.from_vkey(_vkey("PeterNeumann")).public_key
    cosigner = Verifier.from_key("PeterNeumann", SIG_COSIGNATURE_V1, pub)
    with pytest.raises(NoteError):
        cosigner.verify(b"text\n", bytes(64))


# ---------------------------------------------------------------- signers


def test_signer_generate_and_skey_round_trip() -> None:
    signer = Signer.generate("example.com/log")
    again = Signer.from_skey(signer.to_skey())
    assert again.verifier() == signer.verifier()
    assert again.key_id == signer.key_id
    assert signer.sign(b"m") == again.sign(b"m")
    assert Signer.generate("example.com/log").verifier() != signer.verifier()


def test_signer_never_shows_its_seed() -> None:
    skey = _up()["keys"][0]["skey"]
    signer = Signer.from_skey(skey)
    material = skey.split("+", 4)[4]
    seed = base64.b64decode(material)[1:]
    for shown in (repr(signer), str(signer), f"{signer}", f"{signer!r}"):
        assert "PeterNeumann" in shown
        assert seed.hex() not in shown
        assert material not in shown
        assert base64.b64encode(seed).decode() not in shown
    with pytest.raises(TypeError):
        pickle.dumps(signer)


@pytest.mark.parametrize(
    "skey",
    [
        "",
        "PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3",
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AoEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+Peter Neumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKA==",
        "private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
    ],
)
def test_malformed_skeys(skey: str) -> None:
    with pytest.raises(NoteError):
        Signer.from_skey(skey)


def test_signer_refuses_a_cosignature_skey() -> None:
    seed = bytes(range(32))
    with pytest.raises(NoteError, match="type 0x04"):
        Signer.from_skey(encode_skey("w", SIG_COSIGNATURE_V1, seed))


def test_signer_rejects_bad_names_and_seeds() -> None:
    for name in ("", "a b", "a+b", "a\u2028b", "a\tb"):
        with pytest.raises(NoteError):
            Signer.generate(name)
    with pytest.raises(NoteError):
        Signer("ok", bytes(31))


# ---------------------------------------------------------------- notes


@pytest.mark.parametrize("vec", _params(NOTES, [n["desc"][:40] for n in NOTES or []]))
def test_vector_note_parses_byte_exact(vec: dict[str, Any]) -> None:
    data = vec["note"].encode("utf-8")
    note = parse_note(data)
    assert note.text == vec["text"]
    assert note.to_bytes() == data
    lines = vec["note"][len(vec["text"]) + 1 :].splitlines(keepends=True)
    assert [s.line() for s in note.signatures] == lines
    in_note = [s for s in vec["signatures"] if f"\u2014 {s['name']} {s['base64']}\n" in lines]
    assert [_sig(s) for s in in_note] == list(note.signatures)


@pytest.mark.parametrize("vec", _params(NOTES, [n["desc"][:40] for n in NOTES or []]))
def test_vector_note_opens_with_its_keys(vec: dict[str, Any]) -> None:
    verifiers = [Verifier.from_vkey(_vkey(s["name"])) for s in vec["signatures"]]
    note, verified = open_note(vec["note"].encode("utf-8"), verifiers)
    assert verified == list(note.signatures)
    # Each signer alone suffices when its signature is in the note.
    for sig in note.signatures:
        only = [v for v in verifiers if v.name == sig.name]
        assert open_note(vec["note"].encode("utf-8"), only)[1] == [sig]


@pytest.mark.parametrize(
    "pair", _params(NOTE_SIGS, [f"{n['desc'][:20]}-{s['name']}" for n, s in NOTE_SIGS or []])
)
def test_every_vector_signature_verifies(pair: tuple[dict[str, Any], dict[str, str]]) -> None:
    vec, entry = pair
    v = Verifier.from_vkey(_vkey(entry["name"]))
    raw = base64.b64decode(entry["base64"])
    assert raw[:4].hex() == entry["key_id"] == v.key_id.hex()
    text = vec["text"].encode("utf-8")
    assert v.verify(text, raw[4:])
    assert not v.verify(text + b"x", raw[4:])
    assert not v.verify(text, raw[4:-1] + bytes([raw[-1] ^ 1]))
    assert not v.verify(text, raw[4:-1])


def test_go_note_signing_is_byte_exact() -> None:
    vec = _go_note()
    signed = sign_note(vec["text"], [_signer("PeterNeumann"), _signer("EnochRoot")])
    assert signed == vec["note"].encode("utf-8")
    for entry, signer in zip(
        vec["signatures"], (_signer("PeterNeumann"), _signer("EnochRoot")), strict=True
    ):
        assert signer.sign_text(vec["text"]) == _sig(entry)


def test_sumdb_checkpoint_with_the_three_extra_signatures() -> None:
    vec = _up()["notes"][2]
    base = vec["note"].encode("utf-8")
    extra = [_sig(s) for s in vec["signatures"][1:]]
    assert [s.name for s in extra] == ["monkeys", "bananas", "witness"]
    full = add_signatures(base, extra)
    assert add_signatures(full, extra) == full  # no duplicates
    verifiers = [Verifier.from_vkey(_vkey(s["name"])) for s in vec["signatures"]]
    note, verified = open_note(full, verifiers)
    assert note.text == vec["text"]
    assert verified == [_sig(s) for s in vec["signatures"]]
    # With the Go key only, the three others are unknown: ignored, but kept.
    note, verified = open_note(full, [Verifier.from_vkey(_vkey("sum.golang.org"))])
    assert verified == [_sig(vec["signatures"][0])]
    assert len(note.signatures) == 4
    # With only the witness key, one signature verifies.
    assert open_note(full, [Verifier.from_vkey(_vkey("witness"))])[1] == extra[2:]


def test_c2sp_example_note() -> None:
    vec = _up()["notes"][1]
    v = Verifier.from_vkey(_vkey("example.com/foo"))
    note, verified = open_note(vec["note"].encode(), [v])
    assert note.text == "This is an example message.\n"
    assert [s.name for s in verified] == ["example.com/foo"]


def test_tree_note_golden_is_valid_note_text() -> None:
    golden = _up()["tree_note_golden"]
    signer = _signer("PeterNeumann")
    note, verified = open_note(sign_note(golden["text"], [signer]), [signer.verifier()])
    assert note.text == golden["text"]
    assert verified == [signer.sign_text(golden["text"])]


# ------------------------------------------------------- open_note semantics


def _known_unknown() -> tuple[Signer, Signer, Signer, str]:
    return _signer("Known"), _signer("KnownAgain"), _signer("Unknown"), "hello, note\n"


def test_unknown_signatures_are_ignored_but_kept() -> None:
    known, _, unknown, text = _known_unknown()
    data = sign_note(text, [unknown, known])
    note, verified = open_note(data, [known.verifier()])
    assert verified == [known.sign_text(text)]
    assert [s.name for s in note.signatures] == ["Unknown", "Known"]


def test_no_known_signature_is_unverified() -> None:
    known, _, unknown, text = _known_unknown()
    with pytest.raises(UnverifiedNote):
        open_note(sign_note(text, [unknown]), [known.verifier()])
    with pytest.raises(UnverifiedNote):
        open_note(sign_note(text, [known]), [])


def test_two_known_keys_both_verify() -> None:
    known, again, unknown, text = _known_unknown()
    data = sign_note(text, [known, unknown, again])
    _, verified = open_note(data, [again.verifier(), known.verifier()])
    assert [s.name for s in verified] == ["Known", "KnownAgain"]


def test_name_or_id_alone_is_not_a_known_key() -> None:
    """§Signatures: ignore signatures sharing a name or an ID (but not both)."""
    known, _, unknown, text = _known_unknown()
    real = known.sign_text(text)
    junk = bytes(64)
    same_name = NoteSignature("Known", unknown.key_id, junk)
    same_id = NoteSignature("Impostor", known.key_id, junk)
    data = Note(text, (same_name, same_id, real)).to_bytes()
    note, verified = open_note(data, [known.verifier()])
    assert verified == [real]
    assert note.signatures == (same_name, same_id, real)
    with pytest.raises(UnverifiedNote):
        open_note(Note(text, (same_name, same_id)).to_bytes(), [known.verifier()])


def test_known_key_with_bad_signature_rejects_the_note() -> None:
    known, again, _, text = _known_unknown()
    good = known.sign_text(text)
    sig = again.sign_text(text)
    bad = NoteSignature(sig.name, sig.key_id, sig.signature[:-1] + bytes([sig.signature[-1] ^ 1]))
    with pytest.raises(InvalidSignature):
        open_note(Note(text, (good, bad)).to_bytes(), [known.verifier(), again.verifier()])
    # ... but a bad signature from an unknown key is ignored.
    _, verified = open_note(Note(text, (good, bad)).to_bytes(), [known.verifier()])
    assert verified == [good]
    # A signature of the wrong length from a known key is invalid, not malformed.
    short = NoteSignature(sig.name, sig.key_id, b"\x01")
    with pytest.raises(InvalidSignature):
        open_note(Note(text, (good, short)).to_bytes(), [known.verifier(), again.verifier()])
    # Another note's signature does not verify either.
    other = again.sign_text("another text\n")
    with pytest.raises(InvalidSignature):
        open_note(Note(text, (other,)).to_bytes(), [again.verifier()])


def test_100_copies_of_one_signature_are_accepted_once() -> None:
    vec = _go_note()
    data = (vec["text"] + "\n" + _peter_line() * MAX_SIGNATURES).encode()
    note = parse_note(data)
    assert len(note.signatures) == MAX_SIGNATURES
    _, verified = open_note(data, [Verifier.from_vkey(_vkey("PeterNeumann"))])
    assert len(verified) == 1


# ------------------------------------------------------------ malformed notes


def _malformed_bytes(case: dict[str, Any]) -> bytes:
    if "repeat_signature_line" in case:
        return (_go_note()["text"] + "\n" + _peter_line() * case["repeat_signature_line"]).encode()
    if "note_hex_prefix" in case:
        return bytes.fromhex(case["note_hex_prefix"]) + case["note_after_prefix"].encode()
    return str(case["note"]).encode("utf-8")


@pytest.mark.parametrize("case", _params(MALFORMED, [c["desc"] for c in MALFORMED or []]))
def test_malformed_vector_notes(case: dict[str, Any]) -> None:
    data = _malformed_bytes(case)
    with pytest.raises(NoteError):
        parse_note(data)
    with pytest.raises(NoteError):
        open_note(data, [Verifier.from_vkey(_vkey("PeterNeumann"))])


def test_malformed_vector_cases_are_the_expected_ones() -> None:
    cases = _up()["malformed_notes"]["cases"]
    assert len(cases) == 8
    peter = _peter_line()
    # Each case differs from a valid note by the stated defect only.
    valid = (_go_note()["text"] + "\n" + peter).encode()
    assert parse_note(valid).to_bytes() == valid
    assert _malformed_bytes(cases[2]) + b"\n" == valid
    assert _malformed_bytes(cases[4])[1:] == valid
    assert _malformed_bytes(cases[6]).startswith(valid)
    assert cases[7]["repeat_signature_line"] == MAX_SIGNATURES + 1


SIG = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\n",
        b"\n\n",
        b"text\n\n",
        f"text\n\n\u2014 PeterNeumann {SIG}\n\n".encode(),  # blank line after signatures
        f"text\n\u2014 PeterNeumann {SIG}\n".encode(),  # no blank line
        f"text\n\n- PeterNeumann {SIG}\n".encode(),  # hyphen, not em dash
        f"text\n\n\u2013 PeterNeumann {SIG}\n".encode(),  # en dash
        f"text\n\n\u2014PeterNeumann {SIG}\n".encode(),  # no space after dash
        f"text\n\n\u2014  PeterNeumann {SIG}\n".encode(),  # empty name
        f"text\n\n\u2014 PeterNeumann  {SIG}\n".encode(),  # two spaces
        f"text\n\n\u2014 PeterNeumann {SIG} \n".encode(),  # trailing space
        b"text\n\n\xe2\x80\x94 PeterNeumann\n",  # no signature
        b"text\n\n\xe2\x80\x94 PeterNeumann \n",  # empty signature
        f"text\n\n\u2014 Peter+Neumann {SIG}\n".encode(),  # plus in name
        f"text\n\n\u2014 Peter\u00a0Neumann {SIG}\n".encode(),  # NBSP in name
        f"text\n\n\u2014 Peter\u3000Neumann {SIG}\n".encode(),  # ideographic space
        f"text\n\n\u2014 PeterNeumann {SIG[:-1]}\n".encode(),  # bad padding
        f"text\n\n\u2014 PeterNeumann {SIG.replace('/', '_')}\n".encode(),  # URL alphabet
        b"text\n\n\xe2\x80\x94 PeterNeumann AAAAAA==\n",  # 4 bytes: key ID only
        b"text\n\n\xe2\x80\x94 PeterNeumann AAAAAB==\n",  # non-canonical trailing bits
        f"te\txt\n\n\u2014 PeterNeumann {SIG}\n".encode(),  # tab
        f"text\r\n\n\u2014 PeterNeumann {SIG}\n".encode(),  # carriage return
        f"te\x00xt\n\n\u2014 PeterNeumann {SIG}\n".encode(),  # NUL
        f"text\n\n\u2014 PeterNeumann {SIG}\r\n".encode(),  # CR in signature block
        f"text\n\n\u2014 PeterNeumann {SIG}\n".encode() + b"\x1b",  # ESC, no newline
        b"text\n\n\xe2\x80 PeterNeumann AAAAAAA=\n",  # truncated UTF-8
        b"text\xc0\xaf\n\n\xe2\x80\x94 a AAAAAAA=\n",  # overlong UTF-8
        b"text\xed\xa0\x80\n\n\xe2\x80\x94 a AAAAAAA=\n",  # UTF-8-encoded surrogate
    ],
)
def test_more_malformed_notes(data: bytes) -> None:
    with pytest.raises(NoteError):
        parse_note(data)


def test_parse_note_rejects_non_bytes() -> None:
    with pytest.raises(NoteError):
        parse_note("text\n\n— a AAAAAAA=\n")  # type: ignore[arg-type]


def test_text_may_contain_blank_lines_and_del() -> None:
    """§Format: the text may contain empty lines; the last one separates."""
    signer = _signer("PeterNeumann")
    for text in ("\n", "a\n\nb\n", "a\n\n\n", "\u2014 x AAAAAAA=\n\n", "del\x7f\n", "é ü — 中\n"):
        data = sign_note(text, [signer])
        note, verified = open_note(data, [signer.verifier()])
        assert note.text == text
        assert len(verified) == 1


def test_note_and_signature_values_validate() -> None:
    signer = _signer("PeterNeumann")
    sig = signer.sign_text("t\n")
    with pytest.raises(NoteError):
        Note("t\n", ())
    with pytest.raises(NoteError):
        Note("t\n", (sig,) * (MAX_SIGNATURES + 1))
    with pytest.raises(NoteError):
        Note("t", (sig,))
    with pytest.raises(NoteError):
        Note("t\x01\n", (sig,))
    with pytest.raises(NoteError):
        NoteSignature("a b", sig.key_id, sig.signature)
    with pytest.raises(NoteError):
        NoteSignature("a", b"abc", sig.signature)
    with pytest.raises(NoteError):
        NoteSignature("a", sig.key_id, b"")
    with pytest.raises(NoteError):
        sign_note("no newline", [signer])
    with pytest.raises(NoteError):
        sign_note("t\n", [])
    with pytest.raises(NoteError):
        signer.sign_text("bell\x07\n")


def test_signature_line_round_trip() -> None:
    sig = _signer("PeterNeumann").sign_text(_go_note()["text"])
    assert sig.line() == _peter_line()
    assert NoteSignature.from_line(sig.line()) == sig
    for bad in (sig.line()[:-1], sig.line() + "\n", sig.line() * 2, "\n"):
        with pytest.raises(NoteError):
            NoteSignature.from_line(bad)


def test_add_signatures() -> None:
    known, again, _, text = _known_unknown()
    data = sign_note(text, [known])
    both = add_signatures(data, [again.sign_text(text)])
    assert both == sign_note(text, [known, again])
    assert add_signatures(data, []) == data
    with pytest.raises(NoteError):
        add_signatures(b"not a note", [again.sign_text(text)])


# ---------------------------------------------------------------- fuzzing

NOTE_ERRORS = (NoteError,)
OPEN_ERRORS = (NoteError, UnverifiedNote, InvalidSignature)

_pieces = st.sampled_from(
    ["\n", "\n\n", "\u2014", " ", "\u2014 ", "a", "+", "=", "/", "A", "\x00", "\x7f", "\u00a0"]
)
_notelike = st.lists(st.one_of(_pieces, st.text(max_size=8)), max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_parse_note_bytes(data: bytes) -> None:
    try:
        note = parse_note(data)
    except NOTE_ERRORS:
        return
    assert note.to_bytes() == data


@settings(max_examples=400, deadline=None)
@given(_notelike, st.lists(st.tuples(_notelike, _notelike), min_size=0, max_size=4))
def test_fuzz_parse_note_structured(text: str, sigs: list[tuple[str, str]]) -> None:
    raw = text + "\n" + "".join(f"\u2014 {n} {b}\n" for n, b in sigs)
    try:
        data = raw.encode("utf-8", errors="surrogatepass")
    except UnicodeEncodeError:
        return
    try:
        note = parse_note(data)
    except NOTE_ERRORS:
        return
    assert note.to_bytes() == data


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fuzz_mutated_vector_notes(data: st.DataObject) -> None:
    vec = data.draw(st.sampled_from(_up()["notes"]))
    raw = bytearray(vec["note"].encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 3))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        i = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "insert":
            raw.insert(i, data.draw(st.integers(0, 255)))
        elif len(raw) > 1:
            del raw[i]
    verifiers = [Verifier.from_vkey(_vkey(s["name"])) for s in vec["signatures"]]
    try:
        open_note(bytes(raw), verifiers)
    except OPEN_ERRORS:
        pass


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_fuzz_vkey_text(vkey: str) -> None:
    try:
        v = Verifier.from_vkey(vkey)
    except NOTE_ERRORS:
        return
    assert Verifier.from_vkey(v.vkey()) == v


@settings(max_examples=400, deadline=None)
@given(
    st.text(max_size=12),
    st.one_of(st.text(max_size=10), st.binary(min_size=4, max_size=4).map(bytes.hex)),
    st.one_of(
        st.text(max_size=50),
        st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
        st.binary(min_size=32, max_size=32).map(lambda b: base64.b64encode(b"\x01" + b).decode()),
    ),
)
def test_fuzz_vkey_structured(name: str, hex_id: str, material: str) -> None:
    try:
        v = Verifier.from_vkey(f"{name}+{hex_id}+{material}")
    except NOTE_ERRORS:
        return
    assert v.name == name


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_fuzz_skey_and_signature_line(text: str) -> None:
    for parse in (Signer.from_skey, NoteSignature.from_line):
        try:
            parse(text)
        except NOTE_ERRORS:
            pass
    try:
        Signer.from_skey("PRIVATE+KEY+" + text)
    except NOTE_ERRORS:
        pass


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60))
def test_sign_and_open_round_trip(body: str) -> None:
    text = body + "\n"
    signer = _signer("Known")
    data = sign_note(text, [signer])
    note, verified = open_note(data, [signer.verifier()])
    assert note.text == text
    assert verified == [signer.sign_text(text)]
