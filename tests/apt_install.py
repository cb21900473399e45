"""Install Debian packages for `make sysdeps`, waiting for another apt-get/dpkg to finish.

    python3 -m tests.apt_install [--timeout SECONDS] PACKAGE...

On a shared machine another `apt-get` may hold apt's locks when `make test` wants Chromium;
apt-get itself then fails at once ("Could not get lock"). This waits up to --timeout seconds
(default 600) for the locks, then runs `apt-get update` and `apt-get install`, each retried
while it fails only because of a lock, and fails with apt's own message once the time is up.
Standard library only: it runs before the virtualenv may exist.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Sequence

# apt-get takes the lists lock for `update`, dpkg's frontend lock and its lock for `install`.
LOCKS = ("/var/lib/apt/lists/lock", "/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock")
LOCK_MESSAGES = ("Could not get lock", "Unable to lock", "Unable to acquire the dpkg frontend lock")
POLL_SECONDS = 1.0


def lock_is_free(path: str) -> bool:
    """True when no process holds apt's (fcntl) lock on `path`; a missing file is free."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return True
    except PermissionError:
        return True  # not root: apt-get will say so itself
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def wait_for_locks(paths: Sequence[str], deadline: float, say: bool = True) -> bool:
    """Wait until every lock in `paths` is free or `deadline` (time.monotonic()) passes."""
    told = False
    while True:
        busy = [p for p in paths if not lock_is_free(p)]
        if not busy:
            return True
        if time.monotonic() >= deadline:
            return False
        if say and not told:
            print(f"apt: {', '.join(busy)} held by another process; waiting", flush=True)
            told = True
        time.sleep(POLL_SECONDS)


def run_waiting(cmd: Sequence[str], deadline: float, paths: Sequence[str] = LOCKS) -> int:
    """Run `cmd`; while it fails because of a held lock and time is left, wait and retry."""
    while True:
        wait_for_locks(paths, deadline)
        result = subprocess.run(cmd, capture_output=True, text=True)
        sys.stdout.write(result.stdout)
        locked = result.returncode != 0 and any(m in result.stderr for m in LOCK_MESSAGES)
        if not locked or time.monotonic() >= deadline:
            sys.stderr.write(result.stderr)
            return result.returncode
        time.sleep(POLL_SECONDS)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m tests.apt_install",
        description="apt-get update && apt-get install PACKAGE..., waiting for apt's locks.",
    )
    parser.add_argument("packages", nargs="+", metavar="PACKAGE")
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        help="seconds to wait for another apt-get/dpkg to finish (default 600)",
    )
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.timeout

    def apt(*words: str) -> list[str]:
        # apt's own wait covers the dpkg locks taken after ours were seen free.
        left = max(1, int(deadline - time.monotonic()))
        return ["apt-get", "-o", f"DPkg::Lock::Timeout={left}", *words]

    code = run_waiting(apt("update", "-qq"), deadline)
    if code != 0:
        return code
    os.environ["DEBIAN_FRONTEND"] = "noninteractive"
    return run_waiting(apt("install", "-y", "-qq", *args.packages), deadline)


if __name__ == "__main__":
    sys.exit(main())
