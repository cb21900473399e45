"""Analysis layer tests: failure-mode statistics, rescue, tag suggestions, clusters, the
failure-mode vocabulary and the optional semantic scorer."""

from __future__ import annotations

import random

import numpy as np
import pytest
from analysis_helpers import outline

from trees.analysis.recurrence import TreeInput, clusters, rank_problems, recurring
from trees.analysis.recurrence.clusters import (
    cluster_untagged,
    label_propagation,
    meaning_neighbours,
)
from trees.analysis.recurrence.failure_modes import (
    GameCorpus,
    critique_embedder,
    failure_mode_table,
    suggest_tags,
)
from trees.analysis.taxonomy import Family, Mode
from trees.analysis.text import semantic
from trees.analysis.text.similarity import Embedder, dot
from trees.analysis.vocabulary import meaning
from trees.analysis.vocabulary.modes import ModeMatch, Vocabulary, starter_vocabulary

GAME = """
P p1 Train on human approval
  C c1 [goodhart] @1 The model learns to seek approval rather than be right
  C c2 [deception] @2 A capable model could pretend to be aligned during training
P p2 Debate between two models
  C c3 [goodhart] @2 Judges reward persuasive answers rather than true ones
    X x1 @3 Train judges on questions with known answers
      C c4 [goodhart] @3 Judges then reward whatever looks like the known-answer style
P p3 Interpretability audits before deployment
  C c5 [deception] @1 The model could hide its reasoning from the probes
    X x2 @1 Audit many layers with independent tools
P p4 Imitate a careful human
"""


def table(text: str = GAME) -> dict[str, dict[str, object]]:
    return {row["tag"]: row for row in failure_mode_table([(1, outline(text))])}


def test_props_stand_authors_and_whack_a_mole_follow_the_definitions() -> None:
    rows = table()
    good = rows["goodhart"]
    assert good["props"] == 2  # p1, p2
    assert good["stand"] == 2  # c1 breaks p1; c3 stands again because c4 broke its patch
    assert good["authors"] == 3
    assert good["re"] == 1  # c4 sits below the patch of the earlier goodhart critique c3
    assert good["score"] == (2 + 2) * 3 / 4 + 0.5 * 1
    dec = rows["deception"]
    assert dec["props"] == 2
    assert dec["stand"] == 1  # c2 breaks p1; c5 is answered by x2
    assert dec["re"] == 0


def test_rescue_counts_proposals_that_answering_every_tag_critique_would_save() -> None:
    rows = table()
    # p1 is broken by c1 (goodhart) and c2 (deception): answering one tag saves nothing.
    # p2 is broken only through goodhart critiques: answering them saves it.
    assert rows["goodhart"]["rescue"] == 1
    assert rows["deception"]["rescue"] == 0


def test_the_table_is_sorted_most_taut_first_with_members_for_drill_down() -> None:
    rows = failure_mode_table([(1, outline(GAME))])
    assert [r["tag"] for r in rows] == ["goodhart", "deception"]
    members = {m["node"] for m in rows[0]["members"]}
    assert members == {"c1", "c3", "c4"}
    assert all({"tree", "node", "label", "status"} <= m.keys() for m in rows[0]["members"])


def test_tags_compare_case_and_punctuation_insensitively_across_trees() -> None:
    one = outline("P p1 a\n  C c1 [Reward-Hacking] x", prefix="a")
    two = outline("P p1 b\n  C c1 [reward_hacking] y", prefix="b")
    rows = failure_mode_table([(1, one), (2, two)])
    assert len(rows) == 1
    assert rows[0]["props"] == 2
    assert {m["tree"] for m in rows[0]["members"]} == {1, 2}


def test_untagged_critiques_get_the_tag_of_their_nearest_tagged_neighbours() -> None:
    nodes = outline(
        GAME
        + """
P p5 Recursive reward modelling
  C c6 The reward model learns to seek the approval of raters rather than being right
  C c7 Nothing about this scales to superhuman tasks
"""
    )
    sugg = {s["node"]: s for s in suggest_tags([(1, nodes)])}
    assert sugg["c6"]["suggestions"][0]["tag"] == "goodhart"
    assert sugg["c6"]["suggestions"][0]["neighbours"][0]["node"] == "c1"
    assert "c1" not in sugg  # tagged critiques get no suggestions


