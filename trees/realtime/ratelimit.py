"""The websocket's limits: message rates per connection and per user (token buckets), and
open sockets per user."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict


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
