"""Live editing over the websocket: `text` ops of several people merge character by character."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pycrdt import Doc, Text

from tests.ws.wshelpers import db_apply, db_snapshot, new_id
from trees.domain import ytext

pytestmark = pytest.mark.django_db(transaction=True)


def _edit(doc: Doc[Any], confirmed: bytes, pos: int, insert: str) -> str:
    doc.get(ytext.ROOT, type=Text).insert(pos, insert)
    # Self-contained, as the web client sends: everything beyond the confirmed state.
    return ytext.encode_b64(doc.get_update(confirmed))


async def test_three_people_typing_in_one_node_keep_every_character(
    team: Any, connect: Any
) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    c = await connect(team.carol, team.tree_id, hello=True)
    node_id = new_id()
    create = {"kind": "create", "id": node_id, "type": "proposal", "parent": None, "text": "|"}
    await a.ok(create)
    docs = [ytext.load("", "|", client_id=300 + i) for i in range(3)]
    base = docs[0].get_state()

    async def type_word(ws: Any, doc: Doc[Any], word: str) -> None:
        for ch in word:
            reply = await ws.op({"kind": "text", "id": node_id, "update": _edit(doc, base, 0, ch)})
            assert reply["type"] == "ack", reply

    await asyncio.gather(
        type_word(a, docs[0], "aaaa"), type_word(b, docs[1], "bbbb"), type_word(c, docs[2], "cccc")
    )
    snap = await db_snapshot(team.tree_id)
    text = next(n for n in snap["nodes"] if n["id"] == node_id)["text"]
    assert sorted(text) == sorted("|aaaabbbbcccc")
    # Every socket saw the same ops in the same order and derives the same text from them.
    for ws in (a, b, c):
        await ws.wait_seq(snap["seq"])
        assert ws.state.nodes[node_id].text == text
        assert [m["op"]["kind"] for m in ws.ops].count("text") == 12


async def test_text_op_on_a_node_deleted_meanwhile_is_nacked_deleted(
    team: Any, connect: Any
) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    node_id = new_id()
    await a.ok({"kind": "create", "id": node_id, "type": "proposal", "parent": None, "text": "x"})
    doc = ytext.load("", "x", client_id=77)
    update = _edit(doc, doc.get_state(), 1, "y")
    await db_apply(team.tree_id, team.bob.pk, {"kind": "delete", "id": node_id})
    reply = await a.op({"kind": "text", "id": node_id, "update": update})
    assert reply["type"] == "nack" and reply["code"] == "deleted"


async def test_rest_written_text_reaches_sockets_with_its_diff(team: Any, connect: Any) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    node_id = new_id()
    await a.ok({"kind": "create", "id": node_id, "type": "proposal", "parent": None, "text": "one"})
    result = await db_apply(
        team.tree_id,
        team.bob.pk,
        {"kind": "set", "id": node_id, "field": "text", "value": "one two"},
    )
    await a.wait_seq(result.seq)
    doc = ytext.load("", "one", client_id=9)
    doc.apply_update(ytext.decode_b64(a.ops[-1]["op"]["y"]))
    assert ytext.text_of(doc) == "one two" == a.state.nodes[node_id].text


async def test_two_people_writing_one_note_from_one_base_keep_every_edit_over_sockets(
    team: Any, connect: Any
) -> None:
    """Bob wrote at both ends of the note while alice wrote in its middle, both from the same
    note: the one-span merge kept only the second writer's text between bob's two edits."""
    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    node_id = new_id()
    base = "Sources: A. Caveats: none."
    create = {"kind": "create", "id": node_id, "type": "proposal", "parent": None, "note": base}
    await a.ok({**create, "text": "Plan"})
    note = {"kind": "set", "id": node_id, "field": "note", "base": base}
    replies = await asyncio.gather(
        a.op({**note, "value": "Sources: A, B. Caveats: none."}),
        b.op({**note, "value": "Intro. Sources: A. Caveats: none. End."}),
    )
    assert [r["type"] for r in replies] == ["ack", "ack"], replies
    want = "Intro. Sources: A, B. Caveats: none. End."
    snap = await db_snapshot(team.tree_id)
    assert next(n for n in snap["nodes"] if n["id"] == node_id)["note"] == want
    for ws in (a, b):
        await ws.wait_seq(snap["seq"])
        assert ws.state.nodes[node_id].note == want
        # Logged with the merged note, without base, and replacing nobody's write.
        last = [m for m in ws.ops if m["op"]["kind"] == "set"]
        assert [m["op"]["value"] for m in last][-1] == want
        assert all("base" not in m["op"] and m["overwrote"] == 0 for m in last)
