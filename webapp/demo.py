"""`pnyx demo`: the board end to end on a fresh database, told step by step."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from rich.console import Console
from rich.table import Table

from ledger import authorities
from ledger.board import Board
from ledger.checkpoint import Checkpoint
from ledger.entry import key_id, make_entry
from ledger.errors import Rejected
from ledger.merkle import verify_consistency, verify_inclusion
from ledger.note import Signer, open_note, parse_note
from ledger.witness import Witness
from services.notices import PUBLISH, notice_body
from webapp.keystore import KeyStore

ORIGIN = "demo.pnyx.example/board"
BULK_NOTICES = 5000


def _entry(signer: Signer, kind: str, body: dict[str, Any]) -> bytes:
    return make_entry(kind, body, key_id(signer.verifier().public_key), signer.sign)


def run_demo(
    board: Board,
    keys: KeyStore,
    out: Console,
    progress: Callable[[str, int | None], AbstractContextManager[Any]],
) -> None:
    if board.size():
        raise ValueError("the demo needs an empty database")
    out.rule("1. A new board: log key, root authority, genesis")
    log, root = Signer.generate(ORIGIN), Signer.generate("root")
    genesis = _entry(
        root,
        authorities.GENESIS,
        {
            "origin": ORIGIN,
            "log_key": log.verifier().vkey(),
            "root": {"name": "root", "public_key": root.verifier().public_key.hex()},
        },
    )
    # keys first: a genesis whose log key is lost would orphan the board
    keys.save_log(log)
    keys.save_authority(root)
    board.append(genesis)
    out.print(f"log key: {log.verifier().vkey()}")

    out.rule("2. Authorities with roles")
    city = Signer.generate("city-hall")
    board.append(
        _entry(
            root,
            authorities.AUTHORITY,
            {
                "name": "city-hall",
                "public_key": city.verifier().public_key.hex(),
                "roles": ["publisher"],
            },
        )
    )
    keys.save_authority(city)
    out.print("city-hall may publish notices; nobody else may")

    out.rule("3. Three witnesses, quorum 2")
    witnesses = [keys.create_witness(f"witness-{i}.pnyx.example") for i in range(1, 4)]
    board.append(
        _entry(
            root,
            authorities.WITNESSES,
            {"witnesses": [w.verifier().vkey() for w in witnesses], "quorum": 2},
        )
    )

    out.rule("4. Notices")
    first = board.append(
        _entry(city, PUBLISH, notice_body("Council meeting, 3 December", "Agenda: budget 2027."))
    )
    board.append(
        _entry(city, PUBLISH, notice_body("Road works on Main Street", "From 1 to 15 December."))
    )
    mallory = Signer.generate("mallory")
    try:
        board.append(_entry(mallory, PUBLISH, notice_body("Fake notice", "")))
    except Rejected as e:
        out.print(f"[red]refused[/red] an entry from an unknown key: {e.code}: {e.detail}")
    with progress(f"publishing {BULK_NOTICES} notices in batches", BULK_NOTICES) as advance:
        t0 = time.perf_counter()
        for lo in range(0, BULK_NOTICES, 500):
            batch = [
                _entry(
                    city, PUBLISH, notice_body(f"Permit {i}", f"Building permit no. {i} granted.")
                )
                for i in range(lo, lo + 500)
            ]
            board.append_many(batch)
            advance(lo + 500)
        dt = time.perf_counter() - t0
    out.print(f"{BULK_NOTICES} notices signed and appended in {dt:.2f} s")

    out.rule("5. Checkpoint, cosigned by the witnesses")
    sizes: list[int] = []
    for round_ in (1, 2):
        note = board.sign_checkpoint(log)
        status = board.checkpoint()
        sizes.append(status.size)
        lv = board.log_verifier()
        for w in witnesses[: 2 if round_ == 1 else 3]:
            state = keys.witness_state(w.name)
            witness = Witness(w, {lv.name: lv}, state)
            last = state.latest(lv.name)
            old = last.size if last else 0
            proof = board.consistency_proof(old, status.size).path if 0 < old < status.size else []
            board.add_cosignature(
                status.size, witness.add_checkpoint(note, old, proof, int(time.time()))
            )
            keys.save_witness_state(w.name, witness.state)
        status = board.checkpoint()
        out.print(
            f"checkpoint {status.size}: cosigned by {', '.join(status.cosigned_by)}; "
            f"{'final' if status.final else 'not final'}"
        )
        if round_ == 1:
            board.append(_entry(city, PUBLISH, notice_body("Results of the tender", "Awarded.")))
    out.print(status.note.decode(), soft_wrap=True, markup=False, highlight=False)

    out.rule("6. Anyone checks a notice and the board's growth")
    cp_note, _ = open_note(status.note, [board.log_verifier()])
    cp = Checkpoint.from_text(cp_note.text)
    incl = board.inclusion_proof(first, cp.size)
    verify_inclusion(incl.leaf_hash, first, cp.size, incl.path, cp.root_hash)
    out.print(f"entry {first} is in the tree of size {cp.size}: {len(incl.path)} hashes checked")
    prev = Checkpoint.from_text(parse_note(board.checkpoint(sizes[0]).note).text)
    cons = board.consistency_proof(prev.size, cp.size)
    verify_consistency(prev.size, cp.size, prev.root_hash, cp.root_hash, cons.path)
    out.print(f"the tree of size {prev.size} is a prefix of the tree of size {cp.size}")

    out.rule("7. Audit: verify everything and replay the domains")
    with progress("verifying the board", board.size()) as advance:
        findings = board.verify(progress=advance)
    t = Table("check", "result")
    t.add_row("entries, tree, checkpoints, cosignatures, state", "ok" if not findings else "FAILED")
    t.add_row("replay", "same state" if not board.replay() else "DIFFERENT")
    out.print(t)
    for f in findings:
        out.print(f)
    out.print(f"{board.size()} entries on the board. Serving on http://127.0.0.1:8000 next.")
