"""Analysis layer: the number of BLAS threads, pinned on import (by :mod:`trees.analysis`).

One thread unless ``OPENBLAS_NUM_THREADS`` says otherwise. The products are small and many;
OpenBLAS's extra threads spin while they wait, which on a busy 2-core machine tripled the
CPU time of merge's nearest-in-meaning search (and took the core the live path needs).

The variable alone is not enough: OpenBLAS reads it once, when numpy loads, so in a process
that imported numpy before :mod:`trees.analysis` (a test module, a tool, the server's own
imports) it ran with one thread per core. And a product's last bits depend on how many
threads shared it: a merge's nearest-in-meaning ranking then broke near-ties the other way
(the 4 x 250-label synthetic merge gave 415 suggestions instead of 418), so a result
depended on what the process had imported first. The count is therefore also set on the
loaded library, whatever loaded it.
"""

from __future__ import annotations

import os

import numpy  # noqa: F401  (loaded before the limit is set, so that there is a library to set)
from threadpoolctl import threadpool_limits


def blas_threads() -> int:
    """The BLAS thread count the analysis layer runs with: ``OPENBLAS_NUM_THREADS`` or 1."""
    try:
        return max(1, int(os.environ.get("OPENBLAS_NUM_THREADS", "1")))
    except ValueError:
        return 1


def pin_blas_threads() -> None:
    """Set the loaded BLAS libraries to :func:`blas_threads` threads, for the whole process."""
    threadpool_limits(limits=blas_threads(), user_api="blas")


pin_blas_threads()
