"""Every command line in README.md's shell blocks works as written, in a plain shell.

A new user copies these lines into a terminal after `make run`. The test does the same in a
temporary copy of the checkout (so the database, `.secret_key`, `tree.md`, `tree.svg` and
`backup.json` are the copy's, never the developer's), with a clean environment: PATH, HOME
and LANG only, plus DATABASE_URL / REDIS_URL / GAMETREE_FANOUT_PREFIX in the PostgreSQL +
Redis pass (a fresh database, dropped afterwards). No DJANGO_* variable is set: the commands
must find the key `make setup` wrote, as they do in a user's shell.

`make run` itself (the quick start's first line) is started as written and serves the API
block's curl lines; if port 8000 is taken on this machine it is started as `make run
PORT=<free>` and that block's `127.0.0.1:8000` is read as that port (the only change made to
any line). The lines skipped are asserted: the other two `make run` lines (servers) and `make
test` (it runs this suite). Each other line runs in bash, block by block (a block shares its
shell, as TOKEN does), and its exit status is checked; the effects are checked through the
README's own backup file.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import fresh_postgres

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e

SERVER = re.compile(r"^(?:[A-Z_]+=\S+\s+)*make run\b")
SKIPPED = {
    "make run PORT=9000": "starts a server",
    (
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/gametree "
        "REDIS_URL=redis://127.0.0.1:6379/0 make run"
    ): "starts a server",
    "make test": "runs this test suite",
}

TREE_MD = """\
- Proposal: Train an assistant to be honest with debate #scalable-oversight
  - Critique: Debaters may collude against the judge #collusion
    - Patch: Pay each debater for finding the other's lies
"""


def shell_blocks(markdown: str) -> list[list[str]]:
    """The README's ```sh blocks, each as its logical command lines (continuations joined)."""
    blocks: list[list[str]] = []
    for body in re.findall(r"^```sh\n(.*?)^```", markdown, flags=re.S | re.M):
        commands: list[str] = []
        pending = ""
        for line in body.splitlines():
            pending = f"{pending}\n{line}" if pending else line
            if not pending.strip():
                pending = ""
                continue
            if pending.endswith("\\"):
                continue
            try:
                shlex.split(pending, comments=True)
            except ValueError:  # a quote still open: the command goes on
                continue
            commands.append(pending)
            pending = ""
        assert not pending, f"unterminated command in README: {pending!r}"
        blocks.append(commands)
    return blocks


def _strip_comment(command: str) -> str:
    return " ".join(shlex.split(command, comments=True))


