"""Tally, partial decryptions and the result (docs/voting.md §6 "Tally", "Partial", "Result").

The encrypted tally is the homomorphic sum of the counted ballots' option
ciphertexts (one counted ballot per voter, as the domain's ``cast/<id>/<voter>``
state holds it: the last one under ``revote = "last"``, the first under
``"deny"``).  Any ``k`` valid partial decryptions give each total
(crypto/threshold.py §5.5, the discrete log by crypto/dlog.py); an invalid
partial stays on the board, marked, and is named in the result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from crypto.dlog import DiscreteLogTable
from crypto.elgamal import Ciphertext
from crypto.errors import ThresholdError
from crypto.group import Point, Scalar, add_encodings
from crypto.threshold import PartialDecryption, combine_partial_decryptions, partial_decrypt
from services.identity.board_data import BoardData
from services.voting.election import NAME, ElectionInfo
from services.voting.errors import NotEnoughPartials, WrongPhase

TALLY_PREFIX = b"pnyx/voting/tally/v1\n"
Scan = Callable[[str], Iterable[tuple[str, Any]]]
"""``prefix -> [(key, JSON value)]`` over the voting domain's state."""


def tally_digest(tally: list[list[str]]) -> str:
    """``h_T`` (§2) of the tally's ciphertexts (hex strings, contest then option order)."""
    h = hashlib.sha256(TALLY_PREFIX)
    for contest in tally:
        for ct in contest:
            h.update(bytes.fromhex(ct))
    return h.hexdigest()


def counted_tally(scan: Scan, election: str, widths: list[int]) -> tuple[int, list[list[str]]]:
    """The number of counted ballots and the sum of their option ciphertexts (hex).

    The ciphertexts come from the domain's own state, where they were written
    only after their ballot's points were validated and its proofs verified,
    so they are added as encodings (``crypto.group.add_encodings``) without
    building ``Point`` objects.  ``widths`` are the contests' option counts.
    """
    total = sum(widths)
    sums: list[bytes] | None = None
    count = 0
    add = add_encodings
    for _, cast in scan(f"cast/{election}/"):
        raw = bytes.fromhex(cast["ciphertexts"])
        parts = [raw[32 * k : 32 * k + 32] for k in range(2 * total)]
        sums = parts if sums is None else [add(x, y) for x, y in zip(sums, parts, strict=True)]
        count += 1
    if sums is None:
        return 0, []
    out, k = [], 0
    for m in widths:
        out.append([(sums[2 * (k + o)] + sums[2 * (k + o) + 1]).hex() for o in range(m)])
        k += m
    return count, out


def _scan(data: BoardData) -> Scan:
    return lambda prefix: data.scan(NAME, prefix)


def tally_body(data: BoardData, election: str) -> dict[str, Any]:
    """The ``voting.tally`` body the board will accept: the counted ballots' sum."""
    info = ElectionInfo.load(data, election)
    count, tally = counted_tally(_scan(data), election, [s.options for s in info.shapes])
    return {"election": election, "ballots": count, "tally": tally}


def board_tally(data: BoardData, election: str) -> tuple[str, int, list[list[Ciphertext]]]:
    """The tally on the board: its digest, the number of ballots, the ciphertexts."""
    t = data.get(NAME, f"tally/{election}")
    if t is None:
        raise WrongPhase(f"election {election} has no tally on the board")
    cts = [[Ciphertext.from_bytes(bytes.fromhex(c)) for c in contest] for contest in t["tally"]]
    return t["digest"], t["ballots"], cts


def partial_body(
    data: BoardData, election: str, trustee: int, secret_share: Scalar
) -> dict[str, Any]:
    """Trustee ``j``'s ``voting.partial`` body: ``D_j = s_j·α`` with a DLEQ proof per ciphertext."""
    info = ElectionInfo.load(data, election)
    digest, _, cts = board_tally(data, election)
    params = info.decryption
    shares = [
        [partial_decrypt(params, trustee, secret_share, ct).to_bytes().hex() for ct in contest]
        for contest in cts
    ]
    return {"election": election, "trustee": trustee, "tally": digest, "shares": shares}


@dataclass(frozen=True)
class Result:
    """The decrypted totals and which partials were used or excluded (and why)."""

    totals: list[list[int]]
    used: list[int]
    excluded: list[dict[str, Any]]
    ballots: int

    def body(self, election: str, tally: str) -> dict[str, Any]:
        """The ``voting.result`` body."""
        return {
            "election": election,
            "tally": tally,
            "totals": self.totals,
            "used": self.used,
            "excluded": self.excluded,
        }


def decrypt_result(data: BoardData, election: str) -> tuple[str, Result]:
    """Combine the valid partials on the board into the totals (``h_T`` and the result).

    Raises :class:`NotEnoughPartials` without ``k`` valid partials, naming the
    excluded ones.
    """
    info = ElectionInfo.load(data, election)
    digest, ballots, cts = board_tally(data, election)
    valid: dict[int, Any] = {}
    excluded: list[dict[str, Any]] = []
    for key, p in data.scan(NAME, f"partial/{election}/"):
        j = int(key.rsplit("/", 1)[1])
        if p["valid"]:
            valid[j] = p["shares"]
        else:
            excluded.append({"trustee": j, "reason": p["reason"]})
    excluded.sort(key=lambda x: x["trustee"])
    if len(valid) < info.threshold:
        raise NotEnoughPartials(
            f"{len(valid)} valid partial decryptions, {info.threshold} needed; excluded: "
            + (", ".join(f"trustee {x['trustee']} ({x['reason']})" for x in excluded) or "none")
        )
    used = sorted(valid)[: info.threshold]
    keys = data.get(NAME, f"keys/{election}")
    vks = {j: Point.from_bytes(bytes.fromhex(keys["verification_keys"][j - 1])) for j in used}
    table = DiscreteLogTable(ballots)
    totals = []
    for c, contest in enumerate(cts):
        row = []
        for o, ct in enumerate(contest):
            partials = [PartialDecryption.from_bytes(bytes.fromhex(valid[j][c][o])) for j in used]
            try:
                outcome = combine_partial_decryptions(info.decryption, vks, ct, partials)
            except ThresholdError as e:
                raise NotEnoughPartials(f"contest {c} option {o}: {e}") from None
            row.append(table.log(outcome.plaintext))
        totals.append(row)
    return digest, Result(totals, used, excluded, ballots)
