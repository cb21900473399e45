"""Analysis layer tests: survival (grounded labelling) of game trees."""

from __future__ import annotations

import networkx as nx
from analysis_helpers import node, outline
from hypothesis import given, settings
from hypothesis import strategies as st

from trees.analysis.graph import graph_nodes, tree_graph
from trees.analysis.survival import IN, OUT, UNDEC, AttackFramework, survival


def test_a_proposal_without_critiques_survives() -> None:
    result = survival(outline("P p1 Imitate a careful human"))
    assert result["p1"].status == "survives"
    assert result["p1"].reason == "no critiques"


def test_an_unanswered_critique_breaks_its_proposal_with_a_reason() -> None:
    result = survival(
        outline(
            """
P p1 Imitate a careful human
  C c1 Imitation copies human mistakes
"""
        )
    )
    assert result["c1"].status == "survives"
    assert result["c1"].reason == "unanswered critique"
    assert result["p1"].status == "broken"
    assert result["p1"].reason == "broken by: Imitation copies human mistakes"
    assert result["p1"].by == ("c1",)


def test_a_surviving_patch_answers_the_critique_and_the_proposal_survives() -> None:
    result = survival(
        outline(
            """
P p1 Imitate a careful human
  C c1 Imitation copies human mistakes
    X x1 Filter demonstrations by expert review
"""
        )
    )
    assert result["c1"].status == "broken"
    assert result["c1"].reason == "answered by: Filter demonstrations by expert review"
    assert result["p1"].status == "survives"


def test_a_broken_patch_does_not_answer_its_critique() -> None:
    result = survival(
        outline(
            """
P p1 proposal
  C c1 first critique
    X x1 patch
      C c2 the patch does not scale
  C c3 second critique
    X x2 good patch
"""
        )
    )
    assert result["x1"].status == "broken"
    assert result["c1"].status == "survives"
    assert result["c3"].status == "broken"
    assert result["p1"].status == "broken"
    assert result["p1"].by == ("c1",)


def test_every_critique_needs_an_answer_but_one_patch_per_critique_is_enough() -> None:
    result = survival(
        outline(
            """
P p1 proposal
  C c1 critique one
    X x1 bad patch
      C c9 kills it
    X x2 good patch
  C c2 critique two
    X x3 another good patch
"""
        )
    )
    assert result["p1"].status == "survives"
    assert result["p1"].reason == "all 2 critiques answered"


def test_a_cross_link_cycle_is_contested_not_an_error() -> None:
    # c1 attacks p1 and (cross-link) x1; x1 answers c1: a 2-cycle between c1 and x1.
    nodes = [
        node("p1", "P", None, "proposal"),
        node("c1", "C", "p1", "critique", parents=["x1"]),
        node("x1", "X", "c1", "patch"),
    ]
    result = survival(nodes)
    assert result["c1"].status == "contested"
    assert result["x1"].status == "contested"
    assert result["p1"].status == "contested"
    assert result["p1"].reason.startswith("contested: circular attacks via: critique")


def test_an_odd_cycle_with_an_unattacked_attacker_is_decided() -> None:
    nodes = [
        node("p1", "P", None, "proposal"),
        node("c1", "C", "p1", "c1", parents=["x1"]),
        node("x1", "X", "c1", "x1"),
        node("c2", "C", "x1", "c2"),  # unattacked, so x1 is OUT and the cycle resolves
    ]
    result = survival(nodes)
    assert result["x1"].status == "broken"
    assert result["c1"].status == "survives"
    assert result["p1"].status == "broken"


def test_deleted_nodes_are_ignored() -> None:
    nodes = outline(
        """
P p1 proposal
  C c1 critique
"""
    )
    nodes[1]["deleted"] = True
    result = survival(nodes)
    assert "c1" not in result
    assert result["p1"].status == "survives"


def test_the_counterfactual_relabels_only_what_depends_on_the_answered_critiques() -> None:
    nodes = outline(
        """
P p1 proposal
  C c1 critique
  C c2 critique
P p2 other proposal
  C c3 critique
"""
    )
    fw = AttackFramework(nodes)
    changed = fw.counterfactual([fw.index["c1"]])
    assert changed[fw.index["p1"]] == OUT  # c2 still stands
    assert fw.index["p2"] not in changed
    changed = fw.counterfactual([fw.index["c1"], fw.index["c2"]])
    assert changed[fw.index["p1"]] == IN


def _random_framework(draw: st.DrawFn) -> list[dict[str, object]]:
    n = draw(st.integers(min_value=1, max_value=25))
    nodes: list[dict[str, object]] = [node("n0", "P", None)]
    for i in range(1, n):
        parent = draw(st.integers(min_value=0, max_value=i - 1))
        ptype = nodes[parent]["type"]
        kind = "critique" if ptype in ("proposal", "patch") else "patch"
        extra = draw(st.lists(st.integers(min_value=0, max_value=n - 1), max_size=2))
        nodes.append(node(f"n{i}", kind, f"n{parent}", parents=[f"n{e}" for e in extra]))
    return nodes


