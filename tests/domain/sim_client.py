"""A simulated live-editing client that follows the "Client rules" of docs/protocol.md.

Transport-free: feed it server messages with `receive`, send what `connect`, `submit` and
`receive` return. It keeps the confirmed tree (server ops applied strictly in seq order), a
pending queue of unacknowledged ops with stable `n`, and an optimistic `view()` (confirmed
state plus pending ops, which also gives rule 4: a pending local write wins locally).
Reusable by websocket tests: the messages are the protocol's JSON objects.
"""

from __future__ import annotations

import contextlib
from typing import Any

from trees.domain import Node, OpError, TreeState

Message = dict[str, Any]


class SimClient:
    def __init__(self, client_id: str, kind: str) -> None:
        self.client_id = client_id
        self.kind = kind
        self.state: TreeState | None = None  # None until the first snapshot
        self.last_seq = 0
        self.next_n = 1
        self.pending: dict[int, dict[str, Any]] = {}  # n -> op, in submission order
        self.connected = False
        # Every answer the server gave per n, to check that a resend never changes the outcome.
        self.answers: dict[int, list[tuple[str, Any]]] = {}
        self.applied_seqs: list[int] = []

    # -- what the user does --------------------------------------------------------------------

    def view(self) -> TreeState:
        """The optimistic local tree: confirmed state with the pending ops applied on top."""
        view = self.state.copy() if self.state is not None else TreeState(self.kind)
        for op in self.pending.values():
            # A pending op that no longer applies will be rejected by the server too.
            with contextlib.suppress(OpError):
                view.apply(op, seq=view.version + 1, actor=None)
        return view

    def submit(self, op: dict[str, Any]) -> list[Message]:
        """Queue an op with the next n; send it now if connected."""
        n = self.next_n
        self.next_n += 1
        self.pending[n] = op
        return [{"type": "op", "n": n, "op": op}] if self.connected else []

    # -- connection ----------------------------------------------------------------------------

    def connect(self) -> list[Message]:
        """Rule 3: hello since last_seq (null before any snapshot), then every pending op
        again with the same n."""
        self.connected = True
        since = self.last_seq if self.state is not None else None
        hello: Message = {"type": "hello", "client_id": self.client_id, "since": since}
        return [hello, *({"type": "op", "n": n, "op": op} for n, op in self.pending.items())]

    def disconnect(self) -> None:
        self.connected = False

    # -- what the server says ------------------------------------------------------------------

    def receive(self, msg: Message) -> list[Message]:
        kind = msg.get("type")
        if kind == "snapshot":
            if self.state is None or msg["seq"] > self.last_seq:
                if self.state is not None:
                    # A later snapshot (two hellos sent before the first snapshot came back
                    # each get one) stands for the seqs up to its own, in order.
                    self.applied_seqs.extend(range(self.last_seq + 1, msg["seq"] + 1))
                nodes = [Node.from_dict(d) for d in msg["nodes"]]
                self.state = TreeState(msg["kind"], nodes, msg["seq"])
                self.last_seq = msg["seq"]
            return []
        if kind == "op":
            return self._take(msg)
        if kind == "ops":
            for entry in msg["ops"]:
                out = self._take(entry)
                if out:  # a gap: the sync answer will carry the rest
                    return out
            return []
        if kind == "ack":
            self._answer(msg["n"], ("ack", msg["seq"]))
            return []
        if kind == "nack":
            self._answer(msg["n"], ("nack", msg["code"]))
            return []
        return []  # welcome, presence, pong, error: nothing to do for the tree

    def _answer(self, n: int, answer: tuple[str, Any]) -> None:
        self.answers.setdefault(n, []).append(answer)
        self.pending.pop(n, None)

    def _take(self, entry: Message) -> list[Message]:
        """Rules 1 and 2: apply strictly in seq order, drop old ones, sync on a gap."""
        if self.state is None:
            return []  # the snapshot we asked for covers it
        seq = entry["seq"]
        if seq <= self.last_seq:
            return []
        if seq > self.last_seq + 1:
            return [{"type": "sync", "since": self.last_seq}]
        try:
            self.state.apply(entry["op"], seq=seq, actor=entry["actor"])
        except OpError as error:  # the server accepted it on the same state: a real bug
            raise AssertionError(f"server op {seq} does not apply locally: {error}") from error
        self.last_seq = seq
        self.applied_seqs.append(seq)
        if entry.get("client_id") == self.client_id:
            # Our own op came back: as good as an ack, even if the ack itself was lost.
            self.pending.pop(entry["n"], None)
        return []
