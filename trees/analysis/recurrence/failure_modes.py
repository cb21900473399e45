"""Analysis layer: failure modes (tags on critiques) as taut constraints across game trees.

For a group F of critiques (one tag, or one cluster of similar untagged critiques):

- props(F): distinct proposals with an F critique anywhere below them
- stand(F): proposals currently broken directly by a surviving F critique
- A(F): distinct authors who raised F
- re(F): F critiques below a patch of an earlier F critique ("whack-a-mole")
- taut(F) = (props + stand) * A / (A + 1) + 0.5 * re
- rescue(F): broken proposals that would survive if every F critique were answered, by a
  counterfactual re-run of the grounded labelling restricted to what those critiques reach.

Tag suggestions come from the nearest tagged critiques (word-stem TF-IDF cosine with an
inverted index) and from the failure-mode vocabulary (:mod:`trees.analysis.vocabulary.modes`: the
starter taxonomy of well-known alignment failure modes), read by phrases or, where they say
too little, by meaning (:mod:`trees.analysis.vocabulary.meaning`, the shipped static model).
Clusters of untagged critiques are :mod:`trees.analysis.recurrence.clusters`. People's tags
come first: a tagged critique is grouped by its tags alone, and a mode is suggested under
the tag people already use for it ("goodhart" for proxy gaming).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trees.analysis.survival import IN, OUT, AttackFramework, short
from trees.analysis.taxonomy import Family, Mode
from trees.analysis.text.similarity import Embedder, TfIdf, content_stems, normalise
from trees.analysis.vocabulary import examples as examples_reading
from trees.analysis.vocabulary.examples import MAX_TEXTS as EXAMPLES_MAX_TEXTS
from trees.analysis.vocabulary.examples import MAX_TEXTS_READ as EXAMPLES_MAX_TEXTS_READ
from trees.analysis.vocabulary.examples import (
    ExampleReader,
    adjust_to_tree_prior,
    read_by_examples,
)
from trees.analysis.vocabulary.modes import (
    MIN_SCORE,
    ModeMatch,
    Vocabulary,
    starter_vocabulary,
)

Matrix = np.ndarray[Any, np.dtype[np.float32]]

# Postings walked per critique when looking for its neighbours (rarest words first): a
# word's postings grow with the corpus, so an unbounded walk makes the search quadratic.
NEIGHBOUR_BUDGET = 100
# Words in more critiques than this are not used to find neighbours (they still count in
# the exact cosine): a fixed bound, so the walk per critique does not grow with the corpus.
NEIGHBOUR_MAX_DF = 100


def norm_tag(tag: object) -> str:
    """Tags compare case- and punctuation-insensitively ("Reward hacking" = "reward-hacking")."""
    return normalise(tag).replace(" ", "-")


@dataclass(slots=True)
class Critique:
    tree: Any
    index: int  # index in its tree's AttackFramework
    id: Any
    text: str
    tags: tuple[str, ...]
    author: Any
    proposal: int | None  # index of the top-level proposal above it


class GameCorpus:
    """One or more game trees with their survival labelling and their critiques.

    ``vocabulary``: the failure modes critiques are read against (default: the starter
    taxonomy; ``Vocabulary(())`` turns it off). ``embedder``: the optional sentence-embedding
    scorer (:mod:`trees.analysis.text.semantic`), used for critiques no phrase matches.
    ``reader``: the optional critique reader (:mod:`trees.analysis.vocabulary.examples`),
    used on the critiques of each tree that holds at most
    :data:`~trees.analysis.vocabulary.examples.MAX_TEXTS` distinct critiques, so a critique
    reads the same whether its tree is analysed alone or with others (a workshop's), while
    :data:`~trees.analysis.vocabulary.examples.MAX_TEXTS_READ` distinct critiques in all are
    not exceeded (trees in the order given; the next tree that would pass it and every
    tree after it are read without the reader).
    """

    def __init__(
        self,
        trees: Sequence[tuple[Any, Iterable[Mapping[str, Any]]]],
        *,
        vocabulary: Vocabulary | None = None,
        embedder: Embedder | None = None,
        reader: ExampleReader | None = None,
    ) -> None:
        self.vocabulary = vocabulary if vocabulary is not None else starter_vocabulary()
        self.embedder = embedder
        self.reader = reader
        self.frameworks: dict[Any, AttackFramework] = {}
        self.critiques: list[Critique] = []
        for tree_id, nodes in trees:
            fw = AttackFramework(nodes)
            self.frameworks[tree_id] = fw
            roots = _top_proposals(fw)
            for i, n in enumerate(fw.nodes):
                if fw.types[i] != "critique":
                    continue
                tags = tuple(dict.fromkeys(norm_tag(t) for t in n.get("tags") or () if t))
                self.critiques.append(
                    Critique(
                        tree_id,
                        i,
                        n["id"],
                        str(n.get("text") or ""),
                        tags,
                        n.get("author"),
                        roots[i],
                    )
                )
        self._tfidf: TfIdf | None = None
        self._modes: list[ModeMatch | None] | None = None
        self._vectors: Matrix | None = None
        self._example_probs: Matrix | None = None
        self._example_rows: list[int] | None = None
        self._mode_sims: Matrix | None = None
        self._tag_modes: dict[str, Mode | None] | None = None
        self._tag_groups: dict[str, list[int]] | None = None

    @property
    def modes(self) -> list[ModeMatch | None]:
        """For each critique the vocabulary mode it reads as, or ``None`` (built lazily).

        By the vocabulary's phrases first; then by example where they say nothing or the
        reader clearly disagrees with cues (:mod:`trees.analysis.vocabulary.examples`); where
        that says too little, by meaning (:mod:`trees.analysis.vocabulary.meaning`): nearest
        mode in meaning, or a one-word cue that meaning confirms.
        """
        if self._modes is None:
            vocab = self.vocabulary
            memo: dict[str, tuple[ModeMatch | None, ModeMatch | None]] = {}
            modes: list[ModeMatch | None] = []
            weak: list[ModeMatch | None] = []
            for c in self.critiques:
                if c.text not in memo:
                    found = vocab.match(c.text)
                    top = found[0] if found else None
                    read = top is not None and top.score >= MIN_SCORE - 1e-9
                    memo[c.text] = (top, None) if read else (None, top)
                best, hint = memo[c.text]
                modes.append(best)
                weak.append(hint)
            probs = self.example_probs
            if probs is not None and self.reader is not None:
                rows = self.example_rows
                by_example = read_by_examples(
                    vocab, self.reader.modes, probs, [modes[k] for k in rows]
                )
                for k, m in zip(rows, by_example, strict=True):
                    modes[k] = m
            sims = self.mode_sims
            if sims is not None:
                from trees.analysis.vocabulary.meaning import read_by_meaning

                missing = [k for k, m in enumerate(modes) if m is None]
                found_by_meaning = read_by_meaning(vocab, sims[missing], [weak[k] for k in missing])
                for k, m in zip(missing, found_by_meaning, strict=True):
                    modes[k] = m
            self._modes = modes
        return self._modes

    @property
    def example_rows(self) -> list[int]:
        """The critiques read by example (indices into :attr:`critiques`): those of each tree
        with at most ``MAX_TEXTS`` distinct critiques, trees in the order given, while
        ``MAX_TEXTS_READ`` distinct critiques in all are not exceeded. Empty without a
        reader or without modes."""
        if self._example_rows is None:
            rows: list[int] = []
            if self.reader is not None and self.vocabulary.modes:
                by_tree: dict[Any, list[int]] = defaultdict(list)
                for k, c in enumerate(self.critiques):
                    by_tree[c.tree].append(k)
                seen: set[str] = set()
                for members in by_tree.values():
                    texts = {self.critiques[k].text for k in members}
                    if len(texts) > EXAMPLES_MAX_TEXTS:
                        continue
                    if len(seen | texts) > EXAMPLES_MAX_TEXTS_READ:
                        break
                    seen |= texts
                    rows.extend(members)
            self._example_rows = sorted(rows)
        return self._example_rows

    @property
    def example_probs(self) -> Matrix | None:
        """The reader's mode probabilities of the critiques of :attr:`example_rows` (one row
        each, in that order), or ``None`` when there are none."""
        if self._example_probs is None and self.reader is not None:
            rows = self.example_rows
            if rows:
                probs = self.reader([self.critiques[k].text for k in rows])
                if examples_reading.TREE_PRIORS:
                    probs = self._to_tree_priors(probs)
                self._example_probs = probs
        return self._example_probs

    def _to_tree_priors(self, probs: Matrix) -> Matrix:
        """The reader's probabilities adjusted per tree to that tree's family priors
        (:func:`~trees.analysis.vocabulary.examples.adjust_to_tree_prior`): per tree, so a
        critique reads the same alone or in a workshop's analysis."""
        assert self.reader is not None
        by_tree: dict[Any, list[int]] = defaultdict(list)
        for r, k in enumerate(self.example_rows):
            by_tree[self.critiques[k].tree].append(r)
        out = probs.copy()
        for rows in by_tree.values():
            idx = np.asarray(rows, dtype=np.intp)
            out[idx] = adjust_to_tree_prior(self.vocabulary, self.reader.modes, probs[idx])
        return out

    @property
    def vectors(self) -> Matrix | None:
        """The critiques' sentence embeddings (unit rows), or ``None`` without an embedder."""
        if self._vectors is None and self.embedder is not None and self.critiques:
            self._vectors = np.asarray(
                self.embedder([c.text for c in self.critiques]), dtype=np.float32
            )
        return self._vectors

    @property
    def mode_sims(self) -> Matrix | None:
        """Cosine of each critique with each vocabulary mode's meaning, or ``None``."""
        if self._mode_sims is None:
            vectors = self.vectors
            if vectors is None or self.embedder is None or not self.vocabulary.modes:
                return None
            from trees.analysis.vocabulary.meaning import mode_vectors

            self._mode_sims = vectors @ mode_vectors(self.vocabulary, self.embedder).T
        return self._mode_sims

    @property
    def tag_modes(self) -> dict[str, Mode | None]:
        """The vocabulary mode each people's tag stands for, or ``None``.

        By the tag's own words first ("goodhart", "reward-hacking"); otherwise by what its
        critiques read as, when at least two do and they are most of them.
        """
        if self._tag_modes is None:
            out: dict[str, Mode | None] = {}
            for tag, members in self.tag_groups().items():
                mode = self.vocabulary.mode_of_tag(tag)
                if mode is None:
                    votes = Counter(m.mode.id for k in members if (m := self.modes[k]))
                    if votes:
                        top, n = votes.most_common(1)[0]
                        if n >= 2 and 2 * n > len(members):
                            mode = self.vocabulary.by_id[top]
                out[tag] = mode
            self._tag_modes = out
        return self._tag_modes

    def tag_for_mode(self, mode: Mode) -> str:
        """The tag to suggest for a mode: the most used people's tag for it, else its id."""
        groups = self.tag_groups()
        own = [t for t, m in self.tag_modes.items() if m is not None and m.id == mode.id]
        return min(own, key=lambda t: (-len(groups[t]), t)) if own else mode.id

    def tag_for_family(self, family: Family) -> str:
        """The tag to suggest for a family: the most used people's tag of one of its modes,
        else the family's id."""
        groups = self.tag_groups()
        own = [t for t, m in self.tag_modes.items() if m is not None and m.family == family.id]
        return min(own, key=lambda t: (-len(groups[t]), t)) if own else family.id

    @property
    def tfidf(self) -> TfIdf:
        """TF-IDF over the critiques' stemmed content words (built lazily).

        Critiques are sentences: word stems carry their meaning, and a sentence has about a
        tenth as many distinct stems as char n-grams, which keeps a 10,000-node game tree
        well under a second. (Short problem labels use char n-grams; see the matcher.)
        """
        if self._tfidf is None:
            docs = [Counter(content_stems(normalise(c.text))) for c in self.critiques]
            self._tfidf = TfIdf(docs)
        return self._tfidf

    def tag_groups(self) -> dict[str, list[int]]:
        """tag -> indices of the critiques carrying it (built once; do not mutate)."""
        if self._tag_groups is None:
            groups: dict[str, list[int]] = defaultdict(list)
            for k, c in enumerate(self.critiques):
                for t in c.tags:
                    groups[t].append(k)
            self._tag_groups = dict(groups)
        return self._tag_groups

    def tag_spelling(self) -> dict[str, str]:
        """The most common original spelling of each normalised tag, for display."""
        seen: dict[str, Counter[str]] = defaultdict(Counter)
        for fw in self.frameworks.values():
            for i, n in enumerate(fw.nodes):
                if fw.types[i] == "critique":
                    for t in n.get("tags") or ():
                        seen[norm_tag(t)][str(t)] += 1
        return {k: c.most_common(1)[0][0] for k, c in seen.items()}


