"""REST: a merge answers at once and runs in a background thread; its status (phase, progress,
error) is polled from the database; failures and dead processes end as `failed` with a code."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.analysis_api.conftest import (
    finished,
    merge_status,
    merge_until,
    merge_via_api,
    start_merge,
)
from tests.ws.wshelpers import db_version
from trees.actions import merge_jobs
from trees.actions.trees import tree_create
from trees.analysis.merge import in_process
from trees.analysis.merge import worker as merge_worker
from trees.analysis.merge.in_process import run_in_process as real_run_in_process
from trees.domain.errors import ActionError
from trees.models import Membership, MergeJob, MergeSuggestion, Node, OpLog, Tree

# The merge thread must see the rows the test committed.
pytestmark = pytest.mark.django_db(transaction=True)


class Gate:
    """Holds a merge at the start of one of its phases until the test opens it. The merge runs
    in its real worker process; the gate holds the thread that relays its progress."""

    def __init__(self, phase: str, nth: int = 1) -> None:
        self.phase, self.nth = phase, nth
        self.seen = 0
        self.reached = threading.Event()
        self.opened = threading.Event()

    def held(self, progress: Any) -> Any:
        def held(phase: str, fraction: float) -> None:
            progress(phase, fraction)
            self.seen += phase == self.phase
            if self.seen == self.nth and not self.reached.is_set():
                self.reached.set()
                assert self.opened.wait(30), "the test never opened the gate"

        return held

    def run_in_process(self, function: Any, *args: Any, progress: Any = None, **kw: Any) -> Any:
        return real_run_in_process(function, *args, progress=self.held(progress), **kw)

    def report(self, merge_create: Any) -> Any:
        """`merge_create` whose every progress report passes the gate (the writing phase is
        reported by the merge's own thread, between its write transactions)."""

        def gated(*args: Any, progress: Any = None, **kw: Any) -> Any:
            return merge_create(*args, progress=self.held(progress), **kw)

        return gated


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    g = Gate("candidates")
    monkeypatch.setattr("trees.actions.merges.run_in_process", g.run_in_process)
    yield g
    g.opened.set()  # never leave a merge thread waiting


@pytest.fixture
def in_this_thread(settings: Any) -> None:
    """The merge computed in the merge's thread (GAMETREE_MERGE_IN_PROCESS=0), where a test
    can replace the analysis merge."""
    settings.GAMETREE_MERGE_IN_PROCESS = False


def test_a_merge_answers_at_once_and_its_status_reaches_done_with_the_merged_tree(
    demo: Any, client_for: Any
) -> None:
    alice = client_for(demo.alice)
    started = start_merge(alice, [demo.bobs, demo.carols], title="Polled")
    assert started["status"] in ("queued", "running")
    assert started["trees"] == [demo.bobs.pk, demo.carols.pk] and started["title"] == "Polled"
    assert started["tree"] is None and started["error"] is None
    assert started["suggestions"] is None and 0.0 <= started["progress"] < 1.0

    out = merge_until(alice, started["url"], finished)
    assert out["status"] == "done" and out["phase"] == "done" and out["progress"] == 1.0
    assert out["error"] is None and out["finished_at"] and out["started_at"]
    tree = Tree.objects.get(pk=out["tree"]["id"])
    assert out["tree"]["role"] == "owner" and tree.title == "Polled"
    assert out["suggestions"] == MergeSuggestion.objects.filter(tree=tree).count() > 0
    assert out["disagreements"] == tree.meta["disagreements"]
    # no problem is ordered differently; some suggested matches would ("pending")
    assert all(d["pending"] for d in out["disagreements"])
    assert out["conflicts"] == tree.meta["conflicts"]
    assert out["stats"]["input_nodes"] > 0 and out["stats"]["matches"]["root"] == 1
    assert tree.meta["merge"] == {"status": "done", "stats": out["stats"], "job": out["id"]}
    # Polling a finished merge keeps answering the same.
    assert merge_status(alice, started["url"]) == out


def test_the_status_shows_the_phase_and_progress_while_the_merge_runs(
    demo: Any, client_for: Any, gate: Gate
) -> None:
    alice = client_for(demo.alice)
    started = start_merge(alice, [demo.bobs, demo.carols])
    assert gate.reached.wait(30)
    running = merge_until(alice, started["url"], lambda b: b["phase"] == "candidates", 10)
    assert running["status"] == "running" and running["tree"] is None
    assert 0.0 < running["progress"] < 1.0
    gate.opened.set()
    out = merge_until(alice, started["url"], finished)
    assert out["status"] == "done" and out["progress"] == 1.0


def test_a_second_merge_waits_queued_while_one_runs(demo: Any, client_for: Any, gate: Gate) -> None:
    alice = client_for(demo.alice)
    first = start_merge(alice, [demo.bobs, demo.carols])
    assert gate.reached.wait(30)
    second = start_merge(alice, [demo.carols, demo.bobs])
    assert merge_status(alice, second["url"])["status"] == "queued"
    gate.opened.set()
    assert merge_until(alice, first["url"], finished)["status"] == "done"
    assert merge_until(alice, second["url"], finished)["status"] == "done"


def test_a_merge_past_the_waiting_limit_is_refused_at_once(
    demo: Any, client_for: Any, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = client_for(demo.alice)
    first = start_merge(alice, [demo.bobs, demo.carols])
    assert gate.reached.wait(30)
    monkeypatch.setattr(merge_jobs, "MAX_WAITING", 0)
    body = {"trees": [demo.bobs.pk, demo.carols.pk]}
    response = alice.post("/api/merges/", body, format="json")
    assert response.status_code == 409 and response.json()["code"] == "limit_reached"
    assert MergeJob.objects.count() == 1
    gate.opened.set()
    assert merge_until(alice, first["url"], finished)["status"] == "done"


def test_one_person_cannot_hold_the_merge_queue_and_others_still_get_in(
    demo: Any, client_for: Any, gate: Gate, settings: Any
) -> None:
    # Before, the queue was per process only (1 running + 8 waiting): one user's merges
    # refused another user's 22 times out of 26.
    from trees.actions import member_add
    from trees.models import Membership

    settings.GAMETREE_MERGES_PER_USER = 2
    alice, bob = client_for(demo.alice), client_for(demo.bob)
    for tree in (demo.bobs, demo.carols):
        if not Membership.objects.filter(tree=tree, user=demo.bob).exists():
            member_add(tree=tree, username=demo.bob.username, role="viewer")
    first = start_merge(alice, [demo.bobs, demo.carols])
    assert gate.reached.wait(30)
    second = start_merge(alice, [demo.carols, demo.bobs])
    body = {"trees": [demo.bobs.pk, demo.carols.pk]}
    for _ in range(5):
        refused = alice.post("/api/merges/", body, format="json")
        assert refused.status_code == 409 and refused.json()["code"] == "limit_reached"
        assert "at most 2 at once" in refused.json()["message"]
    theirs = bob.post("/api/merges/", body, format="json")
    assert theirs.status_code == 202, theirs.json()
    assert MergeJob.objects.filter(actor=demo.alice).count() == 2
    gate.opened.set()
    for client, started in ((alice, first), (alice, second), (bob, theirs.json())):
        assert merge_until(client, started["url"], finished)["status"] == "done"
    # Once hers are done, she starts merges again.
    again = alice.post("/api/merges/", body, format="json")
    assert again.status_code == 202
    assert merge_until(alice, again.json()["url"], finished)["status"] == "done"


def _without_node_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_node_ids(v) for k, v in value.items() if k != "node"}
    if isinstance(value, list):
        return [_without_node_ids(v) for v in value]
    return value


def _written(tree_id: int) -> dict[str, Any]:
    """A merged tree as stored, without its node ids (new in each merge): nodes by text with
    their parents' texts, the log's ops, the review queue, meta, members."""
    nodes = list(Node.objects.filter(tree_id=tree_id))
    text = {n.id: n.text for n in nodes}
    tree = Tree.objects.get(pk=tree_id)
    return {
        "nodes": sorted(
            (
                n.text,
                n.type,
                text.get(n.parent_id),
                sorted(text[uuid.UUID(p)] for p in n.parents),
                n.author_id,
                n.tags,
                n.note,
                {
                    **n.meta,
                    "edge_contributors": {
                        text[uuid.UUID(k)]: v for k, v in n.meta["edge_contributors"].items()
                    },
                },
            )
            for n in nodes
        ),
        "log": [
            (row.seq, row.actor_id, row.client_id, row.op["kind"])
            for row in OpLog.objects.filter(tree_id=tree_id).order_by("seq")
        ],
        "version": tree.version,
        "suggestions": list(
            MergeSuggestion.objects.filter(tree_id=tree_id)
            .order_by("position")
            .values_list("position", "a_tree", "b_tree", "a", "b", "score", "candidates")
        ),
        "meta": _without_node_ids(
            {**tree.meta, "merge": {**tree.meta["merge"], "stats": 0, "job": 0}}
        ),
        "members": sorted(Membership.objects.filter(tree_id=tree_id).values_list("user", "role")),
        "title": tree.title,
    }


def test_the_default_merge_writes_what_the_old_one_transaction_merge_in_a_thread_wrote(
    demo: Any, client_for: Any, settings: Any
) -> None:
    alice = client_for(demo.alice)
    # The old way: computed in the merge's thread, written in one transaction.
    settings.GAMETREE_MERGE_IN_PROCESS, settings.GAMETREE_MERGE_WRITE_ROWS = False, 0
    old = merge_via_api(alice, [demo.bobs, demo.carols], title="Same")
    # The default, computed in the worker process; a few rows a transaction, so many of them.
    settings.GAMETREE_MERGE_IN_PROCESS, settings.GAMETREE_MERGE_WRITE_ROWS = True, 7
    new = merge_via_api(alice, [demo.bobs, demo.carols], title="Same")
    assert old["status"] == new["status"] == "done"
    assert new["progress"] == 1.0 and new["suggestions"] == old["suggestions"] > 0
    assert _without_node_ids(new["disagreements"]) == _without_node_ids(old["disagreements"])
    written_old, written_new = _written(old["tree"]["id"]), _written(new["tree"]["id"])
    assert len(written_new["nodes"]) > 7 * 3 and len(written_new["log"]) > 7 * 3
    assert written_new == written_old
    assert Tree.objects.filter(meta__merge__status="writing").count() == 0


def test_a_merge_whose_worker_process_is_killed_ends_failed_with_its_code_and_no_tree(
    demo: Any, client_for: Any, gate: Gate
) -> None:
    alice = client_for(demo.alice)
    trees_before = Tree.objects.count()
    started = start_merge(alice, [demo.bobs, demo.carols])
    assert gate.reached.wait(30)
    workers = in_process.worker_pids()
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGKILL)  # as the kernel's out-of-memory killer would
    gate.opened.set()
    out = merge_until(alice, started["url"], finished)
    assert out["status"] == "failed" and out["tree"] is None
    assert out["error"]["code"] == "merge_worker_died"
    assert "nothing was written" in out["error"]["message"]
    assert Tree.objects.count() == trees_before
    # The next merge gets a new worker.
    assert merge_via_api(alice, [demo.bobs, demo.carols])["status"] == "done"


