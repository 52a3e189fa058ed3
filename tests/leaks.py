"""Searching what left a system (responses, requests, logs, database dumps) for secrets.

One helper for the privacy tests of the services, the API and the browser pages:
each test collects the bytes that left (``parts``) and the secret values it
knows, and asserts that ``search`` finds none of them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HEX = set("0123456789abcdef")


def search(parts: list[bytes], values: list[str]) -> list[str]:
    """The ``values`` found in ``parts``: as text (any case) or the hex of the text, and
    for a hex value also as the raw bytes it encodes and their base64 (and base64url)."""
    lowered = [p.lower() for p in parts]
    hits = []
    for value in values:
        raw = value.encode("utf-8")
        forms = {raw.lower(), raw.hex().encode()}
        exact: list[bytes] = []
        if len(value) >= 16 and len(value) % 2 == 0 and set(value.lower()) <= HEX:
            b = bytes.fromhex(value)
            forms.add(b.lower())
            exact = [base64.b64encode(b).rstrip(b"="), base64.urlsafe_b64encode(b).rstrip(b"=")]
        if any(f in p for f in forms for p in lowered) or any(e in p for e in exact for p in parts):
            hits.append(value)
    return hits


def unpacked(doc: Any) -> Iterator[bytes]:
    """Every member name and string of a JSON document, and what a string decodes to
    when it is base64."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield str(k).encode("utf-8")
            yield from unpacked(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from unpacked(v)
    elif isinstance(doc, str):
        yield doc.encode("utf-8")
        try:
            yield base64.b64decode(doc, validate=True)
        except (binascii.Error, ValueError):
            return


def raw_files(paths: list[Path]) -> list[bytes]:
    """The bytes of each file, and of every file below each folder (a database with
    its journal, a key folder)."""
    out = []
    for p in paths:
        if p.is_file():
            out.append(p.read_bytes())
        elif p.is_dir():
            out += [f.read_bytes() for f in sorted(p.rglob("*")) if f.is_file()]
    assert out
    return out
