"""Domain layer: the `text` op (a Yjs update of a node's text) and whole-text writes as diffs."""

from __future__ import annotations

import pytest
from pycrdt import Doc, Map, Text

from trees.domain import OpError, TreeState, replay, ytext

NODE = "00000000-0000-4000-8000-00000000000a"


def _tree(text: str = "hello world") -> TreeState:
    state = TreeState("game")
    state.apply(
        {"kind": "create", "id": NODE, "type": "proposal", "parent": None, "text": text},
        seq=1,
        actor=1,
    )
    return state


def _replica(state: TreeState, client_id: int) -> Doc:
    node = state.nodes[NODE]
    return ytext.load(node.y, node.text, client_id=client_id)


def _edit(doc: Doc, pos: int, insert: str = "", delete: int = 0) -> str:
    before = doc.get_state()
    t = doc.get(ytext.ROOT, type=Text)
    with doc.transaction():
        if delete:
            del t[pos : pos + delete]
        if insert:
            t.insert(pos, insert)
    return ytext.encode_b64(doc.get_update(before))


def _text_op(update: str) -> dict[str, str]:
    return {"kind": "text", "id": NODE, "update": update}


def test_concurrent_inserts_in_one_node_both_survive() -> None:
    state = _tree()
    alice, bob = _replica(state, 11), _replica(state, 12)
    a = _edit(alice, 5, ",")  # "hello, world"
    b = _edit(bob, 11, "!")  # "hello world!"
    state.apply(_text_op(a), seq=2, actor=1)
    state.apply(_text_op(b), seq=3, actor=2)
    assert state.nodes[NODE].text == "hello, world!"
    assert state.nodes[NODE].field_seq["text"] == 3


def test_replicas_converge_whatever_order_they_apply_updates() -> None:
    state = _tree()
    alice, bob = _replica(state, 11), _replica(state, 12)
    a = _edit(alice, 0, "AAA")
    b = _edit(bob, 0, "BBB")
    for op, seq in ((a, 2), (b, 3)):
        state.apply(_text_op(op), seq=seq, actor=1)
    alice.apply_update(ytext.decode_b64(b))
    bob.apply_update(ytext.decode_b64(a))
    assert ytext.text_of(alice) == ytext.text_of(bob) == state.nodes[NODE].text
    assert "AAA" in state.nodes[NODE].text and "BBB" in state.nodes[NODE].text


def test_seed_is_byte_identical_to_the_web_clients_seed() -> None:
    # Yjs 13.6 (frontend/src/core/ytext.ts) encodes the seed of this text with client 1 as these
    # bytes; if they differed, a browser and the server would duplicate a never-merged text.
    expected = "01010100040101740f68f09f98806c6c6f2077c3b6726c6400"
    assert ytext.seed_update("h😀llo wörld").hex() == expected


def test_text_update_over_the_limit_is_refused_and_nothing_changes() -> None:
    state = _tree("x" * 1999)
    before = state.nodes[NODE].clone()
    update = _edit(_replica(state, 11), 0, "yy")
    with pytest.raises(OpError) as err:
        state.apply(_text_op(update), seq=2, actor=1)
    assert err.value.code == "too_large"
    assert state.nodes[NODE] == before and state.version == 1


@pytest.mark.parametrize(
    "update",
    ["not base64!", "AAAA", ytext.encode_b64(b"\x01\x01\x05\x00\x04\x01\x01t\x01a\x00junk")],
)
def test_malformed_text_update_is_refused_as_invalid(update: str) -> None:
    state = _tree()
    with pytest.raises(OpError) as err:
        state.apply(_text_op(update), seq=2, actor=1)
    assert err.value.code == "invalid"
    assert state.nodes[NODE].text == "hello world"


def test_update_of_anything_but_the_text_is_refused() -> None:
    state = _tree()
    doc = _replica(state, 11)
    before = doc.get_state()
    doc.get("other", type=Map)["k"] = "v"
    with pytest.raises(OpError) as err:
        state.apply(_text_op(ytext.encode_b64(doc.get_update(before))), seq=2, actor=1)
    assert err.value.code == "invalid"


