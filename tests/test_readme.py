"""The README's command blocks run as written (issue 13), so that they cannot rot.

The shell blocks of the README from "The `pnyx` command" on (after the quick
start's `make` block, which `make test` itself is) run one after the other in
one bash, from the repository's root, with ``set -euo pipefail``: the first
puts `pnyx` on the PATH and moves to an empty temporary folder, each later
block continues there.  A block that ends with ``pnyx serve`` runs up to that
line; the line itself then runs as written in the background, the test reads
the served checkpoint and the home page, and stops it.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SERVE = re.compile(r"^pnyx serve .*--port (\d+)")


def readme_blocks() -> list[str]:
    text = README.read_text()
    text = text[text.index("**The `pnyx` command.**") : text.index("\n## Benchmarks")]
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def test_the_readme_has_the_blocks_this_test_runs() -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 3
    assert "source .venv/bin/activate" in blocks[0]
    assert any("pnyx verify election" in b for b in blocks)
    assert SERVE.match(blocks[-1].strip().splitlines()[-1]), "pnyx serve ends the last block"


@pytest.mark.slow
def test_the_readme_blocks_run_as_written(tmp_path: Path) -> None:
    blocks = readme_blocks()
    *body, serve = "\n".join(blocks).rstrip().splitlines()
    port = int(SERVE.match(serve).group(1))  # type: ignore[union-attr]
    script = tmp_path / "readme.sh"
    cwd_file = tmp_path / "cwd"
    script.write_text(
        "set -euo pipefail\n"
        + "\n".join(body)
        + f"\npwd > {shlex.quote(str(cwd_file))}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PNYX_")}
    env["TMPDIR"] = str(tmp_path)  # mktemp -d lands in the test's own folder
    done = subprocess.run(
        ["bash", str(script)], cwd=REPO, env=env, capture_output=True, text=True, timeout=900
    )
    tail = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, f"exit {done.returncode}\n{tail}"
    assert "election council-2026: valid" in done.stdout, done.stdout[-3000:]
    workdir = Path(cwd_file.read_text().strip())
    assert workdir.is_relative_to(tmp_path) and (workdir / "pnyx.db").exists()
    # `pnyx serve` as written, in the folder the blocks left, on the README's port
    activate = REPO / ".venv" / "bin"
    server = subprocess.Popen(
        ["bash", "-c", serve],
        cwd=workdir,
        env={**env, "PATH": f"{activate}:{env.get('PATH', '')}"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/board/checkpoint") as r:
                    assert r.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "pnyx serve did not answer"
                time.sleep(0.3)
        with urllib.request.urlopen(f"{base}/elections/council-2026") as r:
            assert "Council election 2026" in r.read().decode()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
