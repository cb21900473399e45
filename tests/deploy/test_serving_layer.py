"""gametree/serving.py, layer_sweep: the embedded default's in-memory channel layer."""

from __future__ import annotations

import asyncio
import time

from django.conf import settings

from gametree.serving import SweepingInMemoryChannelLayer


def test_the_embedded_default_uses_the_sweeping_layer() -> None:
    # tests/deploy runs in the embedded pass only (Makefile), without REDIS_URL.
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == (
        "gametree.serving.SweepingInMemoryChannelLayer"
    )


def test_many_messages_cost_one_sweep_per_interval_not_one_per_message() -> None:
    async def scenario() -> tuple[int, int]:
        layer = SweepingInMemoryChannelLayer(expiry=60, sweep_seconds=60)
        names = [await layer.new_channel() for _ in range(200)]
        for name in names:
            await layer.group_add("tree.1", name)
        for _ in range(5):
            await layer.group_send("tree.1", {"type": "presence"})
            received = [await layer.receive(name) for name in names]
        return layer.sweeps, len(received)

    sweeps, received = asyncio.run(scenario())

    assert received == 200
    assert sweeps == 1  # upstream sweeps all channels on each of the 1,005 calls


def test_expired_messages_and_their_channels_still_go_at_the_next_sweep() -> None:
    async def scenario() -> tuple[bool, bool]:
        layer = SweepingInMemoryChannelLayer(expiry=0.05, sweep_seconds=0.1)
        stale, fresh = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("tree.1", stale)
        await layer.group_add("tree.1", fresh)
        await layer.send(stale, {"type": "old"})  # never received: it expires
        layer._clean_expired()  # the first sweep runs at once: nothing has expired yet
        await asyncio.sleep(0.15)
        await layer.group_send("tree.1", {"type": "new"})  # sweeps: the interval has passed
        message = await layer.receive(fresh)
        return stale in layer.groups["tree.1"], message["type"] == "new"

    stale_still_member, fresh_got_it = asyncio.run(scenario())

    assert not stale_still_member  # as upstream: a channel with an expired message leaves
    assert fresh_got_it


def test_the_sweep_interval_is_measured_on_the_monotonic_clock() -> None:
    layer = SweepingInMemoryChannelLayer(sweep_seconds=1.0)
    layer._clean_expired()
    layer._clean_expired()
    assert layer.sweeps == 1
    layer._next_sweep = time.monotonic() - 0.001
    layer._clean_expired()
    assert layer.sweeps == 2
