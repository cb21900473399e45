"""Analysis layer: failure modes read from a critique by example (no Django).

The vocabulary's phrases (:mod:`trees.analysis.vocabulary.modes`) were written from the
field's usual terms, and on critiques written by people who never saw them they read only a
third of the critiques into the right family. The reader is a linear classifier over the
shipped transformer's sentence vectors (:mod:`trees.analysis.text.contextual`), trained on
1,530 critiques labelled with a mode, written in a workshop's range of voices
(``tools/train_reader.py``, ``tools/reader/``): trained on three of its four authors it reads
the fourth's critiques into the right family 81% of the time. It gives, for each critique, a
probability per mode; a family's probability is the sum over its modes.

Two readings use it (evidence "examples 0.62", weaker than a phrase and shown as such):

- a critique no phrase reads is read as the reader's family when that family's probability
  is at least :data:`READ_MIN` (as the reader's most probable mode of it);
- a critique that phrases read without naming its mode (cues only, no alias) is read as the
  reader's family instead when the reader disagrees with at least :data:`OVERRULE_MIN`.

Modes the reader knows but a vocabulary lacks (a workshop's own vocabulary) are left out;
a vocabulary sharing no mode with it is not read by example at all. The weights
(``models/critique-reader.npz``, 70 KB) are verified by SHA-256 when loaded.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from trees.analysis.text import contextual
from trees.analysis.text.weights import MODEL_DIR, read_verified
from trees.analysis.vocabulary.modes import MIN_SCORE, WEIGHT_ALIAS, ModeMatch, Vocabulary

READER_FILE = MODEL_DIR / "critique-reader.npz"
# SHA-256 of READER_FILE: refused when it differs (models/LICENSE says how it was made)
READER_SHA256 = "27e94393fa56087ff93536a9e474747ecd8d8c2ab8bb170e087dc89e9cb95b73"
# A family's probability at which the reader reads a critique no phrase reads, and at which
# it overrules a reading by cues. Chosen on the development game trees (top mode first as
# one item: 14 of 23 without the reader, 16 with READ_MIN alone, 17 with both; OVERRULE_MIN
# anywhere from 0.6 to 0.8 gives 17): bench/RESULTS_analysis.md, round 17.
READ_MIN = 0.45
OVERRULE_MIN = 0.7
# Distinct critiques up to which they are read by example: the transformer costs about 11 ms
# a critique when none is cached (bench/analysis_speed.py reader), so a group's game tree
# (30-60 critiques) is read in well under a second and 200 critiques in about 2 s the first
# time (vectors are cached per text after). The limit is per tree (a tree is read alike alone
# or with others, trees/analysis/recurrence/failure_modes.py): larger trees (the 10,000-node
# bench tree) are read by phrases and the static model only, as before the reader.
MAX_TEXTS = 200
# Distinct critiques read by example in one analysis at most, over all its trees (each of at
# most MAX_TEXTS): a workshop's 13 groups' trees of 30-60 critiques fit (about 12 ms a
# critique the first time, 12 s at most; the live workshop board and the Analysis read them
# in processes of their own, off the live path: trees/realtime/board_worker.py,
# trees/analysis_service.recurring_report); an analysis of more trees reads the trees past it
# by phrases and the static model.
MAX_TEXTS_READ = 1000
# Tree-level priors (Saerens, Latinne & Decaestecker 2002, one EM step, damped): the reader
# learnt from as many critiques of each mode, but a tree's critiques lean to its own few
# failure modes; each critique's mode probabilities are re-weighted by how much more common
# its family is in its tree than in the reader's corpus, to this power
# (:func:`adjust_to_tree_prior`; bench/RESULTS_analysis.md, round 20). False: as before.
TREE_PRIORS = False
TREE_PRIOR_POWER = 0.5

Matrix = np.ndarray[Any, np.dtype[np.float32]]


class ExampleReader:
    """The trained critique reader; calling it on texts gives each text's mode probabilities
    (rows sum to 1, columns in :attr:`modes` order). Thread-safe."""

    def __init__(self, path: Any = READER_FILE, sha256: str = READER_SHA256) -> None:
        data = read_verified(path, sha256)
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            self.weights: Matrix = npz["W"].astype(np.float32)
            self.bias: Matrix = npz["b"].astype(np.float32)
            self.modes: tuple[str, ...] = tuple(str(m) for m in npz["modes"])

    def probabilities(self, vectors: Matrix) -> Matrix:
        """Softmax of the linear scores of sentence vectors (one row per text)."""
        z = vectors @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        p: Matrix = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return p

    def __call__(self, texts: Sequence[str]) -> Matrix:
        return self.probabilities(np.asarray(contextual.model()(texts), dtype=np.float32))


_READER: ExampleReader | None = None
_LOCK = threading.Lock()


def reader() -> ExampleReader:
    """The shipped reader, loaded and verified once per process (raises
    :class:`~trees.analysis.text.weights.ModelError`)."""
    global _READER
    with _LOCK:
        if _READER is None:
            _READER = ExampleReader()
        return _READER


def read_by_examples(
    vocabulary: Vocabulary,
    reader_modes: Sequence[str],
    probs: Matrix,
    phrases: Sequence[ModeMatch | None],
) -> list[ModeMatch | None]:
    """Each text's reading after the reader's say (see the module docstring): ``phrases`` is
    what the vocabulary's phrases read (``None``: nothing, or too little), ``probs`` the
    reader's mode probabilities of the same texts (columns: ``reader_modes``)."""
    cols = [k for k, m in enumerate(reader_modes) if m in vocabulary.by_id]
    if not cols:
        return list(phrases)
    modes = [vocabulary.by_id[reader_modes[k]] for k in cols]
    families = list(dict.fromkeys(m.family for m in modes))
    member = np.zeros((len(cols), len(families)), dtype=np.float32)
    for j, m in enumerate(modes):
        member[j, families.index(m.family)] = 1.0
    p = probs[:, cols]
    fam = p @ member
    out: list[ModeMatch | None] = []
    for r, phrase in enumerate(phrases):
        f = int(np.argmax(fam[r]))
        share = float(fam[r, f])
        named = phrase is not None and phrase.score >= WEIGHT_ALIAS - 1e-9
        disagrees = phrase is not None and phrase.mode.family != families[f]
        if (phrase is None and share >= READ_MIN) or (
            disagrees and not named and share >= OVERRULE_MIN
        ):
            best = max(
                (j for j, m in enumerate(modes) if m.family == families[f]),
                key=lambda j: (float(p[r, j]), -j),
            )
            evidence = f"examples {share:.2f}"
            out.append(ModeMatch(modes[best], MIN_SCORE, round(share, 3), (evidence,)))
        else:
            out.append(phrase)
    return out


