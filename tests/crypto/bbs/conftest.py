"""Fixtures for the BBS tests: the curve backends and the fixture folders.

`backend` is parametrized over every backend; it sets $PNYX_CURVE_BACKEND for
the test (so the public API's call-time selection is what runs) and returns the
backend that `get_backend()` then resolves to.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crypto import bbs
from crypto.bbs.backend import BACKEND_ENV, CurveBackend, get_backend
from tests.conftest import VECTORS

BBS_VECTORS = VECTORS / "bbs"
SUITES = {
    "bls12-381-sha-256": bbs.BLS12_381_SHA_256,
    "bls12-381-shake-256": bbs.BLS12_381_SHAKE_256,
}
BACKEND_PARAMS = ["py_ecc", "blst", "arkworks"]


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> CurveBackend:
    """Each curve backend in turn, selected through the environment."""
    monkeypatch.setenv(BACKEND_ENV, request.param)
    chosen = get_backend()
    assert chosen.name == request.param
    return chosen


@pytest.fixture(params=["blst", "arkworks"])
def native(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> CurveBackend:
    """The native backends only, for tests that run many operations."""
    monkeypatch.setenv(BACKEND_ENV, request.param)
    return get_backend()


@pytest.fixture
def bbs_vectors(vectors: Path) -> Path:
    """The bbs/ fixture folder (skips only when ../shared/vectors is absent)."""
    return vectors / "bbs"
