"""Analysis layer: which failure modes of a vocabulary a critique reads as (concept evidence).

Word overlap cannot group "learns to fool the probe" with "only a proxy for quality": they
share no words, yet both are Goodhart. A vocabulary of failure modes (by default the starter
taxonomy in :mod:`trees.analysis.taxonomy`) names each mode and lists the phrases that point
at it; a critique that contains them reads as that mode. The evidence is additive and
explainable ("proxy gaming: 'fool the probe', 'optimisation pressure'"):

- an alias (a name of the mode) counts :data:`WEIGHT_ALIAS`: one is enough;
- a cue of two or more slots counts :data:`WEIGHT_PHRASE`: one is enough;
- a one-word cue (or a weak one, ``~``) counts :data:`WEIGHT_WORD`: it needs support.

A critique reads as a mode when the mode's evidence reaches :data:`MIN_SCORE` and beats every
other mode (ties: the earlier mode of the vocabulary). Words are compared after the light
stemming of :mod:`trees.analysis.text.similarity` or by prefix (``optimi*``), after contractions
are folded and glossary aliases expanded. Matching costs a few dictionary look-ups per word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from trees.analysis.taxonomy import (
    FAMILIES,
    MAX_GAP,
    STARTER_MODES,
    WORD_CLASSES,
    Family,
    Mode,
)
from trees.analysis.text.glossary import Glossary
from trees.analysis.text.similarity import normalise, stem

WEIGHT_ALIAS = 1.0
WEIGHT_PHRASE = 0.6
WEIGHT_WORD = 0.4
MIN_SCORE = 0.6
_WORD_CACHE_MAX = 200_000

_CANNOT = re.compile(r"\bcan['\u2019]?t\b", re.IGNORECASE)
_WONT = re.compile(r"\bwon['\u2019]t\b", re.IGNORECASE)
_NT = re.compile(r"n['\u2019]t\b", re.IGNORECASE)


def prepare(text: object, glossary: Glossary | None = None) -> list[str]:
    """The words of a text as patterns see them: contractions folded, normalised, aliases
    expanded ("can't" -> "cannot", "OOD" -> "out of distribution")."""
    s = str(text or "")
    s = _NT.sub(" not", _WONT.sub("will not", _CANNOT.sub("cannot", s)))
    norm = glossary.expand_text(s) if glossary is not None else normalise(s)
    return norm.split()


@dataclass(frozen=True, slots=True)
class ModeMatch:
    """How strongly a text reads as one mode, and the phrases that say so."""

    mode: Mode
    score: float  # summed evidence (aliases 1.0, phrases 0.6, words 0.4)
    confidence: float  # in 0..1: the score capped at 1, shared with a close runner-up
    evidence: tuple[str, ...]  # the matched spans of the text


@dataclass(frozen=True, slots=True)
class _Pattern:
    mode: int
    weight: float
    slots: tuple[frozenset[int], ...]


class Vocabulary:
    """Failure modes with compiled patterns; ``modes`` earlier in the list win ties.

    ``families`` name the groups modes belong to; a mode whose family is not listed is a
    family of its own.
    """

    def __init__(
        self,
        modes: Sequence[Mode] = STARTER_MODES,
        *,
        families: Sequence[Family] = FAMILIES,
        classes: Mapping[str, str] = WORD_CLASSES,
        glossary: Glossary | None = None,
    ) -> None:
        self.modes: tuple[Mode, ...] = tuple(modes)
        self.by_id: dict[str, Mode] = {}
        for m in self.modes:
            self.by_id.setdefault(m.id, m)
        self.families: dict[str, Family] = {f.id: f for f in families}
        for m in self.modes:
            self.families.setdefault(m.family, Family(m.family, m.label, m.description))
        self.glossary = glossary if glossary is not None else Glossary()
        self._atoms: dict[tuple[str, str], int] = {}
        self._exact: dict[str, int] = {}  # stem -> atom
        self._prefix: dict[str, int] = {}  # prefix -> atom
        self._classes = {name: self._slot(words.split()) for name, words in classes.items()}
        self.patterns: list[_Pattern] = []
        for k, m in enumerate(self.modes):
            for text in m.aliases:
                self._add(k, text, alias=True)
            for text in m.cues:
                self._add(k, text, alias=False)
        self._first: dict[int, list[int]] = {}
        for p, pat in enumerate(self.patterns):
            for atom in pat.slots[0]:
                self._first.setdefault(atom, []).append(p)
        self._longest_prefix = max((len(p) for p in self._prefix), default=0)
        self._word_cache: dict[str, frozenset[int]] = {}

    # ---- compiling ----------------------------------------------------------------------

    def _atom(self, word: str) -> int:
        key = ("*", word[:-1]) if word.endswith("*") else ("=", stem(word))
        atom = self._atoms.get(key)
        if atom is None:
            atom = self._atoms[key] = len(self._atoms)
            (self._prefix if key[0] == "*" else self._exact)[key[1]] = atom
        return atom

    def _slot(self, alternatives: Iterable[str]) -> frozenset[int]:
        out: set[int] = set()
        for alt in alternatives:
            if alt.startswith("{") and alt.endswith("}"):
                out |= self._classes[alt[1:-1]]
            elif alt:
                out.add(self._atom(alt.lower()))
        return frozenset(out)

    def _add(self, mode: int, text: str, *, alias: bool) -> None:
        weak = text.startswith("~")
        slots = tuple(self._slot(part.split("|")) for part in text.lstrip("~").split())
        if not slots or not all(slots):
            raise ValueError(f"empty pattern slot in {text!r}")
        if alias:
            weight = WEIGHT_ALIAS
        else:
            weight = WEIGHT_PHRASE if len(slots) > 1 and not weak else WEIGHT_WORD
        self.patterns.append(_Pattern(mode, weight, slots))

    # ---- matching -----------------------------------------------------------------------

    def _word_atoms(self, word: str) -> frozenset[int]:
        atoms = self._word_cache.get(word)
        if atoms is None:
            found: set[int] = set()
            exact = self._exact.get(stem(word))
            if exact is not None:
                found.add(exact)
            for k in range(1, min(len(word), self._longest_prefix) + 1):
                a = self._prefix.get(word[:k])
                if a is not None:
                    found.add(a)
            if len(self._word_cache) >= _WORD_CACHE_MAX:  # a long-lived process: stay bounded
                self._word_cache.clear()
            atoms = self._word_cache[word] = frozenset(found)
        return atoms

    def evidence(self, words: Sequence[str]) -> dict[int, tuple[float, list[str]]]:
        """mode index -> (summed evidence, matched spans) for a prepared text."""
        at = [self._word_atoms(w) for w in words]
        matched: dict[int, tuple[int, int]] = {}  # pattern -> (start, end) of its first match
        for i, atoms in enumerate(at):
            for atom in atoms:
                for p in self._first.get(atom, ()):
                    if p in matched:
                        continue
                    end = _match_from(self.patterns[p].slots, at, i)
                    if end is not None:
                        matched[p] = (i, end)
        # strongest patterns first; one whose words another pattern of the same mode already
        # counted adds nothing ("raters disagree" and "disagree" are one piece of evidence)
        order = sorted(
            matched.items(),
            key=lambda t: (-self.patterns[t[0]].weight, t[1][0] - t[1][1], t[0]),
        )
        out: dict[int, tuple[float, list[str]]] = {}
        covered: dict[int, set[int]] = {}
        for p, (start, end) in order:
            pat = self.patterns[p]
            seen = covered.setdefault(pat.mode, set())
            span = range(start, end + 1)
            if seen.issuperset(span):
                continue
            seen.update(span)
            score, spans = out.get(pat.mode, (0.0, []))
            spans.append(" ".join(words[start : end + 1]))
            out[pat.mode] = (score + pat.weight, spans)
        return out

    def match(self, text: object) -> list[ModeMatch]:
        """Every mode the text has evidence for, best first (ties: vocabulary order)."""
        ev = self.evidence(prepare(text, self.glossary))
        ranked = sorted(ev.items(), key=lambda t: (-t[1][0], t[0]))
        out = []
        for n, (k, (score, spans)) in enumerate(ranked):
            # the best mode shares its confidence with the runner-up, the others with the best
            rival = ranked[0][1][0] if n else (ranked[1][1][0] if len(ranked) > 1 else 0.0)
            out.append(
                ModeMatch(
                    self.modes[k],
                    round(score, 3),
                    round(min(1.0, score) * score / (score + rival), 3),
                    tuple(dict.fromkeys(spans)),
                )
            )
        return out

    def best(self, text: object) -> ModeMatch | None:
        """The mode the text reads as, or ``None`` below :data:`MIN_SCORE`."""
        found = self.match(text)
        return found[0] if found and found[0].score >= MIN_SCORE - 1e-9 else None

    def family_of(self, mode: Mode) -> Family:
        return self.families[mode.family]

    def mode_of_tag(self, tag: str) -> Mode | None:
        """The vocabulary mode a people's tag names ("goodhart" -> proxy gaming), if any."""
        key = normalise(tag).replace(" ", "-")
        if key in self.by_id:
            return self.by_id[key]
        found = self.best(key.replace("-", " "))
        return found.mode if found is not None else None


def _match_from(
    slots: Sequence[frozenset[int]], at: Sequence[frozenset[int]], i: int
) -> int | None:
    """End position of ``slots`` matched in order from position ``i`` (``i`` matches the
    first slot), at most ``MAX_GAP`` other words between two slots; ``None`` if none."""
    if len(slots) == 1:
        return i
    n = len(at)

    def rest(j: int, pos: int) -> int | None:
        if j == len(slots):
            return pos
        for q in range(pos + 1, min(n, pos + 2 + MAX_GAP)):
            if at[q] & slots[j]:
                end = rest(j + 1, q)
                if end is not None:
                    return end
        return None

    return rest(1, i)


_STARTER: Vocabulary | None = None


def starter_vocabulary() -> Vocabulary:
    """The shipped vocabulary (compiled once per process)."""
    global _STARTER
    if _STARTER is None:
        _STARTER = Vocabulary()
    return _STARTER