def test_update_using_the_servers_reserved_client_is_refused() -> None:
    state = _tree()
    doc = _replica(state, ytext.SERVER_CLIENT)
    with pytest.raises(OpError) as err:
        state.apply(_text_op(_edit(doc, 0, "z")), seq=2, actor=1)
    assert err.value.code == "invalid"


def test_update_that_depends_on_unknown_edits_is_refused_as_conflict() -> None:
    # Its characters would wait in memory for the missing edit and vanish on the next load.
    state = _tree()
    doc = _replica(state, 11)
    _edit(doc, 0, "first ")  # never sent
    second = _edit(doc, 0, "second ")
    with pytest.raises(OpError) as err:
        state.apply(_text_op(second), seq=2, actor=1)
    assert err.value.code == "conflict"
    assert state.nodes[NODE].text == "hello world" and state.nodes[NODE].y == ""


def test_text_edit_of_a_deleted_node_is_refused() -> None:
    state = _tree()
    update = _edit(_replica(state, 11), 0, "z")
    state.apply({"kind": "delete", "id": NODE}, seq=2, actor=1)
    with pytest.raises(OpError) as err:
        state.apply(_text_op(update), seq=3, actor=1)
    assert err.value.code == "deleted"


def test_whole_text_write_is_logged_with_a_diff_that_keeps_concurrent_typing() -> None:
    state = _tree("the quick fox")
    alice = _replica(state, 11)
    typed = _edit(alice, 13, " jumps")  # Alice types at the end meanwhile
    applied = state.apply(
        {"kind": "set", "id": NODE, "field": "text", "value": "the slow fox"}, seq=2, actor=2
    )
    assert applied.op["value"] == "the slow fox" and applied.op["y"]
    state.apply(_text_op(typed), seq=3, actor=1)
    alice.apply_update(ytext.decode_b64(applied.op["y"]))
    assert state.nodes[NODE].text == ytext.text_of(alice) == "the slow fox jumps"


def test_set_whose_y_does_not_give_its_value_is_refused() -> None:
    state = _tree("abc")
    applied = _tree("abc").apply(
        {"kind": "set", "id": NODE, "field": "text", "value": "abcd"}, seq=2, actor=1
    )
    bad = {**applied.op, "value": "something else"}
    with pytest.raises(OpError) as err:
        state.apply(bad, seq=2, actor=1)
    assert err.value.code == "invalid"


def test_replay_rebuilds_the_same_text_and_state() -> None:
    state = _tree()
    log: list[tuple[int, dict[str, object], int]] = [
        (
            1,
            {
                "kind": "create",
                "id": NODE,
                "type": "proposal",
                "parent": None,
                "text": "hello world",
            },
            1,
        )
    ]
    doc = _replica(state, 11)
    for seq, op in enumerate(
        [
            _text_op(_edit(doc, 0, ">> ")),
            {"kind": "set", "id": NODE, "field": "text", "value": ">> hello there"},
            {"kind": "set", "id": NODE, "field": "text", "value": "hello there ü😀"},
        ],
        start=2,
    ):
        log.append((seq, state.apply(op, seq=seq, actor=1).op, 1))
    rebuilt = replay("game", log)
    assert rebuilt.nodes[NODE].text == state.nodes[NODE].text == "hello there ü😀"
    assert rebuilt.nodes[NODE].y == state.nodes[NODE].y


def test_replay_of_a_set_logged_before_text_merging_resets_to_plain_text() -> None:
    # Such a set carries no `y`; the stored state of a node written that way is "" (the seed
    # of its text), and replay must give the same, or later text ops would not fit.
    create = {"kind": "create", "id": NODE, "type": "proposal", "parent": None, "text": "a"}
    legacy = {"kind": "set", "id": NODE, "field": "text", "value": "b"}
    rebuilt = replay("game", [(1, create, 1), (2, legacy, 1)])
    assert rebuilt.nodes[NODE].text == "b" and rebuilt.nodes[NODE].y == ""


