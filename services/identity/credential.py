"""Credentials as W3C VC 2.0 JSON, and their BBS message layout (docs/credentials.md §Formats).

A credential of schema S by the issuer key K is one BBS signature
(draft-irtf-cfrg-bbs-per-verifier-linkability, blind issuance with a
pseudonym secret) over, in this order:

1. the schema's attributes, each encoded as :mod:`services.identity.schema` says;
2. ``validFrom`` and ``validUntil``: days since 1970-01-01 (``days-scalar``),
   the first and the last day of validity;
3. for a ``status_list`` schema: ``statusListCredential`` (``utf8-hash`` of
   ``urn:pnyx:status:<issuer>:<list>``) and ``statusListIndex`` (``int64-scalar``);

then the blind part: ``secret_prover_blind`` and the holder's one nym secret.
Octet messages map to scalars under the pseudonym interface's api_id
(``ciphersuite_id || "H2G_HM2S_PSEUDONYM_"``).  The BBS header is
``"pnyx/credential/v1\\n" || JCS({"issuerKey": <key id>, "schema": <schema digest>})``:
the same for every credential of S by K, so it links nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import rfc8785

from crypto.bbs.backend import ORDER
from crypto.bbs.pseudonym import pseudonym_api_id
from ledger.errors import DomainRejection
from services.identity.errors import BadDocument
from services.identity.schema import (
    SCHEMA_ID_RE,
    Attribute,
    Message,
    Schema,
)

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
PNYX_CONTEXT = "https://pnyx.example/ns/credentials/v1"
CONTEXT = [VC_CONTEXT, PNYX_CONTEXT]
CREDENTIAL_TYPE = ["VerifiableCredential", "PnyxCredential"]
CRYPTOSUITE = "pnyx-bbs-2026"
HEADER_PREFIX = b"pnyx/credential/v1\n"
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"
SCHEMA_TYPE = "PnyxCredentialSchema"
HEX64_RE = re.compile(r"[0-9a-f]{64}")
INDEX_RE = re.compile(r"0|[1-9][0-9]{0,8}")

VALID_FROM, VALID_UNTIL = "validFrom", "validUntil"
STATUS_LIST, STATUS_INDEX = "statusListCredential", "statusListIndex"
SYSTEM_TYPES = {
    VALID_FROM: "date",
    VALID_UNTIL: "date",
    STATUS_LIST: "string",
    STATUS_INDEX: "integer",
}


def issuer_urn(name: str) -> str:
    return f"urn:pnyx:issuer:{name}"


def key_urn(key_id: str) -> str:
    return f"urn:pnyx:issuer-key:{key_id}"


def schema_urn(issuer: str, schema_id: str) -> str:
    return f"urn:pnyx:schema:{issuer}:{schema_id}"


def status_urn(issuer: str, list_id: str) -> str:
    return f"urn:pnyx:status:{issuer}:{list_id}"


def _strip(value: Any, prefix: str, what: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not value.startswith(prefix):
        raise BadDocument(f"{what} must be {prefix}…")
    rest = value[len(prefix) :]
    if not pattern.fullmatch(rest):
        raise BadDocument(f"bad {what} {value!r}")
    return rest


NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def parse_issuer(value: Any) -> str:
    return _strip(value, "urn:pnyx:issuer:", "issuer", NAME_RE)


def parse_key(value: Any) -> str:
    return _strip(value, "urn:pnyx:issuer-key:", "verificationMethod", HEX64_RE)


def parse_schema_ref(value: Any) -> tuple[str, str]:
    pair = _strip(
        value, "urn:pnyx:schema:", "credentialSchema.id", re.compile(r"[a-z0-9._-]+:[a-z0-9._-]+")
    )
    issuer, sid = pair.split(":")
    if not NAME_RE.fullmatch(issuer) or not SCHEMA_ID_RE.fullmatch(sid):
        raise BadDocument(f"bad credentialSchema.id {value!r}")
    return issuer, sid


def parse_status_ref(value: Any) -> tuple[str, str]:
    pair = _strip(
        value, "urn:pnyx:status:", "statusListCredential", re.compile(r"[a-z0-9._-]+:[a-z0-9._-]+")
    )
    issuer, lid = pair.split(":")
    if not NAME_RE.fullmatch(issuer) or not SCHEMA_ID_RE.fullmatch(lid):
        raise BadDocument(f"bad statusListCredential {value!r}")
    return issuer, lid


def credential_header(key_id: str, schema: Schema) -> bytes:
    """The BBS header: ``"pnyx/credential/v1\\n" || JCS({"issuerKey", "schema"})``."""
    return HEADER_PREFIX + rfc8785.dumps({"issuerKey": key_id, "schema": schema.digest})


@dataclass(frozen=True)
class Layout:
    """The signed message vector of a schema's credentials: names, types and positions."""

    schema: Schema

    @property
    def names(self) -> list[str]:
        system = [VALID_FROM, VALID_UNTIL]
        if self.schema.uses_status_list:
            system += [STATUS_LIST, STATUS_INDEX]
        return [a.name for a in self.schema.attributes] + system

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise BadDocument(f"{name!r} is not an attribute of this credential") from None

    def attribute(self, name: str) -> Attribute:
        if name in SYSTEM_TYPES and name in self.names:
            return Attribute(name, SYSTEM_TYPES[name])
        try:
            return self.schema.attribute(name)
        except DomainRejection as e:
            raise BadDocument(e.detail) from None

    def messages(self, values: dict[str, Any]) -> list[Message]:
        """Every message in order, from the attribute values and the system values."""
        return [self.attribute(n).encode(values[n]) for n in self.names]


