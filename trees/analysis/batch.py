"""Analysis layer: helpers for batch computations.

``no_gc``: the analysis functions allocate hundreds of thousands of small, acyclic objects
(dicts, tuples, lists) and free almost all of them at the end. CPython's cyclic collector
would walk the growing heap again and again while they are built (a pass over the oldest
generation costs time proportional to everything alive), which made a run on twice the
nodes cost 2.5-4x instead of 2x and spent up to half of the survival time in the collector.
Reference counting still frees everything; only the cycle detector pauses, and it is
restored (if it was on) when the computation returns or raises. The switch is process-wide:
a thread running alongside simply does not collect cycles for that long.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for one batch computation (re-entrant)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def batch(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`no_gc`."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with no_gc():
            return fn(*args, **kwargs)

    return run
