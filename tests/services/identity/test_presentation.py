"""Issuance and presentations end to end: selective disclosure, unlinkability, every rejection."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.bbs.predicates import Presentation
from ledger import authorities
from services.identity import issuance
from services.identity.board_data import BoardData
from services.identity.credential import multibase_hex
from services.identity.domain import SCHEMA, STATUS_LIST, status_list_body
from services.identity.errors import CannotPresent, IdentityError, PresentationRejected
from services.identity.presentation import present, verify_presentation
from services.identity.request import Predicate, PresentationRequest
from services.identity.schema import schema_body
from services.identity.status_list import StatusList
from services.registry import default_registry
from tests.kit import entry
from tests.services.identity.kit import (
    ADA,
    EID,
    ISSUER,
    PLATE,
    IdentityKit,
    make_identity_kit,
)

TODAY = date.today()
ADULT = Predicate("birthDate", "<=", (TODAY - timedelta(days=18 * 366)).isoformat())


@pytest.fixture
def ik(tmp_path: Path) -> IdentityKit:
    return make_identity_kit(f"sqlite:///{tmp_path / 'board.db'}")


def data_of(ik: IdentityKit) -> BoardData:
    return BoardData.from_board(ik.board)


def credential(
    ik: IdentityKit,
    schema: str = "eid",
    values: dict[str, Any] | None = None,
    status: tuple[str, int] | None = None,
    days: int = 30,
    valid_from: date = TODAY,
) -> dict[str, Any]:
    """A wallet record: request, blind issuance, holder's check."""
    data = data_of(ik)
    req, secrets = issuance.make_request(data, ISSUER, schema)
    vals = values or (ADA if schema == "eid" else PLATE)
    issued = issuance.issue(data, ISSUER, ik.sk, req, vals, valid_from, days, status)
    return issuance.accept(data, issued, req, secrets)


def ask(
    schema: str = "eid",
    disclose: tuple[str, ...] = ("district",),
    predicates: tuple[Predicate, ...] = (ADULT,),
    context: str | None = None,
    day: date = TODAY,
) -> PresentationRequest:
    return PresentationRequest.new(ISSUER, schema, list(disclose), list(predicates), day, context)


def rejected(ik: IdentityKit, req: PresentationRequest, doc: Any, reason: str) -> str:
    with pytest.raises(PresentationRejected) as e:
        verify_presentation(data_of(ik), req, doc)
    assert e.value.reason == reason, e.value.detail
    assert e.value.detail.startswith(reason + ": ") and len(e.value.detail) > len(reason) + 10
    return e.value.detail


def leaves(doc: Any) -> list[Any]:
    """Every scalar value of a JSON document (member names excluded)."""
    if isinstance(doc, dict):
        return [x for v in doc.values() for x in leaves(v)]
    if isinstance(doc, list):
        return [x for v in doc for x in leaves(v)]
    return [doc]


# ------------------------------------------------------------ disclosure


def test_presentation_reveals_exactly_the_requested_attributes(ik: IdentityKit) -> None:
    rec = credential(ik)
    req = ask(disclose=("district", "nationality"))
    doc = present(data_of(ik), rec, req)
    vc = doc["verifiableCredential"][0]
    assert vc["credentialSubject"] == {"district": 7, "nationality": "GB"}
    assert "credentialStatus" not in vc  # short-lived: no status index at all
    assert "validFrom" not in vc and "validUntil" not in vc
    text = json.dumps(doc)
    for secret in ("Ada", "Lovelace", ADA["birthDate"], "resident", "givenName", 'birthDate":'):
        assert secret not in text
    signature = rec["credential"]["proof"]["proofValue"][1:]
    for value in (
        signature,
        signature[:32],
        rec["secrets"]["nymSecret"],
        rec["secrets"]["proverBlind"],
    ):
        assert value not in text
    for day in (rec["credential"]["validFrom"][:10], rec["credential"]["validUntil"][:10]):
        assert day not in text.replace(req.date, "")
    v = verify_presentation(data_of(ik), req, doc)
    assert v.disclosed == {"district": 7, "nationality": "GB"}
    assert v.predicates == (str(ADULT), f"validUntil >= {req.date}")
    assert v.pseudonym is None and v.status is None


