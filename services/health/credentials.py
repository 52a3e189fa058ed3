"""Health credentials: one medical fact, signed by a provider, shown to a verifier alone.

docs/health.md §Credentials and CLI.  A provider that also holds the role
``issuer`` (docs/credentials.md §Formats 1) publishes a BBS key and the three
schemas below on the board, then issues, through the identity service's blind
issuance (:mod:`services.identity.issuance`), a credential over one *fact*
taken from a patient's FHIR record:

- ``health-immunization``: ``vaccine`` (string, a FHIR token ``system|code``) and
  ``vaccinationDate`` (date); a verifier sees the vaccine and a proof that the
  hidden date is on or after its cut-off;
- ``health-blood-type``: ``bloodType`` (string, ``O-`` … ``AB+``), shown;
- ``health-allergy``: ``substance`` (string ``system|code``) and ``allergic``
  (boolean), both shown ("no penicillin allergy").

The schemas are ``short_lived`` (at most 92 days): presentations of one
credential share no value but the disclosed ones, so two verifiers cannot link
them (a ``status_list`` schema would show a status index in every presentation).
The patient asks for a fresh credential when one expires.  Nothing about a
patient is on the board: the schemas and the key only.

A credential carries no name and no identifier of the patient (a
``credentialSubject.id`` would make every presentation linkable, docs/credentials.md
§5); the verifier learns the fact, the predicate, the issuing provider's name and
that the credential is valid on its day — nothing else (docs/credentials.md §7).

Facts are read from a FHIR R4 Bundle (:func:`facts_from_bundle`), so a provider
certifies what its record says:

- ``Immunization`` with status ``completed``: ``vaccineCode.coding[0]`` as
  ``system|code`` (FHIR token syntax) and the date of ``occurrenceDateTime``;
- ``Observation`` coded LOINC ``882-1`` (ABO and Rh group): ``valueString`` or
  ``valueCodeableConcept.text``, one of the eight ABO/RhD groups;
- ``AllergyIntolerance`` with ``verificationStatus`` ``confirmed`` (allergic) or
  ``refuted`` (not allergic): ``code.coding[0]`` as ``system|code``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from ledger.errors import DomainRejection
from services.identity import issuance
from services.identity.board_data import BoardData
from services.identity.domain import ISSUER_KEY, SCHEMA
from services.identity.errors import BadDocument, IdentityError
from services.identity.keys import DEFAULT_SUITE, issuer_key_body
from services.identity.request import Predicate, PresentationRequest
from services.identity.schema import MAX_SHORT_LIVED_DAYS, parse_date, schema_body

IMMUNIZATION = "health-immunization"
BLOOD_TYPE = "health-blood-type"
ALLERGY = "health-allergy"
MAX_DAYS = MAX_SHORT_LIVED_DAYS
"""Validity of a health credential: the identity service's ceiling for short-lived ones."""

SCHEMAS: dict[str, dict[str, Any]] = {
    IMMUNIZATION: schema_body(
        IMMUNIZATION,
        "Immunization (vaccine and date)",
        [("vaccine", "string"), ("vaccinationDate", "date")],
        "short_lived",
        MAX_DAYS,
    ),
    BLOOD_TYPE: schema_body(
        BLOOD_TYPE, "ABO and RhD blood group", [("bloodType", "string")], "short_lived", MAX_DAYS
    ),
    ALLERGY: schema_body(
        ALLERGY,
        "Allergy status for one substance",
        [("substance", "string"), ("allergic", "boolean")],
        "short_lived",
        MAX_DAYS,
    ),
}
"""The ``identity.schema`` bodies a provider publishes, by schema id."""

BLOOD_GROUPS = ("O-", "O+", "A-", "A+", "B-", "B+", "AB-", "AB+")
LOINC = "http://loinc.org"
LOINC_BLOOD_GROUP = "882-1"
TOKEN_RE = re.compile(r"[^\s|]{1,400}\|[^\s|]{1,200}")
"""A FHIR token ``system|code``: both parts present, no spaces, within the string limit."""
_BLOOD_RE = re.compile(r"(O|A|B|AB)\s*(?:RH\(?D\)?\s*)?(\+|-|POS(?:ITIVE)?|NEG(?:ATIVE)?)")


