"""Domain layer convergence test: three simulated clients and one in-memory server over a
network that drops, duplicates and reorders messages, with disconnects and reconnects.

After a final heal (everyone reconnects over a reliable network) every client's tree must
equal the server's, and no client op may have been applied twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain_helpers import random_op, uid
from hypothesis import HealthCheck, settings, target
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sim_client import Message, SimClient

from trees.domain import OpError, TreeState, replay


class SimServer:
    """The authority of one tree: state, op log, dedupe by (client_id, n), connections."""

    def __init__(self, kind: str) -> None:
        self.state = TreeState(kind)
        self.log: list[Message] = []
        self.dedupe: dict[tuple[str, int], int] = {}  # (client_id, n) -> seq it was accepted as
        # Real websockets never duplicate a frame, but this network does: remembering the
        # rejection keeps a duplicated op from being nacked first and accepted later.
        self.rejected: dict[tuple[str, int], str] = {}
        self.client_of: dict[int, str] = {}  # conn -> client_id, set by hello
        self.open: set[int] = set()
        self.actors: dict[str, int] = {}

    def handle(self, conn: int, msg: Message) -> list[tuple[int, Message]]:
        """Process one message from `conn`; return (conn, message) pairs to send."""
        kind = msg["type"]
        if kind == "hello":
            self.client_of[conn] = msg["client_id"]
            since = msg["since"]
            data: Message
            if since is None:
                nodes = self.state.snapshot()
                data = {"type": "snapshot", "seq": self.state.version, "kind": self.state.kind}
                data["nodes"] = nodes
            else:
                data = {"type": "ops", "ops": self.log[since:]}
            return [(conn, {"type": "welcome", "conn": conn}), (conn, data)]
        client_id = self.client_of.get(conn)
        if client_id is None:
            return [(conn, {"type": "error", "code": "not_ready", "message": "hello first"})]
        if kind == "sync":
            return [(conn, {"type": "ops", "ops": self.log[msg["since"] :]})]
        assert kind == "op", msg
        return self._op(conn, client_id, msg["n"], msg["op"])

    def _op(self, conn: int, client_id: str, n: int, op: Any) -> list[tuple[int, Message]]:
        key = (client_id, n)
        if key in self.dedupe:
            return [(conn, {"type": "ack", "n": n, "seq": self.dedupe[key], "dup": True})]
        if key in self.rejected:
            return [(conn, {"type": "nack", "n": n, "code": self.rejected[key], "message": ""})]
        seq = self.state.version + 1
        actor = self.actors.setdefault(client_id, len(self.actors) + 1)
        try:
            applied = self.state.apply(op, seq=seq, actor=actor)
        except OpError as error:
            self.rejected[key] = error.code
            return [(conn, {"type": "nack", "n": n, "code": error.code, "message": error.message})]
        entry = {"seq": seq, "client_id": client_id, "n": n, "op": applied.op, "actor": actor}
        entry["overwrote"] = applied.overwrote
        self.log.append(entry)
        self.dedupe[key] = seq
        out = [(conn, {"type": "ack", "n": n, "seq": seq, "dup": False})]
        # Broadcast after "commit", to every connection that said hello (the sender included).
        out += [(c, {"type": "op", **entry}) for c in sorted(self.open) if c in self.client_of]
        return out


@dataclass
class Packet:
    to_server: bool
    conn: int
    msg: Message


class Convergence(RuleBasedStateMachine):
    """Clients edit from what they see; the network misbehaves; the end state must agree."""

    @initialize(kind=st.sampled_from(["game", "problem"]))
    def start(self, kind: str) -> None:
        self.server = SimServer(kind)
        self.clients = [SimClient(f"client-{i}", kind) for i in range(3)]
        self.conn_of: dict[int, int] = {}
        self.owner_of: dict[int, int] = {}  # conn -> client index
        self.next_conn = 1
        self.wire: list[Packet] = []
        # The n of every op a user made; a resend under a new n would be applied twice.
        self.issued: dict[str, set[int]] = {c.client_id: set() for c in self.clients}
        for i in range(len(self.clients)):
            self._connect(i)

    # -- plumbing ------------------------------------------------------------------------------

    def _connect(self, i: int) -> None:
        conn = self.next_conn
        self.next_conn += 1
        self.conn_of[i], self.owner_of[conn] = conn, i
        self.server.open.add(conn)
        self._send(i, self.clients[i].connect())

    def _send(self, i: int, msgs: list[Message]) -> None:
        if self.clients[i].connected:
            self.wire += [Packet(True, self.conn_of[i], m) for m in msgs]

    def _deliver(self, packet: Packet) -> None:
        if packet.to_server:
            # A frame already sent is read even if the socket has closed since: the server
            # may apply an op whose ack the client never sees.
            for conn, reply in self.server.handle(packet.conn, packet.msg):
                if conn in self.server.open:
                    self.wire.append(Packet(False, conn, reply))
            return
        i = self.owner_of[packet.conn]
        client = self.clients[i]
        if client.connected and self.conn_of[i] == packet.conn:
            self._send(i, client.receive(packet.msg))

    # -- rules ---------------------------------------------------------------------------------

    @rule(i=st.integers(0, 2), data=st.data())
    def edit(self, i: int, data: st.DataObject) -> None:
        client = self.clients[i]
        for _ in range(data.draw(st.integers(1, 3))):
            before = set(client.pending)
            self._send(i, client.submit(random_op(data.draw, client.view())))
            self.issued[client.client_id] |= set(client.pending) - before

    def _pick(self, data: st.DataObject) -> int:
        return int(data.draw(st.integers(0, len(self.wire) - 1)))

    def _next(self, data: st.DataObject) -> int:
        # Half the time the oldest message (a wire that only ever reorders makes almost every
        # op arrive before its hello), otherwise any message.
        return self._pick(data) if data.draw(st.booleans()) else 0

    @precondition(lambda self: self.wire)
    @rule(data=st.data())
    def deliver_some(self, data: st.DataObject) -> None:
        # Mostly deliver (and in a random order): a network that loses most messages would
        # test little beyond the final heal.
        for _ in range(data.draw(st.integers(1, 12))):
            if self.wire:
                self._deliver(self.wire.pop(self._next(data)))

    @precondition(lambda self: self.wire)
    @rule(data=st.data())
    def drop(self, data: st.DataObject) -> None:
        self.wire.pop(self._pick(data))

    @precondition(lambda self: self.wire)
    @rule(data=st.data())
    def duplicate(self, data: st.DataObject) -> None:
        self.wire.append(self.wire[self._pick(data)])

    @rule(i=st.integers(0, 2))
    def disconnect(self, i: int) -> None:
        if self.clients[i].connected:
            self.clients[i].disconnect()
            self.server.open.discard(self.conn_of[i])

    @rule(i=st.integers(0, 2))
    def reconnect(self, i: int) -> None:
        if not self.clients[i].connected:
            self._connect(i)

    @invariant()
    def server_state_is_consistent(self) -> None:
        self.server.state.check_invariants()

    # -- the end -------------------------------------------------------------------------------

    def teardown(self) -> None:
        if not hasattr(self, "server"):
            return
        # Steer generation towards runs where many ops were accepted before the heal.
        target(float(len(self.server.log)), label="ops accepted before the heal")
        # Heal: everyone reconnects, and from now on the network delivers everything in order.
        for i in range(len(self.clients)):
            self.disconnect(i)
            self._connect(i)
        steps = 0
        while self.wire:
            self._deliver(self.wire.pop(0))
            steps += 1
            assert steps < 100_000, "the network never went quiet"
        self._check_convergence()

    def _check_convergence(self) -> None:
        server = self.server
        expected = server.state.snapshot()
        assert replay(server.state.kind, [(e["seq"], e["op"], e["actor"]) for e in server.log])
        assert len(server.dedupe) == len(server.log), "an op was applied twice"
        assert len({(e["client_id"], e["n"]) for e in server.log}) == len(server.log)
        assert all(e["n"] in self.issued[e["client_id"]] for e in server.log)
        for client in self.clients:
            assert client.pending == {}, client.pending
            assert client.last_seq == server.state.version
            assert client.state is not None
            assert client.state.snapshot() == expected
            seqs = client.applied_seqs
            assert seqs == list(range(seqs[0], seqs[-1] + 1)) if seqs else True
            for n, answers in client.answers.items():
                assert len(set(answers)) == 1, (client.client_id, n, answers)
                outcome, value = answers[0]
                if outcome == "ack":
                    entry = server.log[value - 1]
                    assert (entry["client_id"], entry["n"]) == (client.client_id, n)


def test_clients_converge_over_a_lossy_duplicating_reordering_network() -> None:
    run_state_machine_as_test(
        Convergence,
        settings=settings(
            max_examples=50,
            stateful_step_count=80,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_a_resent_op_whose_ack_was_lost_is_acknowledged_as_a_duplicate_not_reapplied() -> None:
    server = SimServer("game")
    client = SimClient("alice", "game")
    server.open.add(1)
    for msg in client.connect():
        for _, reply in server.handle(1, msg):
            client.receive(reply)
    op = {"kind": "create", "id": uid(1), "type": "proposal", "parent": None}
    (sent,) = client.submit(op)
    server.handle(1, sent)  # accepted as seq 1; the ack and the broadcast are lost
    client.disconnect()
    server.open.discard(1)
    server.open.add(2)
    replies = [reply for msg in client.connect() for _, reply in server.handle(2, msg)]
    assert {"type": "ack", "n": 1, "seq": 1, "dup": True} in replies
    for reply in replies:
        client.receive(reply)
    assert len(server.log) == 1
    assert client.pending == {}
    assert client.state is not None and client.state.snapshot() == server.state.snapshot()


def test_a_client_asks_for_a_sync_on_a_gap_and_drops_what_it_already_has() -> None:
    client = SimClient("bob", "game")
    client.receive({"type": "snapshot", "seq": 0, "kind": "game", "nodes": []})
    create = {"kind": "create", "id": uid(1), "type": "proposal", "parent": None, "key": "a0"}
    text = {"kind": "set", "id": uid(1), "field": "text", "value": "hi"}
    entry = {"client_id": "alice", "n": 1, "actor": 1, "overwrote": 0}
    assert client.receive({"type": "op", "seq": 2, "op": text, **entry}) == [
        {"type": "sync", "since": 0}
    ]
    ops = [{"seq": 1, "op": create, **entry}, {"seq": 2, "op": text, **entry}]
    assert client.receive({"type": "ops", "ops": ops}) == []
    assert client.receive({"type": "op", "seq": 1, "op": create, **entry}) == []
    assert client.last_seq == 2
    assert client.state is not None and client.state.nodes[uid(1)].text == "hi"