def critique_embedder() -> Embedder | None:
    """The sentence-embedding model critiques are read with: the shipped static model, or
    ``None`` when switched off (``GAMETREE_SEMANTIC=0``).

    Not the contextual MiniLM: on the development game trees its nearest critiques were no
    more often of the same failure mode than the static model's, it read the main quality
    tree's critiques into the wrong family more often (clustering precision 0.76 against
    0.84), and at about a millisecond a critique it would take seconds on a 10,000-node tree
    (bench/RESULTS_analysis.md, round 9). The thresholds of the meaning reading
    (:mod:`trees.analysis.vocabulary.meaning`) were set with this model.
    """
    from trees.analysis.text import semantic

    return None if semantic.switched_off() else semantic.model()


def critique_reader() -> ExampleReader | None:
    """The critique reader (:mod:`trees.analysis.vocabulary.examples`), or ``None`` when the
    sentence models are switched off or the transformer is (``GAMETREE_SEMANTIC=0`` or
    ``static``): it reads the transformer's vectors."""
    from trees.analysis.text import semantic
    from trees.analysis.vocabulary import examples

    if semantic.switched_off() or semantic.static_only():
        return None
    return examples.reader()


@dataclass(frozen=True, slots=True)
class CritiqueModels:
    """The models critiques are read with (both ``None``: words and the vocabulary only)."""

    embedder: Embedder | None = None
    reader: ExampleReader | None = None