def test_clusters_of_untagged_critiques_span_proposals_and_are_reproducible() -> None:
    text = """
P p1 Imitation learning
  C c1 Human demonstrators make systematic errors that get copied
P p2 Recursive reward modelling
  C c2 Human raters make systematic errors that get amplified
P p3 Debate
  C c3 The debaters might collude against the judge
P p4 Market making
  C c4 Human judges make systematic errors which the market exploits
"""
    corpus = GameCorpus([(1, outline(text))])
    first = cluster_untagged(corpus, seed=3)
    assert first == cluster_untagged(GameCorpus([(1, outline(text))]), seed=3)
    ids = [{corpus.critiques[q].id for q in c} for c in first]
    assert {"c1", "c2", "c4"} in ids


def test_recurring_on_game_trees_ranks_tags_and_clusters_together() -> None:
    text = (
        GAME
        + """
P p5 Imitation learning
  C c11 Human demonstrators make systematic errors that get copied
P p6 Recursive reward modelling
  C c12 Human raters make systematic errors that get amplified
P p7 Market making
  C c14 Human judges make systematic errors which the market exploits
"""
    )
    result = recurring([TreeInput(1, outline(text))], top=5)
    assert result["kind"] == "game"
    kinds = {item["kind"] for item in result["items"]}
    assert kinds == {"tag", "cluster"}
    scores = [item["score"] for item in result["items"]]
    assert scores == sorted(scores, reverse=True)
    cluster = next(item for item in result["items"] if item["kind"] == "cluster")
    assert {m["node"] for m in cluster["members"]} == {"c11", "c12", "c14"}
    assert cluster["props"] == 3


def test_recurring_on_problem_trees_ranks_by_breadth_times_support() -> None:
    one = outline(
        """
R r Alignment
  R a Outer alignment
    R g Goodhart's law
  R b Scalable oversight
""",
        prefix="one",
    )
    one[2]["parents"] = ["oneb"]  # a DAG: Goodhart sits under both problems
    two = outline(
        """
R r Alignment
  R a Outer alignment
    R g Goodhart's law
  R i Interpretability
""",
        prefix="two",
    )
    result = recurring([TreeInput("one", one), TreeInput("two", two)])
    assert result["kind"] == "problem"
    first = result["items"][0]
    assert first["label"] == "Goodhart's law"
    assert first["breadth"] == 2  # under outer alignment and under scalable oversight
    assert first["support"] == 1.0
    assert {m["tree"] for m in first["members"]} == {"one", "two"}


def merged_node(
    node_id: str, text: str, parent: str | None, trees: list[int], **extra: object
) -> dict[str, object]:
    """A node of a stored merged tree: provenance from `trees` (none: added after the merge)."""
    sources = [{"tree": t, "node": f"{t}-{node_id}", "label": text} for t in trees]
    meta: dict[str, object] = {"sources": sources} if sources else {}
    return {"id": node_id, "type": "problem", "parent": parent, "text": text, "meta": meta, **extra}


MERGED = [
    merged_node("r", "Alignment", None, [1, 2]),
    merged_node("a", "Outer alignment", "r", [1, 2]),
    merged_node("b", "Scalable oversight", "r", [1]),
    merged_node("g", "Goodhart's law", "a", [1, 2], parents=["b"]),
    merged_node("n", "Nobody can verify the verifier", "b", [], author=7),
]


def test_a_node_added_after_the_merge_counts_its_author_not_a_new_source_tree() -> None:
    rows = {r["node"]: r for r in rank_problems(MERGED, single_tree=9, source_trees=[1, 2])}
    assert rows["g"]["support"] == 1.0 and rows["g"]["score"] == 2.0
    assert rows["b"]["support"] == 0.5 and rows["b"]["contributors"] == 1
    added = rows["n"]
    assert added["contributors"] == 1 and added["support"] == 0.5
    assert added["explanation"] == "under 1 top-level problems, added after the merge: 1 of 2"
    assert added["members"] == [{"tree": 9, "node": "n", "label": "Nobody can verify the verifier"}]
    assert all("of 3" not in r["explanation"] for r in rows.values())


