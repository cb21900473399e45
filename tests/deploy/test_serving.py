"""gametree/serving.py: the one module of patches of private internals; the garbage-collection
policy, the write-through, and the guard that fails when an upgrade changes what they patch."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from gametree import serving


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    serving._started = False


def test_a_serving_worker_freezes_startup_objects_and_leaves_full_collections_to_a_timer(
    restored_gc: None,
) -> None:
    young_before, middle_before, _ = gc.get_threshold()

    assert serving.tune_gc(3600)

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (young_before, middle_before, serving._NEVER)
    timer = [t for t in threading.enumerate() if t.name == "gametree-gc"]
    assert timer and timer[0].daemon


def test_zero_seconds_keeps_pythons_own_policy(restored_gc: None) -> None:
    before = gc.get_threshold()

    assert not serving.tune_gc(0)

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_test_settings_do_not_tune_the_test_process() -> None:
    from django.conf import settings

    import gametree.asgi  # noqa: F401  (imported by the websocket tests too)

    assert settings.GAMETREE_GC_FULL_SECONDS == 0
    assert gc.get_threshold()[2] < 1_000_000


def test_every_upstream_function_a_patch_relies_on_is_the_one_it_was_written_against() -> None:
    import gametree.asgi  # noqa: F401  (applies the patches, as daphne does on import)

    drift = serving.upstream_drift()

    assert drift == [], (
        "an upgrade changed what gametree/serving.py patches; read the new code, re-run "
        "bench/patches.py, then update serving.UPSTREAM: " + "; ".join(drift)
    )


def test_a_changed_upstream_function_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        serving.UPSTREAM,
        "layer_sweep",
        {**serving.UPSTREAM["layer_sweep"], "channels.layers:InMemoryChannelLayer.send": "0" * 16},
    )
    monkeypatch.setitem(serving.UPSTREAM, "gone", {"channels.layers:NoSuchLayer.send": "0" * 16})

    drift = serving.upstream_drift()

    assert len(drift) == 2
    assert drift[0].startswith("layer_sweep: channels.layers:InMemoryChannelLayer.send changed")
    assert drift[1] == "gone: channels.layers:NoSuchLayer.send is gone"


def test_every_patch_but_the_garbage_collector_names_what_it_relies_on() -> None:
    assert set(serving.UPSTREAM) == set(serving.PATCHES) - {"gc_timer"}


def test_an_unknown_patch_name_to_skip_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="unknown patches to skip: \\['autobahn'\\]"):
        serving.apply(skip=["autobahn"], gc_full_every_seconds=0)


class _RecordingReactor:
    """Just enough reactor for one Twisted TCP connection: records write registrations."""

    def __init__(self) -> None:
        self.writers: set[object] = set()
        self.registrations = 0

    def addWriter(self, writer: object) -> None:
        self.registrations += 1
        self.writers.add(writer)

    def removeWriter(self, writer: object) -> None:
        self.writers.discard(writer)

    def addReader(self, reader: object) -> None:
        pass

    def removeReader(self, reader: object) -> None:
        pass


@pytest.fixture
def twisted_pair() -> Iterator[tuple[object, object, _RecordingReactor]]:
    """A real Twisted TCP connection over a real socket pair, and the far end's socket."""
    import socket

    from twisted.internet import tcp
    from twisted.internet.protocol import Protocol

    import gametree.asgi  # noqa: F401  (applies the write-through, as daphne does on import)

    near, far = socket.socketpair()
    reactor = _RecordingReactor()
    connection = tcp.Connection(near, Protocol(), reactor)
    connection.connected = 1
    far.setblocking(False)
    yield connection, far, reactor
    near.close()
    far.close()


def _drain(far: object) -> bytes:
    import socket

    assert isinstance(far, socket.socket)
    chunks = []
    while True:
        try:
            chunk = far.recv(1 << 16)
        except BlockingIOError:
            return b"".join(chunks)
        chunks.append(chunk)


def test_a_frame_written_with_nothing_queued_reaches_the_socket_without_a_reactor_turn(
    twisted_pair: tuple[object, object, _RecordingReactor],
) -> None:
    connection, far, reactor = twisted_pair

    connection.write(b"first frame")  # type: ignore[attr-defined]
    connection.write(b" second frame")  # type: ignore[attr-defined]

    assert _drain(far) == b"first frame second frame"
    assert reactor.registrations == 0


def test_what_the_kernel_does_not_take_is_queued_and_later_writes_wait_behind_it(
    twisted_pair: tuple[object, object, _RecordingReactor],
) -> None:
    connection, far, reactor = twisted_pair
    big = bytes(range(256)) * 16_384  # 4 MiB: more than a socket buffer takes at once

    connection.write(big)  # type: ignore[attr-defined]
    connection.write(b"tail")  # type: ignore[attr-defined]

    assert connection in reactor.writers  # the rest waits for writability, as before
    received = [_drain(far)]
    while connection in reactor.writers:
        assert connection.doWrite() is None  # type: ignore[attr-defined]
        received.append(_drain(far))
    received.append(_drain(far))
    assert b"".join(received) == big + b"tail"