def test_nothing_disclosed_only_predicates(ik: IdentityKit) -> None:
    rec = credential(ik)
    req = ask(disclose=())
    doc = present(data_of(ik), rec, req)
    assert doc["verifiableCredential"][0]["credentialSubject"] == {}
    assert verify_presentation(data_of(ik), req, doc).disclosed == {}


def test_two_presentations_share_no_value_but_the_disclosed_ones(ik: IdentityKit) -> None:
    rec = credential(ik)
    data = data_of(ik)
    r1, r2 = ask(), ask()
    p1, p2 = present(data, rec, r1), present(data, rec, r2)
    vc = p1["verifiableCredential"][0]
    board_constants = {
        *leaves(vc["@context"]),
        *leaves(vc["type"]),
        *leaves(p1["type"]),
        vc["issuer"],
        *leaves(vc["credentialSchema"]),
        vc["proof"]["verificationMethod"],
        "DataIntegrityProof",
        "pnyx-bbs-2026",
        "authentication",
        "validUntil",  # the validity predicate every presentation proves: validUntil >= date
        ">=",
    }
    public = set(leaves(r1.to_json())) | set(leaves(r2.to_json())) | board_constants
    public |= set(leaves(vc["credentialSubject"]))  # the disclosed values
    common = set(leaves(p1)) & set(leaves(p2))
    assert common <= public, common - public
    assert p1["verifiableCredential"][0]["credentialSubject"] == {"district": 7}

    # inside the proofs: no point, scalar or pseudonym in common
    def chunks(doc: dict[str, Any]) -> set[bytes]:
        proof = doc["verifiableCredential"][0]["proof"]
        pres = Presentation.from_bytes(multibase_hex(proof["proofValue"], "proofValue"))
        raw = pres.proof
        out = {raw[i : i + 48] for i in (0, 48, 96)}
        out |= {raw[i : i + 32] for i in range(144, len(raw), 32)}
        assert pres.pseudonym is not None
        out.add(pres.pseudonym)
        for p in pres.predicates:
            out |= {p.commitment, p.blinding_response.to_bytes(32, "big")}
        assert pres.range_proof is not None
        rp = pres.range_proof.to_bytes()
        out |= {rp[i : i + 32] for i in range(0, len(rp), 32)}
        return out

    assert not chunks(p1) & chunks(p2)
    assert verify_presentation(data, r1, p1) and verify_presentation(data, r2, p2)


def test_pseudonym_fixed_per_context_and_unlinkable_across(ik: IdentityKit) -> None:
    rec = credential(ik)
    data = data_of(ik)
    a1, a2, b = ask(context="election-2026"), ask(context="election-2026"), ask(context="poll-7")
    nyms = [verify_presentation(data, r, present(data, rec, r)).pseudonym for r in (a1, a2, b)]
    assert nyms[0] is not None and nyms[0] == nyms[1] != nyms[2]
    other = credential(ik)  # another credential, another holder secret
    assert verify_presentation(data, a1, present(data, other, a1)).pseudonym != nyms[0]


# ------------------------------------------------------------- rejections


def test_tampered_disclosed_value(ik: IdentityKit) -> None:
    req = ask(disclose=("district", "givenName"))
    doc = present(data_of(ik), credential(ik), req)
    for name, value in (("district", 8), ("givenName", "Eve")):
        bad = copy.deepcopy(doc)
        bad["verifiableCredential"][0]["credentialSubject"][name] = value
        assert "does not verify" in rejected(ik, req, bad, "proof_invalid")
    bad = copy.deepcopy(doc)
    bad["verifiableCredential"][0]["credentialSubject"]["district"] = "seven"
    rejected(ik, req, bad, "schema_mismatch")
    bad = copy.deepcopy(doc)
    bad["verifiableCredential"][0]["credentialSubject"]["familyName"] = "Lovelace"
    rejected(ik, req, bad, "disclosure_mismatch")


