"""Where the settings find the secret key without DJANGO_DEBUG (gametree/settings.py).

Each case imports the settings in a fresh interpreter, from a copy of the `gametree` package in
a temporary directory: that directory is the settings' BASE_DIR, so whether a `.secret_key`
sits next to it is up to the test, never the developer's checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_KEY = "import gametree.settings as s; print(s.SECRET_KEY)"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "gametree", tmp_path / "gametree")
    return tmp_path


def settings_key(base: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update(DJANGO_STATIC_ROOT=str(base / "static"), **env)
    return subprocess.run(
        [sys.executable, "-c", PRINT_KEY], cwd=base, env=clean, capture_output=True, text=True
    )


def test_production_without_any_key_refuses_to_start(checkout: Path) -> None:
    r = settings_key(checkout)
    assert r.returncode != 0
    assert "ImproperlyConfigured" in r.stderr and "DJANGO_SECRET_KEY" in r.stderr


def test_the_checkouts_secret_key_file_is_read_when_the_variable_is_unset(checkout: Path) -> None:
    (checkout / ".secret_key").write_text("key-from-make-setup-0123456789\n")
    r = settings_key(checkout)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "key-from-make-setup-0123456789"


def test_the_variable_wins_over_any_file(checkout: Path) -> None:
    (checkout / ".secret_key").write_text("local-file-key\n")
    named = checkout / "mounted"
    named.write_text("mounted-key\n")
    r = settings_key(checkout, DJANGO_SECRET_KEY="env-key", DJANGO_SECRET_KEY_FILE=str(named))
    assert r.stdout.strip() == "env-key"


def test_a_named_key_file_is_read_before_the_checkouts_file(checkout: Path) -> None:
    (checkout / ".secret_key").write_text("local-file-key\n")
    named = checkout / "mounted"
    named.write_text("mounted-key\n")
    r = settings_key(checkout, DJANGO_SECRET_KEY_FILE=str(named))
    assert r.stdout.strip() == "mounted-key"


def test_a_named_key_file_that_is_missing_or_empty_refuses_to_start(checkout: Path) -> None:
    (checkout / ".secret_key").write_text("local-file-key\n")
    missing = settings_key(checkout, DJANGO_SECRET_KEY_FILE=str(checkout / "nope"))
    assert missing.returncode != 0 and "cannot be read" in missing.stderr
    (checkout / "empty").write_text("\n")
    empty = settings_key(checkout, DJANGO_SECRET_KEY_FILE=str(checkout / "empty"))
    assert empty.returncode != 0 and "is empty" in empty.stderr


def test_debug_without_a_key_uses_the_development_key(checkout: Path) -> None:
    r = settings_key(checkout, DJANGO_DEBUG="1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("dev-only-insecure-key")
