"""Analysis layer: the vectors of texts a sentence-embedding model already computed.

Both shipped models (:mod:`~trees.analysis.text.semantic`, static, and
:mod:`~trees.analysis.text.contextual`, the transformer) keep their vectors between calls in
a :class:`TextCache` of their own, so the two models' vectors never mix (they differ in
size and in meaning). Labels and failure modes recur from one merge to the next; the
transformer costs milliseconds a text, so a merge run again costs nothing to embed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

Matrix = np.ndarray[Any, np.dtype[np.float32]]


class TextCache:
    """Vectors of texts by one model: at most ``size`` texts, the least recently used
    dropped first, so a long-running server does not keep every text it saw.

    Thread-safe (merges run in background threads): a call holds the lock while it computes
    what it lacks, so threads embedding the same texts at once compute them once, and each
    gets the vectors the first computed.
    """

    def __init__(self, size: int, dims: int) -> None:
        if size < 1:
            raise ValueError(f"a text cache holds at least one text, not {size}")
        self.size = size
        self.dims = dims
        self._rows: OrderedDict[str, Matrix] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    def __contains__(self, text: object) -> bool:
        with self._lock:
            return text in self._rows

    def texts(self) -> list[str]:
        """The texts kept, least recently used first."""
        with self._lock:
            return list(self._rows)

    def embed(self, texts: Sequence[str], compute: Callable[[list[str]], Matrix]) -> Matrix:
        """An ``(n, dims)`` float32 array: the kept vector of each text, and for the others
        ``compute`` called once with each missing text once (in first-seen order), its rows
        kept."""
        out = np.empty((len(texts), self.dims), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            rows = self._rows
            todo: dict[str, list[int]] = {}
            for k, t in enumerate(texts):
                row = rows.get(t)
                if row is None:
                    todo.setdefault(t, []).append(k)
                else:
                    rows.move_to_end(t)
                    out[k] = row
            if todo:
                fresh = compute(list(todo))
                for (t, where), row in zip(todo.items(), fresh, strict=True):
                    out[where] = row
                    # a copy: a view would keep the whole computed batch alive
                    rows[t] = row.copy()
                while len(rows) > self.size:
                    rows.popitem(last=False)
        return out
