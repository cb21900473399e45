"""Analysis tests need no Django: neutralise the shared autouse fixture that touches it.

The analysis layer is pure Python; these tests run with ``-p no:django`` and must not import
``trees.actions`` (which needs configured settings).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_state_cache() -> Iterator[None]:
    yield
