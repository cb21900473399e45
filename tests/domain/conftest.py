"""Domain layer test configuration: no Django at all.

tests/conftest.py has an autouse fixture that clears the action layer's state cache, which
imports Django models; overriding it here keeps `pytest tests/domain -p no:django` working.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_state_cache() -> Iterator[None]:
    # The domain layer has no cache to clear.
    yield
