"""gametree/serving.py: a serving worker's garbage-collection policy and autobahn logging."""

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


def test_a_serving_worker_stops_autobahn_formatting_debug_arguments_for_every_frame() -> None:
    from autobahn.twisted import websocket as twisted_websocket
    from autobahn.websocket import protocol

    import gametree.asgi  # noqa: F401  (applies it, as daphne does on import)

    for module in (protocol, twisted_websocket):
        assert module.hltype is serving._plain
        assert module.hlval(42) == 42
