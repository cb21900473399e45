"""The pure op order kept across rate refusals (trees/realtime/ratelimit.py, OpOrder), driven
without a server: a simulated client sends new ops at once and resends the refused ones in n
order, as frontend/src/core/sync.ts does, while the bucket refuses some at random. Whatever
happens, ops are applied in the client's order, and all of them once the rate allows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trees.realtime.ratelimit import OpOrder


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Connection:
    """The consumer's use of OpOrder: a token or a rate refusal, then admit or wait."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.order = OpOrder(hold_seconds=10.0, clock=self.clock)
        self.applied: list[int] = []

    def receive(self, n: int, token: bool) -> str:
        if not token:
            self.order.refused(n)
            return "rate_limited"
        if not self.order.admit(n):
            return "waiting"
        self.applied.append(n)
        return "ack"


class Client:
    def __init__(self, server: Connection) -> None:
        self.server = server
        self.n = 0
        self.pending: list[int] = []

    def new_op(self, token: bool) -> None:
        self.n += 1
        self.pending.append(self.n)
        self._answer(self.n, self.server.receive(self.n, token))

    def resend(self, count: int, tokens: list[bool]) -> None:
        """The first `count` pending ops (those whose resend is due first), in n order."""
        for i, n in enumerate(self.pending[:count]):
            self._answer(n, self.server.receive(n, tokens[i % len(tokens)]))

    def _answer(self, n: int, answer: str) -> None:
        if answer == "ack":
            self.pending.remove(n)


def test_an_op_after_one_refused_for_rate_waits_until_the_refused_one_passes() -> None:
    server = Connection()
    assert server.receive(1, token=True) == "ack"
    assert server.receive(2, token=False) == "rate_limited"
    assert server.receive(3, token=True) == "waiting"
    assert server.receive(4, token=True) == "waiting"
    # The resend of 2 passes; 3 and 4 pass as they come back, and so does a new op after them.
    assert [server.receive(n, token=True) for n in (2, 3, 4, 5)] == ["ack"] * 4
    assert server.applied == [1, 2, 3, 4, 5]
    assert not server.order.holding


def test_a_new_op_does_not_overtake_ops_refused_as_waiting_that_are_not_resent_yet() -> None:
    server = Connection()
    server.receive(1, token=False)
    assert server.receive(2, token=True) == "waiting"
    assert server.receive(3, token=True) == "waiting"
    assert server.receive(1, token=True) == "ack"
    # Typed before 2 and 3 come back: it waits for them.
    assert server.receive(4, token=True) == "waiting"
    assert [server.receive(n, token=True) for n in (2, 3, 4)] == ["ack"] * 3
    assert server.applied == [1, 2, 3, 4]


def test_an_op_numbered_below_the_refused_one_is_not_held_back() -> None:
    server = Connection()
    server.receive(5, token=False)
    assert server.receive(3, token=True) == "ack"  # e.g. resent after an `internal` nack
    assert server.receive(6, token=True) == "waiting"


def test_a_refused_op_that_never_comes_back_holds_later_ops_for_a_while_only() -> None:
    server = Connection()
    server.receive(1, token=False)
    assert server.receive(2, token=True) == "waiting"
    server.clock.now = 9.0
    assert server.receive(2, token=True) == "waiting"
    server.clock.now = 10.5  # the client dropped op 1
    assert server.receive(2, token=True) == "ack"
    assert not server.order.holding


actions = st.lists(
    st.one_of(
        st.tuples(st.just("new"), st.booleans()),
        st.tuples(
            st.just("resend"), st.integers(1, 8), st.lists(st.booleans(), min_size=1, max_size=8)
        ),
    ),
    max_size=60,
)


@given(actions)
def test_whatever_the_bucket_refuses_ops_are_applied_in_order_and_none_is_lost(
    steps: list[tuple],  # type: ignore[type-arg]
) -> None:
    server = Connection()
    client = Client(server)
    for step in steps:
        if step[0] == "new":
            client.new_op(step[1])
        else:
            client.resend(step[1], step[2])
        assert server.applied == sorted(set(server.applied))
    # Once the rate allows, one resend of everything (in n order) gets every op applied.
    client.resend(len(client.pending), [True])
    assert client.pending == []
    assert server.applied == list(range(1, client.n + 1))
