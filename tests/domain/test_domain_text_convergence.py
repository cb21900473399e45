"""Domain layer convergence test of character-level text merging (no server, no Django).

Three simulated clients edit the text of one node at once. Each keeps two Y documents as the
web client does: `confirmed` (the server's log applied in seq order) and `local` (confirmed plus
its own unacknowledged edits), and sends each edit as a self-contained update: everything its
local document has beyond `confirmed`. The network drops, duplicates and reorders messages in
both directions; clients disconnect and reconnect (resending their pending ops with the same
`n`); now and then a whole-text `set` arrives as from REST or an import.

After a final heal every client's text equals the server's, the server's equals a replay of
its log, and with insertions only, every character anyone typed is in the text exactly once.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from pycrdt import Doc, Text

from trees.domain import OpError, TreeState, replay, ytext

NODE = "00000000-0000-4000-8000-000000000001"
START = "start"
Message = dict[str, Any]


class Server:
    def __init__(self) -> None:
        self.state = TreeState("game")
        create = {"kind": "create", "id": NODE, "type": "proposal", "parent": None, "text": START}
        self.state.apply(create, seq=1, actor=1)
        self.log: list[Message] = [{"seq": 1, "client_id": "setup", "n": 0, "op": create}]
        self.dedupe: dict[tuple[str, int], int] = {}

    def submit(self, client_id: str, n: int, op: Message) -> Message:
        seq = self.dedupe.get((client_id, n))
        if seq is not None:
            return {"type": "ack", "n": n, "seq": seq}
        seq = self.state.version + 1
        try:
            applied = self.state.apply(op, seq=seq, actor=1)
        except OpError as exc:
            return {"type": "nack", "n": n, "code": exc.code}
        self.dedupe[(client_id, n)] = seq
        self.log.append({"seq": seq, "client_id": client_id, "n": n, "op": applied.op})
        return {"type": "ack", "n": n, "seq": seq}

    @property
    def text(self) -> str:
        return self.state.nodes[NODE].text


def _apply_logged(doc: Doc, op: Message) -> None:
    if op["kind"] == "text":
        doc.apply_update(ytext.decode_b64(op["update"]))
    elif op["kind"] == "set" and op["field"] == "text":
        doc.apply_update(ytext.decode_b64(op["y"]))


class Client:
    def __init__(self, name: str, server: Server, rng: random.Random) -> None:
        self.client_id = name
        self.rng = rng
        node = server.state.nodes[NODE]
        self.last_seq = server.state.version
        self.confirmed = ytext.load(node.y, node.text, client_id=self._fresh_id())
        self.local = self._copy(self.confirmed)
        self.pending: list[tuple[int, Message]] = []
        self.buffer: dict[int, Message] = {}
        self.n = 0
        self.typed: Counter[str] = Counter()

    def _fresh_id(self) -> int:
        return self.rng.randrange(3, 2**32)

    def _copy(self, doc: Doc) -> Doc:
        new: Doc = Doc(client_id=self._fresh_id())
        new.get(ytext.ROOT, type=Text)
        new.apply_update(doc.get_update())
        return new

    @property
    def text(self) -> str:
        return ytext.text_of(self.local)

    def edit(self, pos: int, insert: str, delete: int) -> Message:
        t = self.local.get(ytext.ROOT, type=Text)
        cur = str(t)
        pos = min(pos, len(cur))
        end = min(len(cur), pos + delete)
        with self.local.transaction():
            if end > pos:
                del t[len(cur[:pos].encode()) : len(cur[:end].encode())]
            if insert:
                t.insert(len(cur[:pos].encode()), insert)
        self.typed.update(insert)
        update = self.local.get_update(self.confirmed.get_state())
        self.n += 1
        op = {"kind": "text", "id": NODE, "update": ytext.encode_b64(update)}
        self.pending.append((self.n, op))
        return {"type": "op", "n": self.n, "op": op}

    def receive_logged(self, entry: Message) -> None:
        if entry["seq"] <= self.last_seq:
            return
        self.buffer[entry["seq"]] = entry
        while self.last_seq + 1 in self.buffer:
            nxt = self.buffer.pop(self.last_seq + 1)
            _apply_logged(self.confirmed, nxt["op"])
            _apply_logged(self.local, nxt["op"])
            self.last_seq = nxt["seq"]
            if nxt["client_id"] == self.client_id:
                self.pending = [(n, op) for n, op in self.pending if n != nxt["n"]]

    def receive_answer(self, msg: Message) -> None:
        if msg["type"] == "nack":
            raise AssertionError(f"unexpected nack {msg}")


class TextMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.rng = random.Random(0)
        self.server = Server()
        self.clients = [Client(f"c{i}", self.server, self.rng) for i in range(3)]
        self.connected = [True, True, True]
        self.up: list[tuple[int, Message]] = []
        self.down: list[list[Message]] = [[], [], []]
        self.inserts_only = True

    # -- edits -------------------------------------------------------------------------------

    @rule(
        who=st.integers(0, 2),
        pos=st.integers(0, 60),
        insert=st.text(alphabet="abcdefgh", min_size=0, max_size=4),
        delete=st.integers(0, 3),
        with_delete=st.booleans(),
    )
    def type_text(self, who: int, pos: int, insert: str, delete: int, with_delete: bool) -> None:
        if len(self.clients[who].text) > 1500:
            return
        delete = delete if with_delete else 0
        if delete:
            self.inserts_only = False
        if not insert and not delete:
            return
        # Each client types its own letters, so the final count can be checked per letter.
        letters = insert.translate(
            str.maketrans("abcdefgh", ("abcdefgh", "ABCDEFGH", "01234567")[who])
        )
        msg = self.clients[who].edit(pos, letters, delete)
        if self.connected[who]:
            self.up.append((who, msg))

    @rule(keep=st.integers(0, 10), suffix=st.text(alphabet="xyz", max_size=3))
    def whole_text_write(self, keep: int, suffix: str) -> None:
        # As REST `set text`, an import or a review: the server turns it into a diff.
        self.inserts_only = False
        value = self.server.text[:keep] + suffix
        answer = self.server.submit(
            "rest",
            len(self.server.log) + 1000,
            {
                "kind": "set",
                "id": NODE,
                "field": "text",
                "value": value,
            },
        )
        assert answer["type"] == "ack"
        self._broadcast(self.server.log[-1])

    # -- network -----------------------------------------------------------------------------

    def _broadcast(self, entry: Message) -> None:
        for i in range(3):
            if self.connected[i]:
                self.down[i].append({"type": "op", **entry})

    @precondition(lambda self: self.up)
    @rule(pick=st.integers(0, 10_000), duplicate=st.booleans())
    def deliver_up(self, pick: int, duplicate: bool) -> None:
        who, msg = self.up[pick % len(self.up)]
        if not duplicate:
            self.up.remove((who, msg))
        before = len(self.server.log)
        answer = self.server.submit(self.clients[who].client_id, msg["n"], msg["op"])
        if self.connected[who]:
            self.down[who].append(answer)
        if len(self.server.log) > before:
            self._broadcast(self.server.log[-1])

    @precondition(lambda self: any(self.down))
    @rule(who=st.integers(0, 2), pick=st.integers(0, 10_000), drop=st.booleans())
    def deliver_down(self, who: int, pick: int, drop: bool) -> None:
        queue = self.down[who]
        if not queue:
            return
        msg = queue.pop(pick % len(queue))
        if drop:
            return
        client = self.clients[who]
        if msg["type"] == "op":
            client.receive_logged(msg)
        else:
            client.receive_answer(msg)

    @precondition(lambda self: self.up)
    @rule(pick=st.integers(0, 10_000))
    def drop_up(self, pick: int) -> None:
        self.up.pop(pick % len(self.up))

    @rule(who=st.integers(0, 2))
    def disconnect(self, who: int) -> None:
        self.connected[who] = False
        self.up = [(w, m) for w, m in self.up if w != who]
        self.down[who] = []

    @rule(who=st.integers(0, 2))
    def reconnect(self, who: int) -> None:
        # hello {since}: the log after it, then every pending op again with its same n.
        self.connected[who] = True
        client = self.clients[who]
        for entry in self.server.log[client.last_seq :]:
            self.down[who].append({"type": "op", **entry})
        for n, op in client.pending:
            self.up.append((who, {"type": "op", "n": n, "op": op}))

    # -- checks ------------------------------------------------------------------------------

    @invariant()
    def server_text_is_within_limits(self) -> None:
        assert len(self.server.text) <= 2000

    def teardown(self) -> None:
        for who in range(3):
            self.disconnect(who)
            self.reconnect(who)
        for _ in range(1000):
            if not self.up and not any(self.down):
                break
            while self.up:
                who, msg = self.up.pop(0)
                before = len(self.server.log)
                answer = self.server.submit(self.clients[who].client_id, msg["n"], msg["op"])
                self.down[who].append(answer)
                if len(self.server.log) > before:
                    self._broadcast(self.server.log[-1])
            for who in range(3):
                while self.down[who]:
                    msg = self.down[who].pop(0)
                    if msg["type"] == "op":
                        self.clients[who].receive_logged(msg)
                    else:
                        self.clients[who].receive_answer(msg)
        texts = {c.client_id: c.text for c in self.clients}
        assert all(t == self.server.text for t in texts.values()), (texts, self.server.text)
        assert all(not c.pending for c in self.clients)
        rebuilt = replay("game", ((e["seq"], e["op"], 1) for e in self.server.log))
        assert rebuilt.nodes[NODE].text == self.server.text
        assert rebuilt.nodes[NODE].y == self.server.state.nodes[NODE].y
        if self.inserts_only:
            typed: Counter[str] = Counter(START)
            for c in self.clients:
                typed.update(c.typed)
            assert Counter(self.server.text) == typed


def test_concurrent_text_edits_converge_with_drop_duplicate_reorder_and_reconnect() -> None:
    run_state_machine_as_test(
        TextMachine,
        settings=settings(
            max_examples=150,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
