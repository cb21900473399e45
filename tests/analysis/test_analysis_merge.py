"""Analysis layer tests: merging problem trees, suggestions, disagreements, rounds."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Sequence
from typing import Any

import networkx as nx
import pytest
from analysis_helpers import node, outline
from hypothesis import given, settings
from hypothesis import strategies as st

from trees.analysis.batch import no_gc
from trees.analysis.graph import tree_graph
from trees.analysis.merge import merge
from trees.analysis.merge.dag import strongly_connected
from trees.analysis.merge.lineage import fork
from trees.analysis.merge.matching import Matcher
from trees.analysis.merge.pipeline import _items
from trees.analysis.recurrence import rank_problems
from trees.analysis.text.glossary import Glossary
from trees.analysis.text.semantic import load_embedder

ONE = """
R r Alignment
  R a Outer alignment
    R a1 Reward hacking
    R a2 Specifying human values
  R b Deceptive alignment
  R c ELK
"""
TWO = """
R r AI alignment
  R a Outer alignment
    R a1 Reward hacking
    R a2 Specification of human values
  R b Deception
  R c Eliciting latent knowledge
  R d Alignment
"""


def run(*outlines: str, **kw: Any) -> dict[str, Any]:
    trees = [(k, outline(text, prefix=f"t{k}")) for k, text in enumerate(outlines, start=1)]
    kw.setdefault("embedder", None)
    return merge(trees, **kw)


def sources(result: dict[str, Any]) -> list[set[str]]:
    return [{s["node"] for s in n["meta"]["sources"]} for n in result["nodes"]]


def test_roots_identical_labels_and_glossary_aliases_merge_automatically() -> None:
    groups = sources(run(ONE, TWO))
    assert {"t1r", "t2r"} in groups
    assert {"t1a", "t2a"} in groups
    assert {"t1a1", "t2a1"} in groups
    assert {"t1c", "t2c"} in groups  # ELK = eliciting latent knowledge


def test_merge_expands_a_defined_acronym_in_capitals_but_not_the_same_slang_in_lower_case() -> None:
    trees = [
        (1, outline("R r Alignment\n  R a Inverse reinforcement learning (IRL)", prefix="t1")),
        (2, outline("R r Alignment\n  R a IRL\n  R b fine in training, weird irl", prefix="t2")),
    ]
    items, _ = _items(trees)
    Matcher(items, Glossary())
    norm = {it.label: it.norm for it in items}
    assert norm["IRL"] == "inverse reinforcement learning"
    assert norm["fine in training, weird irl"] == "fine in training weird irl"
    assert {"t1a", "t2a"} in sources(merge(trees, embedder=None))


def test_subset_like_labels_are_suggested_but_never_merged() -> None:
    result = run(ONE, TWO)
    groups = sources(result)
    assert {"t1b"} in groups and {"t2b"} in groups  # "deceptive alignment" vs "deception"
    assert {"t2d"} in groups  # "alignment" stays apart from every "... alignment"
    pairs = {(s["a"]["node"], s["b"]["node"]) for s in result["suggestions"]}
    assert ("t1b", "t2b") in pairs or ("t2b", "t1b") in pairs
    sugg = next(
        s for s in result["suggestions"] if {s["a"]["node"], s["b"]["node"]} == {"t1b", "t2b"}
    )
    assert "review only" in sugg["explanation"]


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("Alignment", "Deceptive alignment"),
        ("Reward hacking", "Reward hacking in RLHF"),
        ("Oversight", "Scalable oversight"),
    ],
)
def test_a_label_contained_in_another_never_auto_merges(short: str, long: str) -> None:
    one = [node("r1", "R", None, "Alignment"), node("x", "R", "r1", short)]
    two = [node("r2", "R", None, "Alignment"), node("y", "R", "r2", long)]
    result = merge([(1, one), (2, two)], embedder=None)
    assert not any(m["reason"] == "auto" for m in result["matches"])


def test_suggestions_carry_top_three_candidates_and_explained_components() -> None:
    result = run(ONE, TWO)
    for s in result["suggestions"]:
        assert 0.0 <= s["score"] <= 1.0
        assert "labels" in s["components"]
        assert 1 <= len(s["candidates"]) <= 3
        assert s["candidates"][0]["node"] == s["b"]["node"]
        assert s["a"]["tree"] != s["b"]["tree"]


def test_two_nodes_of_one_tree_never_share_a_cluster() -> None:
    one = outline("R r Alignment\n  R a Goodhart\n  R b Goodhart", prefix="o")
    two = outline("R r Alignment\n  R a Goodhart", prefix="t")
    result = merge([(1, one), (2, two)], embedder=None)
    for n in result["nodes"]:
        trees = [s["tree"] for s in n["meta"]["sources"]]
        assert len(trees) == len(set(trees))


def test_two_inputs_under_one_tree_id_count_as_one_source_tree() -> None:
    one = outline("R r Alignment\n  R a Goodhart", prefix="o")
    again = outline("R r Alignment\n  R a Goodhart", prefix="p")
    other = outline("R r Alignment\n  R a Goodhart", prefix="t")
    result = merge([(1, one), (2, other), (1, again)], embedder=None)
    for n in result["nodes"]:
        trees = [s["tree"] for s in n["meta"]["sources"]]
        assert len(trees) == len(set(trees))
    assert any(len(n["meta"]["sources"]) == 2 for n in result["nodes"])


def test_confirmed_matches_apply_first_and_teach_the_glossary() -> None:
    glossary = Glossary()
    result = run(ONE, TWO, glossary=glossary, confirmed=[(("1", "x"), ("2", "y"))])
    assert result  # unknown refs are ignored, not an error
    result = run(
        ONE,
        TWO,
        glossary=glossary,
        confirmed=[{"a": {"tree": 1, "node": "t1b"}, "b": {"tree": 2, "node": "t2b"}}],
    )
    assert {"t1b", "t2b"} in sources(result)
    assert any(m["reason"] == "confirmed" for m in result["matches"])
    assert glossary.expand("deception") == "deceptive alignment"


def test_rejected_pairs_are_neither_merged_nor_suggested() -> None:
    result = run(ONE, TWO, rejected=[((1, "t1a1"), (2, "t2a1")), ((1, "t1b"), (2, "t2b"))])
    groups = sources(result)
    assert {"t1a1"} in groups and {"t2a1"} in groups
    for s in result["suggestions"]:
        pair = {s["a"]["node"], s["b"]["node"]}
        assert pair not in ({"t1a1", "t2a1"}, {"t1b", "t2b"})
        for c in s["candidates"]:
            assert {s["a"]["node"], c["node"]} not in ({"t1a1", "t2a1"}, {"t1b", "t2b"})


def test_opposite_orders_in_two_trees_are_reported_as_a_disagreement() -> None:
    one = outline("R r Alignment\n  R a Inner alignment\n    R b Mesa-optimisation", prefix="o")
    two = outline("R r Alignment\n  R b Mesa-optimisation\n    R a Inner alignment", prefix="t")
    result = merge([(1, one), (2, two)], embedder=None)
    assert len(result["disagreements"]) == 1
    d = result["disagreements"][0]
    assert "above" in d["message"]
    assert {c["contributors"][0] for c in d["cycle"]} == {1, 2}
    g = tree_graph(result["nodes"])
    assert nx.is_directed_acyclic_graph(g)


def test_a_problem_placed_differently_becomes_a_dag_node_with_two_parents() -> None:
    one = outline("R r Alignment\n  R a Outer alignment\n    R g Goodhart's law", prefix="o")
    two = outline("R r Alignment\n  R s Scalable oversight\n    R g Goodhart's law", prefix="t")
    result = merge([(1, one), (2, two)], embedder=None)
    good = next(n for n in result["nodes"] if n["text"] == "Goodhart's law")
    by_id = {n["id"]: n["text"] for n in result["nodes"]}
    assert {by_id[good["parent"]], *(by_id[p] for p in good["parents"])} == {
        "Outer alignment",
        "Scalable oversight",
    }
    assert [s["tree"] for s in good["meta"]["sources"]] == [1, 2]
    edge = next(
        e for e in result["edges"] if e["child"] == good["id"] and e["parent"] == good["parent"]
    )
    assert edge["contributors"] == [1]


def test_merged_nodes_are_valid_protocol_nodes() -> None:
    result = run(ONE, TWO)
    ids = {n["id"] for n in result["nodes"]}
    roots = [n for n in result["nodes"] if n["parent"] is None]
    assert len(roots) == 1
    for n in result["nodes"]:
        assert n["type"] == "problem"
        assert n["parent"] is None or n["parent"] in ids
        assert all(p in ids for p in n["parents"])
        assert n["key"]
        assert n["meta"]["sources"]


def test_a_second_round_matches_carried_nodes_by_lineage_and_combines_edits() -> None:
    first = run(ONE, TWO)
    base = first["nodes"]
    copies = fork(base, ["ann", "bob"])
    ann, bob = copies["ann"], copies["bob"]
    assert all(n["meta"]["origin"] in {b["id"] for b in base} for n in ann)
    # ann renames ELK; bob rewrites the same node differently -> conflict.
    # ann rewords "Reward hacking" (only she changes it) -> taken.
    elk = next(n for n in ann if n["text"] == "ELK")
    elk["text"] = "Eliciting latent knowledge (ELK)"
    next(n for n in bob if n["meta"]["origin"] == elk["meta"]["origin"])["text"] = "ELK problem"
    hack = next(n for n in ann if n["text"] == "Reward hacking")
    hack["text"] = "Reward hacking / specification gaming"
    root_ann = next(n for n in ann if n["parent"] is None)
    root_bob = next(n for n in bob if n["parent"] is None)
    ann.append(node("new-a", "R", root_ann["id"], "Sycophancy"))
    bob.append(node("new-b", "R", root_bob["id"], "Sycophancy"))
    second = merge([("ann", ann), ("bob", bob)], base=base, embedder=None)
    by_origin = {n["id"]: n for n in second["nodes"]}
    assert set(by_origin) >= {b["id"] for b in base}  # lineage keeps merged ids stable
    assert by_origin[hack["meta"]["origin"]]["text"] == "Reward hacking / specification gaming"
    assert by_origin[elk["meta"]["origin"]]["text"] == "ELK"
    assert [c["node"] for c in second["conflicts"]] == [elk["meta"]["origin"]]
    syc = [n for n in second["nodes"] if n["text"] == "Sycophancy"]
    assert len(syc) == 1 and len(syc[0]["meta"]["sources"]) == 2
    assert all(m["reason"] in {"root", "lineage", "auto"} for m in second["matches"])


ANN_R1 = """
R r Alignment
  R a Reward hacking
  R b Deceptive alignment
  R c Race dynamics