def test_y_state_survives_to_dict_and_from_dict() -> None:
    state = _tree()
    state.apply(_text_op(_edit(_replica(state, 11), 0, "x")), seq=2, actor=1)
    node = state.nodes[NODE]
    assert node.to_dict()["y"] == node.y
    assert type(node).from_dict(node.to_dict()) == node
    assert "y" not in _tree().nodes[NODE].to_dict()


def test_an_update_repeating_the_seed_is_accepted_once() -> None:
    # A client typing into a node whose create is not confirmed yet sends its whole document,
    # seed included; the seed's items are the server's own, so they merge as a no-op.
    state = _tree()
    doc = _replica(state, 11)
    doc.get(ytext.ROOT, type=Text).insert(0, "well, ")
    state.apply(_text_op(ytext.encode_b64(doc.get_update())), seq=2, actor=1)
    assert state.nodes[NODE].text == "well, hello world"


def test_a_whole_text_write_from_an_older_base_keeps_typing_that_reached_the_server_first() -> None:
    state = _tree("the quick fox")
    alice = _replica(state, 11)
    typed = _edit(alice, 13, " jumps")  # Alice's typing reaches the server first ...
    state.apply(_text_op(typed), seq=2, actor=1)
    # ... then a script's write computed from the text it had read, "the quick fox".
    op = {"kind": "set", "id": NODE, "field": "text", "value": "the slow fox"}
    applied = state.apply({**op, "base": "the quick fox"}, seq=3, actor=2)
    assert state.nodes[NODE].text == "the slow fox jumps"
    assert applied.op["value"] == "the slow fox jumps" and "base" not in applied.op
    alice.apply_update(ytext.decode_b64(applied.op["y"]))
    assert ytext.text_of(alice) == "the slow fox jumps"
    # Without a base the write replaces the text from the first to the last difference.
    state.apply({**op, "value": "the quick fox"}, seq=4, actor=2)
    state.apply({**op, "value": "the quick fox!"}, seq=5, actor=2)
    assert state.nodes[NODE].text == "the quick fox!"


def test_base_is_only_for_set_text_and_note() -> None:
    state = _tree("abc")
    op = {"kind": "set", "id": NODE, "field": "tags", "value": ["t"], "base": "x"}
    with pytest.raises(OpError) as err:
        state.apply(op, seq=2, actor=1)
    assert err.value.code == "invalid"


def test_two_people_writing_one_note_from_the_same_base_both_keep_their_sentences() -> None:
    state = _tree("abc")
    note = {"kind": "set", "id": NODE, "field": "note"}
    state.apply({**note, "value": "Sources: A."}, seq=2, actor=1)
    first = state.apply({**note, "value": "Sources: A. Alice adds B.", "base": "Sources: A."},
                        seq=3, actor=1)  # fmt: skip
    # Bob wrote from the same note, not having seen Alice's sentence.
    second = state.apply({**note, "value": "Caveat. Sources: A.", "base": "Sources: A."},
                         seq=4, actor=2)  # fmt: skip
    assert state.nodes[NODE].note == "Caveat. Sources: A. Alice adds B."
    assert second.op["value"] == state.nodes[NODE].note and "base" not in second.op
    assert first.overwrote == second.overwrote == 0  # nobody's write was replaced
    # Alice goes on from her own last write: Bob's caveat stays.
    state.apply({**note, "value": "Sources: A. Alice adds B and C.",
                 "base": "Sources: A. Alice adds B."}, seq=5, actor=1)  # fmt: skip
    assert state.nodes[NODE].note == "Caveat. Sources: A. Alice adds B and C."
    # Without base a note is still last writer wins, and says whose write it replaced.
    plain = state.apply({**note, "value": "Replaced."}, seq=6, actor=2)
    assert state.nodes[NODE].note == "Replaced." and plain.overwrote == 5
