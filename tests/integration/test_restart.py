"""Restarts while clients edit: a daphne process killed and started again, Redis restarted.

Clients follow the protocol's reconnect rule (hello with since, resend pending ops with the
same n) on their own; nobody intervenes on the server side. Afterwards every client, both
processes' REST snapshots, the stored rows and the log agree, and every acknowledged op is in
the log at its acknowledged seq.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import Server, free_port
from tests.e2e.test_e2e_live import KNOWN_CODES
from tests.integration.test_multiprocess_support import (
    Editor,
    assert_converged,
    cluster,
    drive,
    needs_services,
    open_editors,
    wait_until,
)

pytestmark = [*needs_services, pytest.mark.timeout(120)]

OPS_PER_CLIENT = 80


def acked(editors: list[Editor]) -> int:
    return sum(
        1 for e in editors for result in e.client.results.values() if result["type"] == "ack"
    )


@pytest.fixture(scope="module")
def servers() -> Iterator[list[Server]]:
    with cluster(2) as started:
        yield started


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
async def test_a_killed_process_comes_back_and_its_clients_converge(
    servers: list[Server], sig: int
) -> None:
    a, b = servers
    tree_id = await asyncio.to_thread(a.make_tree, "alice", ["bob", "carol", "dave"])
    placement = [(a, "alice"), (b, "bob"), (b, "carol"), (a, "dave")]
    editors = await open_editors(placement, tree_id, {})
    try:
        drives = asyncio.gather(
            *(drive(e, random.Random(100 * sig + i), OPS_PER_CLIENT) for i, e in enumerate(editors))
        )
        # Mid-session: ops of all four clients in flight when b dies.
        await wait_until(lambda: acked(editors) >= OPS_PER_CLIENT, 30, "a first part of the ops")
        old_pid = b.pid
        await asyncio.to_thread(b.kill, sig)
        await asyncio.sleep(0.5)  # b's clients retry against a closed port meanwhile
        await asyncio.to_thread(b.start)
        assert b.pid != old_pid
        await drives
        await assert_converged([a, b], tree_id, editors)
        for editor in editors:
            assert editor.client.errors == [], editor.client.errors
        assert editors[1].reconnects >= 1 and editors[2].reconnects >= 1
        assert editors[0].reconnects == 0 and editors[3].reconnects == 0
    finally:
        for editor in editors:
            await editor.stop()


# -- Redis ------------------------------------------------------------------------------------
#
# A private redis-server (same flags as the CI one, its own port and directory) rather than the
# shared 127.0.0.1:6379: other suites running on this machine use that one, and a restart
# would break them. The code path is the same: REDIS_URL points at a Redis that is shut down
# without saving (every group membership and queued message gone) and started again.

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="gametree-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
                "--logfile",
                str(self.dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self.ping():
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def ping(self) -> bool:
        done = subprocess.run(
            [REDIS_CLI or "redis-cli", "-p", str(self.port), "ping"],
            capture_output=True,
            timeout=5,
        )
        return done.stdout.strip() == b"PONG"

    def shutdown_nosave(self) -> None:
        subprocess.run(
            [REDIS_CLI or "redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            capture_output=True,
            timeout=10,
        )
        if self.process is not None:
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if REDIS_SERVER is None or REDIS_CLI is None:
        pytest.skip("the Redis restart test needs the redis-server and redis-cli binaries")
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()  # always, whatever the test did


async def test_clients_resync_after_redis_restarts_mid_session(
    private_redis: PrivateRedis,
) -> None:
    with cluster(2, redis_url=private_redis.url) as (a, b):
        tree_id = await asyncio.to_thread(a.make_tree, "alice", ["bob", "carol", "dave"])
        placement = [(a, "alice"), (b, "bob"), (a, "carol"), (b, "dave")]
        editors = await open_editors(placement, tree_id, {})
        try:
            drives = asyncio.gather(
                *(drive(e, random.Random(7 + i), OPS_PER_CLIENT) for i, e in enumerate(editors))
            )
            await wait_until(lambda: acked(editors) >= OPS_PER_CLIENT, 30, "a first part")
            try:
                await asyncio.to_thread(private_redis.shutdown_nosave)
                await asyncio.sleep(1.5)  # clients keep editing while Redis is gone
            finally:
                await asyncio.to_thread(private_redis.start)
            await drives
            # While Redis was down a reconnect's hello could fail: `internal`, then retry.
            head = await assert_converged(
                [a, b], tree_id, editors, allowed_codes=KNOWN_CODES | {"internal"}
            )
            assert head >= OPS_PER_CLIENT
            for editor in editors:
                assert {e["code"] for e in editor.client.errors} <= {"internal"}
        finally:
            for editor in editors:
                await editor.stop()