def critique_models(semantic: bool = True) -> CritiqueModels:
    """How critiques are read wherever they are ranked: the tree page's Analysis board
    (``recurring``), tag suggestions and the workshop's ranking (its board and export) all
    take their models from here, so one critique reads the same on each. ``semantic``: the
    shipped models as :func:`critique_embedder` and :func:`critique_reader` allow
    (``GAMETREE_SEMANTIC=0``: neither; ``static``: the static model only); else none."""
    if not semantic:
        return CritiqueModels()
    return CritiqueModels(critique_embedder(), critique_reader())


def _top_proposals(fw: AttackFramework) -> list[int | None]:
    """For each node the top-level proposal on its primary-parent chain (cycle-safe)."""
    parent: list[int | None] = []
    for n in fw.nodes:
        p = n.get("parent")
        parent.append(fw.index.get(p) if p is not None else None)
    root: list[int | None] = [None] * len(parent)
    done = [False] * len(parent)
    for start in range(len(parent)):
        path: list[int] = []
        v: int | None = start
        on_path: set[int] = set()
        while v is not None and not done[v] and v not in on_path:
            path.append(v)
            on_path.add(v)
            v = parent[v]
        found = root[v] if v is not None and done[v] else None
        if v is None and path:
            top = path[-1]
            found = top if fw.types[top] == "proposal" else None
        for u in path:
            root[u] = found
            done[u] = True
    return root


