"""Analysis layer: the all-MiniLM-L6-v2 sentence transformer, run in numpy.

The contextual counterpart of the static model (:mod:`trees.analysis.text.semantic`): the
whole 6-layer BERT encoder of sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), so a
word's vector depends on the words around it and a sentence is read as a sentence
("Nobody can read the numbers inside it" ~ "Interpretability is immature"). It computes
what sentence-transformers computes for this model: ``[CLS] tokens [SEP]`` (at most
:data:`MAX_TOKENS`), token + position + token-type embeddings, LayerNorm, six layers of
12-head self-attention (padding masked) and GELU feed-forward, each followed by a residual
LayerNorm, then the mean of the last hidden states over the text's tokens, L2-normalised
(tests/analysis/test_analysis_contextual.py checks cosine >= 0.99 with vectors the
original computed). Plain numpy, no torch: the dense products run on the texts' tokens
packed together (no padding), only attention pads, per batch of texts of similar length.

The weights (``models/minilm-l6.npz``, 21 MB: int8 matrices with a scale per row) are that
model fine-tuned on the ways people name alignment problems (``tools/finetune_minilm.py``:
its upper three layers, on the concept glossary, the failure-mode vocabulary and texts
written for it, never on a quality set), then compacted by ``tools/export_minilm.py``;
they are verified by SHA-256 when first used; a missing or altered file raises
:class:`ModelError`.
It costs about a millisecond per short label on one core (a thousand times the static
model), so :func:`trees.analysis.text.semantic.load_embedder` uses it for analyses of up to
``semantic.CONTEXTUAL_MAX_TEXTS`` texts. Embeddings are kept per text
(:class:`~trees.analysis.text.cache.TextCache`, least recently used dropped first).
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trees.analysis.text.cache import TextCache
from trees.analysis.text.weights import MODEL_DIR, ModelError, read_verified
from trees.analysis.text.wordpiece import WordPiece

__all__ = ["MODEL_DIR", "ContextualModel", "ModelError", "model"]

MODEL_FILE = MODEL_DIR / "minilm-l6.npz"
# SHA-256 of MODEL_FILE: weights that differ are refused (models/LICENSE says where they
# come from; tools/export_minilm.py prints it)
MODEL_SHA256 = "381be6942845ee334d28f8862c57474316be80fa98893bd81f1ceaa06c8daa9f"
DIMS = 384
HEADS = 12
LAYERS = 6
LN_EPS = 1e-12
MAX_TOKENS = 128  # [CLS] + 126 word pieces + [SEP]; a label is 5-15, a critique 20-60
BATCH_TOKENS = 2048  # tokens per forward batch: big enough for BLAS, small in memory
CACHE_SIZE = 20_000  # texts whose vectors are kept between calls (1.5 KB each)

Matrix = np.ndarray[Any, np.dtype[np.float32]]


def _layer_norm(x: Matrix, w: Matrix, b: Matrix) -> Matrix:
    mean = x.mean(axis=-1, keepdims=True)
    x = x - mean
    var = np.mean(np.square(x), axis=-1, keepdims=True)
    x *= 1.0 / np.sqrt(var + LN_EPS)
    x *= w
    x += b
    return x


GELU_ROWS = 128  # tokens per GELU step: its temporaries stay in the CPU cache


def _gelu(x: Matrix) -> Matrix:
    """GELU in place, by its tanh form: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).

    BERT's GELU is exact (with erf); the tanh form is within 5e-4 of it, and the sentence
    vectors of the reference texts moved by less than 2e-6 in cosine, while an erf in numpy
    (no erf there) cost a quarter of the whole forward pass. Done by blocks of rows: on the
    (tokens, 1536) matrix at once each step streamed 18 MB through memory.
    """
    c = np.float32(math.sqrt(2.0 / math.pi))
    for lo in range(0, x.shape[0], GELU_ROWS):
        v = x[lo : lo + GELU_ROWS]
        y = v * v
        y *= np.float32(0.044715)
        y += 1.0
        y *= v
        y *= c
        np.tanh(y, out=y)
        y += 1.0
        y *= 0.5
        v *= y
    return x


def _dequantise(npz: Any, key: str) -> Matrix:
    """A stored int8 matrix as float32, transposed for ``x @ W`` (rows of x are tokens)."""
    m: Matrix = npz[key + ".q"].astype(np.float32) * npz[key + ".s"][:, None]
    return np.ascontiguousarray(m.T)


class ContextualModel:
    """all-MiniLM-L6-v2's encoder and tokenizer; calling it embeds texts.

    Returns an ``(n, 384)`` float32 array of unit rows (a zero row for a text without a
    single word piece). Thread-safe: merges run in background threads.
    """

    def __init__(self, path: Path = MODEL_FILE, sha256: str = MODEL_SHA256) -> None:
        data = read_verified(path, sha256)
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            vocab = str(npz["vocab"].item()).split("\n")
            # token embeddings stay int8 (45 MB as float32), dequantised per batch
            self.tok_codes = npz["tok.q"]
            self.tok_scales = npz["tok.s"]
            self.pos: Matrix = npz["pos"] + npz["type0"]  # token type is always 0
            self.emb_ln = (npz["emb_ln.w"], npz["emb_ln.b"])
            self.layers: list[dict[str, Matrix]] = []
            for i in range(LAYERS):
                p = f"l{i}."
                layer = {k: npz[p + k] for k in ("qkv.b", "att_out.b", "ffn_in.b", "ffn_out.b")}
                layer |= {k: npz[p + k] for k in ("att_ln.w", "att_ln.b", "ffn_ln.w", "ffn_ln.b")}
                for k in ("qkv", "att_out", "ffn_in", "ffn_out"):
                    layer[k] = _dequantise(npz, p + k)
                # 1 / sqrt(head size) folded into the query weights: one multiply less
                scale = np.float32(1.0 / math.sqrt(DIMS // HEADS))
                layer["qkv"][:, :DIMS] *= scale
                layer["qkv.b"][:DIMS] *= scale
                self.layers.append(layer)
        token = {t: i for i, t in enumerate(vocab)}
        self.tokenizer = WordPiece(token)
        self.cls, self.sep = token["[CLS]"], token["[SEP]"]
        self.cache = TextCache(CACHE_SIZE, DIMS)

    def ids(self, text: str) -> list[int]:
        """``[CLS]``, the text's word pieces (cut to fit :data:`MAX_TOKENS`), ``[SEP]``."""
        return [self.cls, *self.tokenizer.encode(text)[: MAX_TOKENS - 2], self.sep]

    def forward(self, batch: Sequence[Sequence[int]]) -> Matrix:
        """Unit sentence vectors of token-id sequences (each with [CLS] ... [SEP])."""
        n = len(batch)
        lengths = np.fromiter(map(len, batch), dtype=np.intp, count=n)
        width = int(lengths.max())
        # the dense layers run on the tokens packed together; attention on a padded
        # (texts, width) grid: ``where`` places each packed token on the grid
        valid = np.arange(width)[None, :] < lengths[:, None]
        where = np.flatnonzero(valid)
        positions = np.nonzero(valid)[1]
        ids = np.fromiter((i for seq in batch for i in seq), dtype=np.intp, count=where.size)
        x = self.tok_codes[ids].astype(np.float32)
        x *= self.tok_scales[ids, None]
        x += self.pos[positions]
        x = _layer_norm(x, *self.emb_ln)
        # padded keys get -inf-like scores: their softmax weight is exactly 0
        key_mask = np.where(valid, np.float32(0.0), np.float32(-1e9))[:, None, None, :]
        head = DIMS // HEADS
        tokens = where.size
        for layer in self.layers:
            qkv = x @ layer["qkv"]
            qkv += layer["qkv.b"]
            grid = np.zeros((n * width, 3 * DIMS), dtype=np.float32)
            grid[where] = qkv
            # (texts, width, 3, heads, head) -> 3 x (texts, heads, width, head)
            q, k, v = grid.reshape(n, width, 3, HEADS, head).transpose(2, 0, 3, 1, 4)
            scores = q @ k.transpose(0, 1, 3, 2)
            scores += key_mask
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n * width, DIMS)[where]
            attended = context @ layer["att_out"]
            attended += layer["att_out.b"]
            attended += x
            x = _layer_norm(attended, layer["att_ln.w"], layer["att_ln.b"])
            hidden = x @ layer["ffn_in"]
            hidden += layer["ffn_in.b"]
            out = _gelu(hidden) @ layer["ffn_out"]
            out += layer["ffn_out.b"]
            out += x
            x = _layer_norm(out, layer["ffn_ln.w"], layer["ffn_ln.b"])
        assert x.shape == (tokens, DIMS)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        sums = np.add.reduceat(x, starts, axis=0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        pooled: Matrix = sums / np.maximum(norms, np.float32(1e-12))
        return pooled

    def embed_uncached(self, texts: Sequence[str]) -> Matrix:
        """Vectors of texts, computed afresh (the cache neither read nor filled)."""
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        encoded = [self.ids(t) for t in texts]
        # texts of similar length together (little padding in attention), longest first
        order = sorted(
            (k for k, seq in enumerate(encoded) if len(seq) > 2), key=lambda k: -len(encoded[k])
        )
        lo = 0
        while lo < len(order):
            width = len(encoded[order[lo]])
            hi = min(len(order), lo + max(1, BATCH_TOKENS // width))
            chunk = order[lo:hi]
            out[chunk] = self.forward([encoded[k] for k in chunk])
            lo = hi
        return out

    def __call__(self, texts: Sequence[str]) -> Matrix:
        return self.cache.embed(texts, self.embed_uncached)


_MODEL: ContextualModel | None = None
_MODEL_LOCK = threading.Lock()


def model() -> ContextualModel:
    """The shipped transformer, loaded and verified once per process on first use (raises
    :class:`ModelError`)."""
    global _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            _MODEL = ContextualModel()
        return _MODEL
