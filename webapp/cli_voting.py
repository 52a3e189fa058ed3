"""``pnyx election | trustee | vote | ballot``: e-voting on the board (docs/voting.md §11).

- ``pnyx election create MANIFEST --as OFFICIAL [--trustee NAME|CARD ...]`` — post the
  manifest (``voting.election``); ``--trustee`` fills its trustees from the trustees'
  cards (``trustee init``);
- ``pnyx trustee init ELECTION --as NAME`` — the trustee's X25519 box key for the
  election (kept in the key directory), printed as a card for the official;
  ``trustee commit | share | complain | answer | decrypt`` — the ceremony steps and
  the partial decryption, every one an entry signed by the trustee;
- ``pnyx election open | close | tally | publish ID --as OFFICIAL`` — the joint key and
  the opening, the close, the encrypted tally, the result from the valid partials;
- ``pnyx vote ELECTION --choice CONTEST=OPTION ... (--credential ID | --roll-key NAME)``
  — encrypt, prove, make the eligibility proof, hand the ballot to the ballot box;
  ``--challenge`` audits a ballot instead (its nonces are posted, it never counts);
  prints the receipt;
- ``pnyx ballot check RECEIPT`` — the receipt against the board's latest checkpoint;
- ``pnyx election show | list | export``, ``pnyx election roll-key NAME``.

Local secrets (key directory, files 0600, never on the board):
``voting/trustees/<election>/<name>.json`` (box key, polynomial, commitments),
``voting/voters/<name>.key`` (a roll voter's Ed25519 key).  A voter's
credential secrets stay in the wallet.  Every failure is one line ``error:
<code>: <detail>`` and a non-zero exit; nothing is written.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from nacl.signing import SigningKey
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crypto.errors import ThresholdError
from crypto.group import Scalar
from crypto.threshold import (
    BoxKeyPair,
    CoefficientCommitments,
    Complaint,
    DealerSecret,
    generate_box_keypair,
)
from ledger import authorities
from ledger.board import Board
from ledger.entry import TIME_RE, Entry, key_id, make_entry, now_rfc3339
from ledger.errors import Rejected
from ledger.note import Signer
from services.identity import issuance
from services.identity.board_data import BoardData
from services.identity.domain import ISSUER_KEY, SCHEMA
from services.identity.domain import ROLE as ISSUER_ROLE
from services.identity.keys import DEFAULT_SUITE, issuer_key_body, suite
from services.voting import domain as vd
from services.voting.ballot import MadeBallot
from services.voting.casting import BallotBox, credential_ballot, roll_ballot
from services.voting.ceremony import Trustee, joint_key_body
from services.voting.election import ElectionInfo
from services.voting.manifest import Manifest
from services.voting.receipt import check_receipt
from services.voting.record import export_record
from services.voting.scenario import CONTESTS, EID, voter_name
from services.voting.tally import Result, decrypt_result, tally_body
from webapp.cli_identity import IssuerFile, cli_context, open_wallet, spinner_step, write_doc
from webapp.keystore import KeyStore
from webapp.witnessing import cosign_local

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

election_app = typer.Typer(
    help="Elections: manifest, key, opening, tally, result.", no_args_is_help=True
)
trustee_app = typer.Typer(
    help="Trustees: the key ceremony and the partial decryption.", no_args_is_help=True
)
ballot_app = typer.Typer(
    help="Receipts: check that a ballot is on the board.", no_args_is_help=True
)

BOX_ENV = "PNYX_BALLOT_BOX"
DEFAULT_BOX = "ballot-box"
CARD_TYPE = "PnyxTrusteeCard"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the document here.")]
AsOfficial = Annotated[str, typer.Option("--as", help="The election official (an authority).")]
AsTrustee = Annotated[str, typer.Option("--as", help="The trustee (an authority).")]
TimeOpt = Annotated[
    str | None,
    typer.Option(
        "--time",
        help="The entry's time (the author's claim, YYYY-MM-DDTHH:MM:SSZ; default: now).",
    ),
]


class VotingInputError(Rejected):
    """A command-line input the voting commands cannot use (missing key, bad file, ...)."""

    code = "voting_input"


# ------------------------------------------------------------------- helpers


def _entry(signer: Signer, kind: str, body: dict[str, Any], time: str | None = None) -> bytes:
    return make_entry(kind, body, key_id(signer.verifier().public_key), signer.sign, time=time)


def _time(value: str | None) -> str:
    if value is None:
        return now_rfc3339()
    if not TIME_RE.fullmatch(value):
        raise VotingInputError(f"--time {value!r} is not YYYY-MM-DDTHH:MM:SSZ")
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise VotingInputError(f"--time {value!r} is not a real time") from None
    return value


WHEN_RE = re.compile(r"\+([0-9]{1,6})([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def when(value: str, option: str, now: datetime | None = None) -> str:
    """A time given as ``YYYY-MM-DDTHH:MM:SSZ``, ``now`` or ``+N`` with a unit ``s``, ``m``,
    ``h`` or ``d`` after now (``+5m``), as the board writes times."""
    base = (now or datetime.now(UTC)).replace(microsecond=0)
    if value == "now":
        return _rfc3339(base)
    m = WHEN_RE.fullmatch(value)
    if m:
        return _rfc3339(base + timedelta(seconds=int(m.group(1)) * _UNIT[m.group(2)]))
    if not TIME_RE.fullmatch(value):
        raise VotingInputError(
            f"{option} {value!r}: write YYYY-MM-DDTHH:MM:SSZ, now, or +N(s|m|h|d)"
        )
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise VotingInputError(f"{option} {value!r} is not a real time") from None
    return value


def _read_json(path: Path, what: str) -> Any:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise VotingInputError(f"cannot read the {what} {path}: {e.strerror}") from None
    if len(data) > 1_000_000:
        raise VotingInputError(f"the {what} {path} is larger than 1 MB")
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise VotingInputError(f"the {what} {path} is not JSON") from None


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")


@contextmanager
def progress(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr for a long step (only on a terminal)."""
    if not err.is_terminal:
        yield lambda done: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as p:
        task = p.add_task(label, total=total)
        yield lambda done: p.update(task, completed=done)


# ------------------------------------------------------------- local secrets