def test_proof_replayed_with_another_nonce(ik: IdentityKit) -> None:
    rec = credential(ik)
    first = ask()
    doc = present(data_of(ik), rec, first)
    second = ask()
    assert "replay" in rejected(ik, second, doc, "nonce_mismatch")
    forged = copy.deepcopy(doc)
    forged["verifiableCredential"][0]["proof"]["challenge"] = second.nonce
    rejected(ik, second, forged, "proof_invalid")


def test_predicate_that_does_not_hold(ik: IdentityKit) -> None:
    minor = {**ADA, "birthDate": (TODAY - timedelta(days=10 * 365)).isoformat()}
    rec = credential(ik, values=minor)
    strict = ask()
    with pytest.raises(CannotPresent, match="does not hold"):
        present(data_of(ik), rec, strict)
    # the holder proves a weaker statement and passes it off for the requested one
    loose = PresentationRequest.from_json(
        {
            **strict.to_json(),
            "predicates": [{"attribute": "birthDate", "op": "<=", "value": TODAY.isoformat()}],
        }
    )
    doc = present(data_of(ik), rec, loose)
    assert "birthDate <= " + TODAY.isoformat() in rejected(ik, strict, doc, "predicate_failed")
    forged = copy.deepcopy(doc)
    forged["verifiableCredential"][0]["proof"]["predicates"] = [
        *[p.to_json() for p in strict.predicates],
        {"attribute": "validUntil", "op": ">=", "value": strict.date},
    ]
    rejected(ik, strict, forged, "proof_invalid")


def test_expired_credential(ik: IdentityKit) -> None:
    rec = credential(ik, days=5, valid_from=TODAY - timedelta(days=10))
    with pytest.raises(CannotPresent, match="expired"):
        present(data_of(ik), rec, ask())
    # presented for an earlier day, checked today: the validity predicate differs
    early = ask(day=TODAY - timedelta(days=7))
    doc = present(data_of(ik), rec, early)
    today = PresentationRequest.from_json({**early.to_json(), "date": TODAY.isoformat()})
    rejected(ik, today, doc, "predicate_failed")


def test_revoked_credential(ik: IdentityKit) -> None:
    rec = credential(ik, "permit", status=("permit-1", 4242), days=365)
    req = ask("permit", disclose=("zone",), predicates=())
    doc = present(data_of(ik), rec, req)
    vc = doc["verifiableCredential"][0]
    assert vc["credentialStatus"]["statusListIndex"] == "4242"  # linkable by design
    assert vc["credentialSubject"] == {"zone": 3}
    assert verify_presentation(data_of(ik), req, doc).status == ("permit-1", 4242)
    ik.publish(STATUS_LIST, status_list_body("permit-1", StatusList.empty().with_set(4242)))
    assert "revoked" in rejected(ik, req, doc, "revoked")
    fresh = ask("permit", disclose=("zone",), predicates=())
    rejected(ik, fresh, present(data_of(ik), rec, fresh), "revoked")
    # hiding the revoked index behind another one breaks the proof
    forged = copy.deepcopy(doc)
    forged["verifiableCredential"][0]["credentialStatus"] = {
        **vc["credentialStatus"],
        "id": "urn:pnyx:status:cityhall:permit-1#4243",
        "statusListIndex": "4243",
    }
    rejected(ik, req, forged, "proof_invalid")
    forged = copy.deepcopy(doc)
    del forged["verifiableCredential"][0]["credentialStatus"]
    rejected(ik, req, forged, "status_mismatch")