"""
BOB_R1 = """
R r Alignment
  R a Reward hacking
  R b Deceptive alignment
"""
CAT_R1 = """
R r Alignment
  R a Reward hacking
  R d Interpretability is immature
"""


def test_support_after_a_second_round_counts_who_drew_each_problem_not_every_copy() -> None:
    first = merge(
        [
            (11, outline(ANN_R1, prefix="a")),
            (12, outline(BOB_R1, prefix="b")),
            (13, outline(CAT_R1, prefix="c")),
        ],
        embedder=None,
    )
    before = {r["label"]: r["support"] for r in rank_problems(first["nodes"])}
    assert before == {
        "Reward hacking": 1.0,
        "Deceptive alignment": 0.667,
        "Race dynamics": 0.333,
        "Interpretability is immature": 0.333,
    }
    # round 2: a copy per person (trees 21-23); bob rewords one carried problem, bob and cat
    # both add the same new problem, ann adds one of her own
    copies = fork(first["nodes"], ["ann", "bob", "cat"])
    root = {p: next(n["id"] for n in c if n["parent"] is None) for p, c in copies.items()}
    next(n for n in copies["bob"] if n["text"] == "Race dynamics")["text"] = "Racing to deploy"
    copies["bob"].append(node("nb", "R", root["bob"], "Sycophancy"))
    copies["cat"].append(node("nc", "R", root["cat"], "Sycophancy"))
    copies["ann"].append(node("na", "R", root["ann"], "Scalable oversight"))
    second = merge(
        [(21, copies["ann"]), (22, copies["bob"]), (23, copies["cat"])],
        base=first["nodes"],
        embedder=None,
    )
    rows = {r["label"]: r for r in rank_problems(second["nodes"], source_trees=[21, 22, 23])}
    after = {label: r["support"] for label, r in rows.items()}
    assert after == {
        "Reward hacking": 1.0,
        "Deceptive alignment": 0.667,
        "Racing to deploy": 0.333,  # still the one person who drew it, whoever reworded it
        "Interpretability is immature": 0.333,
        "Sycophancy": 0.667,
        "Scalable oversight": 0.333,
    }
    assert rows["Racing to deploy"]["explanation"].endswith("drawn by 1 of 3 trees")
    # the merge's sources are still its inputs (the copies), which split-back goes by
    race = next(n for n in second["nodes"] if n["text"] == "Racing to deploy")
    assert {s["tree"] for s in race["meta"]["sources"]} == {21, 22, 23}
    assert [d["tree"] for d in race["meta"]["drew"]] == [11]


def test_a_first_merge_records_no_drew_provenance() -> None:
    assert all("drew" not in n["meta"] for n in run(ONE, TWO)["nodes"])


def test_a_node_deleted_in_one_copy_and_untouched_elsewhere_is_removed() -> None:
    base = run(ONE, TWO)["nodes"]
    copies = fork(base, ["ann", "bob"])
    gone = next(n for n in copies["ann"] if n["text"] == "Deception")
    copies["ann"] = [n for n in copies["ann"] if n is not gone]
    second = merge(list(copies.items()), base=base, embedder=None)
    assert gone["meta"]["origin"] not in {n["id"] for n in second["nodes"]}
    assert second["conflicts"] == []


def test_merge_works_with_the_embedding_model_switched_off(monkeypatch: Any) -> None:
    monkeypatch.setenv("GAMETREE_SEMANTIC", "0")
    assert load_embedder() is None
    result = merge([(1, outline(ONE, prefix="t1")), (2, outline(TWO, prefix="t2"))])
    assert result["stats"]["embeddings"] is False
    assert {"t1c", "t2c"} in sources(result)


def test_a_pair_is_suggested_once_however_many_nodes_ask_about_it() -> None:
    # "Race dynamics" is the best partner of "Competitive pressure" and the other way round:
    # one suggestion, not "A = B?" and "B = A?"
    one = outline(
        "R r Alignment\n  R a Race dynamics\n  R b Reward hacking\n  R c Misuse", prefix="t1"
    )
    two = outline(
        "R r Alignment\n  R a Competitive pressure\n  R b Reward gaming\n  R c Bad actors",
        prefix="t2",
    )
    three = outline("R r Alignment\n  R a Racing labs\n  R b Gaming rewards", prefix="t3")
    result = merge([(1, one), (2, two), (3, three)])
    shown: list[frozenset[tuple[Any, Any]]] = []
    for s in result["suggestions"]:
        a = (s["a"]["tree"], s["a"]["node"])
        shown.extend(frozenset((a, (c["tree"], c["node"]))) for c in s["candidates"])
    assert result["suggestions"]
    assert len(shown) == len(set(shown))


def test_an_order_disagreement_between_suggested_matches_is_reported_as_pending() -> None:
    # B under A in one tree, A under B in the other, but neither pair may merge on its own
    # (one label contains the other; the other pair shares no word): the group hears of it
    # before it accepts the suggestions
    one = outline("R r Alignment\n  R a Race dynamics\n    R b Alignment tax", prefix="t1")
    two = outline(
        "R r Alignment\n  R b The alignment tax of safety work\n    R a Competitive pressure",
        prefix="t2",
    )
    result = merge([(1, one), (2, two)])
    assert result["matches"] == [m for m in result["matches"] if m["reason"] == "root"]
    pending = [d for d in result["disagreements"] if d.get("pending")]
    assert len(pending) == 1
    labels = {(e["parent"]["label"], e["child"]["label"]) for e in pending[0]["cycle"]}
    assert labels == {
        ("Race dynamics", "Alignment tax"),
        ("The alignment tax of safety work", "Competitive pressure"),
    }
    assert pending[0]["dropped"] == []
    assert pending[0]["message"].startswith("if the suggested matches are accepted")
    nodes = {n["id"] for n in result["nodes"]}
    assert all(
        e["parent"]["node"] in nodes and e["child"]["node"] in nodes for e in pending[0]["cycle"]
    )


def test_an_installed_embedder_is_blended_into_the_label_score() -> None:
    def fake(texts: Sequence[str]) -> list[list[float]]:
        # "Reward hacking" and "Specification gaming" are one concept to this fake model
        return [[1.0, 0.0] if ("hack" in t or "gaming" in t) else [0.0, 1.0] for t in texts]

    one = [node("r1", "R", None, "Alignment"), node("x", "R", "r1", "Reward hacking")]
    two = [node("r2", "R", None, "Alignment"), node("y", "R", "r2", "Specification gaming")]
    plain = merge([(1, one), (2, two)], embedder=None)
    blended = merge([(1, one), (2, two)], embedder=fake)
    assert blended["stats"]["embeddings"] is True

    def score(result: dict[str, Any]) -> float:
        return max((s["score"] for s in result["suggestions"]), default=0.0)

    assert score(blended) > score(plain)


@st.composite
def problem_trees(draw: st.DrawFn) -> list[tuple[int, list[dict[str, Any]]]]:
    words = ["reward", "hacking", "deception", "oversight", "values", "power", "goal", "drift"]
    trees = []
    for t in range(draw(st.integers(min_value=1, max_value=3))):
        n = draw(st.integers(min_value=1, max_value=12))
        nodes = [node(f"{t}-0", "R", None, "Alignment")]
        for i in range(1, n):
            parent = draw(st.integers(min_value=0, max_value=i - 1))
            label = " ".join(draw(st.lists(st.sampled_from(words), min_size=1, max_size=3)))
            nodes.append(node(f"{t}-{i}", "R", f"{t}-{parent}", label))
        trees.append((t, nodes))
    return trees


@settings(max_examples=60, deadline=None)
@given(problem_trees())
def test_merge_never_fails_and_always_returns_an_acyclic_provenanced_dag(
    trees: list[tuple[int, list[dict[str, Any]]]],
) -> None:
    result = merge(trees, embedder=None)
    assert nx.is_directed_acyclic_graph(tree_graph(result["nodes"]))
    seen = [s["node"] for n in result["nodes"] for s in n["meta"]["sources"]]
    assert sorted(seen) == sorted(n["id"] for _, nodes in trees for n in nodes)
    for n in result["nodes"]:
        trees_of = [s["tree"] for s in n["meta"]["sources"]]
        assert len(trees_of) == len(set(trees_of))


@st.composite
def problem_dags(draw: st.DrawFn) -> list[tuple[int, list[dict[str, Any]]]]:
    """Like :func:`problem_trees`, but some problems sit under a second parent (a merged
    tree forked for the next round is a DAG)."""
    trees = draw(problem_trees())
    for _, nodes in trees:
        for i in range(2, len(nodes)):
            if draw(st.booleans()):
                extra = draw(st.integers(min_value=0, max_value=i - 1))
                if nodes[i]["parent"] != nodes[extra]["id"]:
                    nodes[i]["parents"] = [nodes[extra]["id"]]
    return trees


@pytest.mark.parametrize("with_model", [False, True])
@settings(max_examples=40, deadline=None)
@given(trees=problem_dags())
def test_the_fast_ranking_scores_every_pair_as_its_explanation_does(
    trees: list[tuple[int, list[dict[str, Any]]]], with_model: bool
) -> None:
    items, _ = _items(trees)
    matcher = Matcher(items, Glossary(), load_embedder() if with_model else None)
    matcher.candidates(range(len(items)), floor=0.2)
    ranked = list(matcher.ranked(0.0))
    assert len(ranked) == len(matcher.known)
    assert list(matcher.known) == sorted(matcher.known)  # ranked() breaks ties by it
    assert ranked == sorted(ranked)
    for neg, i, j in ranked:
        assert i < j and items[i].tree != items[j].tree
        assert -neg == matcher.score(i, j).score == matcher.fast_score(i, j)


def test_strongly_connected_reports_each_cycle_of_two_or_more_nodes_once() -> None:
    # node numbers need not be consecutive: merged clusters are numbered by an item
    succ: dict[int, dict[int, Any]] = {
        3: {7: None},
        7: {10: None},
        10: {3: None, 12: None},
        12: {},
        20: {21: None},
        21: {20: None},
        30: {30: None},
    }
    comps = sorted(sorted(c) for c in strongly_connected(succ))
    assert comps == [[3, 7, 10], [20, 21]]


class _Node:
    """A container that weak references can watch."""

    other: _Node | None = None


def test_a_batch_hands_its_objects_to_the_oldest_generation_and_frees_its_cycles() -> None:
    assert gc.isenabled()
    with no_gc():
        assert not gc.isenabled()
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a cycle: only the cycle detector frees it
        kept = [[] for _ in range(5000)]
    assert gc.isenabled()
    # what the batch made went straight to the oldest generation: no pass over all of it
    # when the collector came back
    assert any(o is kept for o in gc.get_objects(generation=2))
    watch = weakref.ref(a)
    del a, b
    gc.collect()
    assert watch() is None
    assert len(kept) == 5000


def test_a_batch_does_not_unfreeze_what_the_process_froze() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with no_gc():
            pass
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()