@dataclass(frozen=True)
class VotingKeys:
    """``<keys>/voting/``: trustees' election secrets and roll voters' keys (files 0600)."""

    keys: KeyStore

    @property
    def root(self) -> Path:
        return self.keys.root / "voting"

    @staticmethod
    def _name(name: str, what: str) -> str:
        if not NAME_RE.fullmatch(name):
            raise VotingInputError(f"bad {what} {name!r}")
        return name

    def trustee_path(self, election: str, name: str) -> Path:
        e, n = self._name(election, "election id"), self._name(name, "trustee name")
        return self.root / "trustees" / e / f"{n}.json"

    def voter_path(self, name: str) -> Path:
        return self.root / "voters" / f"{self._name(name, 'voter name')}.key"

    def _write(self, path: Path, text: str, *, create: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder = path.parent
        while folder != self.keys.root.parent and folder.is_relative_to(self.keys.root):
            os.chmod(folder, 0o700)
            folder = folder.parent
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text + "\n")
        if create:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise VotingInputError(f"{path} exists already; refusing to overwrite") from None
            finally:
                tmp.unlink()
        else:
            os.replace(tmp, path)

    def _read(self, path: Path, what: str) -> str:
        try:
            return path.read_text().strip()
        except FileNotFoundError:
            raise VotingInputError(f"no {what} at {path} (wrong --keys folder?)") from None
        except OSError as e:
            raise VotingInputError(f"cannot read {path}: {e.strerror}") from None

    def trustee(self, election: str, name: str) -> dict[str, Any]:
        text = self._read(self.trustee_path(election, name), f"trustee key of {name!r}")
        try:
            doc = json.loads(text)
            assert isinstance(doc, dict) and doc["election"] == election
        except (ValueError, KeyError, AssertionError):
            raise VotingInputError(f"the trustee file of {name!r} is damaged") from None
        return doc

    def save_trustee(self, doc: dict[str, Any], *, create: bool = False) -> None:
        path = self.trustee_path(doc["election"], doc["trustee"])
        self._write(path, json.dumps(doc, sort_keys=True), create=create)

    def new_voter(self, name: str) -> SigningKey:
        key = SigningKey.generate()
        self._write(self.voter_path(name), bytes(key).hex(), create=True)
        return key

    def voter(self, name: str) -> SigningKey:
        text = self._read(self.voter_path(name), f"roll key of {name!r}")
        try:
            return SigningKey(bytes.fromhex(text))
        except ValueError:
            raise VotingInputError(f"the roll key file of {name!r} is damaged") from None


# ------------------------------------------------------- library: trustees


def _trustee_doc_to(doc: dict[str, Any], index: int) -> Trustee:
    """The lead's :class:`Trustee` from the local file (box key, polynomial, commitments)."""
    t = Trustee(
        doc["election"],
        index,
        BoxKeyPair(bytes.fromhex(doc["box_public"]), bytes.fromhex(doc["box_secret"])),
    )
    if doc.get("coefficients"):
        t.secret = DealerSecret(
            index, tuple(Scalar.from_bytes(bytes.fromhex(a)) for a in doc["coefficients"])
        )
    if doc.get("commitments"):
        t.commitments = CoefficientCommitments.from_bytes(
            bytes.fromhex(doc["commitments"]), len(doc["coefficients"])
        )
    return t


def _trustee_index(info: ElectionInfo, signer: Signer) -> int:
    kid = key_id(signer.verifier().public_key)
    for n, (k, _) in enumerate(info.trustees, start=1):
        if k == kid:
            return n
    raise VotingInputError(f"{signer.name} is not a trustee of election {info.id}")


def election_info(board: Board, election: str) -> ElectionInfo:
    return ElectionInfo.load(BoardData.from_board(board), election)


def manifest_of(board: Board, election: str) -> Manifest:
    """The manifest as posted (the ``voting.election`` entry's body)."""
    info = election_info(board, election)
    [(_, leaf)] = board.entries(info.index, info.index + 1)
    return Manifest.from_json(Entry.from_leaf(leaf).body)


@dataclass
class LocalTrustee:
    """A trustee of one election as this key directory holds it."""

    name: str
    signer: Signer
    info: ElectionInfo
    trustee: Trustee
    doc: dict[str, Any]

    @classmethod
    def load(cls, board: Board, keys: KeyStore, election: str, name: str) -> LocalTrustee:
        signer = keys.authority(name)
        info = election_info(board, election)
        doc = VotingKeys(keys).trustee(election, name)
        index = _trustee_index(info, signer)
        if bytes.fromhex(doc["box_public"]) != bytes.fromhex(info.trustees[index - 1][1]):
            raise VotingInputError(
                f"the box key of {name!r} in {election} is not the one the manifest lists"
            )
        return cls(name, signer, info, _trustee_doc_to(doc, index), doc)

    def post(
        self, board: Board, kind: str, bodies: Sequence[dict[str, Any]], time: str | None = None
    ) -> list[int]:
        if not bodies:
            return []
        return board.append_many([_entry(self.signer, kind, b, time) for b in bodies])


def trustee_init(keys: KeyStore, election: str, name: str) -> dict[str, Any]:
    """A fresh X25519 box key for ``name`` in ``election``; returns the trustee's card."""
    signer = keys.authority(name)
    box = generate_box_keypair()
    VotingKeys(keys).save_trustee(
        {
            "version": 1,
            "election": election,
            "trustee": name,
            "box_public": box.public.hex(),
            "box_secret": box.secret.hex(),
            "coefficients": None,
            "commitments": None,
        },
        create=True,
    )
    return trustee_card(keys, election, name, signer)


def trustee_card(
    keys: KeyStore, election: str, name: str, signer: Signer | None = None
) -> dict[str, Any]:
    """What the official needs to list the trustee in the manifest (public values only)."""
    signer = signer or keys.authority(name)
    doc = VotingKeys(keys).trustee(election, name)
    return {
        "version": 1,
        "type": CARD_TYPE,
        "election": election,
        "trustee": name,
        "key_id": key_id(signer.verifier().public_key),
        "box": doc["box_public"],
    }


def trustee_commit(
    board: Board, keys: KeyStore, election: str, name: str, time: str | None = None
) -> int:
    """Draw the polynomial, keep it, post the digest of its commitments."""
    t = LocalTrustee.load(board, keys, election, name)
    i = t.trustee.index
    if board.state(vd.NAME, f"commit/{election}/{i}") is not None:
        raise VotingInputError(f"trustee {i} ({name}) has committed already")
    t.trustee.secret = t.trustee.commitments = None  # fresh: none of ours is on the board
    body = t.trustee.commit_body(BoardData.from_board(board))
    assert t.trustee.secret is not None and t.trustee.commitments is not None
    previous = dict(t.doc)
    t.doc["coefficients"] = [a.to_bytes().hex() for a in t.trustee.secret.coefficients]
    t.doc["commitments"] = t.trustee.commitments.to_bytes().hex()
    vk = VotingKeys(keys)
    vk.save_trustee(t.doc)  # first: a digest whose polynomial was lost could never be revealed
    try:
        return t.post(board, vd.TRUSTEE_COMMIT, [body], time)[0]
    except BaseException:
        vk.save_trustee(previous)
        raise


