"""Analysis layer: the sentence-embedding scorer shipped with the project (default install).

The model is a *static* distillation of all-MiniLM-L6-v2 (Apache-2.0): one vector per token
of MiniLM's WordPiece vocabulary, made by running each token through the transformer alone
(mean pooling, as the sentence model pools), reducing the vectors to :data:`DIMS` dimensions
by PCA and weighting tokens by an estimate of their rarity (smooth inverse frequency), the
recipe of model2vec. A text's embedding is the mean of its tokens' vectors, normalised:
a dictionary look-up and a sum per word, so embedding the 5 x 2,000 labels of a large merge
takes milliseconds, with no torch and no download. The weights (``models/``, int8 with a
scale per token, 7 MB; how they were made: ``tools/distill_static_model.py``) are verified by
SHA-256 when loaded, and a missing or altered file is refused with :class:`ModelError`
rather than used. Embeddings are cached per text (the labels and the failure modes recur
from one call to the next: :class:`~trees.analysis.text.cache.TextCache`).

It compares meanings less well than the transformer it comes from (a word's vector does not
depend on the words around it), so it is blended with the word scores, never used alone.
The transformer itself (:mod:`trees.analysis.text.contextual`) reads sentences but costs
about 3 ms a label: :func:`load_embedder` gives it to callers that say they embed at most
:data:`CONTEXTUAL_MAX_TEXTS` distinct texts, and this model otherwise.

What it adds:
- merge (through :func:`load_embedder`):
  candidate pairs from each label's nearest labels in meaning, and a label score blended
  with the calibrated cosine of the two labels, so paraphrases that share no words ("Race
  dynamics" ~ "Competitive pressure") reach the review queue;
- failure modes (:mod:`trees.analysis.vocabulary.meaning`): a critique that no vocabulary
  phrase matches is read as the mode nearest to it in meaning, when clearly nearest.
Set ``GAMETREE_SEMANTIC=0`` to switch both off, ``GAMETREE_SEMANTIC=static`` to keep this one
only.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trees.analysis.text import contextual
from trees.analysis.text.cache import TextCache
from trees.analysis.text.similarity import Embedder
from trees.analysis.text.weights import MODEL_DIR, ModelError, read_verified
from trees.analysis.text.wordpiece import WordPiece

__all__ = [
    "MODEL_DIR",
    "ModelError",
    "StaticModel",
    "available",
    "load_embedder",
    "model",
    "model_name",
    "static_only",
    "switched_off",
]

MODEL_FILE = MODEL_DIR / "minilm-l6-static.npz"
# SHA-256 of MODEL_FILE: the weights are refused when they differ (models/LICENSE says
# where they come from)
MODEL_SHA256 = "1526a4202c70b82014eb5da5bbf1673dbb84e1739bfecae2fc1a76666c65a8ee"
DIMS = 256
EMBED_BLOCK = 1024  # texts embedded per block
# distinct texts up to which load_embedder(texts=...) gives the transformer: about 1.5 s of
# one core when none is cached (bench/analysis_speed.py embed: ~3 ms a label); above, the
# static model (the 5 x 2,000-node merge embeds ~5,000 labels in tens of milliseconds)
CONTEXTUAL_MAX_TEXTS = 500
CACHE_SIZE = 50_000  # texts whose vectors are kept between calls (~1 KB each)

log = logging.getLogger(__name__)


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
        data = read_verified(path, sha256)
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            vocab = str(npz["vocab"].item()).split("\n")
            codes = npz["codes"]
            scales = npz["scales"]
        self.vectors: np.ndarray[Any, np.dtype[np.float32]] = (
            codes.astype(np.float32) * scales.astype(np.float32)[:, None]
        )
        self.dims = int(self.vectors.shape[1])
        self.tokenizer = WordPiece({t: i for i, t in enumerate(vocab)})
        self.cache = TextCache(CACHE_SIZE, self.dims)

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
        return self.cache.embed(texts, self._embed)


_MODEL: StaticModel | None = None
_MODEL_LOCK = threading.Lock()


def model() -> StaticModel:
    """The shipped model, loaded and verified once per process (raises :class:`ModelError`)."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            _MODEL = StaticModel()
        return _MODEL


def static_only() -> bool:
    """Is the transformer switched off by ``GAMETREE_SEMANTIC=static`` (static model only)?"""
    return os.environ.get("GAMETREE_SEMANTIC", "1").strip().lower() == "static"


def load_embedder(texts: int | None = None) -> Embedder | None:
    """The shipped sentence-embedding model to use, or ``None`` when switched off.

    ``texts``: how many distinct texts the caller is about to embed. When given and at most
    :data:`CONTEXTUAL_MAX_TEXTS`, the transformer (:func:`contextual.model`: it reads
    sentences, at about 3 ms a label on one core); above, or when not given, the static
    model (a dictionary look-up per word; callers that do not say were calibrated on its
    cosines). The two models' cosines differ: a caller whose thresholds depend on cosine
    values keeps one set per model (see :func:`model_name`).
    Raises :class:`ModelError` when the weights are missing or fail the SHA-256 check.
    """
    if switched_off():
        return None
    if texts is not None and texts <= CONTEXTUAL_MAX_TEXTS and not static_only():
        return contextual.model()
    return model()


def model_name(embedder: Embedder) -> str:
    """``"contextual"`` or ``"static"``: which shipped model an embedder is (another
    callable, as tests pass, counts as static)."""
    return "contextual" if isinstance(embedder, contextual.ContextualModel) else "static"
