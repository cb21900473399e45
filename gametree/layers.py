"""Project: the embedded default's channel layer.

Channels' `InMemoryChannelLayer` sweeps every channel and every group for expired messages
on every `receive` and every `group_send`: O(sockets) work per message, on the event loop.
With 1,000 sockets that sweep was 17 % of a worker's CPU (cProfile of bench/connections.py),
most of it while the sockets connected and announced their presence. Messages expire after
60 s and group memberships after a day, so sweeping at most once a second changes nothing a
client can see: an expired message is dropped up to a second later.
"""

from __future__ import annotations

import time
from typing import Any

from channels.layers import InMemoryChannelLayer


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """The in-memory layer, with its expiry sweep run at most every `sweep_seconds`."""

    def __init__(self, *args: Any, sweep_seconds: float = 1.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sweep_seconds = sweep_seconds
        self.sweeps = 0
        self._next_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.sweep_seconds
        self.sweeps += 1
        # A private method of Channels (absent from its stubs): the patch documented above.
        super()._clean_expired()  # type: ignore[misc]