def test_a_merge_whose_worker_process_hangs_fails_at_the_time_limit_with_no_tree(
    demo: Any, client_for: Any, settings: Any
) -> None:
    alice = client_for(demo.alice)
    # A fresh worker: one the suite has nearly worn out (MAX_CALLS) would retire after this
    # merge and leave none warm to stop.
    in_process.shutdown()
    assert merge_via_api(alice, [demo.bobs, demo.carols])["status"] == "done"
    workers = in_process.worker_pids()  # the warm worker the next merge will be given
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGSTOP)  # hung: alive, answering nothing
    settings.GAMETREE_MERGE_TIMEOUT_SECONDS = 2
    trees_before, nodes_before = Tree.objects.count(), Node.objects.count()
    out = merge_via_api(alice, [demo.bobs, demo.carols])
    assert out["status"] == "failed" and out["tree"] is None
    assert out["error"]["code"] == "merge_timeout"
    assert "2 s" in out["error"]["message"] and "nothing was written" in out["error"]["message"]
    assert Tree.objects.count() == trees_before and Node.objects.count() == nodes_before
    with pytest.raises(ProcessLookupError):
        os.kill(workers[0], 0)  # killed, not left stopped
    # The next merge gets a new worker.
    settings.GAMETREE_MERGE_TIMEOUT_SECONDS = 600
    assert merge_via_api(alice, [demo.bobs, demo.carols])["status"] == "done"
    assert in_process.worker_pids() != workers


