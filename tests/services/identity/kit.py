"""An identity test board: the ledger test kit plus an issuer with a BBS key and schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crypto import bbs
from ledger import authorities
from ledger.note import Signer
from services.identity.domain import ISSUER_KEY, SCHEMA, STATUS_LIST, status_list_body
from services.identity.keys import issuer_key_body
from services.identity.schema import schema_body
from services.identity.status_list import StatusList
from tests.kit import ORIGIN, Kit, entry, make_kit

ISSUER = "cityhall"
SUITE = "BLS12-381-SHA-256"

EID = schema_body(
    "eid",
    "Electronic identity",
    [
        ("givenName", "string"),
        ("familyName", "string"),
        ("birthDate", "date"),
        ("district", "integer"),
        ("nationality", "string"),
        ("resident", "boolean"),
    ],
    "short_lived",
    30,
)
"""Short-lived: unlinkable presentations, no status list."""

PERMIT = schema_body(
    "permit",
    "Parking permit",
    [("plate", "string"), ("zone", "integer"), ("holderName", "string")],
    "status_list",
    365,
)
"""Revocable through a status list (presentations show the status index)."""

ADA = {
    "givenName": "Ada",
    "familyName": "Lovelace",
    "birthDate": "2001-12-10",
    "district": 7,
    "nationality": "GB",
    "resident": True,
}
PLATE = {"plate": "AB-123-CD", "zone": 3, "holderName": "Ada Lovelace"}


@dataclass
class IdentityKit:
    kit: Kit
    issuer: Signer
    sk: bytes = field(repr=False)
    key_id: str = ""

    @property
    def board(self) -> Any:
        return self.kit.board

    def publish(self, kind: str, body: dict[str, Any], signer: Signer | None = None) -> int:
        return int(self.board.append(entry(signer or self.issuer, kind, body)))


def register_issuer(kit: Kit, name: str, roles: list[str] | None = None) -> Signer:
    signer = Signer.generate(name)
    kit.board.append(
        entry(
            kit.root,
            authorities.AUTHORITY,
            {
                "name": name,
                "public_key": signer.verifier().public_key.hex(),
                "roles": roles or ["issuer"],
            },
        )
    )
    return signer


def make_identity_kit(
    url: str, *, schemas: bool = True, key_material: bytes = b"cityhall issuer key material 32b"
) -> IdentityKit:
    """A board with the issuer ``cityhall``, its BBS key, and (optionally) EID and PERMIT."""
    kit = make_kit(url)
    issuer = register_issuer(kit, ISSUER)
    sk = bbs.BLS12_381_SHA_256.keygen(key_material, b"test")
    body = issuer_key_body(SUITE, sk, ORIGIN, ISSUER)
    kit.board.append(entry(issuer, ISSUER_KEY, body))
    ik = IdentityKit(kit, issuer, sk, body["key_id"])
    if schemas:
        ik.publish(SCHEMA, EID)
        ik.publish(SCHEMA, PERMIT)
        ik.publish(STATUS_LIST, status_list_body("permit-1", StatusList.empty()))
    return ik
