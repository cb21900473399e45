"""Analysis layer tests: a call computed in the merge worker process gives what it gives in
this process, reports the same phases, keeps its worker warm, and reports a failure or a
dead worker with a code instead of hanging; the Analysis's pool keeps workers of its own and
runs at most its limit of calls at once, names its dead or hung workers' errors
`analysis_...` (the merges' keep their `merge_...` codes), and its callers' wrapper answers a
dead worker with `analysis_unavailable`."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest
from analysis_helpers import outline, two_alignment_trees

from trees.analysis import Glossary, TreeInput, recurring
from trees.analysis.merge import in_process, merge
from trees.analysis.merge.in_process import (
    WorkerDied,
    WorkerFailed,
    WorkerTimedOut,
    run_in_process,
)
from trees.analysis.merge.worker import merged_tree
from trees.analysis.recurrence.recurring import recurring_call
from trees.domain import OpError
from trees.domain.errors import ActionError


# Module-level, so that the worker finds them by reference.
@pytest.fixture(autouse=True)
def _fresh_worker() -> Any:
    # A worker is retired after MAX_CALLS calls, and the suite's other merges use the same
    # process-wide workers: a test comparing pids across calls must not straddle a retirement
    # (it did once the suite made enough merges before it).
    in_process.shutdown()
    yield
    in_process.shutdown()


def worker_pid(*, progress: Any = None) -> int:
    return os.getpid()


def refused_node(*, progress: Any = None) -> None:
    raise OpError("too_large", "node n1: the text is too long")


def buggy(*, progress: Any = None) -> None:
    raise KeyError("a bug")


def dies(*, progress: Any = None) -> None:
    progress("merging", 0.5)
    os.kill(os.getpid(), signal.SIGKILL)


def echo(value: Any, *, progress: Any = None) -> Any:
    return value


def hangs(*, progress: Any = None) -> None:
    progress("merging", 0.25)
    while True:  # a worker stuck for good: it sends nothing more and never ends on its own
        time.sleep(3600)


def many_rows(count: int, *, progress: Any = None) -> dict[str, Any]:
    return {"rows": [{"n": i} for i in range(count)], "small": [1, 2], "count": count}


def busy_for(seconds: float, *, progress: Any = None) -> tuple[float, float]:
    """When the call began and ended, by the wall clock both processes share."""
    began = time.time()
    time.sleep(seconds)
    return began, time.time()


def test_a_merge_computed_in_the_worker_equals_the_one_computed_here() -> None:
    here: list[tuple[str, float]] = []
    there: list[tuple[str, float]] = []
    glossary = Glossary({"deception": "deceptive alignment"})
    expected = merge(
        two_alignment_trees(),
        glossary=glossary,
        embedder=None,
        progress=lambda p, f: here.append((p, f)),
    )
    got = run_in_process(
        merge,
        two_alignment_trees(),
        glossary=glossary,
        embedder=None,
        progress=lambda p, f: there.append((p, f)),
    )
    assert got["suggestions"] == expected["suggestions"]
    assert got["nodes"] == expected["nodes"]
    assert got["stats"] == expected["stats"]
    assert there == here


def _shape(built: dict[str, Any]) -> Any:
    """A built merged tree without its fresh node ids: texts by parent text, the log's kinds."""
    text = {n.id: n.text for n in built["nodes"]}
    return (
        sorted(
            (n.text, text.get(n.parent), sorted(text[p] for p in n.parents)) for n in built["nodes"]
        ),
        [op["kind"] for _, _, op, _ in built["log"]],
        built["version"],
        built["suggestions"],
        built["stats"],
        built["glossary"],
    )


def test_the_merged_tree_built_in_the_worker_equals_the_one_built_here() -> None:
    kwargs: dict[str, Any] = {"glossary": Glossary(), "users": {7}, "owner_id": 7}
    here = merged_tree(two_alignment_trees(), **kwargs)
    there = run_in_process(merged_tree, two_alignment_trees(), **kwargs)
    assert len(there["nodes"]) == len(here["nodes"]) > 0
    assert _shape(there) == _shape(here)


