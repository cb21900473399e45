"""Analysis layer: a glossary of common AI-alignment concepts (``concepts.yaml`` beside this
module), and which of them a label names.

Each concept has terms (the literature's names and abbreviations: "ELK", "Eliciting latent
knowledge") and glosses (plain sentences a newcomer would say: "the model may know the true
answer but we have no way to get it to report it"). Merge uses it to carry a match across
wording that a general sentence model does not bridge: jargon against plain words.

- :meth:`Concepts.named` reads the concepts a label names by its terms, longest term first
  at each word (so "deceptive alignment" is not also "deception"): a term of one content word
  by that word (or its plural), a term of several by word stems (the light stemmer folds
  "fairly" into "fairness" and "scheme" into "scheming", which one word alone cannot afford).
  Citations ("(Elhage et al. 2022)") are ignored; bracketed glosses ("[sandbagging]") count.
  An abbreviation of a term of several words matches by word prefixes ("race dyn" is race
  dynamics), each abbreviated word at least :data:`MIN_PREFIX` letters.
  A term written in capitals in the file ("IRL") is an acronym that is also chat slang or an
  everyday word: it counts only where the label writes it in capitals
  (:attr:`Concepts.capitals_only`; the word glossary expands it only there too).
- :meth:`Concepts.gloss_texts` lists every concept's glosses and terms as texts to embed, so
  that a label that names no term can be read as the concept whose glosses it is nearest to
  in meaning (:mod:`trees.analysis.merge.labels`).

Pure data and strings: no model, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from trees.analysis.text.similarity import STOP_WORDS, normalise, stem
from trees.domain.datafile import Reader, read_yaml

DATA = Path(__file__).with_name("concepts.yaml")
MIN_PREFIX = 3  # letters an abbreviated word keeps ("dyn" for "dynamics")
MAX_NAMED = 3  # concepts one label can name (the first ones it names)

# "(Elhage et al. 2022)", "(ARC, 2021)", "(Davidson, Finnveden & Hadshar 2025)", "(Arrow 1951)"
_CITATION = re.compile(r"\s*\((?:[^()]*?\bet al\b[^()]*|[^()]*?\b(?:1[89]|20)\d\d[a-z]?\b[^()]*)\)")


def strip_citations(label: str) -> str:
    """The label without bracketed citations (an author and a year say nothing of meaning)."""
    return " ".join(_CITATION.sub("", label).split())


def _content_words(text: str) -> list[str]:
    return [w for w in normalise(text).split() if w not in STOP_WORDS]


@dataclass(frozen=True, slots=True)
class Concept:
    id: str
    terms: tuple[str, ...]
    glosses: tuple[str, ...]


# A term written in capitals in concepts.yaml is an acronym that is also chat slang or an
# everyday word, and names its concept only where a label writes it in capitals: "IRL" is
# inverse reinforcement learning, "does smth weird irl" is "in real life" (a held-out set had
# merge auto-merge the two, bench/RESULTS_analysis.md round 13).
_CAPITALS = re.compile(r"\b[A-Z]{2,}\b")


def capitals_in(text: str) -> frozenset[str]:
    """The words a text writes in capitals (two letters or more), lower-cased, as
    :attr:`Concepts.capitals_only` lists them."""
    return frozenset(w.lower() for w in _CAPITALS.findall(text))


class Concepts:
    """The concepts, and an index of their terms by word stems."""

    def __init__(self, concepts: Sequence[Concept]) -> None:
        self.concepts = list(concepts)
        # acronyms that name their concept only in capitals (written in capitals as terms)
        self.capitals_only = frozenset(
            t.lower() for c in self.concepts for t in c.terms if _CAPITALS.fullmatch(t)
        )
        # first stem -> (stems, concept index), longest first
        self._exact: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        # first MIN_PREFIX letters of the first stem -> terms of several words
        self._prefix: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        # a term of one content word: that word -> concept (the first concept listing it)
        self._single: dict[str, int] = {}
        # a term of several words by its sorted stems, so that word order does not hide it
        # ("Gaming the specification" names specification gaming, "Seeking power" power
        # seeking): (number of words, sorted stems) -> concept (the first listing it)
        self._unordered: dict[tuple[int, tuple[str, ...]], int] = {}
        for k, c in enumerate(self.concepts):
            for term in c.terms:
                words = _content_words(term)
                if len(words) == 1:
                    self._single.setdefault(words[0], k)
                    continue
                stems = tuple(map(stem, words))
                if not stems:
                    continue
                self._exact.setdefault(stems[0], []).append((stems, k))
                self._unordered.setdefault((len(stems), tuple(sorted(stems))), k)
                self._prefix.setdefault(stems[0][:MIN_PREFIX], []).append((stems, k))
        for table in (self._exact, self._prefix):
            for terms in table.values():
                terms.sort(key=lambda t: (-len(t[0]), t))

    def __len__(self) -> int:
        return len(self.concepts)

    def named(self, label: str) -> list[int]:
        """Indexes of the concepts the label names by a term, in the order named (at most
        :data:`MAX_NAMED`)."""
        plain = strip_citations(label)
        words = _content_words(plain)
        stems = list(map(stem, words))
        capitals = capitals_in(plain)
        found: list[int] = []
        i = 0
        while i < len(stems) and len(found) < MAX_NAMED:
            hit = self._match_at(words, stems, i, capitals)
            if hit is None:
                i += 1
                continue
            size, k = hit
            if k not in found:
                found.append(k)
            i += size
        return found

    def _match_at(
        self, words: list[str], stems: list[str], i: int, capitals: frozenset[str]
    ) -> tuple[int, int] | None:
        """The longest term starting at word ``i``: (its length in words, concept)."""
        best: tuple[int, int] | None = None
        for term, k in self._exact.get(stems[i], ()):
            if tuple(stems[i : i + len(term)]) == term:
                best = (len(term), k)
                break
        if best is None:
            for size in range(min(3, len(stems) - i), 1, -1):
                k = self._unordered.get((size, tuple(sorted(stems[i : i + size]))), -1)
                if k >= 0:
                    best = (size, k)
                    break
        if best is None:
            w = words[i]
            for form in (w, w[:-1] if w.endswith("s") else w + "s"):
                if form in self.capitals_only and form not in capitals:
                    continue
                if form in self._single:
                    best = (1, self._single[form])
                    break
        w = stems[i]
        if len(w) >= MIN_PREFIX:
            for term, k in self._prefix.get(w[:MIN_PREFIX], ()):
                if best is not None and len(term) <= best[0]:
                    break
                words = stems[i : i + len(term)]
                if len(words) == len(term) and all(
                    t.startswith(x) and len(x) >= MIN_PREFIX
                    for x, t in zip(words, term, strict=True)
                ):
                    best = (len(term), k)
                    break
        return best

    def gloss_texts(self) -> tuple[list[str], list[int]]:
        """Texts that say what each concept means (each gloss, and its terms as one text),
        and the concept index of each text."""
        texts: list[str] = []
        owner: list[int] = []
        for k, c in enumerate(self.concepts):
            for t in (*c.glosses, ", ".join(c.terms[:4])):
                texts.append(t)
                owner.append(k)
        return texts, owner


def read_concepts(path: Path = DATA) -> Concepts:
    """The concepts of a YAML file (a clear :class:`DataFileError` for a malformed one)."""
    r = Reader(path)
    top = r.mapping(read_yaml(path), "top level", required={"concepts"})
    out: list[Concept] = []
    seen: set[str] = set()
    for n, raw in enumerate(r.items(top["concepts"], "concepts")):
        where = f"concepts[{n}]"
        c = r.mapping(raw, where, required={"id", "terms", "glosses"})
        cid = r.text(c["id"], f"{where}.id")
        if cid in seen:
            raise r.fail(f"{where}.id", f"{cid!r} is listed twice")
        seen.add(cid)
        terms = r.texts(c["terms"], f"{where}.terms")
        for i, term in enumerate(terms):
            if term != term.lower() and not _CAPITALS.fullmatch(term):
                raise r.fail(
                    f"{where}.terms[{i}]",
                    f"{term!r}: write a term in lower case, or all in capitals (one word of "
                    "letters) for an acronym that names its concept only in capitals",
                )
        glosses = r.texts(c["glosses"], f"{where}.glosses")
        if not terms or not glosses:
            raise r.fail(where, "needs at least one term and one gloss")
        out.append(Concept(cid, tuple(terms), tuple(glosses)))
    return Concepts(out)


@lru_cache(maxsize=1)
def alignment_concepts() -> Concepts:
    """The shipped glossary of alignment concepts (read once)."""
    return read_concepts()
