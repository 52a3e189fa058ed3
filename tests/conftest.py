"""Shared fixtures: the published vectors live in ../shared/vectors beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VECTORS = REPO.parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def vectors() -> Path:
    """The shared vectors folder; tests that need it skip only when it is absent."""
    if not VECTORS.is_dir():
        pytest.skip(f"published vectors not found at {VECTORS} (the shared/ folder is absent)")
    return VECTORS


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh, empty board database URL (SQLite file)."""
    return f"sqlite:///{tmp_path / 'board.db'}"
