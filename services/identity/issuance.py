"""Blind issuance: the holder's request, the issuer's blind signature, the holder's check.

draft-irtf-cfrg-bbs-per-verifier-linkability (CommitWithNym, BlindSignWithNym,
VerifyFinalizeWithNym) over draft-irtf-cfrg-bbs-blind-signatures:

1. the holder draws a nym secret ``prover_nym`` and commits to it
   (``commit_with_nym``), keeping ``prover_nym`` and ``secret_prover_blind``
   in the wallet and sending the *request* (below) to the issuer, off the board;
2. the issuer checks the commitment's proof of knowledge, draws
   ``signer_nym_entropy`` and signs the attributes and the commitment
   blindly (``blind_sign_with_nym_scalars``), returning the credential;
3. the holder verifies the signature, computing its nym secret
   ``prover_nym + signer_nym_entropy`` (``verify_finalize_with_nym``), which the
   issuer never learns: the issuer cannot compute the holder's pseudonyms, and
   no two issuances are linkable by their commitments.

Request (holder → issuer)::

    {"version": 1, "type": "PnyxCredentialRequest", "issuer": "cityhall",
     "issuerKey": <key id>, "schema": "eid", "schemaDigest": <hex>,
     "commitment": <hex commitment_with_proof>}

Issued (issuer → holder): ``{"version": 1, "type": "PnyxCredentialIssuance",
"request": <request id>, "credential": <VC>, "signerNymEntropy": <64 hex>}``.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import rfc8785

from crypto.bbs.backend import ORDER, BBSError, get_backend
from crypto.bbs.pseudonym import (
    blind_sign_with_nym_scalars,
    commit_with_nym,
    verify_finalize_with_nym,
)
from crypto.bbs.suite import calculate_random_scalars
from ledger.errors import DomainRejection
from services.identity.board_data import BoardData
from services.identity.credential import (
    VALID_FROM,
    VALID_UNTIL,
    Credential,
    Layout,
    credential_header,
    scalars,
    validity,
)
from services.identity.errors import BadDocument, IdentityError
from services.identity.keys import IssuerKey
from services.identity.schema import Schema

REQUEST_TYPE = "PnyxCredentialRequest"
ISSUANCE_TYPE = "PnyxCredentialIssuance"
VERSION = 1
NYM_VECTOR = 1
"""One nym secret per credential (the draft allows a vector; one suffices here)."""


def request_id(request: dict[str, Any]) -> str:
    """SHA-256 of the canonical request, first 16 hex digits (the wallet's id for it)."""
    return hashlib.sha256(rfc8785.dumps(request)).hexdigest()[:16]


def _hex(value: Any, what: str, size: int | None = None) -> bytes:
    if not isinstance(value, str) or (size is not None and len(value) != 2 * size):
        raise BadDocument(f"{what} must be lowercase hex")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise BadDocument(f"{what} must be lowercase hex") from None
    if raw.hex() != value:
        raise BadDocument(f"{what} must be lowercase hex")
    return raw


def _scalar_hex(value: int) -> str:
    return value.to_bytes(32, "big").hex()


def _scalar(value: Any, what: str) -> int:
    x = int.from_bytes(_hex(value, what, 32), "big")
    if not 0 < x < ORDER:
        raise IdentityError(f"{what} is not a scalar")
    return x


def latest_key(data: BoardData, issuer: str) -> IssuerKey:
    """The issuer's most recently published key (that is still the issuer's)."""
    keys = [
        (rec["since"], IssuerKey.from_state(k.split("/", 1)[1], rec))
        for k, rec in data.scan_keys()
        if rec["issuer"] == issuer
    ]
    if not keys:
        raise IdentityError(f"{issuer!r} has published no BBS key on the board")
    return max(keys, key=lambda kv: kv[0])[1]


def _schema(data: BoardData, issuer: str, schema_id: str) -> Schema:
    schema = data.schema(issuer, schema_id)
    if schema is None:
        raise IdentityError(f"no schema {issuer}/{schema_id} on the board")
    return schema


def make_request(
    data: BoardData, issuer: str, schema_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The holder's request and the secrets it keeps (step 1)."""
    schema = _schema(data, issuer, schema_id)
    key = latest_key(data, issuer)
    prover_nym = calculate_random_scalars(1)[0]
    commitment, blind = commit_with_nym(key.suite.suite, [], [prover_nym])
    request = {
        "version": VERSION,
        "type": REQUEST_TYPE,
        "issuer": issuer,
        "issuerKey": key.key_id,
        "schema": schema.id,
        "schemaDigest": schema.digest,
        "commitment": commitment.hex(),
    }
    return request, {"proverNym": _scalar_hex(prover_nym), "proverBlind": _scalar_hex(blind)}


def _parse_request(data: BoardData, request: Any) -> tuple[IssuerKey, Schema, bytes]:
    fields = {"version", "type", "issuer", "issuerKey", "schema", "schemaDigest", "commitment"}
    if not isinstance(request, dict) or set(request) != fields:
        raise BadDocument(f"a credential request has the fields {sorted(fields)}")
    if request["version"] != VERSION or request["type"] != REQUEST_TYPE:
        raise BadDocument(f"not a version {VERSION} {REQUEST_TYPE}")
    if not isinstance(request["issuer"], str) or not isinstance(request["schema"], str):
        raise BadDocument("issuer and schema are names")
    key = data.issuer_key(str(request["issuerKey"]))
    if key is None or key.issuer != request["issuer"]:
        raise IdentityError("the request names an issuer key that is not the issuer's on the board")
    schema = _schema(data, request["issuer"], request["schema"])
    if request["schemaDigest"] != schema.digest:
        raise IdentityError("the request was made for another version of the schema")
    return key, schema, _hex(request["commitment"], "commitment")


def request_schema(data: BoardData, request: Any, issuer: str) -> Schema:
    """The schema a request is for, after checking it is addressed to ``issuer``."""
    key, schema, _ = _parse_request(data, request)
    if key.issuer != issuer:
        raise IdentityError(f"the request is addressed to {key.issuer}, not {issuer}")
    return schema


def issue(
    data: BoardData,
    issuer: str,
    sk: bytes,
    request: dict[str, Any],
    values: dict[str, Any],
    valid_from: date,
    valid_days: int,
    status: tuple[str, int] | None,
) -> dict[str, Any]:
    """The issuer's blind signature over ``values`` and the request's commitment (step 2)."""
    key, schema, commitment = _parse_request(data, request)
    if key.issuer != issuer:
        raise IdentityError(f"the request is addressed to {key.issuer}, not {issuer}")
    if not 1 <= valid_days <= schema.max_validity_days:
        raise IdentityError(
            f"schema {schema.id} allows 1 to {schema.max_validity_days} days of validity"
        )
    if schema.uses_status_list != (status is not None):
        raise IdentityError("a status_list schema needs a status index, a short_lived one none")
    try:
        subject = schema.check_values(values)
    except DomainRejection as e:
        raise BadDocument(e.detail) from None
    first, last = validity(valid_from, valid_days)
    cred = Credential(
        issuer, key.key_id, issuer, schema.id, schema.digest, subject, first, last, status, b""
    )
    s = key.suite
    entropy = calculate_random_scalars(1)[0]
    messages = Layout(schema).messages(cred.values())
    try:
        signature = blind_sign_with_nym_scalars(
            s.suite,
            get_backend(),
            sk,
            key.public_key,
            commitment,
            NYM_VECTOR,
            entropy,
            credential_header(key.key_id, schema),
            scalars(s, messages),
        )
    except BBSError as e:
        raise IdentityError(f"cannot sign this request: {e}") from None
    signed = Credential(**{**cred.__dict__, "signature": signature})
    return {
        "version": VERSION,
        "type": ISSUANCE_TYPE,
        "request": request_id(request),
        "credential": signed.to_json(),
        "signerNymEntropy": _scalar_hex(entropy),
    }


def request_id_of(issued: Any) -> str:
    if not isinstance(issued, dict) or issued.get("type") != ISSUANCE_TYPE:
        raise BadDocument(f"not a {ISSUANCE_TYPE}")
    rid = issued.get("request")
    if not isinstance(rid, str):
        raise BadDocument("the issuance names no request")
    return rid


def accept(
    data: BoardData, issued: Any, request: dict[str, Any], holder_secrets: dict[str, Any]
) -> dict[str, Any]:
    """Verify an issued credential against the board and the holder's request (step 3).

    Returns the wallet record ``{"credential": <VC>, "secrets": {"nymSecret",
    "proverBlind"}}``.
    """
    fields = {"version", "type", "request", "credential", "signerNymEntropy"}
    if not isinstance(issued, dict) or set(issued) != fields or issued["version"] != VERSION:
        raise BadDocument(f"an issuance has the fields {sorted(fields)}")
    if request_id_of(issued) != request_id(request):
        raise IdentityError("this credential answers another request")
    key, schema, _ = _parse_request(data, request)
    cred = Credential.from_json(issued["credential"])
    if (cred.key_id, cred.issuer, cred.schema_issuer, cred.schema_id, cred.schema_digest) != (
        key.key_id,
        key.issuer,
        key.issuer,
        schema.id,
        schema.digest,
    ):
        raise IdentityError("the credential is not for the issuer key and schema requested")
    try:
        schema.check_values(cred.subject)
    except DomainRejection as e:
        raise BadDocument(e.detail) from None
    if schema.uses_status_list != (cred.status is not None):
        raise BadDocument("credentialStatus does not match the schema's revocation")
    if (cred.valid_until - cred.valid_from).days + 1 > schema.max_validity_days or (
        cred.valid_until < cred.valid_from
    ):
        raise IdentityError("the validity period is longer than the schema allows")
    s = key.suite
    entropy = _scalar(issued["signerNymEntropy"], "signerNymEntropy")
    prover_nym = _scalar(holder_secrets["proverNym"], "proverNym")
    blind = _scalar(holder_secrets["proverBlind"], "proverBlind")
    messages = Layout(schema).messages(cred.values())
    try:
        (nym_secret,) = verify_finalize_with_nym(
            s.suite,
            key.public_key,
            cred.signature,
            credential_header(key.key_id, schema),
            scalars(s, messages),
            [],
            [prover_nym],
            entropy,
            blind,
        )
    except BBSError:
        raise IdentityError(
            "the credential's signature does not verify (wrong attributes or not for this request)"
        ) from None
    secrets_out = {"nymSecret": _scalar_hex(nym_secret), "proverBlind": _scalar_hex(blind)}
    return {"credential": cred.to_json(), "secrets": secrets_out}


__all__ = [
    "VALID_FROM",
    "VALID_UNTIL",
    "accept",
    "issue",
    "make_request",
    "request_id",
    "request_id_of",
    "request_schema",
]
