"""The notices domain (docs/board.md §Notices).

Kind ``notice.publish`` (role ``publisher``), body::

    {"title": str (1..200 chars), "text": str (0..20000 chars),
     "attachments": [{"name": str (1..200), "sha256": 64 lowercase hex}, ...]  (0..32)}

State: ``notice/<index, 12 digits>`` → ``{"title", "publisher", "time",
"attachments"}`` and ``count`` → the number of notices.
"""

from __future__ import annotations

import re
from typing import Any

from ledger.domains import Domain, Kind, View
from ledger.entry import Entry
from ledger.errors import DomainRejection

PUBLISH = "notice.publish"
ROLE = "publisher"
MAX_TITLE = 200
MAX_TEXT = 20_000
MAX_ATTACHMENTS = 32
SHA256_RE = re.compile(r"[0-9a-f]{64}")


def notice_body(
    title: str, text: str, attachments: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """The body of a ``notice.publish`` entry (validated the same way the board will)."""
    body: dict[str, Any] = {"title": title, "text": text, "attachments": attachments or []}
    validate(body)
    return body


def _clean_text(value: Any, what: str, lo: int, hi: int) -> str:
    if not isinstance(value, str) or not lo <= len(value) <= hi:
        raise DomainRejection(f"{what} must be a string of {lo} to {hi} characters")
    if any(ord(c) < 0x20 and c not in "\n\t" for c in value):
        raise DomainRejection(f"{what} contains control characters")
    return value


def validate(body: dict[str, Any]) -> None:
    if set(body) != {"title", "text", "attachments"}:
        raise DomainRejection("a notice has exactly the fields title, text, attachments")
    _clean_text(body["title"], "title", 1, MAX_TITLE)
    if "\n" in body["title"]:
        raise DomainRejection("title is one line")
    _clean_text(body["text"], "text", 0, MAX_TEXT)
    atts = body["attachments"]
    if not isinstance(atts, list) or len(atts) > MAX_ATTACHMENTS:
        raise DomainRejection(f"attachments must be a list of at most {MAX_ATTACHMENTS}")
    for a in atts:
        if not isinstance(a, dict) or set(a) != {"name", "sha256"}:
            raise DomainRejection("an attachment is {name, sha256}")
        _clean_text(a["name"], "attachment name", 1, 200)
        if not isinstance(a["sha256"], str) or not SHA256_RE.fullmatch(a["sha256"]):
            raise DomainRejection("attachment sha256 must be 64 lowercase hex digits")


def check_publish(entry: Entry, view: View) -> None:
    validate(entry.body)


def apply_publish(entry: Entry, view: View) -> None:
    if view.author is None:
        raise DomainRejection("a notice needs an author")
    view.put(
        f"notice/{view.index:012d}",
        {
            "title": entry.body["title"],
            "publisher": view.author.name,
            "time": entry.time,
            "attachments": entry.body["attachments"],
        },
    )
    view.put("count", int(view.get("count") or 0) + 1)


DOMAIN = Domain("notice", (Kind(PUBLISH, ROLE, check_publish, apply_publish),))
