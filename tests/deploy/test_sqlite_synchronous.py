"""GAMETREE_SQLITE_SYNCHRONOUS: the embedded default's sync level (NORMAL: survives a killed
process, not a power loss; FULL: survives power loss too), read by a real server process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "from django.db import connection\n"
    "c = connection.cursor()\n"
    "print(c.execute('PRAGMA synchronous').fetchone()[0], "
    "c.execute('PRAGMA journal_mode').fetchone()[0])\n"
)


def _probe(tmp_path: Path, value: str | None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gametree.settings",
        "DJANGO_SECRET_KEY": "test-only",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("GAMETREE_SQLITE_SYNCHRONOUS", None)
    if value is not None:
        env["GAMETREE_SQLITE_SYNCHRONOUS"] = value
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("value", "level"), [(None, "1"), ("NORMAL", "1"), ("full", "2")])
def test_the_sqlite_sync_level_follows_the_setting(
    tmp_path: Path, value: str | None, level: str
) -> None:
    done = _probe(tmp_path, value)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1].split() == [level, "wal"]


def test_an_unknown_sqlite_sync_level_is_refused_at_start(tmp_path: Path) -> None:
    done = _probe(tmp_path, "OFF")
    assert done.returncode != 0
    assert "GAMETREE_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA" in done.stderr
