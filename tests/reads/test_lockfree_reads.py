"""Whole-tree reads (snapshots, exports, survival reports) take no write lock: while a writer
holds a tree's lock with an uncommitted op, they answer at once with the last commit, whole,
and the writer's op appears once it commits. On PostgreSQL (REPEATABLE READ) in this process
and on SQLite in WAL mode (a deferred BEGIN where every write is BEGIN IMMEDIATE) in a child
process on a file database, as `make run` serves it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.reads import lockfree

ROOT = Path(__file__).resolve().parents[2]


def _check(result: dict[str, Any]) -> None:
    assert result["held_during_reads"], "the writer let go before the readers were done"
    assert "error" not in result["writer"], result["writer"]
    root, held = result["root_id"], result["held_id"]
    for name, read in result["reads"].items():
        assert read["done"], f"{name} waited for the writer's lock"
        assert read["error"] is None, f"{name}: {read['error']}"
        assert read["seconds"] < lockfree.WAIT
        # The last commit, whole: the root, not the op still uncommitted, at its seq.
        assert read["ids"] == [root], f"{name} saw {read['ids']}"
        if name != "export":  # a JSON backup carries no seq
            assert read["seq"] == 1, name
    assert result["after"] == {"seq": 2, "ids": sorted([root, held])}


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_export_does_not_wait_for_a_held_write_lock_and_sees_the_last_commit() -> (
    None
):
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL pass (make test-integration) runs this one")
    _check(lockfree.run("pg"))


def test_on_sqlite_an_export_does_not_wait_for_a_held_write_lock_and_sees_the_last_commit(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gametree.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    done = subprocess.run(
        [*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    done = subprocess.run(
        [*manage, "shell", "-c", "from tests.reads.lockfree import main; main()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    _check(json.loads(line.removeprefix("RESULT ")))
