"""A channel layer that is down (Redis restarting) when a client says hello.

Found by tests/integration/test_restart.py: right after Redis came back, the first command on
a pooled connection failed ("Connection closed by server"), `group_add` in `hello` raised, the
consumer answered `error internal` and kept the socket open without having joined the tree's
group. The client had no way to notice: that socket never got another broadcast (the web client
even loaded a snapshot over HTTP on `internal` and then sat there). A socket that cannot join
its group must be closed so that the client reconnects (protocol rule 3).

Runs in both passes (in-memory layer in pass 1, Redis in pass 2): the failure is injected.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.layers import get_channel_layer

from tests.ws.wshelpers import new_id


@pytest.mark.django_db(transaction=True)
async def test_a_hello_that_cannot_join_the_group_closes_the_socket(
    team: Any, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    layer = get_channel_layer()
    real_group_add = layer.group_add
    failures = {"left": 1}

    async def flaky_group_add(group: str, channel: str) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("Connection closed by server.")
        await real_group_add(group, channel)

    monkeypatch.setattr(layer, "group_add", flaky_group_add)
    bob = await connect(team.bob, team.tree_id)
    await bob.send({"type": "hello", "client_id": "bob-1", "since": None})
    code = await bob.expect_close()
    # Not a "go away" (4403, 4429): the client reconnects. Daphne can only send 1000 or
    # 3000-4999 (it raised on 1011 and left the socket open: the first version of the fix).
    assert code == 4503

    # The reconnect joins and gets every later broadcast.
    bob = await connect(team.bob, team.tree_id, hello=True)
    alice = await connect(team.owner, team.tree_id, hello=True)
    await alice.ok({"kind": "create", "id": new_id(), "type": "proposal", "parent": None})
    await bob.wait_seq(1)


@pytest.mark.django_db(transaction=True)
async def test_a_full_channel_layer_does_not_kill_the_sockets_answering_presence(
    team: Any, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by bench/connections.py: with 1,000 sockets on one worker the worker's Redis inbox
    (capacity 2,000, shared by all its sockets) filled up, and `send` raises ChannelFull where
    `group_send` drops silently. Every member answering a newcomer's presence.join with a direct
    `send` died with it (254 sockets closed with 1011). Presence is best effort: skip it."""
    from channels.exceptions import ChannelFull

    layer = get_channel_layer()
    real_send = layer.send

    async def full_send(channel: str, message: dict[str, Any]) -> None:
        # Only the direct presence replies: the in-memory layer's group_send uses send too.
        if message.get("type") == "presence.update":
            raise ChannelFull()
        await real_send(channel, message)

    alice = await connect(team.owner, team.tree_id, hello=True)
    monkeypatch.setattr(layer, "send", full_send)
    bob = await connect(team.bob, team.tree_id, hello=True)  # alice answers presence.join
    await bob.ok({"kind": "create", "id": new_id(), "type": "proposal", "parent": None})
    await alice.wait_seq(1)
