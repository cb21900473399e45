"""Analysis layer: text normalisation and similarity without third-party ML packages.

- :func:`normalise` folds case, markdown, punctuation and whitespace.
- :func:`content_stems` gives lightly stemmed content words (no stop words) for the
  word-level score and for candidate blocking.
- :class:`TfIdf` is a char n-gram TF-IDF model with an inverted index: cosine neighbours are
  found by accumulating over postings, so nothing is compared all-pairs.
- :class:`Embedder` is the sentence-embedding hook: the model shipped with the project
  (:func:`trees.analysis.text.semantic.load_embedder`, ``None`` when switched off).
"""

from __future__ import annotations

import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import chain, repeat
from operator import mul, truediv
from typing import Any

# texts -> one unit vector per text: an (n, d) numpy array (the shipped model) or any
# sequence of float sequences
Embedder = Callable[[Sequence[str]], Any]
# One feature's postings: the documents that have it (ascending) and its weight in each, as
# two flat arrays. Walking them reads consecutive memory; a list of (document, weight) tuples
# put three objects a posting all over the heap, and the walk's cache misses grew with the
# corpus (neighbour search cost 2.6x for twice the critiques, everything else 2.0x).
Postings = tuple["array[int]", "array[float]"]

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_MARK = re.compile(r"(^\s*(?:[-*+]|\d+[.)]|#+)\s+)|[*_`~>#]")
_NON_WORD = re.compile(r"[^\w]+|_")
_POSSESSIVE = re.compile(r"['\u2019]s\b")

# The last line is domain filler: in a problem tree every node is a problem, so
# "X problem" means X.
STOP_WORDS = frozenset(
    """a an the of to in on for and or but is are be been being it its this that these those
    was were am has have had having
    with without by as at from into onto than then so such can could may might will would
    should must do does did not no nor we our they their them he she his her you your i my me
    there here what which who whom whose how why when where if else very more most much many
    some any all each every other only also just even about over under via vs
    problem problems issue issues challenge challenges difficulty""".split()  # noqa: SIM905
)

# Longest first; British spellings are folded first so "generalisation" meets "generalization".
_SUFFIXES = (
    "ational",
    "ization",
    "ations",
    "ation",
    "ition",
    "ments",
    "ment",
    "ness",
    "ingly",
    "ings",
    "ing",
    "ive",
    "ion",
    "ity",
    "able",
    "ible",
    "ed",
    "al",
    "er",
    "ly",
)


