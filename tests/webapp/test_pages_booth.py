"""The booth page's frame as the server renders it (webapp/pages_booth.py); the page at
work in a browser is tests/webapp/test_browser_booth.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.webapp.test_api_kit import ELECTION, roll_election

BOOTH = f"/elections/{ELECTION}/booth"
HTML = {"accept": "text/html"}


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'board.db'}"


def test_open_roll_election(url: str, tmp_path: Path) -> None:
    c = roll_election(url, tmp_path / "keys").client()
    r = c.get(BOOTH, headers=HTML)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert f'data-election="{ELECTION}"' in html and 'data-eligibility="roll"' in html
    assert '<script type="module" src="/static/js/pages/booth.js"></script>' in html
    assert 'id="key-file"' in html and 'id="pseudonym"' not in html
    assert "Voting booth: City elections 2026" in html
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    for path in ("/static/js/pages/booth.js", "/static/js/pages/booth-form.js",
                 "/static/css/booth.css"):  # fmt: skip
        assert c.get(path).status_code == 200, path


def test_not_open_yet(url: str, tmp_path: Path) -> None:
    """Before the election opens the page says so and loads no booth."""
    c = roll_election(url, tmp_path / "keys", keyed=False).client()
    r = c.get(BOOTH, headers=HTML)
    assert r.status_code == 200
    assert "This election is not open for ballots (phase: key ceremony)." in r.text
    assert "/static/js/pages/booth.js" not in r.text


@pytest.mark.parametrize("path", ["/elections/nowhere/booth", "/elections/Not-An-Id/booth"])
def test_no_such_election(url: str, tmp_path: Path, path: str) -> None:
    c = roll_election(url, tmp_path / "keys").client()
    r = c.get(path, headers=HTML)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "There is no election with this id." in r.text
    assert "booth.js" not in r.text
