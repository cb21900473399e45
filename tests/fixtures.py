"""Autouse fixtures wanted by some test folders only: a folder's conftest imports them by name
(an autouse fixture imported into a conftest applies to that folder)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The login and API throttles count in the default cache; one test's attempts must not leak.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