def group_stats(corpus: GameCorpus, members: Sequence[int], label: str) -> dict[str, Any]:
    """props, stand, authors, re, taut and rescue of one group of critiques."""
    crits = [corpus.critiques[k] for k in members]
    member_keys = {(c.tree, c.index) for c in crits}
    props = {(c.tree, c.proposal) for c in crits if c.proposal is not None}
    authors = {c.author for c in crits if c.author is not None}
    stand: set[tuple[Any, int]] = set()
    for c in crits:
        fw = corpus.frameworks[c.tree]
        if fw.labels[c.index] != IN:
            continue
        for t in fw.attacks[c.index]:
            if fw.types[t] == "proposal" and fw.labels[t] == OUT:
                stand.add((c.tree, t))
    re_count = sum(1 for c in crits if _below_patch_of_group(corpus, c, member_keys))
    rescue = 0
    by_tree: dict[Any, list[int]] = defaultdict(list)
    for c in crits:
        by_tree[c.tree].append(c.index)
    for tree, idx in by_tree.items():
        fw = corpus.frameworks[tree]
        for v, lab in fw.counterfactual(idx).items():
            if lab == IN and fw.labels[v] == OUT and fw.types[v] == "proposal":
                rescue += 1
    a = len(authors)
    taut = (len(props) + len(stand)) * a / (a + 1) + 0.5 * re_count
    status = {IN: "survives", OUT: "broken"}
    return {
        "label": label,
        "score": round(taut, 3),
        "props": len(props),
        "stand": len(stand),
        "authors": a,
        "re": re_count,
        "rescue": rescue,
        "explanation": (
            f"{len(props)} proposals hit, {len(stand)} broken by it, {a} authors, "
            f"{re_count} whack-a-mole; answering it rescues {rescue}"
        ),
        "members": [
            {
                "tree": c.tree,
                "node": c.id,
                "label": short(c.text),
                "proposal": (
                    corpus.frameworks[c.tree].ids[c.proposal] if c.proposal is not None else None
                ),
                "status": status.get(corpus.frameworks[c.tree].labels[c.index], "contested"),
            }
            for c in crits
        ],
    }


