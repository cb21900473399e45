"""Domain layer tests: a node's Y document is compacted before it reaches its size cap, so a
long-edited node keeps taking edits (docs/protocol.md, "Node text", compaction). No database.

Two simulated browsers type 50,000 keystrokes of random edits into one node, each sending what
it has beyond the server state it confirmed (as the web client does); when the server logs an
op with `compact`, each replaces its document and re-applies its unconfirmed typing as a
delta (core/sync.ts), and an update made against the old document is refused and resent.
"""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest
from domain_helpers import Tree, uid
from pycrdt import Doc, Text

from trees.domain import OpError, TreeState, ytext


def _fresh(state: str, rnd: random.Random) -> Doc[Any]:
    doc: Doc[Any] = Doc(client_id=rnd.randrange(3, 2**31))
    doc.get("t", type=Text)
    doc.apply_update(base64.b64decode(state))
    return doc


def _pending_delta(base: Doc[Any], local: Doc[Any]) -> list[dict[str, Any]]:
    # What `local` has beyond `base`, as a delta against base's text (core/ytext.ts).
    tmp: Doc[Any] = Doc()
    text = tmp.get("t", type=Text)
    tmp.apply_update(base.get_update())
    deltas: list[list[dict[str, Any]]] = []
    sub = text.observe(lambda event: deltas.append(list(event.delta)))
    tmp.apply_update(local.get_update(base.get_state()))
    text.unobserve(sub)
    return [d for delta in deltas for d in delta]


def _apply_delta(doc: Doc[Any], delta: list[dict[str, Any]]) -> None:
    text = doc.get("t", type=Text)
    pos = 0
    with doc.transaction():
        for d in delta:
            if "retain" in d:
                pos += d["retain"]
            elif "delete" in d:
                del text[pos : pos + d["delete"]]
            else:
                text.insert(pos, d["insert"])
                pos += len(d["insert"])


def _repeated_run(s: str, n: int) -> str | None:
    seen: set[str] = set()
    for i in range(len(s) - n + 1):
        if s[i : i + n] in seen:
            return s[i : i + n]
        seen.add(s[i : i + n])
    return None


class Browser:
    """One replica as the web client keeps it: `base` = confirmed, `doc` = what the user sees."""

    def __init__(self, state: str, seed: int) -> None:
        self.rnd = random.Random(seed)
        self.base: Doc[Any] = _fresh(state, self.rnd)
        self.doc: Doc[Any] = _fresh(state, self.rnd)

    @property
    def text(self) -> str:
        return str(self.doc.get("t", type=Text))

    def type(self, keys: int) -> None:
        t = self.doc.get("t", type=Text)
        for _ in range(keys):
            s = str(t)
            if len(s) > 1200 or (s and self.rnd.random() < 0.45):
                p = self.rnd.randrange(len(s))
                del t[p : p + 1]
            else:
                t.insert(self.rnd.randint(0, len(s)), self.rnd.choice("abcdefgh "))

    def update(self) -> str:
        return base64.b64encode(self.doc.get_update(self.base.get_state())).decode()

    def receive(self, op: dict[str, Any]) -> None:
        update = base64.b64decode(op["update"])
        self.base.apply_update(update)
        self.doc.apply_update(update)
        if "compact" in op:
            # Re-apply this person's unconfirmed edits, as edits (not one re-inserted span).
            delta = _pending_delta(self.base, self.doc)
            self.base = _fresh(op["compact"], self.rnd)
            self.doc = _fresh(op["compact"], self.rnd)
            _apply_delta(self.doc, delta)