@contextmanager
def held_while_writing(
    demo: Any, alice: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[dict[str, Any], Tree]]:
    """A merge of bob's and carol's trees held after two of its write transactions were
    committed: the job as started, and the hidden tree half written. On leaving, the merge
    goes on and its thread is waited for."""
    settings.GAMETREE_MERGE_WRITE_ROWS = 5
    gate = Gate("writing", nth=3)  # two transactions of rows are committed by then
    monkeypatch.setattr(merge_jobs, "merge_create", gate.report(merge_jobs.merge_create))
    started = start_merge(alice, [demo.bobs, demo.carols])
    try:
        assert gate.reached.wait(30)
        yield started, Tree.objects.get(meta__merge__status="writing")
    finally:
        gate.opened.set()
    join_merge(started)


def seen_from_another_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, merges look as they do from another process: none of their threads is
    alive there, and every heartbeat is old."""
    monkeypatch.setattr(merge_jobs, "_alive", set())
    monkeypatch.setattr(merge_jobs, "STALE_SECONDS", -1.0)


def join_merge(started: dict[str, Any]) -> None:
    for thread in threading.enumerate():
        if thread.name == f"gametree-merge-{started['id']}":
            thread.join(30)


def test_a_merged_tree_is_reachable_by_nobody_while_it_is_written_and_gone_if_given_up(
    demo: Any, client_for: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = client_for(demo.alice)
    trees_before, nodes_before = Tree.objects.count(), Node.objects.count()
    with held_while_writing(demo, alice, settings, monkeypatch) as (started, pending):
        assert Node.objects.filter(tree=pending).exists()  # half of it is written ...
        assert not Membership.objects.filter(tree=pending).exists()  # ... and nobody's
        assert pending.pk not in [t["id"] for t in alice.get("/api/trees/").json()]
        for who in (alice, client_for(demo.bob)):
            response = who.get(f"/api/trees/{pending.pk}/")
            assert response.status_code == 404 and response.json()["code"] == "not_found"
        # Seen from another process, the job's heartbeat stopped: it is given up.
        seen_from_another_process(monkeypatch)
        assert merge_status(alice, started["url"])["error"]["code"] == "interrupted"
    out = merge_status(alice, started["url"])
    assert out["status"] == "failed" and out["tree"] is None
    assert Tree.objects.count() == trees_before and Node.objects.count() == nodes_before


def test_a_hidden_merged_tree_counts_against_no_quota_and_is_swept_once_its_merge_is_dead(
    demo: Any, client_for: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = client_for(demo.alice)
    trees_before, nodes_before = Tree.objects.count(), Node.objects.count()
    with held_while_writing(demo, alice, settings, monkeypatch) as (started, pending):
        assert pending.created_by_id == demo.alice.pk
        # Alice's quota is full but for the hidden tree: she can still make one.
        shown = Tree.objects.filter(created_by=demo.alice).count() - 1
        settings.GAMETREE_MAX_TREES_PER_USER = shown + 1
        made = alice.post("/api/trees/", {"kind": "game", "title": "q"}, format="json")
        assert made.status_code == 201, made.json()
        refused = alice.post("/api/trees/", {"kind": "game", "title": "r"}, format="json")
        assert refused.status_code == 409 and refused.json()["code"] == "limit_reached"
        # While its merge runs (its thread is alive here), the sweep leaves it alone.
        assert merge_jobs.merge_discard_orphans() == 0
        assert Node.objects.filter(tree=pending).exists()
        # Seen from a process where its heartbeat stopped (the process that wrote it died),
        # the startup command deletes it and reports the job interrupted.
        seen_from_another_process(monkeypatch)
        out = io.StringIO()
        call_command("discardmerges", stdout=out)
        assert out.getvalue().strip() == "deleted 1 hidden merged trees"
        assert not Tree.objects.filter(pk=pending.pk).exists()
        assert not Node.objects.filter(tree_id=pending.pk).exists()
        assert merge_status(alice, started["url"])["error"]["code"] == "interrupted"
    assert Tree.objects.count() == trees_before + 1  # the one alice made
    assert Node.objects.count() == nodes_before


def test_the_sweep_deletes_a_hidden_merged_tree_of_no_job_only_once_it_is_old(
    demo: Any,
) -> None:
    def hidden(title: str) -> Tree:
        meta = {"merge": {"status": "writing", "job": None}}
        return tree_create(
            owner_id=demo.alice.pk, kind="problem", title=title, meta=meta, members=False
        )

    old, new = hidden("old"), hidden("new")
    long_ago = timezone.now() - timedelta(seconds=merge_jobs.ORPHAN_SECONDS + 60)
    Tree.objects.filter(pk=old.pk).update(created_at=long_ago)
    assert merge_jobs.merge_discard_orphans() == 1
    assert not Tree.objects.filter(pk=old.pk).exists()
    assert Tree.objects.filter(pk=new.pk).exists()


async def test_a_live_edit_made_while_a_merge_writes_is_committed_and_acked(
    demo: Any, client_for: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, connect: Any
) -> None:
    settings.GAMETREE_MERGE_WRITE_ROWS = 5
    gate = Gate("writing", nth=3)  # between two of its write transactions
    monkeypatch.setattr(merge_jobs, "merge_create", gate.report(merge_jobs.merge_create))
    alice = await asyncio.to_thread(client_for, demo.alice)
    started = await asyncio.to_thread(start_merge, alice, [demo.bobs, demo.carols])
    try:
        assert await asyncio.to_thread(gate.reached.wait, 30)
        ws = await connect(demo.bob, demo.bobs.pk, hello=True)
        node = str(uuid.uuid4())
        op = {"kind": "create", "id": node, "type": "problem", "parent": None}
        reply = await ws.op({**op, "text": "typed while the merge writes"})
        assert reply["type"] == "ack", reply
        assert await db_version(demo.bobs.pk) == reply["seq"]
        assert await asyncio.to_thread(
            lambda: Node.objects.get(pk=node).text == "typed while the merge writes"
        )
        status = await asyncio.to_thread(merge_status, alice, started["url"])
        assert status["status"] == "running" and status["phase"] == "writing"
    finally:
        gate.opened.set()
    out = await asyncio.to_thread(merge_until, alice, started["url"], finished)
    assert out["status"] == "done"


def test_a_merge_that_raises_ends_failed_with_a_stable_code_and_no_tree(
    demo: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch, in_this_thread: None
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in the merge")

    monkeypatch.setattr(merge_worker, "merge", broken)
    trees_before = Tree.objects.count()
    out = merge_via_api(client_for(demo.alice), [demo.bobs, demo.carols])
    assert out["status"] == "failed" and out["tree"] is None
    assert out["error"]["code"] == "merge_failed"
    assert "Try again" in out["error"]["message"] and "bug" not in out["error"]["message"]
    assert Tree.objects.count() == trees_before


def test_a_merge_refused_while_it_runs_reports_the_action_error_code(
    demo: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch, in_this_thread: None
) -> None:
    def too_big(*args: Any, **kwargs: Any) -> Any:
        raise ActionError("too_large", "The merged tree would be too big.")

    monkeypatch.setattr(merge_worker, "merge", too_big)
    out = merge_via_api(client_for(demo.alice), [demo.bobs, demo.carols])
    assert out["status"] == "failed"
    assert out["error"] == {"code": "too_large", "message": "The merged tree would be too big."}


def test_a_merge_whose_process_died_is_reported_interrupted_not_left_running(
    demo: Any, client_for: Any
) -> None:
    # A job as a killed process leaves it: running, its heartbeat long stopped.
    old = timezone.now() - timedelta(minutes=5)
    dead = MergeJob.objects.create(
        actor=demo.alice,
        sources=[demo.bobs.pk, demo.carols.pk],
        title="Lost",
        status="running",
        phase="candidates",
        progress=0.4,
        started_at=old,
        heartbeat_at=old,
    )
    alive = MergeJob.objects.create(
        actor=demo.alice,
        sources=[demo.bobs.pk, demo.carols.pk],
        status="running",
        heartbeat_at=timezone.now(),
    )
    alice = client_for(demo.alice)
    out = merge_status(alice, f"/api/merges/{dead.pk}/")
    assert out["status"] == "failed" and out["phase"] == "candidates"
    assert out["error"]["code"] == "interrupted"
    assert "Start the merge again" in out["error"]["message"]
    assert out["trees"] == [demo.bobs.pk, demo.carols.pk] and out["title"] == "Lost"  # to retry
    dead.refresh_from_db()
    assert dead.status == "failed" and dead.finished_at is not None  # stored, not just shown
    assert merge_status(alice, f"/api/merges/{alive.pk}/")["status"] == "running"


def test_a_late_heartbeat_of_a_merge_alive_in_this_process_is_not_an_interruption(
    demo: Any, client_for: Any, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = client_for(demo.alice)
    started = start_merge(alice, [demo.bobs, demo.carols])
    assert gate.reached.wait(30)
    monkeypatch.setattr(merge_jobs, "STALE_SECONDS", -1.0)
    assert merge_status(alice, started["url"])["status"] == "running"
    gate.opened.set()
    assert merge_until(alice, started["url"], finished)["status"] == "done"


def test_a_merge_reported_interrupted_while_its_thread_still_ran_keeps_no_tree(
    demo: Any, client_for: Any, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = client_for(demo.alice)
    trees_before = Tree.objects.count()
    started = start_merge(alice, [demo.bobs, demo.carols])
    assert gate.reached.wait(30)
    seen_from_another_process(monkeypatch)
    assert merge_status(alice, started["url"])["error"]["code"] == "interrupted"
    gate.opened.set()
    join_merge(started)
    out = merge_status(alice, started["url"])
    assert out["status"] == "failed" and out["error"]["code"] == "interrupted"
    assert out["tree"] is None and Tree.objects.count() == trees_before


def test_only_the_person_who_started_a_merge_can_read_its_status(
    demo: Any, client_for: Any
) -> None:
    alice, bob = client_for(demo.alice), client_for(demo.bob)
    out = merge_via_api(alice, [demo.bobs, demo.carols])
    for client, url in (
        (bob, out["url"]),
        (alice, f"/api/merges/{out['id'] + 1000}/"),
        (alice, f"/api/merges/{2**63}/"),
    ):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    anonymous = client_for(demo.alice)
    anonymous.logout()
    assert anonymous.get(out["url"]).status_code == 401
