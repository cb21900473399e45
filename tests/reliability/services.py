"""Restart the local Redis and PostgreSQL under a running test (pass 2 only).

Both helpers put the service back up in a `finally`, whatever happens: other test processes
on this machine use the same servers. The outage lasts as long as a stop and a start take.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), 0.5):
            return True
    except OSError:
        return False


def _wait(host: str, port: int, up: bool, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _answers(host, port) != up:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{host}:{port} still {'down' if up else 'up'} after {timeout} s")
        time.sleep(0.05)


def redis_up(port: int = 6379) -> bool:
    done = subprocess.run(
        ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, timeout=10
    )
    return done.stdout.strip() == "PONG"


def ensure_redis_up(port: int = 6379) -> None:
    if not redis_up(port):
        subprocess.run(REDIS_START, check=True, timeout=30)
        _wait("127.0.0.1", port, up=True)


@contextmanager
def redis_restarted(url: str, down_for: float = 0.3) -> Iterator[None]:
    """Stop Redis (all its data goes: it runs without persistence) and start it again."""
    port = urlparse(url).port or 6379
    try:
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], timeout=30)
        _wait("127.0.0.1", port, up=False)
        time.sleep(down_for)
        ensure_redis_up(port)
        yield
    finally:
        ensure_redis_up(port)


def _cluster() -> tuple[str, str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    return versions[-1], "main"


def _pg_ctl(action: str, *extra: str) -> None:
    version, name = _cluster()
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action, *extra],
        check=True,
        timeout=120,
    )


def ensure_postgres_up(port: int = 5432) -> None:
    if not _answers("127.0.0.1", port):
        version, name = _cluster()
        pid = Path(f"/var/lib/postgresql/{version}/{name}/postmaster.pid")
        if not pid.exists():
            _pg_ctl("start")
        _wait("127.0.0.1", port, up=True, timeout=60)


@contextmanager
def postgres_restarted(url: str) -> Iterator[None]:
    """`pg_ctlcluster ... restart -m fast`: every connection is cut, the server comes back."""
    port = urlparse(url).port or 5432
    try:
        _pg_ctl("restart", "-m", "fast")
        _wait("127.0.0.1", port, up=True, timeout=60)
        yield
    finally:
        ensure_postgres_up(port)
