"""The commands run as real processes: stdout carries only the JSON line or the export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "formats" / "fixtures"
PYTHON = ROOT / ".venv" / "bin" / "python"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    workdir = tmp_path_factory.mktemp("cli")
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gametree.settings_test",
        "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    environ.pop("REDIS_URL", None)
    manage("migrate", "--noinput", env=environ)
    manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        "get_user_model().objects.create_user('alice', password='pw-for-tests-123')",
        env=environ,
    )
    yield environ


def manage(
    *args: str, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    python = str(PYTHON) if PYTHON.exists() else sys.executable
    done = subprocess.run(
        [python, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    if check:
        assert done.returncode == 0, done.stderr.decode()[-3000:]
    return done


def test_importtree_prints_only_its_json_line_and_exporttree_only_the_file(
    env: dict[str, str],
) -> None:
    fixture = str(FIXTURES / "google_docs_game.md")
    done = manage("importtree", fixture, "--kind", "game", "--owner", "alice", env=env)
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 1, done.stdout
    printed = json.loads(lines[0])
    assert set(printed) == {"id", "nodes"} and printed["nodes"] == 8
    assert done.stdout == (json.dumps(printed) + "\n").encode()

    exported = manage("exporttree", str(printed["id"]), "--format", "json", env=env).stdout
    payload = json.loads(exported)
    assert payload["tree"]["title"] == "Game tree: scalable oversight"
    assert len(payload["nodes"]) == 8

    markdown = manage("exporttree", str(printed["id"]), "--format", "md", env=env).stdout
    assert markdown.startswith(b"# Game tree: scalable oversight\n")


def test_a_refused_import_exits_nonzero_with_the_code_on_stderr_and_nothing_on_stdout(
    env: dict[str, str],
) -> None:
    fixture = str(FIXTURES / "billion_laughs.opml")
    done = manage(
        "importtree", fixture, "--kind", "problem", "--owner", "alice", env=env, check=False
    )
    assert done.returncode != 0
    assert done.stdout == b""
    assert b"unsafe_xml: " in done.stderr
    assert b"Traceback" not in done.stderr


def test_make_run_sets_up_graphviz_for_picture_downloads_before_serving() -> None:
    """`make run` installs what SVG and PNG downloads need (Graphviz, not the test browser)."""
    environ = {**os.environ, "DJANGO_SECRET_KEY": "dry-run-only"}
    result = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, env=environ, capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    checks = [i for i, line in enumerate(lines) if "command -v dot" in line]
    serve = next(i for i, line in enumerate(lines) if "daphne" in line)
    assert checks and checks[0] < serve
    assert 'case " graphviz " in *" graphviz "*)' in lines[checks[0]]