def trustee_share(
    board: Board, keys: KeyStore, election: str, name: str, time: str | None = None
) -> int:
    """Reveal the commitments and every other trustee's share, sealed to its box key."""
    t = LocalTrustee.load(board, keys, election, name)
    if t.trustee.secret is None:
        raise VotingInputError(f"{name} has not committed in {election} (`pnyx trustee commit`)")
    body = t.trustee.reveal_body(BoardData.from_board(board))
    return t.post(board, vd.TRUSTEE_REVEAL, [body], time)[0]


def trustee_complain(
    board: Board, keys: KeyStore, election: str, name: str, time: str | None = None
) -> list[int]:
    """Open every share dealt to ``name``; complain about each dealer whose share is bad.

    Returns the accused dealers.
    """
    t = LocalTrustee.load(board, keys, election, name)
    bodies = t.trustee.complaint_bodies(BoardData.from_board(board))
    t.post(board, vd.TRUSTEE_COMPLAINT, bodies, time)
    return [Complaint.from_bytes(bytes.fromhex(b["complaint"])).dealer for b in bodies]


def trustee_answer(
    board: Board, keys: KeyStore, election: str, name: str, time: str | None = None
) -> list[int]:
    """Answer each complaint against ``name`` that awaits an answer; returns the complainers."""
    t = LocalTrustee.load(board, keys, election, name)
    if t.trustee.secret is None:
        raise VotingInputError(f"{name} has not committed in {election}")
    bodies = t.trustee.answer_bodies(BoardData.from_board(board))
    t.post(board, vd.TRUSTEE_ANSWER, bodies, time)
    return [int(b["recipient"]) for b in bodies]


def trustee_decrypt(
    board: Board, keys: KeyStore, election: str, name: str, time: str | None = None
) -> int:
    """Post the trustee's partial decryption of the board's tally, with its proofs."""
    t = LocalTrustee.load(board, keys, election, name)
    if t.trustee.secret is None:
        raise VotingInputError(f"{name} has not committed in {election}")
    data = BoardData.from_board(board)
    try:
        body = t.trustee.partial_body(data)
    except ThresholdError as e:
        raise VotingInputError(f"{name} cannot compute its share: {e}") from None
    return t.post(board, vd.PARTIAL, [body], time)[0]


# ------------------------------------------------------- library: officials


def create_election(
    board: Board,
    keys: KeyStore,
    manifest: dict[str, Any],
    official: str,
    trustees: Sequence[str | dict[str, Any]] = (),
    time: str | None = None,
) -> int:
    """Post ``manifest``; ``trustees`` (local names or cards) replace its trustee list."""
    doc = dict(manifest)
    if trustees:
        listed = []
        for n, t in enumerate(trustees, start=1):
            card = t if isinstance(t, dict) else trustee_card(keys, str(doc.get("id")), t)
            if card.get("type") != CARD_TYPE or card.get("election") != doc.get("id"):
                raise VotingInputError(
                    f"trustee card {n} is not a card for election {doc.get('id')!r}"
                )
            listed.append({"index": n, "key_id": card["key_id"], "box": card["box"]})
        doc["trustees"] = listed
    Manifest.from_json(doc)  # the same refusal as the board's, before any key is loaded
    return board.append(_entry(keys.authority(official), vd.ELECTION, doc, time))


def open_election(
    board: Board, keys: KeyStore, election: str, official: str, time: str | None = None
) -> list[int]:
    """Post the joint key (once the ceremony is over) and open the election."""
    signer = keys.authority(official)
    info = election_info(board, election)
    at = _time(time)
    leaves = []
    if info.phase == vd.CEREMONY:
        body = joint_key_body(BoardData.from_board(board), election)
        leaves.append(_entry(signer, vd.JOINT_KEY, body, at))
    leaves.append(_entry(signer, vd.OPEN, {"election": election}, at))
    return board.append_many(leaves)


def close_election(
    board: Board, keys: KeyStore, election: str, official: str, time: str | None = None
) -> int:
    return board.append(
        _entry(keys.authority(official), vd.CLOSE, {"election": election}, _time(time))
    )


def post_tally(
    board: Board, keys: KeyStore, election: str, official: str, time: str | None = None
) -> tuple[int, int]:
    """Post the encrypted tally of the counted ballots; returns (entry, counted ballots)."""
    signer = keys.authority(official)
    body = tally_body(BoardData.from_board(board), election)
    return board.append(_entry(signer, vd.TALLY, body, time)), int(body["ballots"])


def publish_result(
    board: Board, keys: KeyStore, election: str, official: str, time: str | None = None
) -> tuple[int, Result]:
    """Combine k valid partials into the totals and post the result."""
    signer = keys.authority(official)
    digest, result = decrypt_result(BoardData.from_board(board), election)
    entry = _entry(signer, vd.RESULT, result.body(election, digest), time)
    return board.append(entry), result


# --------------------------------------------------------- library: voters


def selections(manifest: Manifest, choices: Mapping[str, Sequence[str]]) -> list[list[int]]:
    """0/1 per option (the blank vote last) from ``{contest id: [option, ...]}``."""
    unknown = set(choices) - {c.id for c in manifest.contests}
    if unknown:
        raise VotingInputError(f"election {manifest.id} has no contest {sorted(unknown)[0]!r}")
    out = []
    for c in manifest.contests:
        picked = list(choices.get(c.id, ()))
        row = [0] * len(c.choices)
        for option in picked:
            if option not in c.choices:
                raise VotingInputError(
                    f"contest {c.id} has no option {option!r} (options: {', '.join(c.choices)})"
                )
            if row[c.choices.index(option)]:
                raise VotingInputError(f"contest {c.id}: {option!r} chosen twice")
            row[c.choices.index(option)] = 1
        if not c.minimum <= sum(row) <= c.maximum:
            raise VotingInputError(
                f"contest {c.id} takes {c.minimum} to {c.maximum} choices, not {sum(row)}"
            )
        out.append(row)
    return out


@dataclass(frozen=True)
class Voter:
    """How a voter proves eligibility: a wallet credential record, or a roll key."""

    credential: dict[str, Any] | None = field(default=None, repr=False)
    roll_key: SigningKey | None = field(default=None, repr=False)


