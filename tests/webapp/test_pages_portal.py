"""The patient portal's frame as the server renders it (webapp/pages_portal.py); the page
at work in a browser is tests/webapp/test_browser_portal.py."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.webapp.portal_kit import portal_board
from webapp.app import create_app
from webapp.keystore import KeyStore

HTML = {"accept": "text/html"}
MODULES = (
    "/static/js/portal/portal.js",
    "/static/js/portal/keys.js",
    "/static/js/portal/sealing.js",
    "/static/js/portal/fhir.js",
    "/static/css/portal.css",
    "/vendor/@noble/ciphers/salsa.js",
    "/vendor/@noble/ciphers/chacha.js",
    "/vendor/@noble/hashes/blake2.js",
)


def test_the_portal_with_the_server_as_gateway(tmp_path: Path) -> None:
    pb = portal_board(f"sqlite:///{tmp_path / 'board.db'}", tmp_path)
    with TestClient(create_app(f"sqlite:///{tmp_path / 'board.db'}", pb.server_keys)) as c:
        r = c.get("/portal", headers=HTML)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        html = r.text
        assert 'data-api="/api/v1/health"' in html and 'data-gateway="on"' in html
        assert 'data-max-skew="300"' in html
        assert '<script type="module" src="/static/js/portal/portal.js"></script>' in html
        assert 'id="key-file"' in html and 'id="no-gateway"' not in html
        assert '<a href="/portal" aria-current="page">Health records</a>' in html
        assert '"@noble/ciphers/": "/vendor/@noble/ciphers/"' in html
        csp = r.headers["content-security-policy"]
        assert "script-src 'self' 'sha256-" in csp and "style-src 'self';" in csp
        assert "connect-src 'self'" in csp
        # no inline script but the import map and the module tag; no inline style
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        assert [(a, bool(body.strip())) for a, body in scripts] == [
            (' type="importmap"', True),
            (' type="module" src="/static/js/portal/portal.js"', False),
        ]
        assert "style=" not in html and "<style" not in html
        assert r.headers["cache-control"] == "no-store"
        for path in MODULES:
            assert c.get(path).status_code == 200, path


def test_the_portal_without_a_gateway_key(tmp_path: Path) -> None:
    """A server that holds no gateway key says so: the page can list, not read or grant."""
    pb = portal_board(f"sqlite:///{tmp_path / 'board.db'}", tmp_path)
    KeyStore(pb.server_keys).remove_authority(pb.hk.gateway.name)
    with TestClient(create_app(f"sqlite:///{tmp_path / 'board.db'}", pb.server_keys)) as c:
        html = c.get("/portal", headers=HTML).text
        assert 'data-gateway="off"' in html and 'id="no-gateway"' in html
        assert "holds no health gateway key" in html
    with TestClient(create_app(f"sqlite:///{tmp_path / 'board.db'}")) as c:
        assert 'data-gateway="off"' in c.get("/portal", headers=HTML).text
