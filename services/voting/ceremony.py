"""The trustee's side of the key ceremony and of decryption (docs/voting.md §3, §6 "Ceremony").

A :class:`Trustee` holds what never reaches the board: its X25519 box key
pair, its polynomial (crypto/threshold.py ``DealerSecret``) and, once the
ceremony is over, its secret share ``s_j``.  Each method reads the board's
state (a :class:`BoardData`) and returns the body of the next entry the
trustee posts; nothing here appends.

Steps (crypto/threshold.py §5): ``commit_body`` → (every trustee) →
``reveal_body`` → ``complaint_bodies`` (open the boxes dealt to it, complain
about each bad one) → ``answer_bodies`` (publish ``f_i(j)`` for a complaint
that needs an answer) → the official's ``joint_key_body`` →
``secret_share`` → ``partial_body`` over the board's tally.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from crypto.errors import ThresholdError
from crypto.group import RandomSource, Scalar
from crypto.threshold import (
    BoxKeyPair,
    CoefficientCommitments,
    DealerSecret,
    Dealing,
    commit,
    deal,
    joint_public_key,
    make_complaint,
    open_share,
    trustee_secret_share,
    verification_key,
)
from services.identity.board_data import BoardData
from services.voting.election import NAME, ElectionInfo
from services.voting.errors import CeremonyRejection
from services.voting.manifest import election_context
from services.voting.tally import partial_body


def _reveal(data: BoardData, info: ElectionInfo, i: int) -> tuple[CoefficientCommitments, Dealing]:
    r = data.get(NAME, f"reveal/{info.id}/{i}")
    if r is None:
        raise CeremonyRejection(f"trustee {i} has not revealed")
    return (
        CoefficientCommitments.from_bytes(bytes.fromhex(r["commitments"]), info.threshold),
        Dealing.from_bytes(bytes.fromhex(r["dealing"])),
    )


def revealed(data: BoardData, election: str) -> list[int]:
    """The trustees whose reveal is on the board."""
    return sorted(int(k.rsplit("/", 1)[1]) for k, _ in data.scan(NAME, f"reveal/{election}/"))


def qualified(data: BoardData, election: str) -> list[int]:
    """QUAL as the domain computes it: revealed, not at fault, no complaint awaiting an answer."""
    out = {int(k.rsplit("/", 1)[1]) for k, _ in data.scan(NAME, f"fault/{election}/")}
    for k, c in data.scan(NAME, f"complaint/{election}/"):
        if c["verdict"] == "answer-required":
            out.add(int(k.split("/")[2]))
    return [i for i in revealed(data, election) if i not in out]


def joint_key_body(data: BoardData, election: str) -> dict[str, Any]:
    """The official's ``voting.joint_key`` body, computed from the commitments on the board."""
    info = ElectionInfo.load(data, election)
    qual = qualified(data, election)
    if len(qual) < info.threshold:
        raise CeremonyRejection(f"{len(qual)} qualified trustees, {info.threshold} needed")
    dealers = [_reveal(data, info, i)[0] for i in qual]
    key = joint_public_key(dealers)
    return {
        "election": election,
        "qualified": qual,
        "public_key": key.hex(),
        "verification_keys": [verification_key(dealers, j).hex() for j in range(1, info.n + 1)],
        "context": election_context(info.manifest_hash, key.to_bytes()).hex(),
    }


@dataclass
class Trustee:
    """Trustee ``index`` of ``election``: its box keys, polynomial and (later) share."""

    election: str
    index: int
    box: BoxKeyPair = field(repr=False)
    secret: DealerSecret | None = field(default=None, repr=False)
    commitments: CoefficientCommitments | None = None
    share: Scalar | None = field(default=None, repr=False)
    rng: RandomSource = field(default=os.urandom, repr=False)

    def _info(self, data: BoardData) -> ElectionInfo:
        return ElectionInfo.load(data, self.election)

    def _secret(self, info: ElectionInfo) -> DealerSecret:
        if self.secret is None:
            self.secret = DealerSecret.generate(info.ceremony, self.index, self.rng)
        return self.secret

    def _commitments(self, info: ElectionInfo) -> CoefficientCommitments:
        if self.commitments is None:
            self.commitments = commit(info.ceremony, self._secret(info), self.rng)
        return self.commitments

    def commit_body(self, data: BoardData) -> dict[str, Any]:
        """Draw the polynomial and return ``voting.trustee_commit`` with its digest (§5.1)."""
        info = self._info(data)
        cc = self._commitments(info)
        return {
            "election": self.election,
            "trustee": self.index,
            "digest": cc.digest(info.ceremony).hex(),
        }

    def reveal_body(self, data: BoardData) -> dict[str, Any]:
        """``voting.trustee_reveal``: the commitments and a sealed share for every other trustee."""
        info = self._info(data)
        secret = self._secret(info)
        cc = self._commitments(info)
        recipients = {j: bytes.fromhex(box) for j, (_, box) in enumerate(info.trustees, start=1)}
        dealing = deal(info.ceremony, secret, recipients)
        return {
            "election": self.election,
            "trustee": self.index,
            "commitments": cc.to_bytes().hex(),
            "dealing": dealing.to_bytes().hex(),
        }

    def complaint_bodies(self, data: BoardData) -> list[dict[str, Any]]:
        """One ``voting.trustee_complaint`` for every revealed dealer whose box to us is bad."""
        info = self._info(data)
        out = []
        for i in revealed(data, self.election):
            if i == self.index or data.get(NAME, f"complaint/{self.election}/{i}/{self.index}"):
                continue
            cc, dealing = _reveal(data, info, i)
            try:
                open_share(info.ceremony, cc, dealing, self.index, self.box)
            except ThresholdError:
                c = make_complaint(dealing, self.index, self.box)
                out.append({"election": self.election, "complaint": c.to_bytes().hex()})
        return out

    def answer_bodies(self, data: BoardData) -> list[dict[str, Any]]:
        """``voting.trustee_answer`` for each complaint against us that awaits an answer."""
        info = self._info(data)
        secret = self._secret(info)
        out = []
        for key, c in data.scan(NAME, f"complaint/{self.election}/{self.index}/"):
            if c["verdict"] != "answer-required":
                continue
            j = int(key.rsplit("/", 1)[1])
            out.append(
                {
                    "election": self.election,
                    "trustee": self.index,
                    "recipient": j,
                    "share": secret.evaluate(j).hex(),
                }
            )
        return out

    def secret_share(self, data: BoardData) -> Scalar:
        """``s_j = Σ_{i∈QUAL} f_i(j)`` from our boxes (or the dealer's public answer) (§5.4)."""
        info = self._info(data)
        keys = data.get(NAME, f"keys/{self.election}")
        if keys is None:
            raise CeremonyRejection(f"election {self.election} has no joint key yet")
        shares: dict[int, Scalar] = {}
        for i in keys["qualified"]:
            if i == self.index:
                shares[i] = self._secret(info).evaluate(self.index)
                continue
            answered = data.get(NAME, f"complaint/{self.election}/{i}/{self.index}")
            if answered is not None and answered.get("share") is not None:
                shares[i] = Scalar.from_bytes(bytes.fromhex(answered["share"]))
                continue
            cc, dealing = _reveal(data, info, i)
            shares[i] = open_share(info.ceremony, cc, dealing, self.index, self.box)
        self.share = trustee_secret_share(shares)
        return self.share

    def partial_body(self, data: BoardData) -> dict[str, Any]:
        """``voting.partial`` over the board's tally with our secret share."""
        share = self.share if self.share is not None else self.secret_share(data)
        return partial_body(data, self.election, self.index, share)
