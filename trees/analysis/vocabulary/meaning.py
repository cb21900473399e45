"""Analysis layer: failure modes read from a critique's meaning (the shipped sentence-embedding
model, :mod:`trees.analysis.text.semantic`), where the vocabulary's phrases say too little.

A mode's meaning is the embedding of its words (label, description, names and cues). Two
readings use it, both weaker evidence than a phrase and shown as such ("meaning 0.52"):

- a critique no phrase reads is read as the mode nearest to it in meaning, when that cosine is
  at least :data:`SEMANTIC_MIN` and ahead of the next mode by :data:`SEMANTIC_MARGIN`;
- a critique with only a one-word cue ("competitors", "loophole": :data:`WEIGHT_WORD`, too
  little on its own) is read as the cue's mode when its meaning agrees: the cue's family is
  within :data:`CONFIRM_GAP` of the family nearest in meaning (two weak pieces of evidence
  that point the same way).

:func:`family_in_meaning` reads a whole cluster of critiques by the mean of their vectors,
which averages out much of one sentence's noise (the static model reads a single sentence
poorly: its texts sit near the middle of its space).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from trees.analysis.taxonomy import Family, Mode
from trees.analysis.text.similarity import Embedder
from trees.analysis.vocabulary.modes import MIN_SCORE, WEIGHT_WORD, ModeMatch, Vocabulary

SEMANTIC_MIN = 0.45
SEMANTIC_MARGIN = 0.06
CONFIRM_GAP = 0.03
# a cluster's mean vector is read as a family when that family is this far ahead of the next
FAMILY_MARGIN = 0.03

_PATTERN_NOISE = re.compile(r"[{][^}]*[}]|[*~]")

Matrix = np.ndarray[Any, np.dtype[np.float32]]


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


def mode_vectors(vocabulary: Vocabulary, embed: Embedder) -> Matrix:
    """One unit vector per mode of the vocabulary, in its order (the embedder caches texts)."""
    if not vocabulary.modes:
        return np.zeros((0, 0), dtype=np.float32)
    return np.asarray(embed([mode_text(m) for m in vocabulary.modes]), dtype=np.float32)


def family_sims(vocabulary: Vocabulary, sims: Matrix) -> tuple[list[str], Matrix]:
    """Family ids (vocabulary order) and, per row of mode cosines, each family's best mode."""
    order = list(dict.fromkeys(m.family for m in vocabulary.modes))
    cols = [[k for k, m in enumerate(vocabulary.modes) if m.family == f] for f in order]
    out = np.stack([sims[:, c].max(axis=1) for c in cols], axis=1) if order else sims[:, :0]
    return order, out.astype(np.float32)


def semantic_modes(
    vocabulary: Vocabulary,
    texts: Sequence[str],
    embed: Embedder,
    weak: Sequence[ModeMatch | None] | None = None,
) -> list[ModeMatch | None]:
    """For each text the mode it reads as in meaning, or ``None`` (see :func:`read_by_meaning`)."""
    if not texts or not vocabulary.modes:
        return [None] * len(texts)
    sims = np.asarray(embed(list(texts)), dtype=np.float32) @ mode_vectors(vocabulary, embed).T
    return read_by_meaning(vocabulary, sims, weak)


def read_by_meaning(
    vocabulary: Vocabulary,
    sims: Matrix,
    weak: Sequence[ModeMatch | None] | None = None,
) -> list[ModeMatch | None]:
    """For each row of mode cosines (one text) the mode it reads as in meaning, or ``None``:
    nearest clearly enough, or a one-word cue (``weak``, the text's best phrase evidence when
    too little on its own) that meaning confirms."""
    n = sims.shape[0]
    if n == 0 or not vocabulary.modes:
        return [None] * n
    fam_ids, fams = family_sims(vocabulary, sims)
    fam_col = {f: k for k, f in enumerate(fam_ids)}
    modes = vocabulary.modes
    out: list[ModeMatch | None] = []
    for r in range(n):
        row = sims[r]
        order = np.argsort(-row, kind="stable")
        best, k = float(row[order[0]]), int(order[0])
        second = float(row[order[1]]) if len(order) > 1 else 0.0
        hint = weak[r] if weak is not None else None
        if best >= SEMANTIC_MIN and best - second >= SEMANTIC_MARGIN:
            out.append(
                ModeMatch(modes[k], round(best, 3), round(best, 3), (f"meaning {best:.2f}",))
            )
        elif hint is not None and hint.score >= WEIGHT_WORD - 1e-9:
            f = fams[r]
            near = float(f[fam_col[hint.mode.family]])
            if near >= float(f.max()) - CONFIRM_GAP:
                score = round(min(MIN_SCORE, hint.score + near * (MIN_SCORE - WEIGHT_WORD)), 3)
                out.append(
                    ModeMatch(
                        hint.mode,
                        score,
                        round(min(hint.confidence + 0.1, score), 3),
                        (*hint.evidence, f"meaning {near:.2f}"),
                    )
                )
            else:
                out.append(None)
        else:
            out.append(None)
    return out


def family_in_meaning(vocabulary: Vocabulary, centroid_sims: Matrix) -> Family | None:
    """The family a cluster's mean vector (given as its cosines with the modes) is nearest to,
    when clearly ahead of the next family."""
    if centroid_sims.size == 0:
        return None
    fam_ids, fams = family_sims(vocabulary, centroid_sims.reshape(1, -1))
    row = fams[0]
    order = np.argsort(-row, kind="stable")
    if len(order) > 1 and float(row[order[0]] - row[order[1]]) < FAMILY_MARGIN:
        return None
    return vocabulary.families[fam_ids[int(order[0])]]
