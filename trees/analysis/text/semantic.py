"""Analysis layer: the sentence-embedding scorer shipped with the project (default install).

The model is a *static* distillation of all-MiniLM-L6-v2 (Apache-2.0): one vector per token
of MiniLM's WordPiece vocabulary, made by running each token through the transformer alone
(mean pooling, as the sentence model pools), reducing the vectors to :data:`DIMS` dimensions
by PCA and weighting tokens by an estimate of their rarity (smooth inverse frequency), the
recipe of model2vec. A text's embedding is the mean of its tokens' vectors, normalised:
a dictionary look-up and a sum per word, so embedding the 5 x 2,000 labels of a large merge
takes milliseconds, with no torch and no download. The weights (``models/``, int8 with a
scale per token, about 8 MB; how they were made: ``models/distill.py``) are verified by
SHA-256 when loaded, and a missing or altered file is refused with :class:`ModelError`
rather than used. Embeddings are cached per text (the labels and the failure modes recur
from one call to the next).

It compares meanings less well than the transformer it comes from (a word's vector does not
depend on the words around it), so it is blended with the word scores, never used alone.

What it adds:
- merge (through :func:`load_embedder`):
  candidate pairs from each label's nearest labels in meaning, and a label score blended
  with the calibrated cosine of the two labels, so paraphrases that share no words ("Race
  dynamics" ~ "Competitive pressure") reach the review queue;
- failure modes (:mod:`trees.analysis.vocabulary.meaning`): a critique that no vocabulary
  phrase matches is read as the mode nearest to it in meaning, when clearly nearest.
Set ``GAMETREE_SEMANTIC=0`` to switch it off.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trees.analysis.text.similarity import Embedder
from trees.analysis.text.wordpiece import WordPiece

MODEL_DIR = Path(__file__).resolve().parents[1] / "models"
MODEL_FILE = MODEL_DIR / "minilm-l6-static.npz"
# SHA-256 of MODEL_FILE: the weights are refused when they differ (models/LICENSE says
# where they come from)
MODEL_SHA256 = "1526a4202c70b82014eb5da5bbf1673dbb84e1739bfecae2fc1a76666c65a8ee"
DIMS = 256
EMBED_BLOCK = 1024  # texts embedded per block
CACHE_SIZE = 50_000  # texts whose vectors are kept between calls (~1 KB each)

log = logging.getLogger(__name__)


class ModelError(RuntimeError):
    """The shipped model's weights are missing or not the ones this code was written for."""


def switched_off() -> bool:
    """Is the scorer switched off by ``GAMETREE_SEMANTIC=0`` (or false / no / off)?"""
    return os.environ.get("GAMETREE_SEMANTIC", "1").strip().lower() in {"0", "false", "no", "off"}


def available() -> bool:
    """Is the scorer on (not switched off by ``GAMETREE_SEMANTIC=0``)?"""
    return not switched_off()


class StaticModel:
    """Token vectors and the tokenizer that cuts texts into those tokens.

    Calling it embeds texts: an ``(n, dims)`` float32 array of unit rows (a zero row for a
    text without a single known token). Thread-safe: merges run in background threads.
    """

    def __init__(self, path: Path = MODEL_FILE, sha256: str = MODEL_SHA256) -> None:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ModelError(
                f"the sentence-embedding model {path} cannot be read ({e.strerror}); it ships "
                "with the project: reinstall it, or set GAMETREE_SEMANTIC=0 to work without it"
            ) from e
        digest = hashlib.sha256(data).hexdigest()
        if digest != sha256:
            raise ModelError(
                f"the sentence-embedding model {path} has SHA-256 {digest}, expected {sha256}: "
                "refusing weights that are not the shipped ones (reinstall the project, or set "
                "GAMETREE_SEMANTIC=0 to work without it)"
            )
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            vocab = str(npz["vocab"].item()).split("\n")
            codes = npz["codes"]
            scales = npz["scales"]
        self.vectors: np.ndarray[Any, np.dtype[np.float32]] = (
            codes.astype(np.float32) * scales.astype(np.float32)[:, None]
        )
        self.dims = int(self.vectors.shape[1])
        self.tokenizer = WordPiece({t: i for i, t in enumerate(vocab)})
        self._cache: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}
        self._lock = threading.Lock()

    def _embed(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        # by blocks: the token rows of 20,000 critiques gathered at once were 300 MB, and
        # allocating them cost more than the sums
        if len(texts) > EMBED_BLOCK:
            return np.concatenate(
                [
                    self._embed(texts[lo : lo + EMBED_BLOCK])
                    for lo in range(0, len(texts), EMBED_BLOCK)
                ]
            )
        ids: list[int] = []
        starts: list[int] = []
        empty: list[int] = []
        for k, t in enumerate(texts):
            got = self.tokenizer.encode(t)
            if not got:
                empty.append(k)
                got = [self.tokenizer.unknown]  # a placeholder row, zeroed below
            starts.append(len(ids))
            ids.extend(got)
        sums = np.add.reduceat(self.vectors[np.asarray(ids, dtype=np.intp)], starts, axis=0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        norms[norms == 0.0] = 1.0
        out: np.ndarray[Any, np.dtype[np.float32]] = (sums / norms).astype(np.float32)
        out[empty] = 0.0
        return out

    def __call__(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        out = np.empty((len(texts), self.dims), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            cache = self._cache
            todo: dict[str, list[int]] = {}
            for k, t in enumerate(texts):
                row = cache.get(t)
                if row is None:
                    todo.setdefault(t, []).append(k)
                else:
                    out[k] = row
            if todo:
                fresh = self._embed(list(todo))
                # start afresh rather than let a long-running server keep every text it saw
                if len(cache) + len(todo) > CACHE_SIZE:
                    cache.clear()
                for (t, where), row in zip(todo.items(), fresh, strict=True):
                    out[where] = row
                    if len(cache) < CACHE_SIZE:
                        cache[t] = row.copy()
        return out


_MODEL: StaticModel | None = None
_MODEL_LOCK = threading.Lock()


def model() -> StaticModel:
    """The shipped model, loaded and verified once per process (raises :class:`ModelError`)."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            _MODEL = StaticModel()
        return _MODEL


def load_embedder() -> Embedder | None:
    """The shipped sentence-embedding model, or ``None`` when switched off.

    Raises :class:`ModelError` when its weights are missing or fail the SHA-256 check.
    """
    return None if switched_off() else model()