def test_a_worker_answers_a_second_call_warm_and_a_long_list_whole() -> None:
    first = run_in_process(worker_pid)
    assert first != os.getpid()
    # Below the live path's CPU priority.
    assert os.getpriority(os.PRIO_PROCESS, first) == os.getpriority(os.PRIO_PROCESS, 0) + 10
    assert run_in_process(worker_pid) == first  # the same worker, its imports done
    got = run_in_process(many_rows, in_process.PIECE * 5 + 3)
    assert got == {
        "rows": [{"n": i} for i in range(in_process.PIECE * 5 + 3)],
        "small": [1, 2],
        "count": in_process.PIECE * 5 + 3,
    }


def test_a_domain_error_in_the_worker_comes_back_with_its_code_and_message() -> None:
    with pytest.raises(WorkerFailed) as raised:
        run_in_process(refused_node)
    assert (raised.value.code, raised.value.message) == (
        "too_large",
        "node n1: the text is too long",
    )


def test_a_bug_in_the_worker_comes_back_as_its_type_and_the_worker_stays_usable() -> None:
    pid = run_in_process(worker_pid)
    with pytest.raises(WorkerFailed) as raised:
        run_in_process(buggy)
    assert raised.value.code == "" and raised.value.message == "KeyError: 'a bug'"
    assert run_in_process(worker_pid) == pid


def test_a_worker_that_dies_mid_call_is_reported_at_once_and_replaced() -> None:
    heard: list[tuple[str, float]] = []
    pid = run_in_process(worker_pid)
    started = time.monotonic()
    with pytest.raises(WorkerDied) as raised:
        run_in_process(dies, progress=lambda p, f: heard.append((p, f)))
    assert time.monotonic() - started < 30  # never a hang
    assert raised.value.code == "merge_worker_died"
    assert "killed by signal 9" in raised.value.message
    assert heard == [("merging", 0.5)]
    again = run_in_process(worker_pid)
    assert again != pid  # a new worker, the dead one not reused


def test_a_worker_that_hangs_is_killed_at_the_time_limit_and_the_next_call_gets_a_new_one() -> None:
    heard: list[tuple[str, float]] = []
    pid = run_in_process(worker_pid)
    started = time.monotonic()
    with pytest.raises(WorkerTimedOut) as raised:
        run_in_process(hangs, progress=lambda p, f: heard.append((p, f)), timeout=1.0)
    took = time.monotonic() - started
    assert 1.0 <= took < 20
    assert raised.value.code == "merge_timeout" and "1 s" in raised.value.message
    assert heard == [("merging", 0.25)]  # progress came, and did not extend the limit
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped
    assert pid not in in_process.worker_pids()
    assert run_in_process(worker_pid, timeout=30.0) not in (pid, None)


def test_a_stopped_worker_is_killed_at_the_time_limit_even_when_the_call_fills_its_pipe() -> None:
    pid = run_in_process(worker_pid)
    os.kill(pid, signal.SIGSTOP)  # idle in the pool, stopped: it reads nothing more
    big = [{"n": i, "text": "x" * 100} for i in range(50_000)]  # megabytes: the send blocks
    started = time.monotonic()
    with pytest.raises(WorkerTimedOut):
        run_in_process(echo, big, timeout=1.0)
    assert time.monotonic() - started < 20
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert run_in_process(worker_pid) != pid


def test_a_call_that_answers_within_its_time_limit_keeps_its_worker() -> None:
    pid = run_in_process(worker_pid)
    assert run_in_process(many_rows, 3, timeout=30.0)["count"] == 3
    time.sleep(0.1)
    assert run_in_process(worker_pid) == pid


