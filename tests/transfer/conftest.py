"""Fixtures for the import/export tests: the format fixtures and a fresh throttle cache (the
users and signed-in API clients are tests/conftest.py's)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures import _fresh_cache  # noqa: F401  (autouse fixture)

FIXTURES = Path(__file__).resolve().parents[1] / "formats" / "fixtures"


@pytest.fixture
def fixture_path() -> Callable[[str], Path]:
    def path(name: str) -> Path:
        return FIXTURES / name

    return path
