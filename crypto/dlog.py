"""Discrete logarithm of a tally by baby-step giant-step, with a bound (docs/crypto.md §3.4).

Given M = m·G with 0 ≤ m ≤ bound, find m in O(√bound) group operations:

    n = ⌊√bound⌋ + 1                       (so n² > bound)
    baby steps   T[j·G] = j                 for 0 ≤ j < n
    giant steps  M − i·(n·G)                for 0 ≤ i ≤ ⌊bound / n⌋
    m = i·n + j at the first hit, accepted only if m ≤ bound.

A point whose logarithm exceeds the bound (or that no small m explains, e.g. a
wrongly combined decryption) raises `DiscreteLogOutOfRange` after at most
⌊bound/n⌋ + 1 giant steps: the search never runs unbounded.
"""

from __future__ import annotations

from math import isqrt
from types import MappingProxyType
from typing import final

from crypto.errors import DiscreteLogOutOfRange
from crypto.group import GENERATOR, IDENTITY, Point

__all__ = ["DiscreteLogTable", "discrete_log"]

_MAX_BOUND = 2**48  # 2^24 baby steps: far above any tally, still a finite search


@final
class DiscreteLogTable:
    """Baby-step table for logarithms in [0, bound]; build once, reuse for every tally."""

    __slots__ = ("_baby", "_bound", "_giant", "_width")

    _baby: MappingProxyType[bytes, int]
    _bound: int
    _giant: Point
    _width: int

    def __init__(self, bound: int) -> None:
        if not 0 <= bound <= _MAX_BOUND:
            raise ValueError(f"the bound must be in [0, {_MAX_BOUND}]")
        width = isqrt(bound) + 1
        baby: dict[bytes, int] = {}
        point = IDENTITY
        for j in range(width):
            baby[point.to_bytes()] = j
            point = point + GENERATOR
        object.__setattr__(self, "_bound", bound)
        object.__setattr__(self, "_width", width)
        object.__setattr__(self, "_baby", MappingProxyType(baby))
        object.__setattr__(self, "_giant", point)  # width·G

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("DiscreteLogTable is immutable")

    @property
    def bound(self) -> int:
        """The largest logarithm this table returns."""
        return self._bound

    def log(self, point: Point) -> int:
        """m with m·G = point and 0 ≤ m ≤ bound, else `DiscreteLogOutOfRange`."""
        current = point
        for i in range(self._bound // self._width + 1):
            j = self._baby.get(current.to_bytes())
            if j is not None:
                m = i * self._width + j
                if m <= self._bound:
                    return m
                break
            current = current - self._giant
        raise DiscreteLogOutOfRange(f"no discrete logarithm in [0, {self._bound}]")


def discrete_log(point: Point, bound: int) -> int:
    """m with m·G = point and 0 ≤ m ≤ bound (builds a table; reuse one for many)."""
    return DiscreteLogTable(bound).log(point)