GAME_A = """
P p1 Let a model grade its own homework
  C c1 [reward-hacking] It learns to please the grader rather than to be right
  C c2 Grade it by how many tickets it closes and it will close tickets, solved or not.
P p2 Train on human feedback
  C c3 The raters can be fooled by confident answers
"""
GAME_B = """
P p1 Debate between two copies
  C c1 If the score is clicks, it will find the cheapest way to get clicks.
  C c2 [deception] Debaters learn to persuade, not to be right
"""


def test_an_analysis_computed_in_its_worker_equals_the_one_computed_here() -> None:
    trees = [
        TreeInput(1, outline(GAME_A, prefix="a"), "game", "Group 1"),
        TreeInput(2, outline(GAME_B, prefix="b"), "game", "Group 2"),
    ]
    here = recurring(trees, top=10)
    there = in_process.ANALYSIS.run(recurring_call, trees, 10, timeout=120.0)
    assert there == here
    assert there["kind"] == "game" and there["items"]


def test_the_analysis_pool_keeps_warm_workers_of_its_own_apart_from_the_merges() -> None:
    analysis = in_process.ANALYSIS.run(worker_pid)
    merging = run_in_process(worker_pid)
    assert analysis != merging
    in_process.MERGES.shutdown()  # the merges' worker goes; the Analysis's stays warm
    assert in_process.ANALYSIS.run(worker_pid) == analysis
    assert analysis in in_process.ANALYSIS.worker_pids()
    assert analysis not in in_process.worker_pids()


def test_a_pool_runs_at_most_its_limit_of_calls_at_once_and_the_next_waits() -> None:
    pool = in_process.Pool(code="test", max_idle=2, max_running=1)
    spans: list[tuple[float, float]] = []

    def call() -> None:
        spans.append(pool.run(busy_for, 0.5))

    try:
        threads = [threading.Thread(target=call) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        first, second = sorted(spans)
        assert second[0] >= first[1]  # the second began after the first had ended
        assert len(pool.worker_pids()) == 1  # and was given the first one's worker, warm
    finally:
        pool.shutdown()


def test_the_analysis_pools_dead_or_hung_worker_is_named_for_the_analysis_not_a_merge() -> None:
    with pytest.raises(WorkerDied) as died:
        in_process.ANALYSIS.run(dies, timeout=30.0)
    assert died.value.code == "analysis_worker_died"
    assert died.value.message.startswith("the analysis's worker process ended (killed by ")
    with pytest.raises(WorkerTimedOut) as hung:
        in_process.ANALYSIS.run(hangs, timeout=1.0)
    assert (hung.value.code, hung.value.message) == (
        "analysis_timeout",
        "the analysis's worker process did not answer in 1 s",
    )
    assert in_process.ANALYSIS.worker_pids() == []  # neither worker is kept
    # The merges' pool keeps its own: the stable codes of a merge job's end.
    with pytest.raises(WorkerDied) as merge_died:
        in_process.MERGES.run(dies)
    assert merge_died.value.code == "merge_worker_died"
    with pytest.raises(WorkerTimedOut) as merge_hung:
        in_process.MERGES.run(hangs, timeout=1.0)
    assert merge_hung.value.code == "merge_timeout"


def test_an_analysis_whose_worker_dies_is_unavailable_and_one_asked_here_runs_here() -> None:
    with pytest.raises(ActionError) as raised:
        in_process.run_analysis(dies, timeout=30.0, in_worker=True, what="ranking")
    assert raised.value.code == "analysis_unavailable"
    assert raised.value.message.startswith("The ranking could not be computed this time ")
    assert isinstance(raised.value.__cause__, WorkerDied)
    assert raised.value.__cause__.code == "analysis_worker_died"
    here = in_process.run_analysis(worker_pid, timeout=30.0, in_worker=False, what="ranking")
    assert here == os.getpid()
    there = in_process.run_analysis(worker_pid, timeout=30.0, in_worker=True, what="ranking")
    assert there in in_process.ANALYSIS.worker_pids() and there != here