def normalise(text: object) -> str:
    """Lower-case, markdown and punctuation stripped, whitespace collapsed."""
    s = str(text or "")
    s = _MD_LINK.sub(r"\1", s)
    s = _MD_MARK.sub(" ", s)
    s = _POSSESSIVE.sub("", s.lower())
    s = _NON_WORD.sub(" ", s)
    return " ".join(s.split())


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A deliberately light stemmer: plurals and common derivational endings (cached: a
    workshop's vocabulary is small, its texts repeat the same words)."""
    w = word.replace("isation", "ization").replace("ise", "ize") if len(word) > 6 else word
    for end, repl in (("ifications", "ify"), ("ification", "ify"), ("ying", "y"), ("ied", "y")):
        if w.endswith(end) and len(w) - len(end) >= 3:
            w = w[: -len(end)] + repl
            break
    if w.endswith("ify") and len(w) > 5:
        return w[:-1]  # "specify" / "specification" / "specified" -> "specif"
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suf in _SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= (3 if suf in ("ing", "ed") else 4):
            w = w[: -len(suf)]
            break
    # "optimized" / "optimisation", "race" / "racing": fold the leftovers the same way
    if len(w) > 5 and w.endswith("iz"):
        w = w[:-2]
    return w[:-1] if len(w) > 3 and w.endswith("e") else w


def content_stems(norm: str) -> list[str]:
    """Stems of the content words of an already normalised text, in order."""
    return [stem(w) for w in norm.split() if w not in STOP_WORDS]


def char_grams(
    text: str, lo: int = 3, hi: int = 5, *, pool: dict[str, str] | None = None
) -> Counter[str]:
    """Char n-grams (``lo``..``hi``) of a normalised text, padded with spaces at the ends.

    ``pool`` shares one string object per distinct n-gram across calls: thousands of labels
    then hold a few thousand strings instead of hundreds of thousands, and dict look-ups
    between their vectors match by identity.
    """
    s = f" {text} "
    n = len(s)
    grams = [s[i : i + k] for k in range(lo, hi + 1) for i in range(n - k + 1)]
    if pool is not None:
        grams = list(map(pool.setdefault, grams, grams))
    return Counter(grams)


def is_subset_like(a: Sequence[str], b: Sequence[str]) -> bool:
    """True when one label's content words are a strict subset of the other's.

    "alignment" vs "deceptive alignment": a subset scorer says 100 but they are different
    problems (one is the parent of the other), so such pairs may be suggested, never merged.
    """
    sa, sb = set(a), set(b)
    return sa != sb and bool(sa) and bool(sb) and (sa <= sb or sb <= sa)


class TfIdf:
    """Sublinear TF-IDF vectors (L2-normalised) over arbitrary features, with postings.

    ``weights[i]`` says how many texts document ``i`` stands for (identical labels are
    vectorised once): document frequencies count texts, so the vectors are the same as if
    every text had its own document.
    """

    def __init__(self, docs: Sequence[Counter[str]], weights: Sequence[int] | None = None) -> None:
        if weights is None:
            weights = [1] * len(docs)
        elif len(weights) != len(docs):
            raise ValueError("one weight per document")
        # C-level counting: each document's features once per text it stands for
        df: Counter[str] = Counter(
            chain.from_iterable(chain.from_iterable(map(repeat, docs, weights)))
        )
        n = sum(weights)
        self.n = n
        self.df = df
        log = math.log
        self.idf = {f: log((1 + n) / (1 + c)) + 1.0 for f, c in df.items()}
        idf = self.idf
        vectors: list[dict[str, float]] = []
        for d in docs:
            weights_ = list(map(idf.__getitem__, d))
            if d.total() != len(d):  # some feature repeats: sublinear tf
                for k, c in enumerate(d.values()):
                    if c > 1:
                        weights_[k] = (1.0 + log(c)) * weights_[k]
            norm = math.sqrt(sum(map(mul, weights_, weights_))) or 1.0
            vectors.append(dict(zip(d, map(truediv, weights_, repeat(norm)), strict=True)))
        self.vectors = vectors
        self._postings: dict[str, Postings] | None = None

    @property
    def postings(self) -> dict[str, Postings]:
        """Feature -> (documents, weights) in document order, two flat arrays each (built on
        first use; see :data:`Postings`)."""
        if self._postings is None:
            self._postings = self.compact_postings(self.n)
        return self._postings

    def compact_postings(
        self, max_df: int, docs: Iterable[int] | None = None
    ) -> dict[str, Postings]:
        """Postings of the features in at most ``max_df`` texts (see :data:`Postings`), of
        the documents ``docs`` only when given."""
        df = self.df
        ids: dict[str, list[int]] = {f: [] for f, c in df.items() if c <= max_df}
        weights: dict[str, list[float]] = {f: [] for f in ids}
        vectors = self.vectors
        for i in range(len(vectors)) if docs is None else sorted(docs):
            vec = vectors[i]
            for f in filter(ids.__contains__, vec):
                ids[f].append(i)
                weights[f].append(vec[f])
        return {f: (array("l", js), array("d", weights[f])) for f, js in ids.items() if js}

    def cosine(self, i: int, j: int) -> float:
        a, b = self.vectors[i], self.vectors[j]
        common = a.keys() & b.keys()
        # fsum is exactly rounded: the score does not depend on the set's iteration order
        return math.fsum(map(mul, map(a.__getitem__, common), map(b.__getitem__, common)))

    def accumulate(
        self,
        i: int,
        *,
        cap: int,
        budget: int,
        postings: Mapping[str, Postings] | None = None,
        rest: list[str] | None = None,
    ) -> dict[int, float]:
        """Rough scores of the documents sharing document ``i``'s rarest features.

        Prefix filtering: postings are walked rarest feature first, at most ``budget`` of
        them, and features in more than ``cap`` texts are skipped (they are in nearly every
        text and block nothing). The result includes ``i`` itself. ``postings`` may be a
        restriction of :attr:`postings` to some documents (:meth:`restricted`); the features
        not walked are appended to ``rest`` when given.
        """
        acc: dict[int, float] = {}
        post_of = self.postings if postings is None else postings
        df = self.df
        vec = self.vectors[i]
        walked = 0
        get = acc.get
        feats = sorted(vec, key=df.__getitem__)
        for n, f in enumerate(feats):
            if df[f] > cap or walked >= budget:
                if rest is not None:
                    rest.extend(feats[n:])
                break
            post = post_of.get(f)
            if post is None:
                continue
            js, ws = post
            walked += len(js)
            w = vec[f]
            if not acc:  # the rarest feature: nothing to add to yet (0.0 + x is x), in C
                acc.update(zip(js, map(mul, repeat(w), ws), strict=True))
                continue
            for j, wj in zip(js, ws, strict=True):
                acc[j] = get(j, 0.0) + w * wj
        return acc

    def restricted(self, docs: Iterable[int]) -> dict[str, Postings]:
        """The postings of the documents ``docs`` only (for :meth:`accumulate`)."""
        return self.compact_postings(self.n, docs)

    def neighbours(
        self,
        i: int,
        *,
        k: int = 5,
        min_score: float = 0.0,
        allowed: Callable[[int], bool] | None = None,
        max_df: int | None = None,
        budget: int = 600,
        postings: Mapping[str, Postings] | None = None,
    ) -> list[tuple[int, float]]:
        """Top ``k`` documents by cosine with document ``i`` (``i`` itself excluded).

        Candidates come from :meth:`accumulate` (rarest features first, at most ``budget``
        postings, features above ``max_df`` texts skipped, only the documents of
        ``postings`` if given, and only those ``allowed``); the best ``3 k`` get their exact
        cosine (the rough score plus the features that were not walked).
        """
        cap = max_df if max_df is not None else blocking_cap(self.n)
        rest: list[str] = []
        acc = self.accumulate(i, cap=cap, budget=budget, postings=postings, rest=rest)
        acc.pop(i, None)
        if allowed is not None:
            acc = {j: s for j, s in acc.items() if allowed(j)}
        # = heapq.nlargest(m, acc.items(), key=...) (ties in walk order), but sorted in C
        top = sorted(acc, key=acc.__getitem__, reverse=True)
        vec, vectors = self.vectors[i], self.vectors
        scored = []
        for j in top[: max(3 * k, 10)]:
            s = acc[j]
            other = vectors[j]
            for f in rest:
                w = other.get(f)
                if w is not None:
                    s += vec[f] * w
            if s >= min_score:
                scored.append((j, s))
        scored.sort(key=lambda t: (-t[1], t[0]))
        return scored[:k]


def blocking_cap(n: int) -> int:
    """Postings longer than this are skipped when collecting candidates.

    A feature shared by hundreds of texts says little about which of them match, and
    walking its postings for every query is what would make blocking quadratic.
    """
    return max(30, min(200, n // 50))


def weighted_dice(a: Iterable[str], b: Iterable[str], idf: Callable[[str], float]) -> float:
    """IDF-weighted Dice overlap of two word sets (a word-level score in 0..1)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    common = sum(idf(w) for w in sa & sb)
    total = sum(idf(w) for w in sa) + sum(idf(w) for w in sb)
    return 2.0 * common / total if total else 0.0


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine of two already normalised embedding vectors."""
    return float(sum(x * y for x, y in zip(a, b, strict=False)))
