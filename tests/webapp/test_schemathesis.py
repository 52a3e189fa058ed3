"""Schemathesis 4 against the application's own /openapi.json, in process (ASGI transport).

Every operation is exercised with schema-conformant (positive) and
non-conformant (negative) data on a board holding an open roll election with
cast and challenged ballots, notices, and the server's log and ballot box
keys.  Checks: no 5xx; responses as documented (status codes, content types,
schemas, headers); data that breaks the schema refused with a 4xx; every 4xx in
the ``{"error", "detail"}`` shape.  Not checked: that schema-conformant data is
accepted (``positive_data_acceptance``): a conformant entry whose bytes are not
canonical or whose signature fails, a ballot whose hex has the wrong length, a
``start`` above ``end`` are refused by rules no JSON schema states (400, 422).
Nothing a generated request sends is signed by a key of the board, so every
write is refused: the board's size and root stay as they were.

The operations are driven one by one through ``APIOperation.as_strategy``
under Hypothesis (the pytest plugin's lazy ``from_fixture`` mode needs a
pytest internal that pytest 9 no longer has).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, CheckContext, GenerationMode
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import positive_data_acceptance

from services.notices import PUBLISH, notice_body
from services.voting.casting import BallotBox
from tests.webapp.test_api_kit import ROLL_ELECTION, Demo, demo_board, signed, state_of
from webapp.app import create_app

EXAMPLES = 10
"""Examples per operation and generation mode (the whole run stays well under a minute)."""
UNBREAKABLE = {"GET /tile/entries/{path}", "GET /tile/{level}/{path}"}
EXPECTED = {
    "GET /api/v1/board/checkpoint",
    "GET /api/v1/board/entries",
    "POST /api/v1/board/entries",
    "GET /api/v1/board/entries/{index}",
    "GET /api/v1/board/proof/inclusion",
    "GET /api/v1/board/proof/consistency",
    "GET /api/v1/board/witnesses",
    "GET /api/v1/board/authorities",
    "GET /api/v1/board/stats",
    "GET /api/v1/notices",
    "GET /api/v1/notices/{index}",
    "GET /api/v1/voting/elections",
    "GET /api/v1/voting/elections/{election}",
    "GET /api/v1/voting/elections/{election}/ballots",
    "POST /api/v1/voting/elections/{election}/ballots",
    "GET /api/v1/voting/elections/{election}/challenges",
    "POST /api/v1/voting/elections/{election}/challenges",
    "GET /api/v1/voting/elections/{election}/turnout",
    "GET /api/v1/voting/elections/{election}/record",
    "GET /api/v1/voting/elections/{election}/verification",
    "GET /api/v1/voting/elections/{election}/drafts/{step}",
    "POST /api/v1/voting/receipts/check",
}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Demo, FastAPI]]:
    """The board the fuzzer reads and (tries to) write, and the app serving it: the demo
    election (decided), an open roll election with cast and challenged ballots, notices."""
    folder: Path = tmp_path_factory.mktemp("schemathesis")
    demo = demo_board(f"sqlite:///{folder / 'board.db'}", folder / "keys", voters=3)
    for i in range(3):
        demo.board.append(signed(demo.publisher, PUBLISH, notice_body(f"notice {i}", "text")))
    box = BallotBox(demo.board, demo.keys.authority("ballot-box"), demo.keys.log())
    box.cast(demo.roll.ballot(0)[1])
    box.cast(demo.roll.ballot(1)[1])
    box.challenge(demo.roll.ballot(2)[0])
    # the tip's checkpoint, signed here: the app signs one on some reads (the record), and
    # whether the fuzzer ran first must not change what test_fuzzed_board_is_as_built sees
    demo.board.sign_checkpoint(demo.keys.log())
    yield demo, create_app(demo.board.store.url, demo.keys)
    demo.board.store.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[Demo, FastAPI]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed[1])


@schemathesis.check
def error_shape(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx is JSON ``{"error": str, "detail": str}`` and nothing else."""
    if not 400 <= response.status_code < 500:
        return None
    doc = response.json()
    assert isinstance(doc, dict) and set(doc) == {"error", "detail"}, doc
    assert isinstance(doc["error"], str) and isinstance(doc["detail"], str), doc
    return True


def operations(api_schema: Any) -> list[Any]:
    """Every API operation of the schema (one the loader cannot read raises here)."""
    return [result.ok() for result in api_schema.get_all_operations()]


def takes_input(op: Any, fixed: dict[str, Any] | None = None) -> bool:
    """Whether the operation has a parameter (not ``fixed``) or a body that negative data
    can break."""
    free = [p for p in op.path_parameters if p.name not in (fixed or {})]
    return bool(free) or any(len(x) for x in (op.query, op.headers, op.cookies, op.body))


def variants(ops: list[Any], demo: Demo) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Each operation as generated, and again with its path naming what is on the board
    (each election, a ballot entry, a notice) so that the routes' real work is reached."""
    board = demo.board
    ballot = board.entries(0, board.size(), "voting.ballot")[-1][0]
    notice = board.entries(0, board.size(), "notice.publish")[0][0]
    for op in ops:
        yield op, {}
        names = {p.name for p in op.path_parameters}
        if "election" in names:
            for election in ("demo-election", ROLL_ELECTION):
                for step in ("joint_key", "tally", "result") if "step" in names else (None,):
                    yield op, {"election": election} | ({"step": step} if step else {})
        if "index" in names:
            yield op, {"index": notice if "notices" in op.path else ballot}


def test_the_schema_lists_every_route(api_schema: Any) -> None:
    labels = {op.label for op in operations(api_schema)}
    assert EXPECTED <= labels, sorted(EXPECTED - labels)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation(
    api_schema: Any, fuzzed: tuple[Demo, FastAPI], mode: GenerationMode
) -> None:
    """No 5xx; responses as documented; 4xx in the error shape; nothing written."""
    board = fuzzed[0].board
    before = state_of(board)
    calls: dict[str, int] = {}
    inputs = {op.label: takes_input(op) for op in operations(api_schema)}
    unbreakable: set[str] = set()
    for op, fixed in variants(operations(api_schema), fuzzed[0]):
        if mode is GenerationMode.NEGATIVE and not takes_input(op, fixed):
            continue  # nothing to break: no parameter, no body

        @given(case=op.as_strategy(generation_mode=mode, path_parameters=fixed))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: Case) -> None:
            response = case.call()
            label = case.operation.label
            calls[label] = calls.get(label, 0) + 1
            assert response.status_code < 500, (label, response.text[:500])
            case.validate_response(
                response,
                additional_checks=[error_shape],
                excluded_checks=[positive_data_acceptance],
            )

        try:
            run()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
            unbreakable.add(op.label)
        assert state_of(board) == before, op.label
    # the tile paths take any string (parsed by the route): no value breaks their schema
    assert unbreakable == (set() if mode is GenerationMode.POSITIVE else UNBREAKABLE), unbreakable
    wanted = {label for label in EXPECTED if mode is GenerationMode.POSITIVE or inputs[label]}
    assert wanted <= set(calls), sorted(wanted - set(calls))


def test_fuzzed_board_is_as_built(fuzzed: tuple[Demo, FastAPI]) -> None:
    """The fixture's board holds what the fuzzer reads: ballots, a challenge, notices."""
    board = fuzzed[0].board
    kinds = TestClient(fuzzed[1]).get("/api/v1/board/stats").json()["kinds"]
    assert kinds["voting.ballot"] == 2 + sum(len(v.cast) for v in fuzzed[0].outcome.voters)
    assert kinds["notice.publish"] == 3
    assert board.checkpoint().size == board.size()
