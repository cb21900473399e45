"""Fuzz test fixtures: the websocket fixtures of tests/ws (own channel layer, sockets that
always close) and a fresh per-user rate budget."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ws.conftest import _own_channel_layer, connect  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _fresh_user_buckets() -> Iterator[None]:
    from trees.realtime.ratelimit import user_buckets

    user_buckets.clear()
    yield
    user_buckets.clear()
