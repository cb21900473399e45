"""Analysis layer: a failure mode read from a critique's meaning, where no vocabulary phrase
matches it (the shipped sentence-embedding model, :mod:`trees.analysis.text.semantic`).

A critique is read as the mode whose words (label, description, names and cues) it is closest
to in meaning, when that cosine is at least :data:`SEMANTIC_MIN` and ahead of the next mode
by :data:`SEMANTIC_MARGIN`: a weaker kind of evidence than a phrase, shown as such ("meaning
0.52").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from trees.analysis.taxonomy import Mode
from trees.analysis.text.similarity import Embedder
from trees.analysis.vocabulary.modes import ModeMatch, Vocabulary

SEMANTIC_MIN = 0.45
SEMANTIC_MARGIN = 0.06

_PATTERN_NOISE = re.compile(r"[{][^}]*[}]|[*~]")


def _pattern_words(pattern: str) -> str:
    """A vocabulary pattern as plain words: slots of alternatives keep their first word,
    word classes and wildcards go ("gam* {measure}" -> "gam")."""
    words = [part.split("|")[0] for part in pattern.split()]
    return " ".join(w for w in (_PATTERN_NOISE.sub("", w) for w in words) if w)


def mode_text(mode: Mode) -> str:
    """What a mode means, in words the model can compare with a critique: its label,
    description, names and cues."""
    extra = "; ".join(dict.fromkeys(_pattern_words(p) for p in (*mode.aliases, *mode.cues)))
    return f"{mode.label}. {mode.description} {extra}".strip()


def semantic_modes(
    vocabulary: Vocabulary, texts: Sequence[str], embed: Embedder
) -> list[ModeMatch | None]:
    """For each text the mode nearest in meaning, or ``None`` when none is clearly near."""
    if not texts or not vocabulary.modes:
        return [None] * len(texts)
    modes = vocabulary.modes
    mode_vectors = np.asarray(embed([mode_text(m) for m in modes]), dtype=np.float32)
    sims = np.asarray(embed(list(texts)), dtype=np.float32) @ mode_vectors.T
    out: list[ModeMatch | None] = []
    for row in sims:
        order = np.argsort(-row, kind="stable")
        best, k = float(row[order[0]]), int(order[0])
        second = float(row[order[1]]) if len(order) > 1 else 0.0
        if best >= SEMANTIC_MIN and best - second >= SEMANTIC_MARGIN:
            out.append(
                ModeMatch(modes[k], round(best, 3), round(best, 3), (f"meaning {best:.2f}",))
            )
        else:
            out.append(None)
    return out
