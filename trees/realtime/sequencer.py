"""Sequencing and gap repair for one socket: which committed ops to forward, hold or fetch.

Pure (no Django, no server, no I/O): the consumer (trees/realtime/consumer.py) owns one
`Sequencer` per socket, offers it every op that the fan-out delivers, and does what the
answer says. The rules (docs/protocol.md):

- A socket forwards a tree's ops strictly in seq order, each once: `last_sent` is the highest
  seq forwarded, and every op up to it has been sent (by a catch-up, a gap repair or live).
- Before `hello` nothing is forwarded (the catch-up will include it).
- While a catch-up or a gap repair runs, arriving ops are held, not dropped: an op committed
  between the catch-up's database read and the socket knowing its seq would otherwise be lost
  until the next op.
- An op past `last_sent + 1` means something was dropped or reordered on the way: the missing
  range is read from the log and sent first.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

Message = dict[str, Any]  # an op as broadcast: {"seq": int, ...}


class Offer(enum.Enum):
    SEND = "send"  # the next op: forward it now (last_sent has moved to it)
    DROP = "drop"  # already forwarded, or no hello yet
    HELD = "held"  # a catch-up or repair is running; it will forward this op in order
    REPAIR = "repair"  # a gap: start a repair (run `steps`) in a task of the socket's own


@dataclass(frozen=True)
class Step:
    """One step of a repair: send `message`, after fetching `gap` (after, upto] if not None."""

    message: Message
    gap: tuple[int, int] | None


class Sequencer:
    def __init__(self) -> None:
        # The highest seq forwarded to the client: every op up to it has been sent.
        self.last_sent: int | None = None
        # Ops held back while the socket catches up or fills a gap, forwarded in seq order after.
        self.pending: list[Message] | None = None

    # ---- catch-up (hello, sync) ---------------------------------------------------------

    def start_catch_up(self) -> None:
        """`hello`: forget what was sent and hold live ops until the catch-up is sent."""
        self.last_sent = None
        if self.pending is None:
            self.pending = []

    def caught_up(self, head: int) -> None:
        """Everything up to `head` was sent (a snapshot at `head`, or log ops up to it)."""
        self.last_sent = max(self.last_sent or 0, head)

    # ---- live ops -------------------------------------------------------------------------

    def offer(self, message: Message) -> Offer:
        """A committed op arrived from the fan-out."""
        if self.pending is not None:
            self.pending.append(message)
            return Offer.HELD
        if self.last_sent is None:
            return Offer.DROP
        seq = message["seq"]
        if seq <= self.last_sent:
            return Offer.DROP
        if seq == self.last_sent + 1:
            self.last_sent = seq
            return Offer.SEND
        self.pending = [message]
        return Offer.REPAIR

    # ---- the repair loop (also run after a catch-up, to forward what was held) ------------

    def next_step(self) -> Step | None:
        """The next held op to forward, with the gap to fetch first; None when nothing is left.

        The caller sends the gap's ops (then `sent_up_to` their last seq), asks `still_ahead`
        and sends the message (then `sent_up_to` its seq), and calls `release` when done.
        """
        while self.pending:
            self.pending.sort(key=lambda m: m["seq"])
            message = self.pending.pop(0)
            seq = message["seq"]
            if self.last_sent is None or seq <= self.last_sent:
                continue
            gap = (self.last_sent, seq - 1) if seq > self.last_sent + 1 else None
            return Step(message, gap)
        return None

    def sent_up_to(self, seq: int) -> None:
        if self.last_sent is None or seq > self.last_sent:
            self.last_sent = seq

    def still_ahead(self, message: Message) -> bool:
        """After a gap was filled: the held op was not already among the fetched ones."""
        return self.last_sent is None or message["seq"] > self.last_sent

    def release(self) -> None:
        """The repair is over (done or failed): live ops are offered again, not held."""
        self.pending = None

    @property
    def ready(self) -> bool:
        """`hello` answered: the socket forwards live ops (presence, reviews likewise)."""
        return self.last_sent is not None
