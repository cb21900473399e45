"""Analysis layer tests: the merges' worker kept warm (`in_process.MERGES.keep_warm`) is
started before any call and warms up in the background, answers the first call warm, is kept
however long it idles, is replaced warm when retired, and still answers (and reports errors
as before) when its warm-up fails; so does the Analysis's (`in_process.ANALYSIS`, with
`recurring.warm_up`: both critique models read with before its first Analysis). Real worker
processes throughout (the serving process's part: tests/e2e/test_e2e_analysis_worker_warm.py)."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from analysis_helpers import node, two_alignment_trees

from trees.analysis import Glossary, TreeInput
from trees.analysis.merge import in_process
from trees.analysis.merge.in_process import WorkerFailed, run_analysis, run_in_process
from trees.analysis.merge.worker import merged_tree, warm_up
from trees.analysis.recurrence.recurring import _WARM_UP_GAME, recurring_call
from trees.analysis.recurrence.recurring import warm_up as analysis_warm_up

ANALYSE: dict[str, Any] = {"timeout": 120.0, "in_worker": True, "what": "analysis"}

# Set in a worker by its warm-up: its pid, or why it failed.
WARMED: int | None = None


@pytest.fixture(autouse=True)
def _no_workers() -> Any:
    in_process.shutdown()
    yield
    in_process.shutdown()


# Module-level, so that the worker finds them by reference.
def note_warm_up() -> None:
    global WARMED
    WARMED = os.getpid()


def slow_warm_up() -> None:
    time.sleep(3.0)
    note_warm_up()


def failing_warm_up() -> None:
    raise RuntimeError("the weights failed their check")


def warmed_in(*, progress: Any = None) -> tuple[int, int | None]:
    """(this worker's pid, the pid its warm-up noted)."""
    return os.getpid(), WARMED


def buggy(*, progress: Any = None) -> None:
    raise KeyError("a bug")


def what_the_first_merge_computes(*, progress: Any = None) -> dict[str, Any]:
    """In a worker: which texts each model held before a merge, and which it embedded for it."""
    from trees.analysis.text import contextual, semantic

    # model() loads a model not loaded yet, with an empty cache
    before = {"contextual": set(contextual.model().cache.texts())}
    before["static"] = set(semantic.model().cache.texts())
    merged_tree(two_alignment_trees(), glossary=Glossary(), owner_id=7)
    after = set(contextual.model().cache.texts())
    return {"before": before, "embedded": after - before["contextual"]}


def fixed_texts() -> set[str]:
    """The texts every merge embeds whatever its trees: failure modes, concept glosses."""
    from trees.analysis.text.concepts import alignment_concepts
    from trees.analysis.vocabulary.meaning import mode_text
    from trees.analysis.vocabulary.modes import starter_vocabulary

    modes = {mode_text(m) for m in starter_vocabulary().modes}
    return modes | set(alignment_concepts().gloss_texts()[0])


def wait_for_workers(count: int) -> list[int]:
    deadline = time.monotonic() + 10
    while len(pids := in_process.worker_pids()) != count and time.monotonic() < deadline:
        time.sleep(0.02)
    return pids


def test_a_worker_kept_warm_is_started_and_warmed_up_before_any_call() -> None:
    in_process.MERGES.keep_warm(note_warm_up)
    [pid] = in_process.worker_pids()  # started at once, no call made
    assert os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + 10
    assert run_in_process(warmed_in) == (pid, pid)  # its warm-up ran before the call


def test_keeping_warm_returns_at_once_and_a_call_made_meanwhile_waits_for_that_worker() -> None:
    started = time.monotonic()
    in_process.MERGES.keep_warm(slow_warm_up)
    assert time.monotonic() - started < 3.0  # the warm-up runs in the worker, not here
    [pid] = in_process.worker_pids()
    assert run_in_process(warmed_in) == (pid, pid)  # the same worker, warm-up done first
    assert time.monotonic() - started >= 3.0
    assert in_process.worker_pids() == [pid]  # no second worker spawned meanwhile


def test_a_worker_whose_warm_up_fails_still_answers_calls_and_reports_errors_as_before() -> None:
    in_process.MERGES.keep_warm(failing_warm_up)
    [pid] = in_process.worker_pids()
    assert run_in_process(warmed_in) == (pid, None)
    with pytest.raises(WorkerFailed) as raised:
        run_in_process(buggy)
    assert raised.value.code == "" and raised.value.message == "KeyError: 'a bug'"
    built = run_in_process(merged_tree, two_alignment_trees(), glossary=Glossary(), owner_id=7)
    assert len(built["nodes"]) > 0
    assert in_process.worker_pids() == [pid]


def test_a_worker_kept_warm_outlives_the_idle_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(in_process, "IDLE_SECONDS", 0.2)
    in_process.MERGES.keep_warm(note_warm_up)
    [pid] = in_process.worker_pids()
    time.sleep(0.5)
    assert run_in_process(warmed_in) == (pid, pid)
    time.sleep(0.5)
    assert run_in_process(warmed_in) == (pid, pid)


def test_a_worker_kept_warm_that_retires_is_replaced_at_once_by_a_warm_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(in_process.MERGES, "max_calls", 2)
    in_process.MERGES.keep_warm(note_warm_up)
    [first] = in_process.worker_pids()
    assert run_in_process(warmed_in) == (first, first)
    assert run_in_process(warmed_in) == (first, first)  # its last call: retired after it
    [second] = wait_for_workers(1)  # its successor, started before any call asks
    assert second != first
    assert run_in_process(warmed_in) == (second, second)


def test_without_keeping_warm_no_worker_runs_until_a_call_and_that_one_is_not_warmed() -> None:
    assert in_process.worker_pids() == []
    pid, warmed = run_in_process(warmed_in)
    assert warmed is None and in_process.worker_pids() == [pid]


def test_after_the_merge_warm_up_the_first_merge_embeds_nothing_but_its_own_labels() -> None:
    in_process.MERGES.keep_warm(warm_up)
    [pid] = in_process.worker_pids()
    got = run_in_process(what_the_first_merge_computes)  # waits for the warm-up, then merges
    assert in_process.worker_pids() == [pid]
    # Both models were loaded and verified, and what every merge embeds was in the cache of
    # the transformer (a workshop's merge); the static model (larger merges) was loaded too.
    assert fixed_texts() <= got["before"]["contextual"]
    assert got["before"]["static"]
    labels = {n["text"] for _, nodes in two_alignment_trees() for n in nodes}
    assert got["embedded"] and got["embedded"] <= labels


def test_a_cold_worker_s_first_merge_embeds_what_every_merge_embeds_itself() -> None:
    got = run_in_process(what_the_first_merge_computes)
    assert got["before"]["contextual"] == set()
    assert fixed_texts() & got["embedded"]


# ---- the Analysis's pool ------------------------------------------------------------------------


def demo_game_tree() -> list[dict[str, Any]]:
    """A workshop's game tree: the demo one (55 critiques), as node dicts."""
    from trees.demo_content import GAME_TREE

    out: list[dict[str, Any]] = []

    def walk(nodes: list[dict[str, Any]], parent: str | None) -> None:
        for n in nodes:
            out.append(node(f"n{len(out)}", n["type"], parent, n["text"], tags=n.get("tags") or []))
            walk(n.get("children") or [], out[-1]["id"])

    walk(GAME_TREE["nodes"], None)
    return out


def what_the_first_analysis_reads(
    nodes: list[dict[str, Any]], *, progress: Any = None
) -> dict[str, Any]:
    """In a worker: which texts each model held before an Analysis of `nodes`, and which the
    transformer read for it."""
    from trees.analysis.text import contextual, semantic

    before = {"contextual": set(contextual.model().cache.texts())}
    before["static"] = set(semantic.model().cache.texts())
    report = recurring_call([TreeInput(1, nodes, "game")], 50)
    after = set(contextual.model().cache.texts())
    return {"before": before, "read": after - before["contextual"], "items": len(report["items"])}


def analysis_warm_up_texts() -> set[str]:
    """The critiques the Analysis warm-up reads by example (the transformer's cache holds them
    after it)."""
    return {n["text"] for n in _WARM_UP_GAME if n["type"] == "critique"}


def test_an_analysis_worker_kept_warm_has_read_with_both_critique_models_before_its_first_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GAMETREE_SEMANTIC", raising=False)  # (the worker inherits it)
    in_process.ANALYSIS.keep_warm(analysis_warm_up)
    [pid] = in_process.ANALYSIS.worker_pids()  # started at once, no Analysis asked yet
    assert os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + 10
    assert in_process.worker_pids() == []  # the merges' pool keeps none: it was not asked
    tree = demo_game_tree()
    got = run_analysis(what_the_first_analysis_reads, tree, **ANALYSE)
    assert in_process.ANALYSIS.worker_pids() == [pid]  # its first Analysis ran in it
    # The reader had read the warm-up's critiques with the transformer, and the static model
    # was loaded and used: the first Analysis reads nothing but its own critiques.
    assert analysis_warm_up_texts() <= got["before"]["contextual"]
    assert got["before"]["static"]
    critiques = {n["text"] for n in tree if n["type"] == "critique"}
    assert got["read"] and got["read"] <= critiques
    assert got["items"] > 0


def test_a_cold_analysis_worker_loads_its_models_with_its_first_analysis() -> None:
    got = run_analysis(what_the_first_analysis_reads, demo_game_tree(), **ANALYSE)
    assert got["before"] == {"contextual": set(), "static": set()}
    assert len(in_process.ANALYSIS.worker_pids()) == 1


def test_an_analysis_worker_whose_warm_up_fails_still_answers_as_a_cold_one() -> None:
    in_process.ANALYSIS.keep_warm(failing_warm_up)
    [pid] = in_process.ANALYSIS.worker_pids()
    tree = demo_game_tree()
    assert run_analysis(warmed_in, **ANALYSE) == (pid, None)
    got = run_analysis(recurring_call, [TreeInput(1, tree, "game")], 50, **ANALYSE)
    assert got == recurring_call([TreeInput(1, tree, "game")], 50)  # as computed here
    assert in_process.ANALYSIS.worker_pids() == [pid]


def test_the_analysis_warm_up_answers_like_any_analysis_and_changes_no_later_answer() -> None:
    tree = [TreeInput(1, demo_game_tree(), "game")]
    cold = recurring_call(tree, 50)
    analysis_warm_up()
    assert recurring_call(tree, 50) == cold
