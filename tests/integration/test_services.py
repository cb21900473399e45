"""Pass 2 guard: with GAMETREE_INTEGRATION=1 the suite must really run on PostgreSQL and Redis.

Without these checks a mistyped DATABASE_URL or a missing REDIS_URL would let "the
integration pass" run on the embedded SQLite + in-memory default and prove nothing.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from django.conf import settings

from tests.ws.wshelpers import db_version, new_id

INTEGRATION = os.environ.get("GAMETREE_INTEGRATION") == "1"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not INTEGRATION,
        reason="set GAMETREE_INTEGRATION=1 with DATABASE_URL and REDIS_URL (make test-integration)",
    ),
]


def test_the_database_is_postgresql() -> None:
    assert os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.django_db
def test_the_database_answers_as_postgresql() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert "PostgreSQL" in cursor.fetchone()[0]
    assert connection.vendor == "postgresql"


def test_the_channel_layer_is_channels_redis() -> None:
    assert os.environ.get("REDIS_URL", "").startswith("redis")
    config = settings.CHANNEL_LAYERS["default"]
    assert config["BACKEND"] == "channels_redis.core.RedisChannelLayer"
    # The redis-py 8 pitfall: a socket timeout kills the layer's blocking reads.
    assert config["CONFIG"]["hosts"][0]["socket_timeout"] is None
    assert config["CONFIG"]["capacity"] >= 1000


async def test_the_channel_layer_round_trips_through_redis() -> None:
    from channels.layers import get_channel_layer
    from channels_redis.core import RedisChannelLayer

    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    channel = await layer.new_channel()
    await layer.group_add("gt-integration-probe", channel)
    try:
        await layer.group_send("gt-integration-probe", {"type": "probe", "x": 1})
        assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "probe", "x": 1}
    finally:
        await layer.group_discard("gt-integration-probe", channel)
        await layer.close_pools()


@pytest.mark.django_db(transaction=True)
async def test_a_socket_idle_longer_than_the_redis_py_timeout_still_gets_broadcasts(
    team: Any, connect: Any
) -> None:
    """redis-py 8's default 5 s socket timeout would have killed this consumer (1011)."""
    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    await asyncio.sleep(6.5)
    await a.ok({"kind": "create", "id": new_id(), "type": "proposal", "parent": None})
    await b.wait_seq(1)
    assert await db_version(team.tree_id) == 1


@pytest.mark.django_db(transaction=True)
async def test_many_broadcasts_in_a_burst_all_arrive_in_order(team: Any, connect: Any) -> None:
    """More broadcasts than the default group capacity (100) in flight at once."""
    b = await connect(team.bob, team.tree_id, hello=True)
    a = await connect(team.owner, team.tree_id, hello=True)
    for i in range(150):
        await a.send(
            {
                "type": "op",
                "n": i + 1,
                "op": {"kind": "create", "id": new_id(), "type": "proposal", "parent": None},
            }
        )
    await b.wait_seq(150, timeout=60)
    assert [m["seq"] for m in b.ops] == list(range(1, 151))