def test_a_merged_tree_without_merged_from_takes_k_from_its_nodes_sources() -> None:
    # A forked copy keeps its nodes' provenance but not `merged_from`.
    rows = {r["node"]: r for r in rank_problems(MERGED, single_tree=9)}
    assert rows["g"]["support"] == 1.0 and rows["n"]["support"] == 0.5
    assert rows["a"]["explanation"] == "under 1 top-level problems, drawn by 2 of 2 trees"


def test_a_stored_merged_tree_ranks_with_its_real_source_trees() -> None:
    tree = TreeInput(9, MERGED, "problem", meta={"merged_from": [1, 2, 3]})
    rows = {r["node"]: r for r in recurring([tree])["items"]}
    # no node names tree 3 (say its nodes were all deleted), yet it was merged: K = 3
    assert rows["g"]["support"] == round(2 / 3, 3) and rows["n"]["support"] == round(1 / 3, 3)


def test_sources_dropped_to_fit_the_meta_limit_still_count_as_contributors() -> None:
    node = merged_node("g", "Goodhart's law", "r", [1])
    node["meta"] = {**node["meta"], "sources_omitted": 1, "contributors": 2}  # type: ignore[dict-item]
    rows = rank_problems([MERGED[0], node], source_trees=[1, 2])
    assert rows[0]["contributors"] == 2 and rows[0]["support"] == 1.0


def test_a_problem_tree_never_merged_gives_every_problem_full_support() -> None:
    plain = [{**n, "meta": {}} for n in MERGED]
    rows = rank_problems(plain, single_tree=9)
    assert {r["support"] for r in rows} == {1.0}
    assert all(r["explanation"].endswith("drawn by 1 of 1 trees") for r in rows)


# ---- the failure-mode vocabulary ------------------------------------------------------------

TOY = Vocabulary(
    [
        Mode(
            "proxy",
            "Proxy gaming",
            "Optimising a stand-in.",
            "gaming",
            aliases=("goodhart*", "proxy"),
            cues=("fool* {judge}", "optimi* pressure", "exploit*", "loophol*"),
        ),
        Mode(
            "scheming",
            "Scheming",
            "Behaves well while watched.",
            "deception",
            aliases=("deceptive alignment",),
            cues=("act* nice", "exploit*", "~on purpose", "hid*"),
        ),
    ],
    families=[
        Family("gaming", "Gaming the measure", "."),
        Family("deception", "Deception", "."),
    ],
    classes={"judge": "judg* rater* probe*"},
)


def best_id(text: str, vocab: Vocabulary = TOY) -> str | None:
    found = vocab.best(text)
    return found.mode.id if found else None


def test_an_alias_alone_reads_a_critique_as_its_mode() -> None:
    assert best_id("Classic Goodharting of the metric") == "proxy"
    assert best_id("It is only a proxy for quality") == "proxy"
    assert best_id("Nothing to see here") is None


def test_a_phrase_cue_is_enough_but_a_one_word_cue_needs_support() -> None:
    assert best_id("It learns to fool the raters") == "proxy"
    assert best_id("Under optimisation pressure it breaks") == "proxy"
    assert best_id("Policies find loopholes") is None  # one word: 0.4
    assert best_id("Policies find loopholes and exploit them") == "proxy"  # 0.4 + 0.4


def test_phrase_slots_match_in_order_with_at_most_three_words_between() -> None:
    assert best_id("It will fool even the human raters") == "proxy"  # 3 words between
    assert best_id("It will fool even the most careful raters") is None  # 4 words between
    assert best_id("The raters are fooled") is None  # wrong order


def test_words_match_by_prefix_or_by_stem() -> None:
    vocab = Vocabulary([Mode("m", "M", ".", "f", aliases=("optimi* pressure", "proxy"))])
    assert best_id("optimization pressures", vocab) == "m"
    assert best_id("optimising pressure", vocab) == "m"
    assert best_id("these proxies", vocab) == "m"


def test_contractions_and_glossary_aliases_are_folded_before_matching() -> None:
    vocab = Vocabulary(
        [
            Mode("o", "O", ".", "f", aliases=("cannot check*",)),
            Mode("d", "D", ".", "f", aliases=("out of distribution",)),
        ]
    )
    assert best_id("Humans can't check this", vocab) == "o"
    assert best_id("It fails OOD", vocab) == "d"  # the seed glossary: OOD