def test_fifty_thousand_keystrokes_in_one_node_keep_working_and_the_state_stays_bounded() -> None:
    tree = Tree("game")
    tree.create(1, "proposal", text="start")
    node = tree.state.nodes[uid(1)]
    people = [Browser(ytext.encode_b64(ytext.seed_update("start")), seed) for seed in (1, 2)]
    compactions = refused = largest = 0
    keystrokes = 0
    while keystrokes < 50_000:
        for person in people:
            person.type(50)
            keystrokes += 50
        for update in [person.update() for person in people]:
            try:
                applied = tree.apply({"kind": "text", "id": uid(1), "update": update})
            except OpError as error:
                # Made against a document a compaction replaced: refused, resent next round.
                assert error.code == "conflict", error
                refused += 1
                continue
            compactions += "compact" in applied.op
            for everyone in people:
                everyone.receive(applied.op)
        largest = max(largest, len(base64.b64decode(node.y)))
    # Both finish their words and send until nothing is refused.
    for person, word in zip(people, (" ALPHA", " BRAVO"), strict=True):
        person.doc.get("t", type=Text).insert(len(person.text), word)
    for _ in range(3):
        for person in people:
            applied = tree.apply({"kind": "text", "id": uid(1), "update": person.update()})
            for everyone in people:
                everyone.receive(applied.op)
    assert compactions >= 5
    assert largest <= ytext.COMPACT_AT + ytext.MAX_UPDATE_BYTES
    assert people[0].text == people[1].text == node.text
    assert "ALPHA" in node.text and "BRAVO" in node.text
    assert _repeated_run(node.text, 24) is None  # nothing re-inserted twice
    # Without compaction the cap refuses a node after about 23,000 such keystrokes.
    assert len(base64.b64decode(node.y)) < ytext.MAX_STATE_BYTES // 4
    # A replay of the log rebuilds the same text and document, compactions included.
    replayed = TreeState("game")
    for seq, op, actor in tree.log:
        replayed.apply(op, seq=seq, actor=actor, logged=True)
    assert replayed.nodes[uid(1)].y == node.y
    assert replayed.nodes[uid(1)].text == node.text
    print(f"compactions={compactions} refused={refused} largest={largest}")


def test_a_compaction_uses_an_id_no_browser_has_and_later_server_diffs_continue_it() -> None:
    tree = Tree("game")
    tree.create(1, "proposal", text="")
    node = tree.state.nodes[uid(1)]
    writer = Browser(ytext.encode_b64(ytext.seed_update("")), 7)
    applied = None
    while applied is None or "compact" not in applied.op:
        writer.type(400)
        applied = tree.apply({"kind": "text", "id": uid(1), "update": writer.update()})
        writer.receive(applied.op)
    seq = tree.state.version
    assert ytext.server_client(node.y) == ytext.COMPACT_BASE + seq
    before = node.text
    set_op = tree.apply({"kind": "set", "id": uid(1), "field": "text", "value": before + "!"})
    assert node.text == before + "!"
    writer.receive({"update": set_op.op["y"]})
    assert writer.text == node.text


def test_a_browser_may_not_write_with_a_compaction_id() -> None:
    doc: Doc[Any] = Doc(client_id=ytext.COMPACT_BASE + 5)
    doc.get("t", type=Text).insert(0, "forged")
    with pytest.raises(OpError) as err:
        ytext.apply_update("", "", doc.get_update(), 2000)
    assert err.value.code == "invalid"


def test_a_logged_compact_that_is_not_the_text_is_refused_on_replay() -> None:
    tree = Tree("game")
    tree.create(1, "proposal", text="abc")
    doc: Doc[Any] = Doc(client_id=99)
    doc.get("t", type=Text).insert(0, "x")
    op = {"kind": "text", "id": uid(1), "update": ytext.encode_b64(doc.get_update())}
    op["compact"] = ytext.encode_b64(ytext.seed_update("something else"))
    with pytest.raises(OpError):
        tree.state.apply(op, seq=tree.state.version + 1, actor=1, logged=True)


def test_a_client_may_not_send_compact() -> None:
    tree = Tree("game")
    tree.create(1, "proposal", text="abc")
    op = {"kind": "text", "id": uid(1), "update": ytext.encode_b64(ytext.seed_update("abc"))}
    assert tree.reject({**op, "compact": op["update"]}) == "invalid"