def adjust_to_tree_prior(
    vocabulary: Vocabulary,
    reader_modes: Sequence[str],
    probs: Matrix,
    power: float = TREE_PRIOR_POWER,
) -> Matrix:
    """The mode probabilities of one tree's critiques (rows of ``probs``, columns
    ``reader_modes``) adjusted to the tree's own family priors, by one damped step of
    Saerens et al.'s EM: the tree's prior of a family is the mean of its critiques' family
    probabilities, the reader's is the family's share of the modes (its corpus has as many
    critiques of each mode), and each mode's probability is multiplied by
    ``(tree prior / reader prior) ** power`` of its family, then each row renormalised.
    Modes the vocabulary lacks keep their weight (1)."""
    cols = [k for k, m in enumerate(reader_modes) if m in vocabulary.by_id]
    if not cols or len(probs) == 0:
        return probs
    families = list(dict.fromkeys(vocabulary.by_id[reader_modes[k]].family for k in cols))
    member = np.zeros((probs.shape[1], len(families)), dtype=np.float64)
    for k in cols:
        member[k, families.index(vocabulary.by_id[reader_modes[k]].family)] = 1.0
    p = probs.astype(np.float64)
    fam = p @ member
    fam /= fam.sum(axis=1, keepdims=True) + 1e-12
    reader_prior = member.sum(axis=0) / member.sum()
    tree_prior = fam.mean(axis=0)
    weight = np.ones(probs.shape[1])
    weight[cols] = (member[cols] @ (tree_prior / reader_prior)) ** power
    out = p * weight[None, :]
    out /= out.sum(axis=1, keepdims=True)
    return out.astype(np.float32)
