"""`make sysdeps` waits for another apt-get's lock instead of failing (tests/apt_install.py).

The locks are real fcntl locks on temporary files, held by another process the way apt-get
holds /var/lib/dpkg/lock-frontend; the system's own apt is not touched.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import apt_install

HOLDER = textwrap.dedent(
    """
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    fcntl.lockf(fd, fcntl.LOCK_EX)
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


@pytest.fixture
def hold_lock(tmp_path: Path) -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []

    def hold(name: str, seconds: float) -> str:
        path = str(tmp_path / name)
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, path, str(seconds)], stdout=subprocess.PIPE, text=True
        )
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        return path

    yield hold
    for p in procs:
        p.kill()
        p.wait()


def test_wait_for_locks_returns_once_the_other_process_lets_go(hold_lock, tmp_path) -> None:
    held = hold_lock("lock-frontend", 2.0)
    free = str(tmp_path / "never-created")
    start = time.monotonic()
    assert apt_install.wait_for_locks([held, free], time.monotonic() + 60, say=False)
    waited = time.monotonic() - start
    assert 1.0 <= waited < 30, waited
    assert apt_install.lock_is_free(held)


def test_wait_for_locks_gives_up_at_the_deadline(hold_lock) -> None:
    held = hold_lock("lists-lock", 60)
    start = time.monotonic()
    assert not apt_install.wait_for_locks([held], time.monotonic() + 1.5, say=False)
    assert 1.4 <= time.monotonic() - start < 20
    assert not apt_install.lock_is_free(held)


def test_a_command_failing_on_a_lock_is_retried_until_it_succeeds(tmp_path) -> None:
    # Fails with apt's lock message twice, then succeeds (as apt-get does once dpkg is done).
    counter = tmp_path / "runs"
    script = textwrap.dedent(
        f"""
        import pathlib, sys
        p = pathlib.Path({str(counter)!r})
        n = int(p.read_text()) if p.exists() else 0
        p.write_text(str(n + 1))
        if n < 2:
            sys.stderr.write("E: Could not get lock /var/lib/dpkg/lock-frontend.\\n")
            sys.exit(100)
        """
    )
    code = apt_install.run_waiting([sys.executable, "-c", script], time.monotonic() + 60, paths=[])
    assert code == 0
    assert counter.read_text() == "3"


def test_a_failure_that_is_not_a_lock_is_not_retried(tmp_path) -> None:
    counter = tmp_path / "runs"
    script = (
        f"import pathlib, sys; p = pathlib.Path({str(counter)!r}); "
        "p.write_text(p.read_text() + 'x' if p.exists() else 'x'); "
        "sys.stderr.write('E: Unable to locate package nosuchpackage\\n'); sys.exit(100)"
    )
    code = apt_install.run_waiting([sys.executable, "-c", script], time.monotonic() + 60, paths=[])
    assert code == 100
    assert counter.read_text() == "x"


def test_the_makefile_installs_through_the_waiting_installer() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    recipe = makefile.split("\nsysdeps:", 1)[1].split("\n\n", 1)[0]
    assert "-m tests.apt_install --timeout $(APT_LOCK_TIMEOUT)" in recipe
    assert "apt-get" not in recipe.replace("command -v apt-get", "")