def test_a_weak_cue_counts_as_one_word_and_words_do_not_count_twice() -> None:
    assert best_id("It fails on purpose") is None  # "~on purpose": 0.4 only
    match = TOY.match("They exploit it and act nice")
    assert [m.mode.id for m in match] == ["scheming", "proxy"]
    assert match[0].score == 1.0  # "act nice" 0.6 + "exploit" 0.4
    assert match[0].evidence == ("act nice", "exploit")
    assert match[1].score == 0.4


def test_ties_go_to_the_earlier_mode_and_halve_the_confidence() -> None:
    match = TOY.match("It may exploit the weights and hide")
    assert match[0].mode.id == "scheming"  # 0.8 (exploit + hide) against 0.4
    tie = TOY.match("goodhart, and deceptive alignment")
    assert [m.mode.id for m in tie] == ["proxy", "scheming"]
    assert tie[0].confidence == 0.5


def test_peoples_tags_are_mapped_to_vocabulary_modes_by_their_words() -> None:
    starter = starter_vocabulary()
    tags = ("goodhart", "Reward hacking", "power-seeking", "deception", "our-own-tag")
    assert [m.id if (m := starter.mode_of_tag(t)) else None for t in tags] == [
        "proxy-gaming",
        "proxy-gaming",
        "power-seeking",
        "deceptive-alignment",
        None,
    ]


def test_every_starter_mode_is_named_described_and_reads_its_own_label() -> None:
    starter = starter_vocabulary()
    assert 30 <= len(starter.modes) <= 50
    assert len({m.id for m in starter.modes}) == len(starter.modes)
    for mode in starter.modes:
        assert mode.description and mode.aliases and mode.family in starter.families
        assert best_id(mode.label, starter) == mode.id, mode.label


def test_the_starter_vocabulary_reads_textbook_phrasings_of_well_known_modes() -> None:
    starter = starter_vocabulary()
    cases = {
        "The agent finds a loophole and exploits the reward function": "proxy-gaming",
        "A mesa-optimizer could pursue its own objective": "inner-misalignment",
        "It has instrumental reasons to acquire more resources": "power-seeking",
        "It would resist being switched off": "shutdown-resistance",
        "Copies of the same model could collude against the monitor": "collusion",
        "It could sandbag the capability evaluation": "sandbagging",
        "Humans cannot verify answers to superhuman questions": "scalable-oversight",
    }
    assert {text: best_id(text, starter) for text in cases} == cases


def test_the_starter_vocabulary_reads_common_failure_modes_in_plain_words() -> None:
    # written for the vocabulary from the field's usual arguments, not from any quality set
    starter = starter_vocabulary()
    cases = {
        "Whatever its goal, a system does better if it keeps running and hoards resources": (
            "power-seeking"
        ),
        "It would guard its current goal against being retrained": "goal-preservation",
        "The extra check doubles the inference bill, so a rival lab skips it": "alignment-tax",
        "Countries outside the treaty keep scaling and take the lead": "racing",
        "A system boxed tightly enough to be safe is too weak to do anything useful": "too-weak",
        "The lab picks and pays its own auditor": "unverifiable-compliance",
        "Who watches the watchers? The monitor is itself an unverified model": (
            "untrusted-checker"
        ),
        "This technique also advances capabilities and speeds everyone up": (
            "capabilities-externality"
        ),
        "It can spot our test prompts and behaves well only while it is being evaluated": (
            "evaluation-awareness"
        ),
        "Different cultures disagree about values and their views need not converge": (
            "value-pluralism"
        ),
        "The chain of thought is a tidy story, not what actually drives the answer": (
            "unfaithful-reasoning"
        ),
        "Off the training distribution it meets situations it never saw": "goal-misgeneralisation",
        "We only get one shot at this, no retries if it goes wrong": "no-second-try",
        "A little fine-tuning on open weights strips the safety training back out": (
            "shallow-alignment"
        ),
        "We still can't see inside the network to check what it is computing": (
            "interpretability-limits"
        ),
        "Two AIs meant to check each other could quietly agree to cover for each other": (
            "collusion"
        ),
        "It learns to flatter the rater rather than be correct": "sycophancy",
        "The judge gets tired after twenty rounds and stops checking": "scalable-oversight",
    }
    assert {text: best_id(text, starter) for text in cases} == cases