def to_scalar(suite: Any, message: Message) -> int:
    """An encoded message as a scalar: octets hashed (MapMessageToScalarAsHash under the
    pseudonym api_id), integers taken mod r."""
    if isinstance(message, bytes):
        api = pseudonym_api_id(suite.suite)
        return int(suite.suite.messages_to_scalars([message], api)[0])
    return message % ORDER


def scalars(suite: Any, messages: list[Message]) -> list[int]:
    return [to_scalar(suite, m) for m in messages]


def rfc3339_day_start(d: date) -> str:
    return f"{d.isoformat()}T00:00:00Z"


def rfc3339_day_end(d: date) -> str:
    return f"{d.isoformat()}T23:59:59Z"


def day_of(value: Any, what: str, end: bool) -> date:
    suffix = "T23:59:59Z" if end else "T00:00:00Z"
    if not isinstance(value, str) or not value.endswith(suffix):
        raise BadDocument(f"{what} must be a day's {'last' if end else 'first'} second, …{suffix}")
    try:
        return date.fromisoformat(value[: -len(suffix)])
    except ValueError:
        raise BadDocument(f"bad {what} {value!r}") from None


@dataclass(frozen=True)
class Credential:
    """A holder's credential: everything needed to present it (but the holder's secrets)."""

    issuer: str
    key_id: str
    schema_issuer: str
    schema_id: str
    schema_digest: str
    subject: dict[str, Any]
    valid_from: date
    valid_until: date
    status: tuple[str, int] | None
    signature: bytes

    def values(self) -> dict[str, Any]:
        """Attribute and system values by message name."""
        out = dict(self.subject)
        out[VALID_FROM] = self.valid_from.isoformat()
        out[VALID_UNTIL] = self.valid_until.isoformat()
        if self.status is not None:
            out[STATUS_LIST] = status_urn(self.issuer, self.status[0])
            out[STATUS_INDEX] = self.status[1]
        return out

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "@context": CONTEXT,
            "type": CREDENTIAL_TYPE,
            "issuer": issuer_urn(self.issuer),
            "validFrom": rfc3339_day_start(self.valid_from),
            "validUntil": rfc3339_day_end(self.valid_until),
            "credentialSchema": {
                "id": schema_urn(self.schema_issuer, self.schema_id),
                "type": SCHEMA_TYPE,
                "digest": self.schema_digest,
            },
            "credentialSubject": dict(self.subject),
        }
        if self.status is not None:
            doc["credentialStatus"] = status_entry(self.issuer, *self.status)
        doc["proof"] = {
            "type": "DataIntegrityProof",
            "cryptosuite": CRYPTOSUITE,
            "verificationMethod": key_urn(self.key_id),
            "proofPurpose": "assertionMethod",
            "proofValue": "f" + self.signature.hex(),
        }
        return doc

    @classmethod
    def from_json(cls, doc: Any) -> Credential:
        """Parse a holder's credential (shape only; the wallet verifies it on adding)."""
        fields = {
            "@context",
            "type",
            "issuer",
            "validFrom",
            "validUntil",
            "credentialSchema",
            "credentialSubject",
            "proof",
        }
        if not isinstance(doc, dict) or not fields <= set(doc) <= fields | {"credentialStatus"}:
            raise BadDocument(f"a credential has the fields {sorted(fields)} (+ credentialStatus)")
        if doc["@context"] != CONTEXT or doc["type"] != CREDENTIAL_TYPE:
            raise BadDocument("not a Pnyx credential (@context, type)")
        issuer = parse_issuer(doc["issuer"])
        sref = doc["credentialSchema"]
        if not isinstance(sref, dict) or set(sref) != {"id", "type", "digest"}:
            raise BadDocument("credentialSchema is {id, type, digest}")
        s_issuer, sid = parse_schema_ref(sref["id"])
        if sref["type"] != SCHEMA_TYPE or not (
            isinstance(sref["digest"], str) and HEX64_RE.fullmatch(sref["digest"])
        ):
            raise BadDocument("bad credentialSchema")
        subject = doc["credentialSubject"]
        if not isinstance(subject, dict):
            raise BadDocument("credentialSubject is an object")
        status = None
        if "credentialStatus" in doc:
            status = parse_status_entry(doc["credentialStatus"], issuer)
        proof = doc["proof"]
        keys = {"type", "cryptosuite", "verificationMethod", "proofPurpose", "proofValue"}
        if not isinstance(proof, dict) or set(proof) != keys:
            raise BadDocument(f"a credential's proof has the fields {sorted(keys)}")
        if proof["type"] != "DataIntegrityProof" or proof["cryptosuite"] != CRYPTOSUITE:
            raise BadDocument(f"proof must be a DataIntegrityProof of cryptosuite {CRYPTOSUITE}")
        return cls(
            issuer,
            parse_key(proof["verificationMethod"]),
            s_issuer,
            sid,
            sref["digest"],
            dict(subject),
            day_of(doc["validFrom"], "validFrom", end=False),
            day_of(doc["validUntil"], "validUntil", end=True),
            status,
            multibase_hex(proof["proofValue"], "proofValue"),
        )


