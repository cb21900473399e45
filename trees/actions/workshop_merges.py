"""Action layer: at the end of an individual round each group's trees are merged into the
group's merged tree, with the existing merge machinery (trees/actions/merge_jobs.py: a
`MergeJob` per group, its heartbeat, its slot, the review queue of the merged tree).

A round's groups are merged one after another by one background thread per round (started
after the round's end commits), so that a 13-group workshop neither fills the merge queue
nor takes more than one slot; each `GroupMerge` row records how its group's merge went.
The merge's actor, and owner of the merged tree, is the group's first member with a tree;
the others become its editors (merge_create); the group edits it through the workshop too.

If the server stops mid-way, `merges_retry` (POST .../rounds/<id>/merge/) carries on.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import OperationalError, connections, transaction

from trees.actions.merge_jobs import merge_job_expire, merge_start
from trees.domain.errors import ActionError
from trees.models import (
    ExerciseTree,
    ExerciseTreeKind,
    GroupMerge,
    GroupMergeStatus,
    MergeJob,
    MergeStatus,
    Round,
    RoundMode,
    Workshop,
)
from trees.realtime.broadcast import broadcast_workshop

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
# A merge of a group's few trees takes seconds; past this the runner stops waiting (the job
# goes on; a retry links its tree).
WAIT_SECONDS = 15 * 60


def merges_plan(rnd: Round) -> None:
    """One GroupMerge per group with trees in `rnd` (inside the round's end transaction):
    `waiting` for two trees or more, `single` (its one tree, forked as it is next round) or
    `empty`."""
    trees: dict[int, list[int]] = {}
    for group_id, tree_id in (
        ExerciseTree.objects.filter(round=rnd, kind=ExerciseTreeKind.INDIVIDUAL)
        .order_by("participant__joined_at", "pk")
        .values_list("group_id", "tree_id")
    ):
        trees.setdefault(group_id, []).append(tree_id)
    for group_id, ids in trees.items():
        status = GroupMergeStatus.WAITING if len(ids) > 1 else GroupMergeStatus.SINGLE
        GroupMerge.objects.update_or_create(
            round=rnd,
            group_id=group_id,
            defaults={"status": status, "tree_id": ids[0] if len(ids) == 1 else None},
        )


def merges_start_after_commit(round_id: int) -> None:
    transaction.on_commit(lambda: _launch(round_id))


def _launch(round_id: int) -> None:
    thread = threading.Thread(
        target=run_group_merges, args=(round_id,), name=f"gametree-round-{round_id}", daemon=True
    )
    thread.start()


def merges_retry(*, workshop: Workshop, round_id: int) -> Round:
    """Carry on with a round's merges: failed ones and ones whose job was cut off start
    again; done ones whose tree was not linked yet are linked."""
    with transaction.atomic():
        rnd = (
            Round.objects.select_for_update()
            .select_related("exercise")
            .filter(exercise__workshop=workshop, pk=round_id)
            .first()
        )
        if rnd is None:
            raise ActionError("not_found", "No such round in this workshop.")
        if rnd.mode != RoundMode.INDIVIDUAL or rnd.ended_at is None:
            raise ActionError("conflict", "Only an individual round that has ended is merged.")
        merges_plan_missing(rnd)
        for merge in GroupMerge.objects.select_for_update().filter(round=rnd):
            if merge.status == GroupMergeStatus.FAILED:
                merge.status, merge.job, merge.error_code = GroupMergeStatus.WAITING, None, ""
                merge.save(update_fields=["status", "job", "error_code", "updated_at"])
            elif merge.status == GroupMergeStatus.RUNNING and not _job_alive(merge.job):
                # Its runner is gone (the job ended, or died with its process): the new
                # runner links its tree, or starts it again.
                merge.status = GroupMergeStatus.WAITING
                merge.save(update_fields=["status", "updated_at"])
        merges_start_after_commit(rnd.pk)
    return rnd


def _job_alive(job: MergeJob | None) -> bool:
    if job is None:
        return False
    job = merge_job_expire(job=job)
    return job.status in (MergeStatus.QUEUED, MergeStatus.RUNNING)


def merges_plan_missing(rnd: Round) -> None:
    """Plan the groups that got trees after the round ended (none usually)."""
    planned = set(GroupMerge.objects.filter(round=rnd).values_list("group_id", flat=True))
    if ExerciseTree.objects.filter(round=rnd).exclude(group_id__in=planned).exists():
        merges_plan(rnd)


def run_group_merges(round_id: int) -> None:
    """The runner: each waiting group of the round in turn. Never raises."""
    try:
        while True:
            merge_id = _claim(round_id)
            if merge_id is None:
                break
            _wait_and_link(merge_id)
    except Exception:
        log.exception("round %s: the group merges stopped; POST .../merge/ to go on", round_id)
    finally:
        connections.close_all()


def _claim(round_id: int) -> int | None:
    """Start the next waiting group's merge job (or pick up its unfinished one)."""
    with transaction.atomic():
        merge = (
            GroupMerge.objects.select_for_update(of=("self",))
            .filter(round_id=round_id, status=GroupMergeStatus.WAITING)
            .select_related("round__exercise", "group")
            .order_by("group__position", "group_id")
            .first()
        )
        if merge is None:
            return None
        job = merge.job
        if job is not None:
            job = merge_job_expire(job=job)
        # A job still going, or done but not linked (its runner stopped): wait for it / link
        # it; none yet, or failed: start one.
        if job is None or job.status == MergeStatus.FAILED:
            links = list(
                ExerciseTree.objects.filter(
                    round_id=round_id, group=merge.group, kind=ExerciseTreeKind.INDIVIDUAL
                )
                .select_related("tree", "participant")
                .order_by("participant__joined_at", "pk")
            )
            trees = [link.tree for link in links]
            actor = trees[0].owner_id if trees else None
            rnd = merge.round
            title = f"{rnd.exercise.title} — {merge.group.name}, round {rnd.number} merged"
            try:
                if actor is None:
                    raise ActionError("invalid", "This group has no trees to merge.")
                job = merge_start(actor_id=actor, trees=trees, title=title[:200])
            except ActionError as exc:
                merge.status, merge.error_code = GroupMergeStatus.FAILED, exc.code
                merge.save(update_fields=["status", "error_code", "updated_at"])
                _tell_after_commit(merge)
                return merge.pk
        merge.job = job
        merge.status = GroupMergeStatus.RUNNING
        merge.save(update_fields=["job", "status", "updated_at"])
        _tell_after_commit(merge)
        return merge.pk


def _wait_and_link(merge_id: int) -> None:
    merge = GroupMerge.objects.get(pk=merge_id)
    if merge.status != GroupMergeStatus.RUNNING or merge.job_id is None:
        return
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            job = MergeJob.objects.filter(pk=merge.job_id).first()
            if job is not None:
                job = merge_job_expire(job=job)
        except OperationalError:  # SQLite's lock taken by a writer: ask again
            time.sleep(POLL_SECONDS)
            continue
        if job is None or job.status in (MergeStatus.DONE, MergeStatus.FAILED):
            break
        if time.monotonic() > deadline:
            return  # left running; a retry picks it up
        time.sleep(POLL_SECONDS)
    merge_link(merge_id)


def merge_link(merge_id: int) -> None:
    """Record how a group's merge job ended: the merged tree linked to the exercise (kind
    merged, the group's), or the failure's code."""
    with transaction.atomic():
        merge = (
            GroupMerge.objects.select_for_update(of=("self",))
            .select_related("round__exercise", "job")
            .filter(pk=merge_id)
            .first()
        )
        if merge is None or merge.status != GroupMergeStatus.RUNNING:
            return
        job = merge.job
        if job is not None and job.status == MergeStatus.DONE and job.tree_id is not None:
            ExerciseTree.objects.get_or_create(
                tree_id=job.tree_id,
                defaults={
                    "exercise": merge.round.exercise,
                    "round": merge.round,
                    "group_id": merge.group_id,
                    "kind": ExerciseTreeKind.MERGED,
                },
            )
            merge.status, merge.tree_id = GroupMergeStatus.DONE, job.tree_id
            merge.save(update_fields=["status", "tree", "error_code", "updated_at"])
            _fork_if_next_round_runs(merge)
        else:
            merge.status = GroupMergeStatus.FAILED
            merge.error_code = (job.error_code if job is not None else "") or "merge_failed"
        merge.save(update_fields=["status", "tree", "error_code", "updated_at"])
        _tell_after_commit(merge)


def _fork_if_next_round_runs(merge: GroupMerge) -> None:
    """The facilitator started the next round before this group's merge was done: its
    members get their forks now (the other groups got theirs at the start)."""
    from trees.actions.workshop_rounds import prepare_for_merge

    nxt = (
        Round.objects.select_related("exercise")
        .filter(
            exercise_id=merge.round.exercise_id,
            number=merge.round.number + 1,
            started_at__isnull=False,
            ended_at__isnull=True,
        )
        .first()
    )
    if nxt is not None:
        prepare_for_merge(nxt)


def _tell_after_commit(merge: GroupMerge) -> None:
    workshop_id = merge.round.exercise.workshop_id
    event = {
        "type": "merge",
        "round": merge.round_id,
        "group": merge.group_id,
        "status": merge.status,
        "tree": merge.tree_id,
    }
    exercise_id = merge.round.exercise_id
    done = merge.status == GroupMergeStatus.DONE

    def send() -> None:
        broadcast_workshop(workshop_id, event)
        if done:
            broadcast_workshop(workshop_id, {"type": "trees", "exercise": exercise_id})

    transaction.on_commit(send)