def make_vote(
    board: Board,
    election: str,
    voter: Voter,
    chosen: Sequence[Sequence[int]],
) -> tuple[MadeBallot, dict[str, Any]]:
    """Encrypt and prove a ballot and its eligibility (the ``voting.ballot`` body); no post."""
    data = BoardData.from_board(board)
    info = ElectionInfo.load(data, election)
    if info.phase != vd.OPENED:
        raise VotingInputError(f"election {election} is not open (it is {info.phase})")
    if voter.credential is not None:
        return credential_ballot(data, voter.credential, election, chosen)
    assert voter.roll_key is not None
    return roll_ballot(data, voter.roll_key, election, chosen)


# ------------------------------------------------------------------ commands


def _board_keys(ctx: typer.Context) -> tuple[Board, KeyStore]:
    c = cli_context(ctx)
    return c.board, c.keys


@election_app.command("create")
def election_create(
    ctx: typer.Context,
    manifest: Annotated[Path, typer.Argument(help="The manifest (JSON, docs/voting.md §1).")],
    as_: AsOfficial,
    trustee: Annotated[
        list[str] | None,
        typer.Option(
            "--trustee",
            help="A trustee's card file or local name (repeatable, in index order); "
            "replaces the manifest's trustees.",
        ),
    ] = None,
    opens: Annotated[
        str | None,
        typer.Option(
            help="Replaces the manifest's opening time: a time, `now` or `+N(s|m|h|d)`; a "
            "credential rule's eligibility date becomes that day too.",
        ),
    ] = None,
    closes: Annotated[
        str | None,
        typer.Option(help="Replaces the manifest's closing time, e.g. `+10m` (ten minutes)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Post an election's manifest (role election_official).

    A manifest whose window has passed is refused (window_passed); `--opens now
    --closes +10m` sets a window that starts now, as in the README's example.
    """
    board, keys = _board_keys(ctx)
    doc = _read_json(manifest, "manifest")
    if not isinstance(doc, dict):
        raise VotingInputError(f"the manifest {manifest} is not a JSON object")
    now = datetime.now(UTC)
    if opens is not None:
        doc["opens"] = when(opens, "--opens", now)
        rule = doc.get("eligibility")
        if isinstance(rule, dict) and rule.get("type") == "credential":
            doc["eligibility"] = {**rule, "date": doc["opens"][:10]}
    if closes is not None:
        doc["closes"] = when(closes, "--closes", now)
    cards: list[str | dict[str, Any]] = []
    for t in trustee or []:
        p = Path(t)
        cards.append(_read_json(p, "trustee card") if p.suffix == ".json" or p.exists() else t)
    index = create_election(board, keys, doc, as_, cards)
    info = election_info(board, str(doc["id"]))
    if as_json:
        _emit({"election": info.id, "index": index, "manifest_hash": info.manifest_hash.hex()})
    else:
        out.print(
            f"election {info.id} created at entry {index}; manifest hash "
            f"{info.manifest_hash.hex()[:16]}…; {info.n} trustees, threshold {info.threshold}"
        )


@election_app.command("open")
def election_open(ctx: typer.Context, election: str, as_: AsOfficial, time: TimeOpt = None) -> None:
    """Post the joint key (from the trustees' commitments) and open the election."""
    board, keys = _board_keys(ctx)
    with spinner_step("computing the joint key"):
        indices = open_election(board, keys, election, as_, time)
    info = election_info(board, election)
    key, _ = info.keyed()
    out.print(
        f"election {election} open at entry {indices[-1]}; joint key {key.hex()[:16]}…, "
        f"ballots until {info.closes}"
    )


@election_app.command("close")
def election_close(
    ctx: typer.Context,
    election: str,
    as_: AsOfficial,
    time: TimeOpt = None,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Wait for the closing time (a countdown), then close."),
    ] = False,
) -> None:
    """Close the election (no ballot after this entry), at or after its closing time."""
    board, keys = _board_keys(ctx)
    if wait:
        _wait_until(election_info(board, election).closes, f"waiting for {election} to close")
    index = close_election(board, keys, election, as_, time)
    out.print(f"election {election} closed at entry {index}")


def _wait_until(at: str, label: str) -> None:
    """Sleep until ``at`` (an RFC 3339 time), with a countdown bar on stderr."""
    import time as clock

    end = datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() + 1
    total = max(0.0, end - clock.time())
    if total <= 0:
        return
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    ) as progress:  # fmt: skip
        task = progress.add_task(f"{label} at {at}", total=total)
        while (left := end - clock.time()) > 0:
            progress.update(task, completed=total - left)
            clock.sleep(min(1.0, left))


@election_app.command("tally")
def election_tally(ctx: typer.Context, election: str, as_: AsOfficial) -> None:
    """Post the encrypted tally: the homomorphic sum of the counted ballots."""
    board, keys = _board_keys(ctx)
    with spinner_step("adding the counted ballots"):
        index, count = post_tally(board, keys, election, as_)
    out.print(f"encrypted tally of {count} counted ballots posted at entry {index}")


def _totals_table(manifest: Manifest, totals: list[list[int]], *extra: list[list[int]]) -> Table:
    t = Table("contest", "option", "votes", *(["intended"] if extra else []))
    for c, contest in enumerate(manifest.contests):
        for o, name in enumerate(contest.choices):
            t.add_row(contest.id, name, str(totals[c][o]), *(str(e[c][o]) for e in extra))
    return t


@election_app.command("publish")
def election_publish(
    ctx: typer.Context, election: str, as_: AsOfficial, as_json: JsonOpt = False
) -> None:
    """Combine k valid partial decryptions and post the result (bad partials are named)."""
    board, keys = _board_keys(ctx)
    with spinner_step("combining the partial decryptions"):
        index, result = publish_result(board, keys, election, as_)
    if as_json:
        _emit(
            {
                "election": election,
                "index": index,
                "ballots": result.ballots,
                "totals": result.totals,
                "used": result.used,
                "excluded": result.excluded,
            }
        )
        return
    out.print(_totals_table(manifest_of(board, election), result.totals))
    for x in result.excluded:
        out.print(f"excluded: trustee {x['trustee']}: {x['reason']}")
    out.print(
        f"result of {result.ballots} ballots posted at entry {index}, "
        f"decrypted by trustees {', '.join(map(str, result.used))}"
    )


def _status(board: Board, election: str) -> dict[str, Any]:
    info = election_info(board, election)
    m = manifest_of(board, election)
    seen = [v for _, v in board.scan(vd.NAME, f"seen/{election}/")]
    doc: dict[str, Any] = {
        "election": election,
        "title": m.title,
        "phase": info.phase,
        "opens": info.opens,
        "closes": info.closes,
        "trustees": info.n,
        "threshold": info.threshold,
        "eligibility": info.eligibility["type"],
        "revote": info.revote,
        "ballots": seen.count("cast"),
        "challenged": seen.count("challenged"),
        "counted": len(board.scan(vd.NAME, f"cast/{election}/")),
        "joint_key": None if info.public_key is None else info.public_key.hex(),
        "result": None,
    }
    res = board.state(vd.NAME, f"result/{election}")
    if res is not None:
        doc["result"] = {
            c.id: dict(zip(c.choices, res["totals"][k], strict=True))
            for k, c in enumerate(m.contests)
        } | {"used": res["used"], "excluded": res["excluded"]}
    return doc


@election_app.command("show")
def election_show(ctx: typer.Context, election: str, as_json: JsonOpt = False) -> None:
    """An election's phase, counts and (once published) result."""
    board, _ = _board_keys(ctx)
    doc = _status(board, election)
    if as_json:
        _emit(doc)
        return
    out.print(f"{doc['election']}: {doc['title']} — {doc['phase']}")
    out.print(f"  {doc['opens']} .. {doc['closes']}; {doc['eligibility']} eligibility")
    out.print(
        f"  {doc['ballots']} ballots cast ({doc['counted']} counted), "
        f"{doc['challenged']} challenged; {doc['threshold']} of {doc['trustees']} trustees"
    )
    res = board.state(vd.NAME, f"result/{election}")
    if res is not None:
        out.print(_totals_table(manifest_of(board, election), res["totals"]))


@election_app.command("list")
def election_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The elections on the board."""
    board, _ = _board_keys(ctx)
    rows = [_status(board, k.split("/", 1)[1]) for k, _ in board.scan(vd.NAME, "election/")]
    if as_json:
        for r in rows:
            _emit(r)
        return
    t = Table("election", "title", "phase", "ballots", "closes")
    for r in rows:
        t.add_row(r["election"], r["title"], r["phase"], str(r["ballots"]), r["closes"])
    out.print(t)


@election_app.command("roll-key")
def election_roll_key(ctx: typer.Context, name: str, as_json: JsonOpt = False) -> None:
    """A roll voter's Ed25519 key (kept locally); prints the public key for the manifest."""
    _, keys = _board_keys(ctx)
    public = bytes(VotingKeys(keys).new_voter(name).verify_key).hex()
    if as_json:
        _emit({"voter": name, "key": public})
    else:
        sys.stdout.write(public + "\n")


# ------------------------------------------------------------------ trustee


@trustee_app.command("init")
def trustee_init_cmd(
    ctx: typer.Context, election: str, as_: AsTrustee, out_: OutOpt = None
) -> None:
    """Create the trustee's box key for ELECTION; writes the card the official lists."""
    _, keys = _board_keys(ctx)
    write_doc(trustee_init(keys, election, as_), out_)


@trustee_app.command("commit")
def trustee_commit_cmd(ctx: typer.Context, election: str, as_: AsTrustee) -> None:
    """Step 1: draw the secret polynomial (kept locally), post the digest of its commitments."""
    board, keys = _board_keys(ctx)
    index = trustee_commit(board, keys, election, as_)
    out.print(f"{as_} committed at entry {index}")


@trustee_app.command("share")
def trustee_share_cmd(ctx: typer.Context, election: str, as_: AsTrustee) -> None:
    """Step 2: reveal the commitments and post the shares sealed to the other trustees."""
    board, keys = _board_keys(ctx)
    index = trustee_share(board, keys, election, as_)
    out.print(f"{as_} revealed its commitments and sealed shares at entry {index}")


@trustee_app.command("complain")
def trustee_complain_cmd(
    ctx: typer.Context, election: str, as_: AsTrustee, as_json: JsonOpt = False
) -> None:
    """Step 3: check every share dealt to this trustee; complain about each bad one."""
    board, keys = _board_keys(ctx)
    accused = trustee_complain(board, keys, election, as_)
    if as_json:
        _emit({"trustee": as_, "complaints": accused})
    elif accused:
        out.print(f"{as_} complained about trustee(s) {', '.join(map(str, accused))}")
    else:
        out.print(f"{as_}: every share dealt to it checks against its dealer's commitments")


@trustee_app.command("answer")
def trustee_answer_cmd(ctx: typer.Context, election: str, as_: AsTrustee) -> None:
    """Step 4: answer the complaints against this trustee that need it (publish that share)."""
    board, keys = _board_keys(ctx)
    who = trustee_answer(board, keys, election, as_)
    out.print(
        f"{as_} answered trustee(s) {', '.join(map(str, who))}"
        if who
        else f"{as_}: nothing to answer"
    )


@trustee_app.command("decrypt")
def trustee_decrypt_cmd(ctx: typer.Context, election: str, as_: AsTrustee) -> None:
    """Post this trustee's partial decryption of the board's tally, with DLEQ proofs."""
    board, keys = _board_keys(ctx)
    with spinner_step("decrypting the tally share"):
        index = trustee_decrypt(board, keys, election, as_)
    rec = board.state(vd.NAME, f"partial/{election}/{index_of(board, election, keys, as_)}")
    verdict = "valid" if rec and rec["valid"] else f"INVALID ({rec and rec['reason']})"
    out.print(f"{as_}'s partial decryption posted at entry {index}: {verdict}")


def index_of(board: Board, election: str, keys: KeyStore, name: str) -> int:
    return _trustee_index(election_info(board, election), keys.authority(name))


# --------------------------------------------------------------------- vote


def _choices(choice: Sequence[str]) -> dict[str, list[str]]:
    out_: dict[str, list[str]] = {}
    for ch in choice:
        contest, sep, options = ch.partition("=")
        if not sep or not contest:
            raise VotingInputError(f"--choice {ch!r}: write CONTEST=OPTION[,OPTION...]")
        out_.setdefault(contest, []).extend(o for o in options.split(",") if o)
    return out_


def vote(
    ctx: typer.Context,
    election: Annotated[str, typer.Argument(help="The election's id.")],
    choice: Annotated[
        list[str] | None,
        typer.Option(
            "--choice", help="CONTEST=OPTION[,OPTION...] (repeatable); 'blank' if offered."
        ),
    ] = None,
    credential: Annotated[
        str | None, typer.Option(help="The wallet credential that proves eligibility.")
    ] = None,
    wallet: Annotated[
        Path, typer.Option("--wallet", envvar="PNYX_WALLET", help="The wallet file.")
    ] = Path(".pnyx-wallet"),
    roll_key: Annotated[
        str | None, typer.Option(help="The local roll key (`election roll-key`) instead.")
    ] = None,
    box: Annotated[
        str, typer.Option("--box", envvar=BOX_ENV, help="The ballot box authority that posts.")
    ] = DEFAULT_BOX,
    challenge_: Annotated[
        bool,
        typer.Option("--challenge", help="Audit instead: post the nonces; it never counts."),
    ] = False,
    out_: OutOpt = None,
) -> None:
    """Encrypt, prove and cast a ballot (or challenge it); writes the receipt."""
    board, keys = _board_keys(ctx)
    if (credential is None) == (roll_key is None):
        raise VotingInputError("give exactly one of --credential and --roll-key")
    chosen = selections(manifest_of(board, election), _choices(choice or []))
    box_signer = keys.authority(box)
    if roll_key is not None:
        voter = Voter(roll_key=VotingKeys(keys).voter(roll_key))
    else:
        assert credential is not None
        voter = Voter(credential=open_wallet(wallet).credential(credential))
    log = keys.log()
    with spinner_step("encrypting and proving the ballot"):
        made, body = make_vote(board, election, voter, chosen)
    if challenge_:
        index = BallotBox(board, box_signer, log).challenge(made)
        write_doc(
            {
                "election": election,
                "ballot": made.hash.hex(),
                "challenged_at": index,
                "selections": [list(s) for s in made.selections],
            },
            out_,
        )
        err.print(f"ballot {made.hash.hex()[:16]}… challenged at entry {index}: it will not count")
        return
    receipt = BallotBox(board, box_signer, log).cast(body)
    write_doc(receipt.to_json(), out_)
    err.print(
        f"ballot {receipt.ballot[:16]}… cast at entry {receipt.index}; "
        f"tracker {receipt.tracker[:16]}…"
    )


# ------------------------------------------------------------------- ballot


@ballot_app.command("check")
def ballot_check(
    ctx: typer.Context,
    receipt: Annotated[Path, typer.Argument(help="The receipt `pnyx vote` wrote.")],
    as_json: JsonOpt = False,
) -> None:
    """Re-verify a receipt against the board and its latest checkpoint; exit 1 if it fails."""
    board, keys = _board_keys(ctx)
    doc = _read_json(receipt, "receipt")
    if keys.log_path.exists():
        board.sign_checkpoint(keys.log())
    r = check_receipt(doc, board)
    res = {
        "valid": True,
        "election": doc["election"],
        "ballot": doc["ballot"],
        "index": r.index,
        "size": r.size,
        "checked_to": r.checked_to,
        "counted": r.counted,
    }
    if as_json:
        _emit(res)
        return
    out.print(
        f"ballot {doc['ballot'][:16]}… is entry {r.index} of the board (checkpoint {r.size}, "
        f"consistent with checkpoint {r.checked_to}); "
        + ("it is the voter's counted ballot" if r.counted else "a later ballot replaced it")
    )


# ------------------------------------------------------------------- export


def write_record(board: Board, keys: KeyStore, election: str, dest: Path) -> dict[str, Any]:
    """Sign a checkpoint (when this key folder holds the log key) and write the record."""
    if keys.log_path.exists():
        board.sign_checkpoint(keys.log())
    with progress("exporting the record", None) as advance:
        record = export_record(board, election, progress=lambda done, total: advance(done))
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_text(json.dumps(record, sort_keys=True) + "\n")
    os.replace(tmp, dest)
    return record


@election_app.command("export")
def election_export(
    ctx: typer.Context,
    election: str,
    out_: Annotated[Path, typer.Option("--out", help="The record file to write.")],
) -> None:
    """Write the election record a third party verifies (`pnyx verify election FILE`)."""
    board, keys = _board_keys(ctx)
    write_record(board, keys, election, out_)
    out.print(f"record of {election} written to {out_} ({out_.stat().st_size:,} bytes)")


# --------------------------------------------------------------------- demo

DEMO_ORIGIN = "demo.pnyx.example/board"
DEMO_ELECTION = "demo-election"
DEMO_OFFICIAL = "election-office"
DEMO_BOX = DEFAULT_BOX
DEMO_ISSUER = "eid-office"
DEMO_SCHEMA = EID["id"]
DEMO_DISTRICT = 7


def _rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class DemoVoter:
    """A simulated voter: the names on the e-ID, the wallet record (secrets), what it meant."""

    given: str
    family: str
    record: dict[str, Any] = field(repr=False)
    intended: list[list[int]] = field(default_factory=list)
    cast: list[MadeBallot] = field(default_factory=list, repr=False)
    """The ballots cast, with their nonces (the voter's secrets: never posted)."""
    challenged: list[MadeBallot] = field(default_factory=list, repr=False)


@dataclass
class DemoOutcome:
    """What `pnyx demo election` did, for the tests: voters, intended and decrypted totals."""

    election: str
    voters: list[DemoVoter] = field(repr=False)
    intended: list[list[int]]
    totals: list[list[int]]
    result: Result
    record: Path | None
    failed: list[str]


class ElectionDemo:
    """`pnyx demo election`, told step by step; each expectation is checked and counted.

    Runs on an empty board (it creates one) or on a board whose log and root
    keys are in the key folder (after `pnyx demo`, as `make run` does).  The
    election day is simulated: it opened three hours ago and closed an hour
    ago; the entries carry those times (an entry's time is its author's claim).
    """

    def __init__(
        self,
        board: Board,
        keys: KeyStore,
        console: Console,
        *,
        voters: int,
        trustees: int,
        threshold: int,
        seed: int,
    ) -> None:
        if voters < 1:
            raise VotingInputError("--voters must be at least 1")
        if not 1 <= threshold <= trustees - 2:
            raise VotingInputError(
                "the demo has one absent trustee and one that posts a bad partial: "
                "it needs 1 <= --threshold <= --trustees - 2"
            )
        if trustees > 32:
            raise VotingInputError("--trustees is at most 32")
        self.board, self.keys, self.out = board, keys, console
        self.n_voters, self.n, self.k = voters, trustees, threshold
        self.rng = random.Random(seed)
        self.failed: list[str] = []
        now = datetime.now(UTC).replace(microsecond=0)
        self.before = _rfc3339(now - timedelta(hours=4))
        self.opens = _rfc3339(now - timedelta(hours=3))
        self.voting = _rfc3339(now - timedelta(hours=2))
        self.closes = _rfc3339(now - timedelta(hours=1))
        self.day = (now - timedelta(hours=3)).date()
        self.trustees = [f"trustee-{j}" for j in range(1, trustees + 1)]

    def expect(self, ok: bool, what: str) -> None:
        mark = "[green]ok[/green]" if ok else "[red]FAILED[/red]"
        self.out.print(f"  {mark}  {what}")
        if not ok:
            self.failed.append(what)

    def refused(self, action: Callable[[], Any], code: str, what: str) -> None:
        """``action`` must be refused with ``code`` and leave the board as it was."""
        size = self.board.size()
        try:
            action()
        except Rejected as e:
            self.expect(
                e.code == code and self.board.size() == size,
                f"{what}: refused ({e.code}: {e.detail}); nothing written",
            )
            return
        self.expect(False, f"{what}: was NOT refused")

    def _selection(self) -> list[list[int]]:
        out = []
        for c in CONTESTS:
            m = len(c.choices)
            chosen = set(self.rng.sample(range(m), self.rng.randint(c.minimum, c.maximum)))
            out.append([1 if o in chosen else 0 for o in range(m)])
        return out

    # ---------------------------------------------------------------- steps

    def _board(self) -> Signer:
        """A board (genesis) when the database is empty; the root authority's key."""
        board, keys = self.board, self.keys
        names = [DEMO_OFFICIAL, DEMO_BOX, DEMO_ISSUER, *self.trustees]
        taken = [n for n in names if keys.authority_path(n).exists()]
        if taken or board.state(vd.NAME, f"election/{DEMO_ELECTION}") is not None:
            raise VotingInputError(
                "the election demo has run on this board already "
                f"({', '.join(taken) or DEMO_ELECTION})"
            )
        if board.size() == 0:
            if keys.root.exists() and any(keys.root.iterdir()):
                raise VotingInputError(f"the database is empty but {keys.root} is not")
            log, root = Signer.generate(DEMO_ORIGIN), Signer.generate("root")
            keys.save_log(log)
            keys.save_authority(root)
            genesis = {
                "origin": DEMO_ORIGIN,
                "log_key": log.verifier().vkey(),
                "root": {"name": "root", "public_key": root.verifier().public_key.hex()},
            }
            board.append(_entry(root, authorities.GENESIS, genesis, self.before))
            self.out.print(f"a new board {DEMO_ORIGIN}")
            return root
        keys.log()  # the demo signs receipts and checkpoints: it must be this board's operator
        root = keys.authority("root")
        self.out.print(f"on the existing board {board.origin()} ({board.size()} entries)")
        return root

    def run(self, record: Path | None) -> DemoOutcome:
        board, keys, out = self.board, self.keys, self.out
        out.rule("1. Authorities: the election office, the ballot box, an e-ID issuer, trustees")
        root = self._board()
        roles = {DEMO_OFFICIAL: vd.OFFICIAL_ROLE, DEMO_BOX: vd.BALLOT_BOX_ROLE}
        roles |= {DEMO_ISSUER: ISSUER_ROLE} | {t: vd.TRUSTEE_ROLE for t in self.trustees}
        signers = {name: Signer.generate(name) for name in roles}
        leaves = [
            _entry(
                root,
                authorities.AUTHORITY,
                {"name": n, "public_key": s.verifier().public_key.hex(), "roles": [roles[n]]},
                self.before,
            )
            for n, s in signers.items()
        ]
        sk = suite(DEFAULT_SUITE).keygen(secrets.token_bytes(32), DEMO_ISSUER.encode())
        key_body = issuer_key_body(DEFAULT_SUITE, sk, board.origin(), DEMO_ISSUER)
        leaves.append(_entry(signers[DEMO_ISSUER], ISSUER_KEY, key_body, self.before))
        leaves.append(_entry(signers[DEMO_ISSUER], SCHEMA, EID, self.before))
        for s in signers.values():
            keys.save_authority(s)
        IssuerFile(keys, DEMO_ISSUER).save(
            {
                "version": 1,
                "issuer": DEMO_ISSUER,
                "ciphersuite": DEFAULT_SUITE,
                "key_id": key_body["key_id"],
                "secret_key": sk.hex(),
                "lists": {},
            },
            create=True,
        )
        board.append_many(leaves)
        for n, r in roles.items():
            out.print(f"{n}: {r}")

        out.rule(f"2. {self.n_voters} voters get an e-ID credential (blind issuance)")
        data = BoardData.from_board(board)
        people: list[DemoVoter] = []
        with progress("issuing e-IDs", self.n_voters) as advance:
            for i in range(self.n_voters):
                given, family = voter_name(i)
                birth = date(1940 + self.rng.randint(0, 60), self.rng.randint(1, 12), 1 + i % 28)
                values = {
                    "givenName": given,
                    "familyName": family,
                    "birthDate": birth.isoformat(),
                    "district": DEMO_DISTRICT,
                }
                req, held = issuance.make_request(data, DEMO_ISSUER, DEMO_SCHEMA)
                issued = issuance.issue(
                    data, DEMO_ISSUER, sk, req, values, self.day - timedelta(days=10), 30, None
                )
                people.append(DemoVoter(given, family, issuance.accept(data, issued, req, held)))
                advance(i + 1)
        out.print(
            f"{DEMO_ISSUER} signed {len(people)} credentials blindly (names, birth dates, "
            "district); the voters keep them and their secrets"
        )

        out.rule(f"3. The trustee ceremony: {self.n} trustees, any {self.k} decrypt")
        cards = [trustee_init(keys, DEMO_ELECTION, t) for t in self.trustees]
        adult = date(self.day.year - 18, self.day.month, min(self.day.day, 28)).isoformat()
        manifest = {
            "version": 1,
            "id": DEMO_ELECTION,
            "title": "Demo city elections",
            "contests": [c.to_json() for c in CONTESTS],
            "eligibility": {
                "type": "credential",
                "issuer": DEMO_ISSUER,
                "schema": DEMO_SCHEMA,
                "attributes": {"district": DEMO_DISTRICT},
                "predicates": [{"attribute": "birthDate", "op": "<=", "value": adult}],
                "date": self.day.isoformat(),
            },
            "revote": "last",
            "trustees": [],
            "threshold": self.k,
            "opens": self.opens,
            "closes": self.closes,
        }
        at = create_election(board, keys, manifest, DEMO_OFFICIAL, cards, self.before)
        out.print(f"manifest of {DEMO_ELECTION} at entry {at}: district {DEMO_DISTRICT}, adults")
        absent, bad = self.trustees[-1], self.trustees[0]
        present = self.trustees[:-1]
        for t in present:
            trustee_commit(board, keys, DEMO_ELECTION, t, self.before)
        for t in present:
            trustee_share(board, keys, DEMO_ELECTION, t, self.before)
        complaints = [c for t in present for c in trustee_complain(board, keys, DEMO_ELECTION, t)]
        self.expect(
            not complaints,
            f"{len(present)} trustees committed, revealed and checked their shares; "
            f"{absent} stayed away",
        )
        self.refused(
            lambda: open_election(board, keys, DEMO_ELECTION, DEMO_OFFICIAL, self.before),
            "wrong_phase",
            "opening before the opening time",
        )
        open_election(board, keys, DEMO_ELECTION, DEMO_OFFICIAL, self.opens)
        info = election_info(board, DEMO_ELECTION)
        out.print(f"joint key {info.keyed()[0].hex()[:16]}…; the election opened at {self.opens}")

        out.rule("4. Voting: some voters challenge a ballot first, some vote again")
        box = BallotBox(board, signers[DEMO_BOX], keys.log())
        data = BoardData.from_board(board)
        challengers = set(self.rng.sample(range(len(people)), max(1, len(people) // 5)))
        revoters = set(self.rng.sample(range(len(people)), max(1, len(people) // 5)))
        receipts = []
        with progress("casting ballots", len(people)) as advance:
            for i, p in enumerate(people):
                if i in challengers:
                    made, _ = credential_ballot(data, p.record, DEMO_ELECTION, self._selection())
                    box.challenge(made, self.voting)
                    p.challenged.append(made)
                for _ in range(2 if i in revoters else 1):
                    p.intended = self._selection()
                    made, body = credential_ballot(data, p.record, DEMO_ELECTION, p.intended)
                    receipts.append(box.cast(body, self.voting))
                    p.cast.append(made)
                advance(i + 1)
        cast_n = len(receipts)
        out.print(
            f"{cast_n} ballots cast by {len(people)} voters ({len(revoters)} voted twice: "
            f"the last counts), {len(challengers)} ballots challenged"
        )
        checks = [check_receipt(r.to_json(), board) for r in receipts]
        last = {p.cast[-1].hash.hex() for p in people}
        self.expect(
            all(c.counted == (r.ballot in last) for c, r in zip(checks, receipts, strict=True)),
            "every receipt checks against the board; exactly the last ballots are counted",
        )
        first = people[min(challengers)]
        opened = first.challenged[0]
        self.refused(
            lambda: box.cast(
                {"ballot": opened.ballot, "eligibility": {"presentation": {}}}, self.voting
            ),
            "ballot_challenged",
            "casting a challenged ballot",
        )
        copied = Entry.from_leaf(board.entries(receipts[0].index, receipts[0].index + 1)[0][1])
        self.refused(
            lambda: box.cast(copied.body, self.voting),
            "duplicate_entry",
            "posting a cast ballot again",
        )

        out.rule("5. Close, tally; one trustee absent, one posts a bad partial decryption")
        self.refused(
            lambda: post_tally(board, keys, DEMO_ELECTION, DEMO_OFFICIAL),
            "wrong_phase",
            "a tally before the close",
        )
        close_election(board, keys, DEMO_ELECTION, DEMO_OFFICIAL, self.closes)
        _, late = credential_ballot(data, people[0].record, DEMO_ELECTION, self._selection())
        self.refused(lambda: box.cast(late, self.closes), "wrong_phase", "a ballot after the close")
        _, counted = post_tally(board, keys, DEMO_ELECTION, DEMO_OFFICIAL)
        self.expect(counted == len(people), f"the encrypted tally adds {counted} counted ballots")
        data = BoardData.from_board(board)
        cheat = LocalTrustee.load(board, keys, DEMO_ELECTION, bad)
        share = cheat.trustee.secret_share(data)
        wrong = Trustee(DEMO_ELECTION, cheat.trustee.index, cheat.trustee.box, share=share + share)
        cheat.post(board, vd.PARTIAL, [wrong.partial_body(data)])
        for t in present[1:]:
            trustee_decrypt(board, keys, DEMO_ELECTION, t)
        _, result = publish_result(board, keys, DEMO_ELECTION, DEMO_OFFICIAL)
        bad_index = cheat.trustee.index
        self.expect(
            [x["trustee"] for x in result.excluded] == [bad_index],
            f"{bad}'s partial is excluded and named: {result.excluded[0]['reason']}"
            if result.excluded
            else f"{bad}'s bad partial was not excluded",
        )

        out.rule("6. The result beside what the voters meant")
        intended = [
            [sum(p.intended[c][o] for p in people) for o in range(len(contest.choices))]
            for c, contest in enumerate(CONTESTS)
        ]
        out.print(_totals_table(manifest_of(board, DEMO_ELECTION), result.totals, intended))
        self.expect(result.totals == intended, "the decrypted totals are the intended ones")

        out.rule("7. Audit")
        self.expect(not board.verify(), "the board verifies: entries, tree, signatures, rules")
        self.expect(not board.replay(), "replaying the log gives the stored state")
        if record is not None:
            # the witnesses cosign the final board first: the record is then final (V5)
            cosigned = cosign_local(board, keys)
            if cosigned:
                self.expect(
                    all(c.refused is None for c in cosigned),
                    f"the {len(cosigned)} witnesses of this key folder cosign the final board",
                )
            doc = write_record(board, keys, DEMO_ELECTION, record)
            out.print(f"election record written to {record} ({len(json.dumps(doc)):,} bytes)")
            out.print(
                f"verify it: pnyx verify election {record} --vkey '{board.log_verifier().vkey()}'"
            )
        else:
            board.sign_checkpoint(keys.log())
        return DemoOutcome(
            DEMO_ELECTION, people, intended, result.totals, result, record, self.failed
        )


def run_election_demo(
    board: Board,
    keys: KeyStore,
    console: Console,
    *,
    voters: int = 50,
    trustees: int = 4,
    threshold: int = 2,
    seed: int = 0,
    record: Path | None = None,
) -> DemoOutcome:
    """Run the election demo (see :class:`ElectionDemo`); the outcome lists failed expectations."""
    demo = ElectionDemo(
        board, keys, console, voters=voters, trustees=trustees, threshold=threshold, seed=seed
    )
    return demo.run(record)


def demo_election(
    ctx: typer.Context,
    voters: Annotated[int, typer.Option(help="Simulated voters.")] = 20,
    trustees: Annotated[int, typer.Option(help="Trustees (one absent, one bad).")] = 4,
    threshold: Annotated[int, typer.Option(help="Partial decryptions needed (k).")] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the voters' choices.")] = 0,
    out_: Annotated[
        Path | None, typer.Option("--out", help="Write the election record here.")
    ] = None,
) -> None:
    """A complete election: e-ID issuer, voters, ceremony, challenges, re-votes, a bad
    partial, the result beside the intended totals; exits 1 if they differ."""
    board, keys = _board_keys(ctx)
    outcome = run_election_demo(
        board,
        keys,
        out,
        voters=voters,
        trustees=trustees,
        threshold=threshold,
        seed=seed,
        record=out_,
    )
    if outcome.failed:
        print(
            f"error: {len(outcome.failed)} expectation(s) failed: {outcome.failed[0]}",
            file=sys.stderr,
        )
        raise typer.Exit(1)