def test_issuer_not_on_the_board(ik: IdentityKit, tmp_path: Path) -> None:
    rec = credential(ik)
    req = ask()
    doc = present(data_of(ik), rec, req)
    # a board where "cityhall" has another key: the credential's key is not on it
    elsewhere = make_identity_kit(f"sqlite:///{tmp_path / 'other.db'}", key_material=b"k" * 32)
    with pytest.raises(PresentationRejected) as e:
        verify_presentation(data_of(elsewhere), req, doc)
    assert e.value.reason == "unknown_issuer"
    forged = copy.deepcopy(doc)
    forged["verifiableCredential"][0]["issuer"] = "urn:pnyx:issuer:county"
    rejected(ik, req, forged, "unknown_issuer")
    kid = ik.board.state(authorities.DOMAIN, f"name/{ISSUER}")
    ik.board.append(entry(ik.kit.root, authorities.REVOKE, {"key_id": kid, "reason": "test"}))
    rejected(ik, req, doc, "issuer_revoked")


def test_schema_mismatch(ik: IdentityKit, tmp_path: Path) -> None:
    rec = credential(ik)
    req = ask()
    doc = present(data_of(ik), rec, req)
    permit_req = PresentationRequest.from_json({**req.to_json(), "schema": "permit"})
    assert "cityhall/permit" in rejected(ik, permit_req, doc, "schema_mismatch")
    with pytest.raises(CannotPresent, match="cityhall/permit"):
        present(data_of(ik), rec, ask("permit", disclose=("zone",), predicates=()))
    forged = copy.deepcopy(doc)
    forged["verifiableCredential"][0]["credentialSchema"]["digest"] = "00" * 32
    rejected(ik, req, forged, "schema_mismatch")
    # a board where cityhall's "eid" has other attributes (same issuer key, other schema)
    other = make_identity_kit(f"sqlite:///{tmp_path / 'other.db'}", schemas=False)
    changed = schema_body(
        "eid", "Electronic identity", [("district", "integer")], "short_lived", 30
    )
    other.publish(SCHEMA, changed)
    with pytest.raises(PresentationRejected) as e:
        verify_presentation(data_of(other), req, doc)
    assert e.value.reason == "schema_mismatch"


def test_pseudonym_context_mismatch(ik: IdentityKit) -> None:
    rec = credential(ik)
    req = ask(context="election-2026")
    doc = present(data_of(ik), rec, req)
    forged = copy.deepcopy(doc)
    forged["verifiableCredential"][0]["proof"]["pseudonym"]["context"] = "election-2027"
    rejected(ik, req, forged, "pseudonym_mismatch")
    unasked = ask()
    doc = present(data_of(ik), rec, unasked)
    forged = copy.deepcopy(doc)
    forged["verifiableCredential"][0]["proof"]["pseudonym"]["context"] = "chosen-by-verifier"
    rejected(ik, unasked, forged, "pseudonym_mismatch")
    forged = copy.deepcopy(doc)
    nym = forged["verifiableCredential"][0]["proof"]["pseudonym"]
    nym["context"] = nym["context"][:-1] + ("0" if nym["context"][-1] != "0" else "1")
    rejected(ik, unasked, forged, "proof_invalid")


def test_offline_from_exported_entries(ik: IdentityKit) -> None:
    rec = credential(ik, "permit", status=("permit-1", 9), days=30)
    req = ask("permit", disclose=("plate",), predicates=(Predicate("zone", ">=", 2),))
    doc = present(data_of(ik), rec, req)
    exported = [leaf for _, leaf in ik.board.entries(0, ik.board.size())]
    offline = BoardData.from_leaves(exported, default_registry())
    assert verify_presentation(offline, req, doc).disclosed == {"plate": "AB-123-CD"}
    ik.publish(STATUS_LIST, status_list_body("permit-1", StatusList.empty().with_set(9)))
    exported = [leaf for _, leaf in ik.board.entries(0, ik.board.size())]
    with pytest.raises(PresentationRejected, match="revoked"):
        verify_presentation(BoardData.from_leaves(exported, default_registry()), req, doc)


# --------------------------------------------------------------- issuance