frameworks = st.composite(_random_framework)


@settings(max_examples=200, deadline=None)
@given(frameworks())
def test_the_grounded_labelling_is_a_complete_labelling_and_least_fixed_point(
    nodes: list[dict[str, object]],
) -> None:
    fw = AttackFramework(nodes)
    lab = fw.labels
    for v in range(len(fw.ids)):
        atk = fw.attackers[v]
        if lab[v] == IN:
            assert all(lab[a] == OUT for a in atk)
        elif lab[v] == OUT:
            assert any(lab[a] == IN for a in atk)
        else:
            assert not any(lab[a] == IN for a in atk)
            assert any(lab[a] == UNDEC for a in atk)
    # grounded = iterate the characteristic function from the empty set
    ext: set[int] = set()
    while True:
        defeated = {t for a in ext for t in fw.attacks[a]}
        nxt = {v for v in range(len(fw.ids)) if all(a in defeated for a in fw.attackers[v])}
        if nxt == ext:
            break
        ext = nxt
    assert ext == {v for v in range(len(fw.ids)) if lab[v] == IN}


@settings(max_examples=200, deadline=None)
@given(frameworks(), st.data())
def test_the_incremental_counterfactual_equals_a_full_rerun(
    nodes: list[dict[str, object]], data: st.DataObject
) -> None:
    fw = AttackFramework(nodes)
    crit = [i for i, t in enumerate(fw.types) if t == "critique"]
    answered = data.draw(st.lists(st.sampled_from(crit), max_size=3)) if crit else []
    changed = fw.counterfactual(answered)
    # full re-run: give each answered critique a fresh unattacked patch
    extra = [node(f"fix{j}", "patch", fw.ids[c]) for j, c in enumerate(answered)]
    full = AttackFramework(nodes + extra)
    for i, v in enumerate(fw.ids):
        expected = full.labels[full.index[v]]
        assert changed.get(i, fw.labels[i]) == expected


def test_on_a_tree_grounded_survival_equals_and_or_evaluation() -> None:
    g = nx.random_labeled_tree(300, seed=7)
    tree = nx.bfs_tree(g, 0)
    nodes = []
    kinds: dict[int, str] = {}
    for v in nx.topological_sort(tree):
        preds = list(tree.predecessors(v))
        if not preds:
            kinds[v] = "proposal"
        else:
            kinds[v] = "critique" if kinds[preds[0]] in ("proposal", "patch") else "patch"
        nodes.append(node(str(v), kinds[v], str(preds[0]) if preds else None))

    def survives(v: int) -> bool:
        return not any(survives(c) for c in tree.successors(v))

    result = survival(nodes)
    for v in tree:
        assert (result[str(v)].status == "survives") == survives(v)


def test_graph_round_trip_keeps_primary_and_extra_parents() -> None:
    nodes = [
        node("a", "R", None),
        node("b", "R", "a"),
        node("c", "R", "b", parents=["a"]),
        node("d", "R", "c", deleted=True),
    ]
    g = tree_graph(nodes, tree_id=4)
    assert set(g.edges) == {("a", "b"), ("b", "c"), ("a", "c")}
    assert g.graph["tree"] == 4
    back = {n["id"]: n for n in graph_nodes(g)}
    assert back["c"]["parent"] == "b"
    assert back["c"]["parents"] == ["a"]
    assert "d" not in back


def test_survival_labels_100k_nodes_and_a_30k_deep_chain_without_recursion() -> None:
    # Scale is a behaviour here (every label right, no RecursionError on a deep chain); how
    # fast it runs is bench/analysis_speed.py's question, not a test's.
    nodes = []
    for p in range(10_000):
        nodes.append(node(f"p{p}", "P", None, f"proposal {p}"))
        for c in range(3):
            nodes.append(node(f"p{p}c{c}", "C", f"p{p}", f"critique {p}.{c}"))
            nodes.append(node(f"p{p}c{c}x", "X", f"p{p}c{c}", f"patch {p}.{c}"))
    # One proposal under a chain of 29,999 alternating critiques and patches, deepest a critique.
    nodes.append(node("deep", "P", None, "the deep proposal"))
    parent = "deep"
    for d in range(1, 30_000):
        nodes.append(node(f"d{d}", "C" if d % 2 else "X", parent, f"link {d}"))
        parent = f"d{d}"
    assert len(nodes) == 100_000

    result = survival(nodes)

    assert len(result) == 100_000
    for p in range(10_000):
        assert result[f"p{p}"].status == "survives"
        for c in range(3):
            assert result[f"p{p}c{c}"].status == "broken"
            assert result[f"p{p}c{c}"].reason == f"answered by: patch {p}.{c}"
            assert result[f"p{p}c{c}x"].status == "survives"
    for d in range(1, 30_000):
        assert result[f"d{d}"].status == ("survives" if d % 2 else "broken"), d
    assert result["d29999"].reason == "unanswered critique"
    assert result["deep"].status == "broken"
    assert result["deep"].reason == "broken by: link 1"
