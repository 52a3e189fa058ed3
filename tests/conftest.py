"""Shared fixtures: the published vectors, and a board database on every backend.

The published vectors live in ../shared/vectors beside the repository.

``db_url`` is parametrized over ``sqlite`` and ``postgresql``: every test that
takes it runs on both.  The PostgreSQL server is started once per session
(:mod:`tests.pg`); each test gets its own fresh database on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import PgServer, PgUnavailable

REPO = Path(__file__).resolve().parents[1]
VECTORS = REPO.parent / "shared" / "vectors"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def vectors() -> Path:
    """The shared vectors folder; tests that need it skip only when it is absent."""
    if not VECTORS.is_dir():
        pytest.skip(f"published vectors not found at {VECTORS} (the shared/ folder is absent)")
    return VECTORS


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server of our own for the session, on a free loopback port.

    Skips (every test that needs it) only when PostgreSQL is not installed;
    a server that is installed but does not start is an error.
    """
    try:
        server = PgServer()
    except PgUnavailable as e:
        pytest.skip(str(e))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty board database URL: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'board.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)  # WITH (FORCE): engines the test left open are cut off


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks the headless-Chromium tests ``browser`` (``make check`` leaves them out)."""
    for item in items:
        if item.path.name.startswith("test_browser_"):
            item.add_marker(pytest.mark.browser)
