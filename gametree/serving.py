"""Project: every reliance of a serving worker on private internals, in this one module.

The boundary: gametree/asgi.py calls `apply()` once, last, and the embedded default's settings
name `SweepingInMemoryChannelLayer`; nothing else in the project patches, wraps or subclasses
a private part of daphne, Twisted or Channels, or changes the garbage collector of the process.
Each patch stays only while bench/patches.py (each one left out, side by side in one run) shows
it is needed for a target (bench/RESULTS.md, "Private internals"). `UPSTREAM` pins the source
of every upstream function a patch relies on, as the pinned versions (constraints.txt) have it:
tests/deploy/test_serving.py fails when an upgrade changes one, so that the patch is re-read
and re-measured before it goes on.

The patches (`GAMETREE_SKIP_PATCHES` leaves some out, for the bench only):

- `daphne_body_limit`: daphne receives a whole request body before the application sees it
  (issue 17, item 3: an anonymous 100 MB POST took a worker from 220 MB to 2.8 GB). Each HTTP
  connection gets a request class that refuses a body past `GAMETREE_MAX_REQUEST_BYTES` as it
  arrives (413 `too_large`, connection closed). Measured: a refused 64 MiB POST raised the
  worker's peak memory by 4-7 MiB with it and by 62-66 MiB without it (the ASGI middleware of
  gametree/bodylimit.py still answers 413, but only after daphne has taken in the body).
- `layer_sweep`: Channels' in-memory layer sweeps every channel and group for expired messages
  on every send, receive and group send: O(sockets) per message, on the event loop. The
  embedded default's layer sweeps at most once a second (messages expire after 60 s, group
  memberships after a day: nothing a client can see changes). Measured: 1,000 sockets
  connected in 24-36 s with it, against 91-136 s with 79-131 sockets timed out without it
  (the presence each one announces is a group send that swept all the others).
- `gc_timer`: a full (generation 2) collection walks every tracked object with the GIL held;
  with 1,000 sockets (about 300,000 objects) each one stopped the event loop for 100-250 ms,
  several times a minute. A worker freezes what exists once it has started, leaves the young
  generations to Python and runs the full collection on a timer, every
  `GAMETREE_GC_FULL_SECONDS` (300; 0 keeps Python's policy). Measured: with 1,000 sockets, no
  full collection while they connected and sent with it; 2-3 without it (373-639 ms of CPU,
  the longest stopping the worker 1.1-1.4 s at load 14-16): the 50 ms p99 target cannot
  survive one.
- `twisted_write_through`: Twisted's TCP `write()` queues the bytes and registers the socket
  for writability, so every websocket frame costs a reactor turn, two epoll changes, a
  logging context and a buffer join. A worker writes through when nothing is queued, as
  asyncio's own transports do; what the kernel does not take is queued the usual way.
  It does not lower the fixed CPU of an op (quiet, 0.77x / 0.94x without it); it shortens the
  tail with 1,000 sockets, where frames waited for a reactor turn: ack p99 444-668 ms with it
  against 982-995 ms without, side by side (bench/RESULTS_scale.md, fourth session).

Removed after measuring (bench/RESULTS.md): `autobahn_plain_log`, which rebound autobahn's
`hltype`/`hlval` debug-log helpers to pass-throughs: left out side by side, the CPU per op
moved 0.82x / 1.39x loaded and 0.89x / 1.08x quiet (no consistent change); timed directly
they cost 3-6 us per frame, 2-6 % of an op at full throughput (the 2,000 ops/s target had
4-15 % to spare; see RESULTS.md).
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import inspect
import logging
import threading
import time
from collections.abc import Callable, Collection
from typing import IO, Any

from channels.layers import InMemoryChannelLayer

log = logging.getLogger(__name__)

PATCHES = ("daphne_body_limit", "layer_sweep", "gc_timer", "twisted_write_through")

# What each patch relies on upstream: the source of each function it wraps, replaces or
# depends on, hashed (sha256 of inspect.getsource, first 16 hex digits), as the pinned versions
# have it. The garbage-collector policy uses the gc module's public API only.
UPSTREAM: dict[str, dict[str, str]] = {
    "daphne_body_limit": {
        "daphne.http_protocol:HTTPFactory.buildProtocol": "35e878a6e0e41af2",
        "daphne.http_protocol:WebRequest.process": "e9babd1c97ce710b",
        "twisted.web.http:Request.gotLength": "1c389b99da50b0ae",
        "twisted.web.http:Request.handleContentChunk": "6e942756afb787b4",
        "twisted.web.http:Request.requestReceived": "99ca6c5e24305de4",
    },
    "layer_sweep": {
        "channels.layers:InMemoryChannelLayer._clean_expired": "604032dae1cc01d2",
        "channels.layers:InMemoryChannelLayer.send": "a4dab1cd8aff886e",
        "channels.layers:InMemoryChannelLayer.receive": "e615f8ae40b60e12",
        "channels.layers:InMemoryChannelLayer.group_send": "693c3172deb6431b",
    },
    "twisted_write_through": {
        "twisted.internet._newtls:ConnectionMixin.write": "ea311df0946d3f99",
        "twisted.internet.abstract:FileDescriptor.write": "3e46c97fc173bc7e",
        "twisted.internet.abstract:FileDescriptor.doWrite": "a986d7b1b1054e43",
        "twisted.internet.tcp:Connection.writeSomeData": "2dd0d4209260b94e",
    },
}


def upstream_drift() -> list[str]:
    """Each upstream function a patch relies on whose source is not the one it was written
    against (empty when all match). A function this module replaced is read through
    `__wrapped__`, the original."""
    drift = []
    for patch, targets in UPSTREAM.items():
        for target, expected in targets.items():
            module, _, qualname = target.partition(":")
            obj: Any = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part, None)
            if obj is None:
                drift.append(f"{patch}: {target} is gone")
                continue
            source = inspect.getsource(inspect.unwrap(obj))
            found = hashlib.sha256(source.encode()).hexdigest()[:16]
            if found != expected:
                drift.append(
                    f"{patch}: {target} changed (source {found}, written against {expected})"
                )
    return drift


def apply(skip: Collection[str] = (), gc_full_every_seconds: float = 300) -> list[str]:
    """Apply every patch not named in `skip` (the channel layer is the settings' choice);
    the names applied."""
    unknown = set(skip) - set(PATCHES)
    if unknown:
        raise ValueError(f"unknown patches to skip: {sorted(unknown)}; known: {PATCHES}")
    applied = []
    if "daphne_body_limit" not in skip and limit_daphne_request_bodies():
        applied.append("daphne_body_limit")
    if "twisted_write_through" not in skip and twisted_write_through():
        applied.append("twisted_write_through")
    if "gc_timer" not in skip and tune_gc(gc_full_every_seconds):
        applied.append("gc_timer")
    return applied


# -- daphne_body_limit --------------------------------------------------------------------------

_body_limit_installed = False


def limit_daphne_request_bodies() -> bool:
    """Make daphne's HTTP requests refuse bodies past the limit as they arrive (once): by
    Content-Length as soon as the headers are in, chunk by chunk for a body without one; the
    413 is written and the connection closed, and daphne never queues the body."""
    global _body_limit_installed
    if _body_limit_installed:
        return False
    try:
        from daphne.http_protocol import HTTPFactory, WebRequest
    except ImportError:  # served by something else: the ASGI middleware still applies
        return False

    from gametree.bodylimit import limits, too_large_body

    class LimitedWebRequest(WebRequest):  # type: ignore[misc]
        _refused = False
        _received = 0
        content: IO[bytes] | None  # set by twisted's Request (untyped)

        def gotLength(self, length: int | None) -> None:
            total, _ = limits()
            if length is not None and length > total:
                self._refuse(total)
                return
            super().gotLength(length)

        def handleContentChunk(self, data: bytes) -> None:
            if self._refused:
                return
            self._received += len(data)
            total, _ = limits()
            if self._received > total:
                self._refuse(total)
                return
            super().handleContentChunk(data)

        def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
            if self._refused:
                return
            super().requestReceived(command, path, version)

        def _refuse(self, limit: int) -> None:
            self._refused = True
            body = too_large_body(limit)
            head = (
                b"HTTP/1.1 413 Request Entity Too Large\r\n"
                b"Content-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                b"Connection: close\r\n\r\n"
            )
            transport = self.channel.transport
            transport.write(head + body)
            # Stops reading: the rest of the body is never received.
            transport.loseConnection()
            if self.content is not None:
                self.content.close()
                self.content = None

    original = HTTPFactory.buildProtocol

    def buildProtocol(self: Any, addr: Any) -> Any:
        protocol = original(self, addr)
        if protocol is not None:
            protocol.requestFactory = LimitedWebRequest
        return protocol

    buildProtocol.__wrapped__ = original  # type: ignore[attr-defined]
    HTTPFactory.buildProtocol = buildProtocol
    _body_limit_installed = True
    return True


# -- layer_sweep -------------------------------------------------------------------------------


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
        super()._clean_expired()  # type: ignore[misc]  # private upstream (UPSTREAM pins it)


# -- gc_timer -----------------------------------------------------------------------------------

# A full collection starts when this many young collections have run since the last one
# (Python's default is 10). Effectively never: the timer does it.
_NEVER = 1_000_000_000

_started = False


def tune_gc(full_every_seconds: float) -> bool:
    """Freeze the startup objects and run full collections on a timer (once); False when it
    is switched off (0 seconds) or already on."""
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


# -- twisted_write_through ----------------------------------------------------------------------


def twisted_write_through() -> bool:
    """Make Twisted's TCP connections write at once when nothing is queued (once)."""
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
    write.__wrapped__ = queued_write  # type: ignore[attr-defined]
    tcp.Connection.write = write  # type: ignore[method-assign,assignment]
    return True