def test_near_miss_failure_modes_are_separate_families_so_they_are_separate_items() -> None:
    # a family is one failure mode as a facilitator names it: a family item that gathered
    # near misses outranked the true top mode on three blind game trees (round 10); "fools
    # its overseers" held lies, collusion and unfaithful reasoning beside "behaves well only
    # when watched" until round 17, and on blind trees whose top mode was the latter the
    # family item held more of the others than of it
    starter = starter_vocabulary()

    def family(mode: str) -> str:
        return starter.by_id[mode].family

    assert family("alignment-tax") == family("racing")
    assert family("alignment-tax") != family("too-weak")
    assert family("value-pluralism") != family("outer-misalignment")
    assert family("confabulation") != family("dishonesty") != family("deceptive-alignment")
    assert family("deceptive-alignment") == family("evaluation-awareness") == family("sandbagging")
    assert family("collusion") == family("steganography") != family("deceptive-alignment")
    assert family("power-seeking") == family("goal-preservation") == family("shutdown-resistance")
    assert family("unfaithful-reasoning") != family("evaluation-awareness")
    assert family("untrusted-checker") != family("scalable-oversight")
    assert family("unverifiable-compliance") != family("racing")


PARAPHRASES = """
P p1 RLHF on ratings
  C c1 [goodhart] @1 Answers get tuned to what raters reward
  C c2 @2 It learns to fool the raters
P p2 Debate
  C c3 @3 Under optimisation pressure the judge signal breaks
P p3 Probes
  C c4 @4 It exploits loopholes in what the probe measures
P p4 Tool AI
  C c5 @5 A tool could hide things on purpose
"""


def test_paraphrases_with_no_shared_words_cluster_by_their_vocabulary_family() -> None:
    corpus = GameCorpus([(1, outline(PARAPHRASES))], vocabulary=TOY)
    clusters = [{corpus.critiques[q].id for q in c} for c in cluster_untagged(corpus)]
    assert clusters == [{"c2", "c3", "c4"}]  # c1 is tagged; c5 reads as another family
    plain = GameCorpus([(1, outline(PARAPHRASES))], vocabulary=Vocabulary(()))
    assert cluster_untagged(plain) == []  # no shared words: nothing without the vocabulary


def test_a_vocabulary_cluster_is_named_by_its_family_and_suggests_the_peoples_tag() -> None:
    items = recurring([TreeInput(1, outline(PARAPHRASES))], vocabulary=TOY)["items"]
    cluster = next(i for i in items if i["kind"] == "cluster")
    assert cluster["label"] == "Gaming the measure"
    assert cluster["family"]["id"] == "gaming" and cluster["mode"]["id"] == "proxy"
    assert cluster["suggested_tag"] == "goodhart"  # the tag people already use for it
    assert cluster["explanation"].startswith("untagged, read as Gaming the measure: ")
    evidence = {m["node"]: m["evidence"] for m in cluster["members"]}
    assert evidence["c2"] == ["fool the raters"]
    tag = next(i for i in items if i["kind"] == "tag")
    assert tag["tag"] == "goodhart" and tag["mode"]["id"] == "proxy"
    assert {m["node"] for m in tag["members"]} == {"c1"}  # people's tags are never moved


def test_suggestions_name_the_peoples_tag_for_a_mode_before_its_id() -> None:
    sugg = {
        s["node"]: s["suggestions"]
        for s in suggest_tags([(1, outline(PARAPHRASES))], vocabulary=TOY)
    }
    top = sugg["c2"][0]
    assert top["tag"] == "goodhart" and top["mode"]["id"] == "proxy"
    assert top["evidence"] == ["fool the raters"] and 0 < top["score"] <= 1
    assert sugg["c5"][0]["tag"] == "scheming"  # nobody tagged that mode: its id
    assert "c1" not in sugg


def test_the_vocabulary_suggests_tags_before_anyone_has_tagged_a_critique() -> None:
    nodes = outline("P p1 Debate\n  C c1 The debaters could collude against the judge")
    sugg = suggest_tags([(1, nodes)])
    assert sugg[0]["suggestions"][0]["tag"] == "collusion"
    assert suggest_tags([(1, nodes)], vocabulary=Vocabulary(())) == []


