"""``pnyx verify election FILE --vkey VKEY [--json]``: the independent record verifier.

Runs the numbered steps of docs/election-record.md §3 (services/voting/verifier.py)
on the record file with nothing but the board's log verifier key, prints each
step as passed or failed with the items that failed, and exits 0 (valid),
1 (invalid) or 2 (incomplete).  Ballots are checked on every core
(``--workers``), with a progress bar on a terminal.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.voting.verifier import RecordError, Report, load_record, verify_record

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


def _vkey(value: str) -> str:
    """The key itself, or the first line of a file that holds it."""
    path = Path(value)
    if path.is_file():
        return path.read_text(encoding="utf-8").strip().splitlines()[0]
    return value.strip()


def _print(report: Report) -> None:
    for s in report.steps:
        mark = "[green]passed[/]" if s.passed else "[red]failed[/]"
        out.print(f"{s.step:>4}  {s.title:<32} {mark}  ({s.checked} checked)")
        for f in s.findings[:20]:
            out.print(f"        {f.severity}: {f.item}: {f.detail}", markup=False)
        if len(s.findings) > 20:
            out.print(f"        … {len(s.findings) - 20} more findings")
    colour = {"valid": "green", "invalid": "red", "incomplete": "yellow"}[report.status]
    out.print(f"election {report.election}: [{colour}]{report.status}[/]")


def verify_election(
    record_file: Annotated[Path, typer.Argument(help="The election record (JSON).")],
    vkey: Annotated[
        str,
        typer.Option("--vkey", help="The board's log verifier key (`pnyx board vkey`), or a file."),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Processes for the ballots (all cores).")
    ] = None,
) -> None:
    """Verify an election record: exit 0 valid, 1 invalid, 2 incomplete."""
    try:
        record = load_record(record_file)
    except RecordError as e:
        print(f"error: {e}", file=sys.stderr)
        raise typer.Exit(1) from None
    key = _vkey(vkey)
    if err.is_terminal:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("checking ballots", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = verify_record(record, key, workers=workers, progress=progress)
    else:
        report = verify_record(record, key, workers=workers)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), sort_keys=True) + "\n")
    else:
        _print(report)
    raise typer.Exit(report.exit_code)
