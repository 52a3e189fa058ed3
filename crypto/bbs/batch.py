"""Batch verification of presentations: their last equations checked as one.

A presentation's verification ends with two equations that need no hashing:
the range proof's MSM, which must sum to the identity (range.py,
`range_equation`), and the BBS pairing check e(Abar, W) = e(Bbar, BP2)
(draft-irtf-cfrg-bbs-signatures §3.6.4 / §5.4). Everything before them —
decoding, the challenges, T1, T2, the pseudonym's Uv — is per presentation.
A verifier of many presentations (the election verifier, the board admitting
a batch) can leave those two equations to a `Batch` and check all of them at
once by the small-exponent test (Bellare, Garay, Rabin, "Fast batch
verification for modular exponentiation and digital signatures", 1998):
each equation is raised to an independent random weight of `WEIGHT_BITS`
bits drawn from the OS CSPRNG after every proof is fixed, and the weighted
equations are multiplied together. G1, G2 and GT have prime order r (every
point was decoded with its subgroup check), so if any single equation fails,
the product holds with probability at most 2^−128.

What the product costs: the range proofs' generators (g, h, G_i, H_i) are
shared by every presentation, so their scalars add up and each is multiplied
once per batch; the proofs' own points go to one Pippenger MSM
(`CurveBackend.g1_msm_vartime`); the pairings collapse to one Miller loop per
issuer key plus one for BP2, and one final exponentiation.

When the product fails, every deferred item is checked on its own, exactly
as the unbatched verification would, and `Batch.failed` names the items that
fail: the caller verifies those again without deferring, which gives the
same answer (and error) as if there had been no batch.

Deferral is ambient: `with batch.collect(tag):` makes the verifications run in
that block hand their last equations to the batch (`deferred()` tells them),
so the layers between the caller and crypto (identity, voting) need no
parameter. A verification under `collect` that returns True has passed
everything but the deferred equations; it is final only once `failed()` does
not name its tag.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Final

from crypto.bbs.backend import G1, G2, ORDER, CurveBackend, get_backend

__all__ = ["WEIGHT_BITS", "Batch", "Deferred", "deferred", "undeferred"]

#: Bits of each random weight: a failing equation passes the product with
#: probability at most 2^−WEIGHT_BITS.
WEIGHT_BITS: Final = 128


@dataclass
class Deferred:
    """The equations one item's verifications left to its batch."""

    backend: CurveBackend
    msms: list[tuple[Sequence[G1], Sequence[int], int]] = field(default_factory=list)
    """(bases, scalars, fixed): Σ scalars[i]·bases[i] must be the identity; the first
    `fixed` bases are long-lived generators."""
    pairings: list[tuple[G1, G1, G2]] = field(default_factory=list)
    """(a, b, w): e(a, w) must equal e(b, BP2)."""

    def holds(self) -> bool:
        """Whether every equation holds, each checked on its own (no weights)."""
        be = self.backend
        for bases, scalars, fixed in self.msms:
            if not be.g1_is_identity(be.g1_msm_public(bases, scalars, fixed=fixed)):
                return False
        minus_bp2 = be.g2_neg(be.g2_generator())
        return all(be.pairing_check([(a, w), (b, minus_bp2)]) for a, b, w in self.pairings)


_CURRENT: ContextVar[Deferred | None] = ContextVar("pnyx_bbs_deferred", default=None)


def deferred(backend: CurveBackend) -> Deferred | None:
    """Where a verification on `backend` leaves its last equations: the item of the
    enclosing `Batch.collect`, or None (verify them now) outside one or when the
    batch uses another backend."""
    d = _CURRENT.get()
    return d if d is not None and d.backend is backend else None


@contextlib.contextmanager
def undeferred() -> Iterator[None]:
    """Verifications in this block verify everything now, even inside a `collect`."""
    token = _CURRENT.set(None)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def _weight(randbits: Callable[[int], int]) -> int:
    while True:
        w = randbits(WEIGHT_BITS)
        if w:
            return w


class Batch:
    """Items (by tag) whose deferred equations are checked together by `failed`."""

    def __init__(
        self,
        backend: CurveBackend | None = None,
        randbits: Callable[[int], int] = secrets.randbits,
    ) -> None:
        self.backend = backend or get_backend()
        self._randbits = randbits
        self._items: dict[Hashable, Deferred] = {}

    def __len__(self) -> int:
        return len(self._items)

    @contextlib.contextmanager
    def collect(self, tag: Hashable) -> Iterator[Deferred]:
        """Verifications in this block defer their last equations to item `tag`
        (a tag collected twice keeps the equations of both blocks)."""
        item = self._items.setdefault(tag, Deferred(self.backend))
        token = _CURRENT.set(item)
        try:
            yield item
        finally:
            _CURRENT.reset(token)

    def discard(self, tag: Hashable) -> None:
        """Forget item `tag` (its verification failed anyway, or is to be redone)."""
        self._items.pop(tag, None)

    def failed(self) -> set[Hashable]:
        """The tags of the items with an equation that does not hold (empty: all hold,
        with the error probability of the module doc)."""
        live = {t: d for t, d in self._items.items() if d.msms or d.pairings}
        if not live or self._product_holds(list(live.values())):
            return set()
        return {t for t, d in live.items() if not d.holds()}

    def _product_holds(self, items: list[Deferred]) -> bool:
        be = self.backend
        fixed: dict[int, list[object]] = {}
        var_points: list[G1] = []
        var_scalars: list[int] = []
        by_key: dict[int, tuple[G2, list[G1], list[int]]] = {}
        b_points: list[G1] = []
        b_scalars: list[int] = []
        for d in items:
            for bases, scalars, nfixed in d.msms:
                rho = _weight(self._randbits)
                for i, (p, k) in enumerate(zip(bases, scalars, strict=True)):
                    k = rho * k % ORDER
                    if i < nfixed:
                        slot = fixed.setdefault(id(p), [p, 0])
                        slot[1] = (slot[1] + k) % ORDER  # type: ignore[operator]
                    else:
                        var_points.append(p)
                        var_scalars.append(k)
            for a, b, w in d.pairings:
                sigma = _weight(self._randbits)
                group = by_key.setdefault(id(w), (w, [], []))
                group[1].append(a)
                group[2].append(sigma)
                b_points.append(b)
                b_scalars.append(sigma)
        if fixed or var_points:
            bases = [slot[0] for slot in fixed.values()]
            sums = [slot[1] for slot in fixed.values()]
            total = be.g1_add(
                be.g1_msm_public(bases, sums, fixed=len(bases)),  # type: ignore[arg-type]
                be.g1_msm_vartime(var_points, var_scalars),
            )
            if not be.g1_is_identity(total):
                return False
        if not by_key:
            return True
        pairs = [(be.g1_msm_vartime(a_s, ks), w) for w, a_s, ks in by_key.values()]
        pairs.append((be.g1_msm_vartime(b_points, b_scalars), be.g2_neg(be.g2_generator())))
        return be.pairing_check(pairs)
