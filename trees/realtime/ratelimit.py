"""The websocket's limits: message rates per connection and per user (token buckets), open
sockets per user, and the client's op order kept across rate refusals."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

# How long a connection keeps later ops waiting for a refused op that does not come back
# (the web client resends one a second after its nack; a client may also drop it, e.g. typing
# in a node it learns was deleted). After that the later ops are taken again as they come.
HOLD_SECONDS = 10.0


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class OpOrder:
    """Keeps one connection's ops in the client's order (its `n`) across rate refusals.

    The bucket refills while a burst is being written, so without this op k could be refused
    for rate and op k+1 accepted a moment later: k+1 applied before k, or refused for good when
    it needs k (a pasted child of a refused line, typing in a refused new node). So once an op
    is refused for rate, every later op (higher n) is refused too, as waiting, until the
    refused op comes back and passes; then the ops refused as waiting pass as they come back
    (up to the highest), in the order the client resends them (n order). An op numbered
    below the first refused one was not held back and passes. Nothing is waited for longer
    than HOLD_SECONDS without progress. Pure: no I/O, the clock is given.
    """

    def __init__(
        self, hold_seconds: float = HOLD_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.hold_seconds = hold_seconds
        self.clock = clock
        # The lowest op refused for rate that has not passed since (None once it has), and
        # the highest op refused for rate or as waiting; both None when nothing is held.
        self.low: int | None = None
        self.high: int | None = None
        self.touched = 0.0

    @property
    def holding(self) -> bool:
        return self.high is not None

    def refused(self, n: int) -> None:
        """Op `n` was refused for rate: it, and everything after it, waits for its resend."""
        self.low = n if self.low is None else min(self.low, n)
        self.high = n if self.high is None else max(self.high, n)
        self.touched = self.clock()

    def admit(self, n: int) -> bool:
        """May op `n`, within the rate, go on now? False: it waits for an earlier op."""
        if self.high is None:
            return True
        now = self.clock()
        if now - self.touched > self.hold_seconds:
            self._release()
            return True
        if self.low is not None and n < self.low:
            return True
        if (self.low is not None and n > self.low) or (self.low is None and n > self.high):
            self.high = max(self.high, n)
            return False
        # The refused op itself, or one refused after it as waiting.
        self.low = None
        self.touched = now
        if n >= self.high:
            self._release()
        return True

    def _release(self) -> None:
        self.low = self.high = None


class UserBuckets:
    """One bucket per user id, shared by all of that user's sockets in this process.

    Many sockets each under the per-connection limit must not add up to an unbounded rate.
    The least recently used buckets are dropped beyond `max_users` (a dropped bucket comes
    back full, which only matters for users idle since max_users others were active).
    """

    def __init__(self, max_users: int = 10_000) -> None:
        self.max_users = max_users
        self._buckets: OrderedDict[int, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, user_id: int, rate: float, burst: float) -> bool:
        with self._lock:
            bucket = self._buckets.get(user_id)
            if bucket is None or bucket.rate != rate or bucket.burst != burst:
                bucket = TokenBucket(rate, burst)
                self._buckets[user_id] = bucket
            self._buckets.move_to_end(user_id)
            while len(self._buckets) > self.max_users:
                self._buckets.popitem(last=False)
            return bucket.take()

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()


user_buckets = UserBuckets()


class SocketCounts:
    """Open sockets per user id in this process, for GAMETREE_WS_MAX_SOCKETS_PER_USER."""

    def __init__(self) -> None:
        self._open: dict[int, int] = {}
        self._lock = threading.Lock()

    def open(self, user_id: int, cap: int) -> bool:
        """Count one more socket of `user_id`, unless it has `cap` already (then False)."""
        with self._lock:
            count = self._open.get(user_id, 0)
            if count >= cap:
                return False
            self._open[user_id] = count + 1
            return True

    def close(self, user_id: int) -> None:
        with self._lock:
            count = self._open.get(user_id, 0) - 1
            if count > 0:
                self._open[user_id] = count
            else:
                self._open.pop(user_id, None)

    def count(self, user_id: int) -> int:
        with self._lock:
            return self._open.get(user_id, 0)


user_sockets = SocketCounts()