def _token(value: Any, what: str) -> str:
    if not isinstance(value, str) or not TOKEN_RE.fullmatch(value):
        raise BadDocument(f"{what} must be a FHIR token system|code, not {value!r}")
    return value


@dataclass(frozen=True)
class Immunization:
    """Vaccinated with ``vaccine`` (``system|code``) on ``day``."""

    vaccine: str
    day: date
    schema: ClassVar[str] = IMMUNIZATION

    def __post_init__(self) -> None:
        _token(self.vaccine, "vaccine")

    def values(self) -> dict[str, Any]:
        return {"vaccine": self.vaccine, "vaccinationDate": self.day.isoformat()}


@dataclass(frozen=True)
class BloodType:
    """ABO and RhD group, one of :data:`BLOOD_GROUPS`."""

    group: str
    schema: ClassVar[str] = BLOOD_TYPE

    def __post_init__(self) -> None:
        if self.group not in BLOOD_GROUPS:
            raise BadDocument(f"a blood group is one of {', '.join(BLOOD_GROUPS)}")

    def values(self) -> dict[str, Any]:
        return {"bloodType": self.group}


@dataclass(frozen=True)
class AllergyStatus:
    """Allergic (or, with ``allergic=False``, confirmed not allergic) to ``substance``."""

    substance: str
    allergic: bool
    schema: ClassVar[str] = ALLERGY

    def __post_init__(self) -> None:
        _token(self.substance, "substance")

    def values(self) -> dict[str, Any]:
        return {"substance": self.substance, "allergic": self.allergic}


Fact = Immunization | BloodType | AllergyStatus


# ---------------------------------------------------------------- provider


def issuer_bodies(
    provider: str, sk: bytes, origin: str, ciphersuite: str = DEFAULT_SUITE
) -> list[tuple[str, dict[str, Any]]]:
    """The entries that make a provider a health-credential issuer: its BBS key, the schemas.

    To be signed by the provider's authority, which needs the role ``issuer``
    besides ``provider``; ``origin`` is the board's (the key's proof of
    possession names it, docs/credentials.md §1.1).
    """
    return [(ISSUER_KEY, issuer_key_body(ciphersuite, sk, origin, provider))] + [
        (SCHEMA, body) for body in SCHEMAS.values()
    ]


def issue_fact(
    data: BoardData,
    provider: str,
    sk: bytes,
    request: dict[str, Any],
    fact: Fact,
    valid_from: date,
    valid_days: int = MAX_DAYS,
) -> dict[str, Any]:
    """The provider signs ``fact`` blindly for the patient's issuance ``request``.

    The request must be addressed to ``provider`` and be for the fact's schema
    (a patient who asked for a blood-type credential does not get an allergy
    one).  Returns the identity service's ``PnyxCredentialIssuance``.
    """
    schema = issuance.request_schema(data, request, provider)
    if schema.id != fact.schema:
        raise IdentityError(f"the request is for {schema.id}, the fact is a {fact.schema}")
    return issuance.issue(data, provider, sk, request, fact.values(), valid_from, valid_days, None)


# ---------------------------------------------------------------- verifier


def fact_request(
    provider: str,
    schema: str,
    *,
    vaccinated_since: date | None = None,
    day: date | None = None,
) -> PresentationRequest:
    """A verifier's request for one fact of ``schema`` issued by ``provider``.

    - immunization: the vaccine is shown; with ``vaccinated_since``, the hidden
      date is proved to be on or after it;
    - blood type: the group is shown;
    - allergy: the substance and the status are shown.
    """
    if schema not in SCHEMAS:
        raise BadDocument(f"a health fact is one of {', '.join(SCHEMAS)}, not {schema!r}")
    if vaccinated_since is not None and schema != IMMUNIZATION:
        raise BadDocument("a vaccination cut-off applies to immunization facts only")
    disclose = {
        IMMUNIZATION: ["vaccine"],
        BLOOD_TYPE: ["bloodType"],
        ALLERGY: ["substance", "allergic"],
    }[schema]
    predicates = (
        [Predicate("vaccinationDate", ">=", vaccinated_since.isoformat())]
        if vaccinated_since is not None
        else []
    )
    return PresentationRequest.new(provider, schema, disclose, predicates, day)