def status_entry(issuer: str, list_id: str, index: int) -> dict[str, Any]:
    """W3C ``BitstringStatusListEntry`` (statusListIndex is a string of digits there)."""
    urn = status_urn(issuer, list_id)
    return {
        "id": f"{urn}#{index}",
        "type": STATUS_ENTRY_TYPE,
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": urn,
    }


def parse_status_entry(value: Any, issuer: str) -> tuple[str, int]:
    keys = {"id", "type", "statusPurpose", "statusListIndex", "statusListCredential"}
    if not isinstance(value, dict) or set(value) != keys:
        raise BadDocument(f"credentialStatus has the fields {sorted(keys)}")
    if value["type"] != STATUS_ENTRY_TYPE or value["statusPurpose"] != "revocation":
        raise BadDocument("credentialStatus must be a revocation BitstringStatusListEntry")
    s_issuer, list_id = parse_status_ref(value["statusListCredential"])
    if s_issuer != issuer:
        raise BadDocument("the status list is not the issuer's")
    index = value["statusListIndex"]
    if not isinstance(index, str) or not INDEX_RE.fullmatch(index):
        raise BadDocument("statusListIndex is a decimal string")
    if value["id"] != f"{value['statusListCredential']}#{index}":
        raise BadDocument("credentialStatus.id must be <statusListCredential>#<index>")
    return list_id, int(index)


def multibase_hex(value: Any, what: str) -> bytes:
    """Multibase base16 lower case: ``f`` + lowercase hex."""
    if not isinstance(value, str) or not re.fullmatch(r"f(?:[0-9a-f]{2})+", value):
        raise BadDocument(f"{what} must be multibase base16 ('f' + lowercase hex)")
    return bytes.fromhex(value[1:])


def validity(valid_from: date, days: int) -> tuple[date, date]:
    """First and last day of a credential valid ``days`` days from ``valid_from``."""
    return valid_from, valid_from + timedelta(days=days - 1)