def test_seeded_label_propagation_keeps_the_seeds_labels() -> None:
    adj = {0: {1: 1.0}, 1: {0: 1.0, 2: 0.2}, 2: {1: 0.2, 3: 0.9}, 3: {2: 0.9}}
    groups = label_propagation(adj, fixed={0: -1, 3: -2})
    assert sorted(sorted(g) for g in groups) == [[0, 1], [2, 3]]


# ---- the semantic scorer (the shipped model) ----------------------------------------------------


def test_the_semantic_scorer_is_off_when_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAMETREE_SEMANTIC", "0")
    assert semantic.load_embedder() is None


def test_the_semantic_scorer_embeds_offline_and_reads_a_mode_by_meaning() -> None:
    embed = semantic.load_embedder()
    assert embed is not None
    a, b, c = embed(
        [
            "The model behaves well only while it knows it is being watched",
            "It acts differently when nobody is watching it",
            "Crowd workers disagree about which answer is better",
        ]
    )
    assert len(a) == semantic.DIMS and abs(dot(a, a) - 1.0) < 1e-3
    assert dot(a, b) > dot(a, c)
    found = meaning.semantic_modes(
        starter_vocabulary(),
        [
            "the model might refuse to be turned off",
            "Training an AI to be nice to us may just teach it flattery",
        ],
        embed,
    )
    assert found[0] is not None and found[0].mode.id == "shutdown-resistance"
    assert found[0].evidence[0].startswith("meaning ")
    assert found[1] is None  # near several modes, none clearly ahead: no reading


# ---- critiques read and grouped by meaning (round 9) ------------------------------------------

UNRELATED = """
P p1 Dinner party
  C c1 @1 The roast stayed in the oven for hours and turned black
P p2 Birthday
  C c2 @2 Someone forgot the cake on the stove until it was charcoal
P p3 Cup final
  C c3 @3 The striker was two yards past the defenders when the pass came
P p4 Elections
  C c4 @4 Parliament passed the budget after a long debate
P p5 Picnic
  C c5 @5 The bread was left baking all afternoon and burned
P p6 League
  C c6 @6 The goalkeeper was beaten by a shot from the halfway line
"""


def test_critiques_near_in_meaning_are_grouped_though_they_share_no_word() -> None:
    def groups(embedder: Embedder | None) -> list[set[str]]:
        corpus = GameCorpus([(1, outline(UNRELATED))], vocabulary=Vocabulary(()), embedder=embedder)
        return [{corpus.critiques[q].id for q in c} for c in cluster_untagged(corpus)]

    assert groups(None) == []  # no word in common: words alone group nothing
    assert groups(critique_embedder()) == [{"c1", "c5"}, {"c3", "c6"}]


def test_a_one_word_cue_reads_a_critique_only_when_its_meaning_agrees() -> None:
    def read(text: str) -> ModeMatch | None:
        nodes = outline(f"P p1 A proposal\n  C c1 {text}")
        return GameCorpus([(1, nodes)], embedder=critique_embedder()).modes[0]

    vocab = starter_vocabulary()
    agree = "Competitors would happily do without this step"
    assert vocab.best(agree) is None  # "competitors" alone is too little for a phrase reading
    found = read(agree)
    assert found is not None and found.mode.id == "alignment-tax"
    assert found.evidence[0] == "competitors" and found.evidence[1].startswith("meaning ")
    # "economic" is a cue of the same mode, but this critique means something else
    assert read("The reward model was trained on economic questions only") is None


def test_meaning_neighbours_are_the_nearest_well_above_the_usual_cosine() -> None:
    # two tight pairs and a loner, in 3 dimensions: only the pairs are near
    vectors = np.array(
        [[1, 0, 0], [0.99, 0.14, 0], [0, 1, 0], [0.14, 0.99, 0], [0.58, 0.58, 0.58]],
        dtype=np.float32,
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    edges = {(q, j) for q, j, w in meaning_neighbours(vectors, range(5)) if w > 0}
    assert {(0, 1), (1, 0), (2, 3), (3, 2)} <= edges
    assert not any(4 in e for e in edges)
    # items are only compared within their block (of the same nearest mode first)
    keys = np.array([0, 1, 0, 1, 0])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clusters, "MEANING_BLOCK", 3)
        blocked = {(q, j) for q, j, _ in meaning_neighbours(vectors, range(5), keys)}
    # blocks [0, 2, 4] and [1, 3] split both pairs: neither is found any more
    assert not blocked & {(0, 1), (1, 0), (2, 3), (3, 2)}


