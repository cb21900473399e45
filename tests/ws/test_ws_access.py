"""Who may open a tree's socket and edit through it."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from tests.ws.wshelpers import db_log, db_snapshot, db_version, new_id

pytestmark = pytest.mark.django_db(transaction=True)


def proposal() -> dict[str, Any]:
    return {"kind": "create", "id": new_id(), "type": "proposal", "parent": None}


async def test_a_non_member_is_closed_with_4403(team: Any, connect: Any) -> None:
    ws = await connect(team.outsider, team.tree_id)
    assert await ws.expect_close() == 4403


async def test_an_anonymous_socket_is_closed_with_4403(team: Any, connect: Any) -> None:
    ws = await connect(None, team.tree_id)
    assert await ws.expect_close() == 4403


async def test_an_unknown_tree_looks_like_a_forbidden_one(team: Any, connect: Any) -> None:
    ws = await connect(team.owner, team.tree_id + 1000)
    assert await ws.expect_close() == 4403


async def test_a_viewers_op_gets_nack_forbidden_and_nothing_changes(
    team: Any, connect: Any
) -> None:
    editor = await connect(team.bob, team.tree_id, hello=True)
    await editor.ok(proposal())
    before = await db_snapshot(team.tree_id)
    viewer = await connect(team.viewer, team.tree_id, hello=True)
    reply = await viewer.op(proposal())
    assert reply["type"] == "nack" and reply["code"] == "forbidden"
    assert await db_snapshot(team.tree_id) == before
    assert len(await db_log(team.tree_id)) == 1
    assert await editor.nothing(0.3)
    # The viewer still reads live edits.
    await editor.ok(proposal())
    await viewer.wait_seq(2)


@pytest.mark.parametrize("origin", [b"http://evil.example", b"null"])
async def test_a_disallowed_origin_is_refused(team: Any, connect: Any, origin: bytes) -> None:
    ws = await connect(team.owner, team.tree_id, origin=origin)
    assert not ws.connected


async def test_a_socket_without_an_origin_is_refused(team: Any, connect: Any) -> None:
    ws = await connect(team.owner, team.tree_id, origin=None)
    assert not ws.connected


async def test_an_allowed_origin_with_a_port_is_accepted(team: Any, connect: Any) -> None:
    ws = await connect(team.owner, team.tree_id, origin=b"http://localhost:8000", hello=True)
    assert ws.connected and ws.messages[0]["type"] == "welcome"


async def test_removing_a_member_closes_their_socket_with_4403(team: Any, connect: Any) -> None:
    from trees.actions import member_remove

    carol = await connect(team.carol, team.tree_id, hello=True)
    bob = await connect(team.bob, team.tree_id, hello=True)
    await database_sync_to_async(member_remove)(tree=team.tree, user_id=team.carol.pk)
    assert await carol.expect_close() == 4403
    # The others stay connected and keep editing.
    await bob.ok(proposal())
    # A new socket for the removed member is refused too.
    again = await connect(team.carol, team.tree_id)
    assert await again.expect_close() == 4403


async def test_demoting_an_editor_to_viewer_takes_effect_on_the_open_socket(
    team: Any, connect: Any
) -> None:
    from trees.actions import member_set_role

    bob = await connect(team.bob, team.tree_id, hello=True)
    await bob.ok(proposal())
    await database_sync_to_async(member_set_role)(
        tree=team.tree, user_id=team.bob.pk, role="viewer"
    )
    assert (await bob.expect("role"))["role"] == "viewer"
    reply = await bob.op(proposal())
    assert reply["type"] == "nack" and reply["code"] == "forbidden"
    assert await db_version(team.tree_id) == 1


async def test_deleting_the_tree_closes_every_socket_with_4403(team: Any, connect: Any) -> None:
    from trees.actions import tree_delete

    bob = await connect(team.bob, team.tree_id, hello=True)
    await database_sync_to_async(tree_delete)(tree=team.tree)
    assert await bob.expect_close() == 4403
