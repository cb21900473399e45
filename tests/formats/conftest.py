"""Formats layer test configuration: no Django at all.

tests/conftest.py has an autouse fixture that clears the action layer's state cache, which
imports Django models; overriding it here keeps `pytest tests/formats -p no:django` working.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _fresh_state_cache() -> Iterator[None]:
    # The formats layer has no cache to clear.
    yield


@pytest.fixture
def fixture_bytes() -> object:
    def read(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return read
