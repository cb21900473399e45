"""Project: process tuning for a serving daphne worker (called from gametree/asgi.py only).

CPython's cyclic garbage collector walks every tracked object on a full (generation 2)
collection, with the GIL held: in a worker with 1,000 sockets (about 300,000 objects) each
one stopped the event loop and the database thread for 100-250 ms, several times a minute,
which was the whole p99 of bench/connections.py. A worker therefore

- freezes what exists once it has started (Django, the app and their modules: objects that
  live as long as the process), so no collection walks them again;
- leaves the young generations to Python, whose collections stay short;
- and runs the full collection on a timer, every `GAMETREE_GC_FULL_SECONDS` (default 300),
  instead of whenever enough objects have survived. Reference counting still frees all
  non-cyclic garbage at once; only cycles wait for the timer.

`GAMETREE_GC_FULL_SECONDS=0` keeps Python's defaults.

Also: autobahn (daphne's websocket engine) builds coloured debug-log arguments for every
frame it sends or receives (`hltype`, `hlval`: a qualified-name lookup and click styling),
whether or not debug logging is on; that was ~7% of the event loop's CPU under load. A
serving worker swaps them for plain pass-throughs (debug lines, if enabled, lose colour).

And: Twisted's TCP transport never writes at once. `write()` queues the bytes and registers
the socket for writability; the next loop iteration's `doWrite` sends them and unregisters
it. On the asyncio reactor that is two epoll_ctl calls, an extra loop iteration, Twisted's
logging context and a buffer join for every websocket frame, and a live op is several frames
(the sender's echo and one per other member). A serving worker therefore writes through, as
asyncio's own transports do: when nothing is queued, the bytes go to the socket at once, and
only what the kernel does not take is queued the usual way. Order is kept (nothing is sent
past queued bytes) and errors still surface through `doWrite`.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

# A full collection starts when this many young collections have run since the last one
# (Python's default is 10). Effectively never: the timer does it.
_NEVER = 1_000_000_000

_started = False


def tune_gc(full_every_seconds: float) -> bool:
    """Apply the policy above to this process (once); False when it is switched off."""
    global _started
    if full_every_seconds <= 0 or _started:
        return False
    _started = True
    gc.collect()  # what startup left as garbage goes now, not into the frozen set
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, _NEVER)
    thread = threading.Thread(
        target=_collect_forever, args=(full_every_seconds,), name="gametree-gc", daemon=True
    )
    thread.start()
    return True


def _plain(value: object, *args: object, **kwargs: object) -> object:
    return value


def plain_autobahn_log_arguments() -> None:
    """Stop autobahn formatting debug-log arguments per frame (see above)."""
    from autobahn.twisted import websocket as twisted_websocket
    from autobahn.websocket import protocol

    for module in (protocol, twisted_websocket):
        module.hltype = _plain  # type: ignore[attr-defined]
        module.hlval = _plain  # type: ignore[attr-defined]


def twisted_write_through() -> bool:
    """Make Twisted's TCP connections write at once when nothing is queued (see above)."""
    from twisted.internet import tcp

    if getattr(tcp.Connection.write, "_gametree_write_through", False):
        return False
    # Twisted leaves write() unannotated; this is the signature it has.
    queued_write: Callable[[tcp.Connection, bytes], None] = tcp.Connection.write

    def write(self: tcp.Connection, data: bytes) -> None:
        if (
            type(data) is bytes
            and data
            and not self.TLS  # TLS writes through its own protocol; leave them be
            and self.connected
            and not self.disconnecting
            and not self._writeDisconnected
            and not self._tempDataBuffer
            and self.offset == len(self.dataBuffer)
        ):
            sent = self.writeSomeData(data)
            if isinstance(sent, int):
                if sent == len(data):
                    return
                data = data[sent:]
            # Lost connection: queue it, and doWrite reports the loss the usual way.
        queued_write(self, data)

    write._gametree_write_through = True  # type: ignore[attr-defined]
    tcp.Connection.write = write  # type: ignore[method-assign,assignment]
    return True


def _collect_forever(every: float) -> None:
    while True:
        time.sleep(every)
        started = time.perf_counter()
        found = gc.collect()
        log.info(
            "full garbage collection: %d unreachable objects in %.0f ms",
            found,
            (time.perf_counter() - started) * 1000,
        )