def test_label_propagation_leaves_a_node_alone_when_the_pull_is_weak() -> None:
    adj = {0: {1: 1.0, 2: 0.1}, 1: {0: 1.0}, 2: {0: 0.1}}
    assert sorted(map(sorted, label_propagation(adj))) == [[0, 1, 2]]
    assert sorted(map(sorted, label_propagation(adj, min_pull=0.2))) == [[0, 1], [2]]


def _full_passes(
    adj: dict[int, dict[int, float]], seed: int, fixed: dict[int, int]
) -> list[list[int]]:
    """Label propagation visiting every free node on every pass (the reference)."""
    nodes = sorted(adj)
    random.Random(seed).shuffle(nodes)
    label = {v: fixed.get(v, v) for v in nodes}
    free = [v for v in nodes if v not in fixed]
    for _ in range(12):
        changed = 0
        for v in free:
            weight: dict[int, float] = {}
            for u, w in adj[v].items():
                weight[label[u]] = weight.get(label[u], 0.0) + w
            own = label[v]
            best, best_w = own, weight.get(own, 0.0)
            for lab, w in weight.items():
                if w > best_w + 1e-12 or (abs(w - best_w) <= 1e-12 and lab < best and best != own):
                    best, best_w = lab, w
            if best != own:
                label[v] = best
                changed += 1
        if not changed:
            break
    return sorted(sorted(v for v in adj if label[v] == lab) for lab in set(label.values()))


def test_label_propagation_visiting_only_unsettled_nodes_finds_the_groups_of_full_passes() -> None:
    rng = random.Random(5)
    for trial in range(20):
        adj: dict[int, dict[int, float]] = {v: {} for v in range(60)}
        for _ in range(150):
            a, b = rng.sample(range(60), 2)
            adj[a][b] = adj[b][a] = round(rng.random(), 2)
        fixed = {v: -1 - v % 3 for v in rng.sample(range(60), 6)}
        got = sorted(map(sorted, label_propagation(adj, seed=trial, fixed=fixed)))
        assert got == _full_passes(adj, trial, fixed)


def test_a_groups_family_is_read_from_its_mean_meaning_only_when_clearly_ahead() -> None:
    vocab = starter_vocabulary()
    order = [m.family for m in vocab.modes]
    sims = np.full(len(order), 0.40, dtype=np.float32)
    sims[order.index("incentives")] = 0.50
    found = meaning.family_in_meaning(vocab, sims)
    assert found is not None and found.id == "incentives"
    sims[order.index("deception")] = 0.49  # a runner-up within the margin: no reading
    assert meaning.family_in_meaning(vocab, sims) is None


# ---- round 19: the reader's agreement and the cross-proposal set -------------------------

SIX = """
P p1 Train on human approval
  C c1 It learns to please the raters rather than to be right
  C c2 Rating every answer is slow and costly
P p2 Debate between two models
  C c3 The judge rewards whatever sounds convincing
P p3 Red-team before release
  C c4 The testers only find the failures they think to look for
P p4 Interpretability audits
  C c5 The audit tool itself could be wrong
P p5 Constitutional training
  C c6 Whose principles go into the constitution?
"""


def _cluster(corpus: GameCorpus, ids: list[str], family: str = "") -> clusters.Cluster:
    members = [q for q, c in enumerate(corpus.critiques) if c.id in ids]
    fam = starter_vocabulary().families[family] if family else None
    return clusters.Cluster(members, fam, None, "members" if fam else None)


def _ids(corpus: GameCorpus, found: list[clusters.Cluster]) -> list[set[str]]:
    return [{corpus.critiques[q].id for q in c.members} for c in found]


def test_the_cross_proposal_set_is_one_critique_per_proposal_the_most_alike() -> None:
    # items 0-3 of proposals a, b, c, d are alike; 4 (proposal a again) is the most alike
    # to 1-3 but would repeat a proposal together with 0, so the set is {1, 2, 3, 4}
    alike = np.full((6, 6), -1.0)
    for group in ([0, 1, 2, 3], [1, 2, 3, 4]):
        for i in group:
            for j in group:
                alike[i, j] = 1.0
    alike[4, [1, 2, 3]] = alike[[1, 2, 3], 4] = 2.0
    proposals = ["a", "b", "c", "d", "a", "e"]
    assert clusters.cross_proposal_set(alike, proposals, 4) == [1, 2, 3, 4]
    assert clusters.cross_proposal_set(alike, proposals, 6) == []  # only five proposals