def _below_patch_of_group(corpus: GameCorpus, c: Critique, group: set[tuple[Any, int]]) -> bool:
    """Is critique ``c`` below a patch that answers an earlier critique of the same group?"""
    fw = corpus.frameworks[c.tree]
    seen = {c.index}
    v = _primary_parent(fw, c.index)
    while v is not None and v not in seen:
        seen.add(v)
        if fw.types[v] == "patch":
            p = _primary_parent(fw, v)
            if p is not None and (c.tree, p) in group:
                return True
        v = _primary_parent(fw, v)
    return False


def _primary_parent(fw: AttackFramework, i: int) -> int | None:
    p = fw.nodes[i].get("parent")
    return fw.index.get(p) if p is not None else None


def failure_mode_table(
    trees: Sequence[tuple[Any, Iterable[Mapping[str, Any]]]] | GameCorpus,
) -> list[dict[str, Any]]:
    """One row per failure-mode tag across the given ``(tree id, nodes)``, most taut first."""
    corpus = trees if isinstance(trees, GameCorpus) else GameCorpus(trees)
    spelling = corpus.tag_spelling()
    rows = [
        {**group_stats(corpus, members, spelling.get(tag, tag)), "kind": "tag", "tag": tag}
        for tag, members in corpus.tag_groups().items()
    ]
    rows.sort(key=lambda r: (-r["score"], -r["rescue"], r["label"]))
    return rows


def mode_out(mode: Mode | None) -> dict[str, str] | None:
    """A vocabulary mode as it appears in answers."""
    if mode is None:
        return None
    return {
        "id": mode.id,
        "label": mode.label,
        "description": mode.description,
        "family": mode.family,
    }


