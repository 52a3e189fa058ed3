"""C2SP tlog-checkpoint (ledger/checkpoint.py) and tlog-cosignature cosignature/v1
(ledger/cosignature.py), against shared/vectors/signed-note.

Vectors: ``generated-cosignature-v1.json`` (a checkpoint over the size-8 RFC 9162
test tree, log signature and witness cosignature, two negative cases) and the
checkpoints of ``upstream-notes.json`` (a real sum.golang.org checkpoint, the Go
tree note golden).
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

from ledger.checkpoint import MAX_TREE_SIZE, Checkpoint, CheckpointError
from ledger.cosignature import (
    MAX_TIMESTAMP,
    CosignatureSigner,
    cosignature_message,
    verify_cosignature,
)
from ledger.note import (
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
    encode_skey,
    key_id,
    open_note,
    parse_note,
    sign_note,
)

VECTORS = Path(__file__).resolve().parents[2] / ".." / "shared" / "vectors"
NOTE_VECTORS = VECTORS / "signed-note"
MISSING = f"shared test vectors not found at {NOTE_VECTORS.resolve()}"


def _load(folder: str, name: str) -> dict[str, Any]:
    """A vector file; skip only when the vectors folder itself is absent."""
    if not (VECTORS / folder).is_dir():
        pytest.skip(MISSING)
    data: dict[str, Any] = json.loads((VECTORS / folder / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def gen() -> dict[str, Any]:
    return _load("signed-note", "generated-cosignature-v1.json")


@pytest.fixture(scope="module")
def upstream() -> dict[str, Any]:
    return _load("signed-note", "upstream-notes.json")


def _log_signer(gen: dict[str, Any]) -> Signer:
    return Signer.from_skey(
        encode_skey(gen["log"]["name"], SIG_ED25519, bytes.fromhex(gen["log"]["seed_hex"]))
    )


def _witness_signer(gen: dict[str, Any]) -> CosignatureSigner:
    return CosignatureSigner(gen["witness"]["name"], bytes.fromhex(gen["witness"]["seed_hex"]))


def _line_sig(name: str, b64: str) -> NoteSignature:
    raw = base64.b64decode(b64)
    return NoteSignature(name, raw[:4], raw[4:])


# ------------------------------------------------------- generated vectors


def test_generated_keys(gen: dict[str, Any]) -> None:
    for role, sig_type in (("log", SIG_ED25519), ("witness", SIG_COSIGNATURE_V1)):
        k = gen[role]
        assert hashlib.sha256(k["seed_label"].encode("ascii")).hexdigest() == k["seed_hex"]
        v = Verifier.from_vkey(k["vkey"])
        assert v.name == k["name"]
        assert v.sig_type == sig_type
        assert v.public_key.hex() == k["public_key_hex"]
        assert v.key_id.hex() == k["key_id_hex"]
        assert key_id(k["name"], sig_type, v.public_key).hex() == k["key_id_hex"]
        assert v.vkey() == k["vkey"]
    assert _log_signer(gen).verifier().vkey() == gen["log"]["vkey"]
    assert _witness_signer(gen).verifier().vkey() == gen["witness"]["vkey"]


def test_generated_checkpoint_body(gen: dict[str, Any]) -> None:
    cp = Checkpoint.from_text(gen["checkpoint_body"])
    assert cp.origin == gen["log"]["name"]
    assert cp.size == 8
    assert cp.extensions == ()
    assert cp.to_text() == gen["checkpoint_body"]
    # The root of the RFC 9162 test tree of size 8, from the merkle vectors.
    merkle = _load("merkle", "rfc9162-sizes-0-8.json")
    root8 = next(r["root"] for r in merkle["roots"] if r["tree_size"] == 8)
    assert cp.root_hash.hex() == root8


def test_generated_log_signature_is_byte_exact(gen: dict[str, Any]) -> None:
    log = _log_signer(gen)
    sig = log.sign_text(gen["checkpoint_body"])
    assert sig == _line_sig(log.name, gen["log_signature_b64"])
    assert base64.b64encode(sig.key_id + sig.signature).decode() == gen["log_signature_b64"]


def test_generated_cosignature_is_byte_exact(gen: dict[str, Any]) -> None:
    body, cosig = gen["checkpoint_body"], gen["cosignature"]
    msg = cosignature_message(body, cosig["timestamp"])
    assert msg == cosig["signed_message"].encode("utf-8")
    witness = _witness_signer(gen)
    sig = witness.cosign(body, cosig["timestamp"])
    assert base64.b64encode(sig.key_id + sig.signature).decode() == cosig["signature_b64"]
    raw = base64.b64decode(cosig["signature_b64"])
    assert raw[:4].hex() == gen["witness"]["key_id_hex"]
    assert int.from_bytes(raw[4:12], "big") == cosig["timestamp"]
    assert sig.signature == raw[4:]
    verifier = Verifier.from_vkey(gen["witness"]["vkey"])
    assert verify_cosignature(verifier, body, sig) == cosig["timestamp"]


def test_generated_signed_note(gen: dict[str, Any]) -> None:
    body = gen["checkpoint_body"]
    witness = _witness_signer(gen)
    built = add_signatures(
        sign_note(body, [_log_signer(gen)]), [witness.cosign(body, gen["cosignature"]["timestamp"])]
    )
    assert built == gen["signed_note"].encode("utf-8")
    log_v = Verifier.from_vkey(gen["log"]["vkey"])
    wit_v = Verifier.from_vkey(gen["witness"]["vkey"])
    note, verified = open_note(built, [log_v, wit_v])
    assert note.text == body
    assert [s.name for s in verified] == [gen["log"]["name"], gen["witness"]["name"]]
    # Each key alone.
    assert [s.name for s in open_note(built, [wit_v])[1]] == [gen["witness"]["name"]]
    assert [s.name for s in open_note(built, [log_v])[1]] == [gen["log"]["name"]]


def test_negative_witness_key_as_ed25519_is_an_unknown_key(gen: dict[str, Any]) -> None:
    case = gen["negative"][0]
    wrong = Verifier.from_vkey(case["vkey"])
    right = Verifier.from_vkey(gen["witness"]["vkey"])
    assert wrong.sig_type == SIG_ED25519
    assert wrong.public_key == right.public_key
    assert wrong.key_id.hex() == "961327c6" != right.key_id.hex()
    data = gen["signed_note"].encode("utf-8")
    with pytest.raises(UnverifiedNote):
        open_note(data, [wrong])
    log_v = Verifier.from_vkey(gen["log"]["vkey"])
    _, verified = open_note(data, [log_v, wrong])
    assert [s.name for s in verified] == [gen["log"]["name"]]


def test_negative_cosignature_over_the_body_alone_fails(gen: dict[str, Any]) -> None:
    message = gen["negative"][1]["message"].encode("utf-8")
    assert message == gen["checkpoint_body"].encode("utf-8")
    raw = base64.b64decode(gen["cosignature"]["signature_b64"])
    ed25519 = Verifier.from_vkey(gen["negative"][0]["vkey"])  # same public key, type 0x01
    assert not ed25519.verify(message, raw[12:])
    assert ed25519.verify(gen["cosignature"]["signed_message"].encode("utf-8"), raw[12:])


# ----------------------------------------------------------- cosignatures


def test_cosignature_failures(gen: dict[str, Any]) -> None:
    body, ts = gen["checkpoint_body"], gen["cosignature"]["timestamp"]
    witness = _witness_signer(gen)
    v = witness.verifier()
    good = witness.cosign(body, ts)

    def variant(signature: bytes) -> NoteSignature:
        return NoteSignature(good.name, good.key_id, signature)

    later = (ts + 1).to_bytes(8, "big") + good.signature[8:]
    flipped = good.signature[:-1] + bytes([good.signature[-1] ^ 0x80])
    huge = (MAX_TIMESTAMP + 1).to_bytes(8, "big") + good.signature[8:]
    for bad in (later, flipped, huge, good.signature[:-1], good.signature + b"\x00", b"\x00"):
        with pytest.raises(InvalidSignature):
            verify_cosignature(v, body, variant(bad))
    with pytest.raises(InvalidSignature):
        verify_cosignature(v, body.replace("\n8\n", "\n9\n"), good)
    # In a note: a bad cosignature from a known witness rejects the note.
    data = Note(body, (_log_signer(gen).sign_text(body), variant(later))).to_bytes()
    with pytest.raises(InvalidSignature):
        open_note(data, [v])
    # Caller mistakes are NoteError: a 0x01 key, or a line from another key.
    with pytest.raises(NoteError):
        verify_cosignature(Verifier.from_vkey(gen["negative"][0]["vkey"]), body, good)
    other = CosignatureSigner.generate("other.example/w")
    with pytest.raises(NoteError):
        verify_cosignature(other.verifier(), body, good)


def test_cosignature_timestamps() -> None:
    w = CosignatureSigner.generate("w.example/w1")
    text = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    for ts in (0, 1, MAX_TIMESTAMP):
        assert verify_cosignature(w.verifier(), text, w.cosign(text, ts)) == ts
        assert cosignature_message(text, ts).startswith(f"cosignature/v1\ntime {ts}\n".encode())
    for ts in (-1, MAX_TIMESTAMP + 1):
        with pytest.raises(ValueError):
            w.cosign(text, ts)
    with pytest.raises(TypeError):
        cosignature_message(text, True)
    with pytest.raises(NoteError):
        cosignature_message("no newline", 1)


def test_cosignature_signer_keys(gen: dict[str, Any]) -> None:
    w = _witness_signer(gen)
    skey = w.to_skey()
    assert skey.startswith(f"PRIVATE+KEY+{gen['witness']['name']}+{gen['witness']['key_id_hex']}+")
    assert base64.b64decode(skey.split("+", 4)[4])[0] == SIG_COSIGNATURE_V1
    again = CosignatureSigner.from_skey(skey)
    assert again.verifier() == w.verifier()
    assert again.name == w.name and again.key_id == w.key_id
    # The two kinds of private key are not interchangeable.
    with pytest.raises(NoteError):
        Signer.from_skey(skey)
    with pytest.raises(NoteError):
        CosignatureSigner.from_skey(_log_signer(gen).to_skey())
    # The seed never shows.
    seed_b64 = base64.b64encode(bytes.fromhex(gen["witness"]["seed_hex"])).decode()
    for shown in (repr(w), str(w)):
        assert gen["witness"]["seed_hex"] not in shown
        assert seed_b64 not in shown and skey.split("+", 4)[4] not in shown
        assert gen["witness"]["name"] in shown
    with pytest.raises(TypeError):
        pickle.dumps(w)
    g = CosignatureSigner.generate("w.example/fresh")
    assert CosignatureSigner.from_skey(g.to_skey()).verifier() == g.verifier()
    with pytest.raises(NoteError):
        CosignatureSigner.generate("bad name")
    with pytest.raises(NoteError):
        CosignatureSigner("ok", bytes(33))


# ------------------------------------------------------------- checkpoints


def test_sumdb_checkpoint(upstream: dict[str, Any]) -> None:
    vec = upstream["notes"][2]
    cp = Checkpoint.from_text(vec["text"])
    want = vec["checkpoint"]
    assert cp.origin == want["origin"] == "go.sum database tree"
    assert cp.size == want["size"]
    assert cp.root_hash == base64.b64decode(want["root_hash_b64"])
    assert cp.to_text() == vec["text"]
    note = parse_note(vec["note"].encode("utf-8"))
    assert Checkpoint.from_text(note.text) == cp


def test_tree_note_golden(upstream: dict[str, Any]) -> None:
    golden = upstream["tree_note_golden"]
    cp = Checkpoint.from_text(golden["text"])
    assert cp.origin == "go.sum database tree"
    assert cp.size == golden["size"] == 123456789012
    leaf = golden["leaf_input_ascii"].encode("ascii")
    assert cp.root_hash == hashlib.sha256(b"\x00" + leaf).digest()  # RFC 9162 leaf hash
    assert cp.to_text() == golden["text"]


def test_checkpoints_in_other_vector_notes_are_not_checkpoints(upstream: dict[str, Any]) -> None:
    for vec in upstream["notes"][:2]:
        with pytest.raises(CheckpointError):
            Checkpoint.from_text(vec["text"])


ROOT = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="  # SHA-256 of the empty string


@pytest.mark.parametrize(
    "text",
    [
        "example.com/log\n0\n" + ROOT + "\n",
        "example.com/log\n18446744073709551615\n" + ROOT + "\n",
        "a log with spaces\n1\n" + ROOT + "\n",
        "o+plus\n1\n" + ROOT + "\n",
        "o\n1\n" + ROOT + "\next one\n",
        "o\n1\n" + ROOT + "\next\n— another ext\n",
        "ü\u2014日本\n1\n" + ROOT + "\n",
        "del\x7f\n1\n" + ROOT + "\n",
    ],
)
def test_valid_checkpoints_round_trip(text: str) -> None:
    cp = Checkpoint.from_text(text)
    assert cp.to_text() == text
    assert Checkpoint.from_text(cp.to_text()) == cp


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "o\n1\n" + ROOT,  # no final newline
        "o\n1\n",  # two lines
        "o\n1\n" + ROOT + "\n\n",  # empty extension line
        "o\n1\n" + ROOT + "\next\n\n",
        "o\n1\n" + ROOT + "\n\next\n",
        "\n1\n" + ROOT + "\n",  # empty origin
        "o\x01\n1\n" + ROOT + "\n",  # control character
        "o\t\n1\n" + ROOT + "\n",
        "o\r\n1\n" + ROOT + "\n",
        "o\n1\n" + ROOT + "\r\n",
        "o\n1\n" + ROOT + "\nex\x00t\n",
        "o\n\n" + ROOT + "\n",  # empty size
        "o\n00\n" + ROOT + "\n",  # leading zeros
        "o\n01\n" + ROOT + "\n",
        "o\n-1\n" + ROOT + "\n",
        "o\n+1\n" + ROOT + "\n",
        "o\n 1\n" + ROOT + "\n",
        "o\n1 \n" + ROOT + "\n",
        "o\n1_000\n" + ROOT + "\n",
        "o\n0x10\n" + ROOT + "\n",
        "o\n1e3\n" + ROOT + "\n",
        "o\n\u0661\n" + ROOT + "\n",  # ARABIC-INDIC DIGIT ONE
        "o\n\uff11\n" + ROOT + "\n",  # FULLWIDTH DIGIT ONE
        "o\n18446744073709551616\n" + ROOT + "\n",  # 2^64
        "o\n" + "9" * 5000 + "\n" + ROOT + "\n",  # beyond Python's int() digit limit
        "o\n1\n\n",  # empty root
        "o\n1\n" + ROOT[:-1] + "\n",  # bad padding
        "o\n1\n" + ROOT.rstrip("=") + "\n",
        "o\n1\n" + ROOT.replace("+", "-").replace("/", "_") + "\n",  # URL alphabet
        "o\n1\n" + ROOT[:-2] + "V=\n",  # non-canonical trailing bits
        "o\n1\n" + base64.b64encode(bytes(31)).decode() + "\n",
        "o\n1\n" + base64.b64encode(bytes(33)).decode() + "\n",
        "o\n1\n " + ROOT + "\n",
        "o\n1\n" + ROOT + " \n",
        "o\ud800\n1\n" + ROOT + "\n",  # lone surrogate
    ],
)
def test_malformed_checkpoints(text: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(text)


def test_checkpoint_constructor_validates() -> None:
    root = bytes(32)
    assert Checkpoint("o", MAX_TREE_SIZE, root).size == MAX_TREE_SIZE
    for args in (
        ("", 1, root, ()),
        ("o\n", 1, root, ()),
        ("o", -1, root, ()),
        ("o", MAX_TREE_SIZE + 1, root, ()),
        ("o", True, root, ()),
        ("o", 1, bytes(31), ()),
        ("o", 1, root, ("",)),
        ("o", 1, root, ("a\nb",)),
        ("o", 1, root, ["list"]),
    ):
        with pytest.raises(CheckpointError):
            Checkpoint(*args)
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(b"o\n1\n" + ROOT.encode() + b"\n")  # type: ignore[arg-type]


# ---------------------------------------------------------------- fuzzing

_cp_pieces = st.sampled_from(
    ["\n", "0", "1", "9", "00", "-", " ", "=", "+", "/", ROOT, ROOT[:-1], "o", "\x00", "\u0661"]
)
_cp_text = st.lists(st.one_of(_cp_pieces, st.text(max_size=6)), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), _cp_text))
def test_fuzz_checkpoint_text(text: str) -> None:
    try:
        cp = Checkpoint.from_text(text)
    except CheckpointError:
        return
    assert cp.to_text() == text


_line = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)


@settings(max_examples=200, deadline=None)
@given(
    _line,
    st.integers(0, MAX_TREE_SIZE),
    st.binary(min_size=32, max_size=32),
    st.lists(_line, max_size=3).map(tuple),
)
def test_checkpoint_round_trip(origin: str, size: int, root: bytes, ext: tuple[str, ...]) -> None:
    cp = Checkpoint(origin, size, root, ext)
    assert Checkpoint.from_text(cp.to_text()) == cp


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(
        st.binary(min_size=1, max_size=80),
        st.tuples(st.integers(0, 2**64 - 1), st.binary(min_size=64, max_size=64)).map(
            lambda t: t[0].to_bytes(8, "big") + t[1]
        ),
    )
)
def test_fuzz_cosignature_verification(sig_bytes: bytes) -> None:
    """Random signature bytes from a known witness key only ever raise InvalidSignature."""
    w = CosignatureSigner("w.example/fuzz", hashlib.sha256(b"fuzz witness").digest())
    text = "o\n1\n" + ROOT + "\n"
    sig = NoteSignature(w.name, w.key_id, sig_bytes)
    with pytest.raises(InvalidSignature):
        verify_cosignature(w.verifier(), text, sig)
