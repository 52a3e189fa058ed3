"""Checkpoints, C2SP ``tlog-checkpoint`` (https://c2sp.org/tlog-checkpoint).

A checkpoint is the text of a signed note (see :mod:`ledger.note`)::

    <origin>
    <tree size, ASCII decimal>
    <root hash, base64>
    [<extension line>...]

§Note text: at least three non-empty lines, each ending in a newline.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from ledger.note import NoteError, decode_base64

__all__ = ["MAX_TREE_SIZE", "ROOT_HASH_SIZE", "Checkpoint", "CheckpointError"]

#: The root hash of an RFC 6962 / RFC 9162 SHA-256 tree.
ROOT_HASH_SIZE = 32
#: Tree sizes are uint64.
MAX_TREE_SIZE = 2**64 - 1

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A malformed checkpoint."""


def _check_line(line: str, what: str) -> None:
    """A line of note text: non-empty, no newline, no control character, UTF-8."""
    if not isinstance(line, str) or not line:
        raise CheckpointError(f"{what} is empty")
    if any(ord(ch) < 0x20 for ch in line):
        raise CheckpointError(f"{what} contains a newline or control character")
    try:
        line.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CheckpointError(f"{what} is not valid UTF-8") from exc


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, tree size, root hash, optional extension lines.

    Construction validates, so every ``Checkpoint`` has a valid text form:

    1. **origin** — non-empty, without newline or other control characters.  The
       spec only RECOMMENDS a schema-less URL without spaces or ``+``, and says
       clients MUST NOT assume that form, so spaces are allowed (``go.sum
       database tree`` is a real origin).
    2. **tree size** — 0 to 2^64 - 1, ASCII decimal without leading zeroes.
    3. **root hash** — 32 bytes, standard padded base64.
    4. **extension lines** — opaque, each non-empty (and NOT RECOMMENDED).
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise CheckpointError("tree size is not an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError("tree size is outside 0..2^64-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != ROOT_HASH_SIZE:
            raise CheckpointError("root hash is not 32 bytes")
        if not isinstance(self.extensions, tuple):
            raise CheckpointError("extensions must be a tuple")
        for ext in self.extensions:
            _check_line(ext, "extension line")

    def to_text(self) -> str:
        """§Note text: the lines, each followed by a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii")]
        return "".join(line + "\n" for line in (*lines, *self.extensions))

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text strictly; raise :class:`CheckpointError`."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint has fewer than three lines")
        origin, size_line, root_line, *extensions = lines
        _check_line(origin, "origin")
        if len(size_line) > len(str(MAX_TREE_SIZE)) or not _DECIMAL.fullmatch(size_line):
            raise CheckpointError("tree size is not a uint64 decimal without leading zeroes")
        size = int(size_line)
        if size > MAX_TREE_SIZE:
            raise CheckpointError("tree size does not fit in 64 bits")
        try:
            root = decode_base64(root_line, "root hash")
        except NoteError as exc:
            raise CheckpointError(str(exc)) from exc
        return cls(origin, size, root, tuple(extensions))