def test_the_readme_blocks_are_read_as_whole_commands() -> None:
    blocks = shell_blocks((ROOT / "README.md").read_text())
    flat = [_strip_comment(c) for b in blocks for c in b]
    assert "make run" in flat and "make test" in flat
    # The curl with a JSON body over three lines is one command, its token line another.
    assert any(c.startswith("curl") and "/ops/" in c and "Train an honest" in c for c in flat)
    assert any(c.startswith("TOKEN=$(curl") for c in flat)
    assert sum(".venv/bin/python manage.py" in c for c in flat) >= 7


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _copy_checkout(dest: Path) -> None:
    """Tracked and untracked-but-not-ignored files, mtimes kept (make sees nothing to rebuild)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if not src.is_file():
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    (dest / "frontend" / "node_modules").symlink_to(ROOT / "frontend" / "node_modules")
    # The copy shares .venv and node_modules: make must never reinstall them from here (an
    # editable install pointing into this temporary copy, `npm ci` emptying the real
    # node_modules). Their inputs in the copy are made no newer than their stamps.
    stamps = {
        ".venv/.installed": ["pyproject.toml", "constraints.txt"],
        "frontend/node_modules/.installed": ["frontend/package.json", "frontend/package-lock.json"],
    }
    for stamp, inputs in stamps.items():
        if not (ROOT / stamp).exists():
            continue
        at = (ROOT / stamp).stat().st_mtime
        for rel in inputs:
            st = (dest / rel).stat()
            os.utime(dest / rel, (st.st_atime, min(st.st_mtime, at - 1)))
    shutil.copytree(
        ROOT / "frontend" / "dist", dest / "frontend" / "dist", copy_function=shutil.copy2
    )


@pytest.fixture(params=["embedded", "postgres+redis"])
def plain_shell(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Path, dict[str, str]]]:
    if (
        not (ROOT / ".venv" / "bin" / "python").exists()
        or not (ROOT / "frontend" / "dist").exists()
    ):
        pytest.skip("needs `make setup` (.venv and frontend/dist)")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }
    checkout = tmp_path / "gametree"
    checkout.mkdir()
    _copy_checkout(checkout)
    if request.param == "embedded":
        yield checkout, env
        return
    db, redis = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not db.startswith(("postgres://", "postgresql://")) or not redis:
        if os.environ.get("GAMETREE_INTEGRATION") == "1":
            pytest.fail(
                "GAMETREE_INTEGRATION=1 but DATABASE_URL/REDIS_URL are not PostgreSQL/Redis"
            )
        pytest.skip("the PostgreSQL + Redis pass sets DATABASE_URL and REDIS_URL")
    with fresh_postgres(db) as url:
        env.update(
            DATABASE_URL=url,
            REDIS_URL=redis,
            GAMETREE_FANOUT_PREFIX=f"readme-{os.getpid()}:fanout:",
        )
        yield checkout, env


def _start_make_run(checkout: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = 8000 if _port_free(8000) else _free_port()
    cmd = "make run" if port == 8000 else f"make run PORT={port}"
    log = open(checkout / "make-run.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        ["bash", "-c", cmd],
        cwd=checkout,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc, port
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                _stop(proc)
                pytest.fail(f"`{cmd}` did not serve:\n{(checkout / 'make-run.log').read_text()}")
            time.sleep(0.5)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _run_block(
    commands: list[str], checkout: Path, env: dict[str, str]
) -> list[tuple[str, int, str]]:
    """Run a block's commands in one bash; each command's exit status, and the output."""
    script = ["set -o pipefail"]
    for i, c in enumerate(commands):
        # On a line of its own: curl's answers end without a newline.
        script += [c, f"__gt_rc=$?; printf '\\n@@rc {i} %s\\n' \"$__gt_rc\""]
    r = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    codes = {int(m[0]): int(m[1]) for m in re.findall(r"^@@rc (\d+) (\d+)$", r.stdout, flags=re.M)}
    out = r.stdout + r.stderr
    return [(c, codes.get(i, -1), out) for i, c in enumerate(commands)]


def test_every_readme_command_line_works_as_written_in_a_plain_shell(plain_shell) -> None:
    checkout, env = plain_shell
    blocks = shell_blocks((checkout / "README.md").read_text())
    (checkout / "tree.md").write_text(TREE_MD)
    proc, port = _start_make_run(checkout, env)
    ran: list[str] = []
    skipped: dict[str, str] = {}
    try:
        for block in blocks:
            todo: list[str] = []
            for command in block:
                plain = _strip_comment(command)
                if plain == "make run":
                    ran.append(plain)  # it is serving: started above, as written
                elif plain in SKIPPED:
                    skipped[plain] = SKIPPED[plain]
                else:
                    assert not SERVER.match(plain), f"a server line the test does not know: {plain}"
                    todo.append(command.replace("127.0.0.1:8000", f"127.0.0.1:{port}"))
            if not todo:
                continue
            for command, code, out in _run_block(todo, checkout, env):
                assert code == 0, f"README line failed ({code}):\n{command}\n---\n{out[-3000:]}"
                ran.append(_strip_comment(command))
    finally:
        _stop(proc)
    assert skipped == SKIPPED
    assert any(c.startswith(".venv/bin/python manage.py restoretrees") for c in ran)

    # The effects, read from the README's own backup of every tree.
    svg = (checkout / "tree.svg").read_text()
    assert "<svg" in svg
    backup = (checkout / "backup.json").read_text()
    json.loads(backup)
    for expected in ("Our game tree", "Big ASS Tree", "Train an honest assistant with debate"):
        assert expected in backup, f"{expected!r} missing: a README line did not do its work"
