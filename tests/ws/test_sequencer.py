"""The pure sequencer (trees/realtime/sequencer.py), driven without a server or a database.

A simulated socket runs the consumer's loop over a simulated log: live ops arrive dropped,
duplicated and reordered, interleaved with the steps of a running catch-up or gap repair
(which the consumer runs in a task of its own). Whatever the interleaving, the client gets
every op once, in seq order, with nothing skipped.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from trees.realtime.sequencer import Offer, Sequencer


def op(seq: int) -> dict[str, Any]:
    return {"seq": seq, "op": {"kind": "edit"}}


class Socket:
    """The consumer's use of a Sequencer, with the awaits of the real one as yields."""

    def __init__(self, log_head: int) -> None:
        self.seq = Sequencer()
        self.log_head = log_head  # every op up to it is in the log
        self.sent: list[int] = []
        self.task: Iterator[None] | None = None

    def hello(self, since: int | None) -> None:
        self.seq.start_catch_up()
        self.task = self._hello(since)

    def _hello(self, since: int | None) -> Iterator[None]:
        head = self.log_head  # the catch-up's database read...
        yield  # ...and the wait for its answer, while ops may arrive
        self.sent.extend(range((since or 0) + 1, head + 1))  # ops, or a snapshot up to head
        self.seq.caught_up(head)
        yield from self._forward_pending()

    def deliver(self, seq: int) -> None:
        offer = self.seq.offer(op(seq))
        if offer is Offer.SEND:
            self.sent.append(seq)
        elif offer is Offer.REPAIR:
            assert self.task is None
            self.task = self._forward_pending()

    def _forward_pending(self) -> Iterator[None]:
        try:
            while (step := self.seq.next_step()) is not None:
                if step.gap is not None:
                    after, upto = step.gap
                    missing = list(range(after + 1, min(upto, self.log_head) + 1))
                    yield  # waiting for the gap's database read
                    if missing:
                        yield  # sending them
                        self.sent.extend(missing)
                        self.seq.sent_up_to(missing[-1])
                    if not self.seq.still_ahead(step.message):
                        continue
                yield  # sending the held op
                self.sent.append(step.message["seq"])
                self.seq.sent_up_to(step.message["seq"])
        finally:
            self.seq.release()

    def step(self) -> None:
        if self.task is not None:
            try:
                next(self.task)
            except StopIteration:
                self.task = None

    def finish(self) -> None:
        while self.task is not None:
            self.step()


def test_ops_in_order_are_sent_as_they_come() -> None:
    socket = Socket(log_head=0)
    socket.hello(since=0)
    socket.finish()
    for seq in (1, 2, 3):
        socket.log_head = seq
        socket.deliver(seq)
    assert socket.sent == [1, 2, 3]


def test_nothing_is_sent_before_hello() -> None:
    sequencer = Sequencer()
    assert sequencer.offer(op(1)) is Offer.DROP
    assert not sequencer.ready


def test_a_duplicate_or_stale_op_is_dropped() -> None:
    sequencer = Sequencer()
    sequencer.start_catch_up()
    sequencer.caught_up(5)
    sequencer.release()
    assert sequencer.offer(op(5)) is Offer.DROP
    assert sequencer.offer(op(3)) is Offer.DROP
    assert sequencer.offer(op(6)) is Offer.SEND
    assert sequencer.offer(op(6)) is Offer.DROP


def test_a_gap_asks_for_the_missing_range_before_the_op_that_revealed_it() -> None:
    sequencer = Sequencer()
    sequencer.start_catch_up()
    sequencer.caught_up(2)
    sequencer.release()

    assert sequencer.offer(op(6)) is Offer.REPAIR
    assert sequencer.offer(op(4)) is Offer.HELD  # arrives while the repair reads the log
    step = sequencer.next_step()
    assert step is not None and step.message["seq"] == 4 and step.gap == (2, 3)
    sequencer.sent_up_to(3)
    assert sequencer.still_ahead(step.message)
    sequencer.sent_up_to(4)
    step = sequencer.next_step()
    assert step is not None and step.message["seq"] == 6 and step.gap == (4, 5)
    sequencer.sent_up_to(6)  # the gap's read returned 5 and 6 (6 committed meanwhile)
    assert not sequencer.still_ahead(step.message)
    assert sequencer.next_step() is None
    sequencer.release()
    assert sequencer.offer(op(7)) is Offer.SEND


def test_an_op_committed_during_the_catch_up_read_is_held_not_dropped() -> None:
    socket = Socket(log_head=3)
    socket.hello(since=0)
    socket.step()  # the catch-up has read the log up to 3...
    socket.log_head = 4
    socket.deliver(4)  # ...when op 4 is committed and broadcast
    socket.finish()
    assert socket.sent == [1, 2, 3, 4]


@settings(max_examples=300, deadline=None)
@given(
    total=st.integers(min_value=1, max_value=30),
    plan=st.lists(
        st.tuples(st.integers(min_value=1, max_value=30), st.booleans(), st.integers(0, 3)),
        max_size=80,
    ),
)
def test_every_op_reaches_the_client_once_in_order_whatever_the_network_does(
    total: int, plan: list[tuple[int, bool, int]]
) -> None:
    """Ops 1..total are committed in order while the socket says hello; each entry of `plan`
    commits up to an op, delivers an op already committed (or loses it) and lets a running
    catch-up or repair take some steps. So broadcasts are lost, duplicated and overtaken, and
    arrive in the middle of reads. Once the last op's broadcast arrives, the client has
    exactly 1..total, in order."""
    socket = Socket(log_head=0)
    socket.hello(since=None)
    committed = 0
    for target, lost, steps in plan:
        committed = max(committed, min(target, total))
        socket.log_head = committed
        if committed and not lost:
            socket.deliver(min(target, committed))
        for _ in range(steps):
            socket.step()
    socket.log_head = total
    socket.finish()
    socket.deliver(total)  # a client that hears nothing more syncs; this is its stand-in
    socket.finish()
    assert socket.sent == list(range(1, total + 1))


def test_the_sequencer_imports_without_django() -> None:
    code = (
        "import sys; import trees.realtime.sequencer; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
