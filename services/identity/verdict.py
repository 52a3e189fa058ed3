"""A verifier's verdict on a presentation, with what was checked (docs/credentials.md §8).

:func:`services.identity.presentation.verify_presentation` runs the ten steps
of §8 and stops at the first failure with its reason.  :func:`judge` turns
that into a verdict a page can show: ``valid``, the reason and sentence of a
refusal, what a valid presentation established, and one line per check in
the order of §8 — ``ok`` true when the check passed, false for the one that
failed, null when it was not reached (or when the reason does not say which
step refused: ``malformed`` may come from any step that parses, and
``status_mismatch`` from step 8, before the proof, or step 10, after it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.errors import Rejected
from services.identity.board_data import BoardData
from services.identity.credential import parse_key
from services.identity.errors import PresentationRejected
from services.identity.presentation import Verified, verify_presentation
from services.identity.request import PresentationRequest

CHECKS = (
    "shape",
    "nonce",
    "issuer_key",
    "schema",
    "disclosure",
    "predicates",
    "pseudonym",
    "proof",
    "status",
)
"""The checks in the order docs/credentials.md §8 runs them (status: steps 8 and 10)."""

STEP_OF = {
    "malformed": "shape",
    "nonce_mismatch": "nonce",
    "unknown_issuer": "issuer_key",
    "issuer_revoked": "issuer_key",
    "schema_mismatch": "schema",
    "disclosure_mismatch": "disclosure",
    "predicate_failed": "predicates",
    "pseudonym_mismatch": "pseudonym",
    "proof_invalid": "proof",
    "status_mismatch": "status",
    "revoked": "status",
}
"""The check each refusal reason of §8 belongs to."""

WHAT = {
    "shape": "one Pnyx credential in a VerifiablePresentation",
    "nonce": "the proof answers this request's nonce",
    "issuer_key": "the BBS key is on the board and the issuer's; the issuer is not revoked",
    "schema": "the requested schema, as published on the board",
    "disclosure": "exactly the requested attributes, each a valid value",
    "predicates": "exactly the requested predicates, and validUntil on or after the date",
    "pseudonym": "the requested pseudonym context (or a fresh, unlinked one)",
    "proof": "the BBS proof verifies for these values, predicates, pseudonym and request",
    "status": "the credential is not revoked",
}


@dataclass(frozen=True)
class Check:
    check: str
    ok: bool | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str | None
    detail: str | None
    result: Verified | None
    key_id: str | None
    checks: tuple[Check, ...]
    predicates: tuple[tuple[str, bool | None], ...]
    """Each predicate the request asks (and ``validUntil >= date``): proved, refused, unknown."""

    def to_json(self) -> dict[str, Any]:
        result = None
        if self.result is not None:
            result = {**self.result.to_json(), "key_id": self.key_id}
        return {
            "valid": self.valid,
            "reason": self.reason,
            "detail": self.detail,
            "result": result,
            "checks": [c.to_json() for c in self.checks],
            "predicates": [{"predicate": p, "proved": ok} for p, ok in self.predicates],
        }


def asked(request: PresentationRequest) -> list[str]:
    """The predicates a presentation for ``request`` proves, as text (docs/credentials.md §7)."""
    return [str(p) for p in request.predicates] + [f"validUntil >= {request.date}"]


def _passed_before(reason: str) -> set[str]:
    """The checks that certainly passed when ``reason`` refused the presentation."""
    if reason == "malformed":
        return set()
    step = STEP_OF[reason]
    before = set(CHECKS[: CHECKS.index(step)])
    if reason == "status_mismatch":
        before.discard("proof")  # step 8 refuses before the proof is checked
    return before


def _refused(request: PresentationRequest, e: PresentationRejected) -> Verdict:
    reason = e.reason
    detail = e.detail.removeprefix(f"{reason}: ")
    failed = STEP_OF.get(reason, "shape")
    passed = _passed_before(reason) if reason in STEP_OF else set()
    checks = tuple(
        Check(
            name,
            False if name == failed else True if name in passed else None,
            detail if name == failed else WHAT[name],
        )
        for name in CHECKS
    )
    # the proof covers the predicates: they hold when it verified (a refusal after it)
    proved: bool | None = True if reason == "revoked" else None
    if reason == "predicate_failed":
        proved = False
    return Verdict(
        False, reason, detail, None, None, checks, tuple((p, proved) for p in asked(request))
    )


def _valid(data: BoardData, request: PresentationRequest, doc: Any, v: Verified) -> Verdict:
    key_id = parse_key(doc["verifiableCredential"][0]["proof"]["verificationMethod"])
    key = data.get("identity", f"key/{key_id}") or {}
    schema = data.get("identity", f"schema/{v.issuer}/{v.schema}") or {}
    shown = ", ".join(sorted(v.disclosed)) or "none"
    if v.status is None:
        status = "short-lived credential: no status list; validity proved against the date"
    else:
        rec = data.get("identity", f"status/{v.issuer}/{v.status[0]}") or {}
        status = (
            f"bit {v.status[1]} of status list {v.issuer}/{v.status[0]} is 0 "
            f"(list as updated at entry {rec.get('updated')})"
        )
    detail = {
        "shape": WHAT["shape"],
        "nonce": f"challenge {request.nonce} is the request's nonce",
        "issuer_key": (
            f"key {key_id} of {v.issuer} published at entry {key.get('since')}; "
            "its authority is registered and not revoked"
        ),
        "schema": (
            f"{v.issuer}/{v.schema}, digest {schema.get('digest')}, "
            f"published at entry {schema.get('since')}"
        ),
        "disclosure": f"disclosed: {shown}",
        "predicates": "proved: " + "; ".join(v.predicates),
        "pseudonym": (
            f"pseudonym for context {request.pseudonym_context!r}"
            if request.pseudonym_context is not None
            else "no pseudonym asked: a fresh, unlinked one"
        ),
        "proof": WHAT["proof"],
        "status": status,
    }
    checks = tuple(Check(name, True, detail[name]) for name in CHECKS)
    return Verdict(True, None, None, v, key_id, checks, tuple((p, True) for p in asked(request)))


def judge(data: BoardData, request: PresentationRequest, doc: Any) -> Verdict:
    """Verify ``doc`` against ``request`` from board data; a refusal is a verdict, not an error."""
    try:
        v = verify_presentation(data, request, doc)
    except PresentationRejected as e:
        return _refused(request, e)
    except Rejected as e:
        return _refused(request, PresentationRejected("malformed", e.detail))
    return _valid(data, request, doc, v)
