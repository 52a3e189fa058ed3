"""The local witnesses of a key folder cosign the board's latest checkpoint.

What `pnyx witness cosign` does for each witness whose key is in the key
folder (docs/board.md §7): sign a fresh checkpoint of the whole board with the
log key (when the folder holds it), then each witness checks it against the
last checkpoint it cosigned (a consistency proof) and cosigns.  A refusal is
kept in the witness's state (its alarm) and reported, never raised.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ledger.board import Board
from ledger.errors import Rejected
from ledger.witness import Witness, WitnessRefusal
from webapp.keystore import KeyStore


@dataclass(frozen=True)
class Cosigned:
    """One witness's answer for the checkpoint of ``size``."""

    witness: str
    size: int
    refused: str | None = None
    detail: str = ""

    def to_json(self) -> dict[str, object]:
        if self.refused is None:
            return {"witness": self.witness, "size": self.size, "cosigned": True}
        return {
            "witness": self.witness,
            "size": self.size,
            "refused": self.refused,
            "detail": self.detail,
        }


def cosign_local(
    board: Board, keys: KeyStore, names: list[str] | None = None, now: int | None = None
) -> list[Cosigned]:
    """Each named (default: every local) witness checks and cosigns the latest checkpoint."""
    if keys.log_path.exists():
        board.sign_checkpoint(keys.log())
    st = board.checkpoint()
    log = board.log_verifier()
    results: list[Cosigned] = []
    for n in names if names is not None else keys.witness_names():
        state = keys.witness_state(n)
        witness = Witness(keys.witness(n), {log.name: log}, state)
        last = state.latest(log.name)
        old = last.size if last else 0
        proof = board.consistency_proof(old, st.size).path if 0 < old < st.size else []
        try:
            sig = witness.add_checkpoint(
                st.note, old, proof, int(time.time()) if now is None else now
            )
        except WitnessRefusal as r:
            keys.save_witness_state(n, witness.state)  # alarms are kept
            results.append(Cosigned(n, st.size, str(r.reason), r.detail))
            continue
        try:
            board.add_cosignature(st.size, sig)
        except Rejected as r:
            results.append(Cosigned(n, st.size, r.code, r.detail))
            continue
        keys.save_witness_state(n, witness.state)
        results.append(Cosigned(n, st.size))
    return results