def family_out(family: Family | None) -> dict[str, str] | None:
    """A vocabulary family as it appears in answers."""
    if family is None:
        return None
    return {"id": family.id, "label": family.label, "description": family.description}


def suggest_tags_call(
    trees: Sequence[tuple[Any, Sequence[Mapping[str, Any]]]], *, progress: Any = None
) -> list[dict[str, Any]]:
    """:func:`suggest_tags` with the shipped models, in the form the worker process of an
    Analysis calls (trees/analysis/merge/in_process.py; ``progress`` is not reported)."""
    return suggest_tags(trees)


def suggest_tags(
    trees: Sequence[tuple[Any, Iterable[Mapping[str, Any]]]] | GameCorpus,
    *,
    k: int = 5,
    min_score: float = 0.2,
    vocabulary: Vocabulary | None = None,
    semantic: bool = True,
) -> list[dict[str, Any]]:
    """Tags for untagged critiques, from their ``k`` nearest tagged critiques and from the
    failure-mode vocabulary; at most three per critique, best first. ``vocabulary`` defaults
    to the starter taxonomy; ``semantic`` reads critiques with :func:`critique_models` too.

    A neighbour vote scores the similarity-weighted share of the neighbours' votes times the
    best neighbour's similarity, and lists the neighbours that support it. A vocabulary mode
    the critique reads as is suggested under the people's own tag for it when there is one
    (else the mode's id), scored by the match's confidence, with its ``mode`` and the
    ``evidence`` phrases. Both for one tag combine as independent evidence (noisy-or).
    """
    if isinstance(trees, GameCorpus):
        corpus = trees
    else:
        models = critique_models(semantic)
        corpus = GameCorpus(
            trees, vocabulary=vocabulary, embedder=models.embedder, reader=models.reader
        )
    crits = corpus.critiques
    any_tagged = any(c.tags for c in crits)
    if not any_tagged and not corpus.vocabulary.modes:
        return []
    modes = corpus.modes
    tfidf = corpus.tfidf if any_tagged else None
    out: list[dict[str, Any]] = []
    for q, c in enumerate(crits):
        if c.tags:
            continue
        ranked: dict[str, dict[str, Any]] = {}
        near = (
            tfidf.neighbours(
                q,
                k=k,
                min_score=min_score,
                allowed=lambda j: bool(crits[j].tags),
                budget=NEIGHBOUR_BUDGET,
                max_df=NEIGHBOUR_MAX_DF,
            )
            if tfidf is not None
            else []
        )
        if near:
            votes: dict[str, float] = defaultdict(float)
            support: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for j, s in near:
                for t in crits[j].tags:
                    votes[t] += s
                    support[t].append(
                        {
                            "tree": crits[j].tree,
                            "node": crits[j].id,
                            "label": short(crits[j].text),
                            "score": round(s, 3),
                        }
                    )
            total = sum(votes.values())
            best = near[0][1]
            for t, v in votes.items():
                ranked[t] = {
                    "tag": t,
                    "score": best * v / total,
                    "neighbours": support[t],
                    "mode": None,
                    "evidence": [],
                }
        m = modes[q]
        if m is not None:
            tag = corpus.tag_for_mode(m.mode)
            row = ranked.setdefault(
                tag, {"tag": tag, "score": 0.0, "neighbours": [], "mode": None, "evidence": []}
            )
            row["score"] = 1.0 - (1.0 - row["score"]) * (1.0 - m.confidence)
            row["mode"] = mode_out(m.mode)
            row["evidence"] = list(m.evidence)
        if not ranked:
            continue
        best_three = sorted(ranked.values(), key=lambda r: (-r["score"], r["tag"]))[:3]
        for r in best_three:
            r["score"] = round(r["score"], 3)
        out.append(
            {"tree": c.tree, "node": c.id, "label": short(c.text), "suggestions": best_three}
        )
    return out