def test_issuance_refusals(ik: IdentityKit) -> None:
    data = data_of(ik)
    req, secrets = issuance.make_request(data, ISSUER, "eid")
    with pytest.raises(IdentityError, match="cannot sign this request"):
        bad = {**req, "commitment": req["commitment"][:-2] + "00"}
        issuance.issue(data, ISSUER, ik.sk, bad, ADA, TODAY, 30, None)
    with pytest.raises(IdentityError, match="1 to 30 days"):
        issuance.issue(data, ISSUER, ik.sk, req, ADA, TODAY, 31, None)
    with pytest.raises(IdentityError, match="status"):
        issuance.issue(data, ISSUER, ik.sk, req, ADA, TODAY, 30, ("permit-1", 1))
    with pytest.raises(IdentityError, match="missing"):
        issuance.issue(data, ISSUER, ik.sk, req, {"district": 7}, TODAY, 30, None)
    with pytest.raises(IdentityError, match="addressed to cityhall"):
        issuance.issue(data, "county", ik.sk, req, ADA, TODAY, 30, None)
    with pytest.raises(IdentityError, match="schema"):
        issuance.issue(
            data, ISSUER, ik.sk, {**req, "schemaDigest": "00" * 32}, ADA, TODAY, 30, None
        )
    issued = issuance.issue(data, ISSUER, ik.sk, req, ADA, TODAY, 30, None)
    # the holder notices a credential whose attributes were changed after signing
    edited = copy.deepcopy(issued)
    edited["credential"]["credentialSubject"]["district"] = 8
    with pytest.raises(IdentityError, match="does not verify"):
        issuance.accept(data, edited, req, secrets)
    other_req, other_secrets = issuance.make_request(data, ISSUER, "eid")
    with pytest.raises(IdentityError, match="another request"):
        issuance.accept(data, issued, other_req, other_secrets)
    with pytest.raises(IdentityError, match="does not verify"):
        issuance.accept(data, issued, req, other_secrets)
    rec = issuance.accept(data, issued, req, secrets)
    assert rec["credential"]["credentialSubject"] == ADA
    assert EID["id"] in rec["credential"]["credentialSchema"]["id"]


def test_requests_are_unlinkable_to_presentations(ik: IdentityKit) -> None:
    """Nothing of the request (seen by the issuer) appears in a presentation."""
    data = data_of(ik)
    req, secrets = issuance.make_request(data, ISSUER, "eid")
    issued = issuance.issue(data, ISSUER, ik.sk, req, ADA, TODAY, 30, None)
    rec = issuance.accept(data, issued, req, secrets)
    doc = json.dumps(present(data, rec, ask(context="election-2026")))
    commitment = req["commitment"]
    for i in range(0, len(commitment) - 32, 32):
        assert commitment[i : i + 32] not in doc
    assert issued["signerNymEntropy"] not in doc
    assert issued["credential"]["proof"]["proofValue"][1:65] not in doc


# ------------------------------------------------------------------- fuzz


def _mutate(doc: Any, path: list[int], value: Any) -> Any:
    """Replace one node of the document (chosen by path) with value."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    keys = list(doc.keys()) if isinstance(doc, dict) else list(range(len(doc)))
    k = keys[path[0] % len(keys)]
    out = copy.copy(doc)
    out[k] = _mutate(doc[k], path[1:], value)  # type: ignore[index]
    return out


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
    max_leaves=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.lists(st.integers(0, 20), min_size=1, max_size=6), value=JSON_VALUES)
def test_any_alteration_is_rejected_with_a_reason(
    ik: IdentityKit, path: list[int], value: Any
) -> None:
    if not hasattr(ik, "_fuzz"):
        rec = credential(ik, "permit", status=("permit-1", 5))
        req = ask("permit", disclose=("plate",), predicates=(Predicate("zone", "<=", 5),))
        ik._fuzz = (req, present(data_of(ik), rec, req))  # type: ignore[attr-defined]
    req, doc = ik._fuzz  # type: ignore[attr-defined]
    mutated = _mutate(doc, path, value)
    if mutated == doc:
        return
    with pytest.raises(PresentationRejected) as e:
        verify_presentation(data_of(ik), req, mutated)
    assert e.value.reason