# -------------------------------------------------------------------- FHIR


def _first_coding(concept: Any) -> dict[str, Any] | None:
    if not isinstance(concept, dict):
        return None
    codings = concept.get("coding")
    if not isinstance(codings, list) or not codings or not isinstance(codings[0], dict):
        return None
    return codings[0]


def _coding_token(concept: Any) -> str | None:
    c = _first_coding(concept)
    if c is None or not isinstance(c.get("system"), str) or not isinstance(c.get("code"), str):
        return None
    token = f"{c['system']}|{c['code']}"
    return token if TOKEN_RE.fullmatch(token) else None


def _has_code(concept: Any, system: str, code: str) -> bool:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return isinstance(codings, list) and any(
        isinstance(c, dict) and c.get("system") == system and c.get("code") == code for c in codings
    )


def blood_group(text: str) -> str | None:
    """``"O-"`` from ``"O-"``, ``"O neg"``, ``"O Rh(D) negative"``, ``"O−"`` (any case)."""
    m = _BLOOD_RE.fullmatch(text.strip().upper().replace("\u2212", "-"))
    if m is None:
        return None
    return m.group(1) + ("+" if m.group(2)[0] in "+P" else "-")


def _immunization(res: dict[str, Any]) -> Fact | None:
    when = res.get("occurrenceDateTime")
    vaccine = _coding_token(res.get("vaccineCode"))
    if res.get("status") != "completed" or vaccine is None or not isinstance(when, str):
        return None
    try:
        return Immunization(vaccine, date.fromisoformat(when[:10]))
    except ValueError:
        return None


def _blood(res: dict[str, Any]) -> Fact | None:
    if res.get("status") not in ("final", "amended", "corrected"):
        return None
    if not _has_code(res.get("code"), LOINC, LOINC_BLOOD_GROUP):
        return None
    value = res.get("valueString")
    concept = res.get("valueCodeableConcept")
    if value is None and isinstance(concept, dict):
        value = concept.get("text")
    group = blood_group(value) if isinstance(value, str) else None
    return None if group is None else BloodType(group)


def _allergy(res: dict[str, Any]) -> Fact | None:
    verification = _first_coding(res.get("verificationStatus"))
    status = verification.get("code") if verification else None
    substance = _coding_token(res.get("code"))
    if substance is None or status not in ("confirmed", "refuted"):
        return None
    return AllergyStatus(substance, status == "confirmed")


def facts_from_bundle(bundle: dict[str, Any]) -> list[Fact]:
    """Every fact a provider can certify from a (validated) FHIR Bundle, in entry order.

    Resources that do not state a fact plainly (an immunization not completed,
    an allergy only suspected, a blood group in another notation) give none.
    """
    readers = {
        "Immunization": _immunization,
        "Observation": _blood,
        "AllergyIntolerance": _allergy,
    }
    facts: list[Fact] = []
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    for e in entries if isinstance(entries, list) else []:
        res = e.get("resource") if isinstance(e, dict) else None
        if not isinstance(res, dict):
            continue
        read = readers.get(str(res.get("resourceType")))
        fact = read(res) if read is not None else None
        if fact is not None:
            facts.append(fact)
    return facts


def parse_fact(schema: str, values: dict[str, str]) -> Fact:
    """A fact from command-line text (``--fact vaccine=… --fact vaccinationDate=…``)."""
    if schema not in SCHEMAS:
        raise BadDocument(f"a health fact is one of {', '.join(SCHEMAS)}, not {schema!r}")
    names = [a["name"] for a in SCHEMAS[schema]["attributes"]]
    if set(values) != set(names):
        raise BadDocument(f"a {schema} fact has exactly the values {', '.join(names)}")
    if schema == IMMUNIZATION:
        try:
            day = parse_date(values["vaccinationDate"], "vaccinationDate")
        except DomainRejection as e:
            raise BadDocument(e.detail) from None
        return Immunization(values["vaccine"], day)
    if schema == BLOOD_TYPE:
        return BloodType(values["bloodType"])
    if values["allergic"] not in ("true", "false"):
        raise BadDocument(f"allergic is true or false, not {values['allergic']!r}")
    return AllergyStatus(values["substance"], values["allergic"] == "true")