def test_a_cross_proposal_set_joins_the_group_holding_half_of_it_and_leaves_the_others() -> None:
    corpus = GameCorpus([(1, outline(SIX))])
    q = {c.id: k for k, c in enumerate(corpus.critiques)}
    groups = [
        _cluster(corpus, ["c1", "c3", "c2"], "gaming"),
        _cluster(corpus, ["c4", "c5"], "assurance"),
        _cluster(corpus, ["c5", "c6"], "values"),
    ]
    found = [q["c1"], q["c3"], q["c4"], q["c6"]]  # two of four in the gaming group: half
    out = clusters.reconcile(corpus, groups, [found])
    assert _ids(corpus, out) == [{"c1", "c2", "c3", "c4", "c6"}]
    assert out[0].family is not None and out[0].family.id == "gaming"
    # c4 and c6 left their groups, which kept one critique each and so are dropped


def test_a_cross_proposal_set_no_group_holds_half_of_changes_nothing() -> None:
    corpus = GameCorpus([(1, outline(SIX))])
    q = {c.id: k for k, c in enumerate(corpus.critiques)}
    groups = [_cluster(corpus, ["c1", "c3"], "gaming"), _cluster(corpus, ["c4", "c5"])]
    found = [q["c1"], q["c4"], q["c5"], q["c6"], q["c2"]]  # at most two of five in a group
    out = clusters.reconcile(corpus, groups, [found])
    assert _ids(corpus, out) == [{"c1", "c3"}, {"c4", "c5"}]


def test_a_cross_proposal_set_no_group_holds_two_of_is_a_group_of_its_own() -> None:
    corpus = GameCorpus([(1, outline(SIX))])
    q = {c.id: k for k, c in enumerate(corpus.critiques)}
    groups = [
        _cluster(corpus, ["c1", "c3"], "gaming"),
        _cluster(corpus, ["c4", "c5", "c6"]),
    ]
    found = [q["c1"], q["c2"], q["c4"]]  # one in the gaming group, one in the other
    out = clusters.reconcile(corpus, groups, [found], alone=True)
    assert _ids(corpus, out) == [{"c1", "c2", "c4"}, {"c5", "c6"}]
    assert out[0].family is None and out[0].read_by is None  # labelled by its medoid
    # the gaming group, left with c3 alone, is dropped; switched off, nothing changes
    assert clusters.reconcile(corpus, groups, [found], alone=False) == groups


def test_the_cross_proposal_sets_are_found_per_tree_among_the_critiques_the_reader_read() -> None:
    from trees.analysis.vocabulary.examples import reader

    big = "\n".join(f"P q{k} Proposal {k}\n  C d{k} Objection number {k}" for k in range(4))
    corpus = GameCorpus(
        [(1, outline(SIX)), (2, outline(big, prefix="b"))],
        embedder=critique_embedder(),
        reader=reader(),
    )
    sets = clusters.cross_proposal_sets(corpus, 5)
    assert len(sets) == 1  # the second tree has four proposals: too few for a set of five
    chosen = [corpus.critiques[q] for q in sets[0]]
    assert {c.tree for c in chosen} == {1}
    assert len({c.proposal for c in chosen}) == 5
    assert clusters.cross_proposal_sets(GameCorpus([(1, outline(SIX))]), 5) == []  # no reader


def test_the_reader_family_of_a_critique_is_the_family_it_finds_most_probable() -> None:
    from trees.analysis.vocabulary.examples import reader

    text = """
P p1 Reward the model for high ratings
  C c1 It will optimise the rating itself and game the metric instead of doing the task
P p2 Let a panel decide what the model values
  C c2 Whose values? People in different cultures disagree about what is good
"""
    corpus = GameCorpus([(1, outline(text))], reader=reader())
    families = clusters.reader_families(corpus)
    by_id = {corpus.critiques[q].id: f for q, f in families.items()}
    assert by_id == {"c1": "gaming", "c2": "values"}
    assert clusters.reader_families(GameCorpus([(1, outline(text))])) == {}
