"""Action layer: merges started over REST run in a background thread of the serving process.

A merge takes seconds, too long for a request. There is
no task queue in this product (one or a few daphne processes), so `merge_start` records a
`MergeJob` row and, after commit, starts a thread that runs `merge_create` to the end. The row
is the only shared state: any process answers a poll from it (docs/analysis.md).

- The merge thread and its heartbeat thread each use their own database connection (Django's
  are per thread) and close it when they end.
- The thread hands the pure computation to the merge worker process (trees/actions/merges.py,
  trees/analysis/merge/in_process.py) and waits for it, relaying its progress: the GIL stays with
  the live path. A worker that dies ends the job `failed` with code `merge_worker_died`, and
  nothing written.
- At most `MAX_RUNNING` merges compute at once per process: they are CPU-bound, and share
  the machine's cores with the live path (and, with `GAMETREE_MERGE_IN_PROCESS=0`, its GIL).
  Up to `MAX_WAITING` others wait, `queued`, with a heartbeat (a thread and a connection
  each); past that a new merge is refused (`limit_reached`). One person has at most
  `GAMETREE_MERGES_PER_USER` merges queued or running at once, counted over every process
  (live rows of the table), so that one user cannot hold the queue (`limit_reached` too,
  saying so).
- Every exception ends the job `failed` with a stable code (`ActionError`'s own code, else
  `merge_failed`); nothing propagates out of the thread.
- The heartbeat thread renews `heartbeat_at` every `HEARTBEAT_SECONDS`. A queued or running job
  whose heartbeat is older than `STALE_SECONDS`, and whose thread is not alive in the process
  that reads it, belonged to a process that died (or was restarted) mid-merge: reading it
  reports it `failed` with code `interrupted`, and deletes what it had written of its tree
  (never revealed: no members). Should its thread still be alive in another process (a
  heartbeat held up that long), its result is deleted, not resurrect the job.
- A merged tree left hidden by a process that died mid-write counts against nobody's quota
  (trees/actions/trees.py) and is deleted by `merge_discard_orphans`: run by the
  `discardmerges` command (`make migrate`, so at every `make run`: a restart is when a
  server stopped mid-merge comes back) and, at most every `SWEEP_SECONDS`, by the merge
  thread of every process before it starts (a long-running server whose sibling process
  died). Not in `AppConfig.ready`: that runs in every management command (`migrate` too,
  before the tables exist) and Django warns against queries there.
- A merge whose worker process hangs is killed at `GAMETREE_MERGE_TIMEOUT_SECONDS` (600):
  the job ends `failed` with code `merge_timeout`, nothing written (trees/actions/merges.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, connections, transaction
from django.utils import timezone

from trees.actions.merges import (
    WRITING,
    MergeOutcome,
    merge_create,
    merge_discard,
    merge_discard_unrevealed,
    merge_title,
)
from trees.domain.errors import ActionError
from trees.models import MergeJob, MergeStatus, Tree

log = logging.getLogger(__name__)

MAX_RUNNING = 1
MAX_WAITING = 8
HEARTBEAT_SECONDS = 2.0
# Well above a heartbeat delayed by SQLite's write lock (the heartbeat's UPDATE waits behind
# other writers; with GAMETREE_MERGE_WRITE_ROWS=0 behind the merge's own write of seconds) or
# by a busy machine.
STALE_SECONDS = 30.0
# The least time between two writes of progress within a phase (a new phase is written at
# once): a poll every 300-500 ms sees about each one.
PROGRESS_SECONDS = 0.5
_TICK = 0.1

ACTIVE = (MergeStatus.QUEUED, MergeStatus.RUNNING)
INTERRUPTED = "interrupted"
FAILED = "merge_failed"
_MESSAGES = {
    INTERRUPTED: "The server stopped while this merge ran. Start the merge again.",
    FAILED: "The merge failed on the server. Try again; if it fails again, tell the operator.",
}

# A hidden merged tree of no job (the `mergetrees` command) is an orphan when it was begun
# this long ago: a merge writes in seconds, minutes at the very most.
ORPHAN_SECONDS = 3600.0
# The least time between two sweeps of orphans by the merge threads of one process.
SWEEP_SECONDS = 600.0
_swept_at: list[float] = []  # when this process's merge threads last swept (monotonic)
_sweep_lock = threading.Lock()

_slots = threading.BoundedSemaphore(MAX_RUNNING)
_alive: set[int] = set()  # jobs whose thread runs in this process (set.add/discard: atomic)


class _GivenUp(Exception):
    """The job was reported interrupted while this thread still ran: drop its result."""


def merge_start(*, actor_id: int, trees: Sequence[Tree], title: object = None) -> MergeJob:
    """Check that `trees` can be merged, record a queued job and start it after commit.
    The caller checked that the actor may read every source tree."""
    title_text = merge_title(trees, title)
    mine = MergeJob.objects.filter(
        actor_id=actor_id,
        status__in=ACTIVE,
        heartbeat_at__gte=timezone.now() - timedelta(seconds=STALE_SECONDS),
    ).count()
    per_user = settings.GAMETREE_MERGES_PER_USER
    if mine >= per_user:
        raise ActionError(
            "limit_reached",
            f"You already have {mine} merges running or waiting; one person can have at most "
            f"{per_user} at once so that others get their turn. Start this one when one of "
            "yours has finished.",
        )
    if len(_alive) >= MAX_RUNNING + MAX_WAITING:
        raise ActionError(
            "limit_reached", "Too many merges are running on this server; try again in a minute."
        )
    job = MergeJob.objects.create(
        actor_id=actor_id,
        sources=[t.pk for t in trees],
        title=title_text,
        heartbeat_at=timezone.now(),
    )
    job_id = job.pk
    transaction.on_commit(lambda: _launch(job_id))
    return job


def merge_job_expire(*, job: MergeJob) -> MergeJob:
    """Report a queued or running job whose heartbeat stopped as failed (`interrupted`)."""
    if job.status not in ACTIVE or job.pk in _alive:
        # Alive here: its heartbeat is late, not stopped (on SQLite it waits for the write
        # lock behind other writers).
        return job
    cutoff = timezone.now() - timedelta(seconds=STALE_SECONDS)
    if job.heartbeat_at >= cutoff:
        return job
    try:
        MergeJob.objects.filter(pk=job.pk, status__in=ACTIVE, heartbeat_at__lt=cutoff).update(
            status=MergeStatus.FAILED,
            error_code=INTERRUPTED,
            error_message=_MESSAGES[INTERRUPTED],
            finished_at=timezone.now(),
        )
    except OperationalError:  # the write lock stayed taken: answer what we have, try later
        log.warning("merge job %s: could not mark it interrupted", job.pk, exc_info=True)
        return job
    try:
        merge_discard_unrevealed(job_id=job.pk)
    except DatabaseError:  # it stays, reachable by nobody (no members): worth a log line
        log.warning("merge job %s: its unrevealed tree was not deleted", job.pk, exc_info=True)
    job.refresh_from_db()
    return job


def merge_discard_orphans() -> int:
    """Delete the hidden merged trees (still being written: no members) that nobody will
    reveal: their job ended, is gone, or its heartbeat stopped (the job is then reported
    `interrupted`); of no job, begun more than `ORPHAN_SECONDS` ago. A tree whose job is
    alive, here or in another process, is left alone. Returns how many were deleted."""
    hidden = list(
        Tree.objects.filter(meta__merge__status=WRITING, memberships__isnull=True).values_list(
            "pk", "meta", "created_at"
        )
    )
    job_ids = {meta["merge"].get("job") for _, meta, _ in hidden} - {None}
    jobs = MergeJob.objects.in_bulk(job_ids)
    cutoff = timezone.now() - timedelta(seconds=ORPHAN_SECONDS)
    deleted = 0
    for tree_id, meta, created_at in hidden:
        job_id = meta["merge"].get("job")
        if job_id is None:
            if created_at >= cutoff:
                continue
        elif job_id in jobs and merge_job_expire(job=jobs[job_id]).status in ACTIVE:
            continue  # still running somewhere: its heartbeat is fresh
        merge_discard(tree_id=tree_id)  # (a no-op if the job's expiry just deleted it)
        deleted += 1
    if deleted:
        log.info("deleted %s merged trees left hidden by merges that died", deleted)
    return deleted


def _sweep_now_and_then() -> None:
    """`merge_discard_orphans`, at most every `SWEEP_SECONDS` in this process; never raises."""
    with _sweep_lock:
        now = time.monotonic()
        if _swept_at and now - _swept_at[0] < SWEEP_SECONDS:
            return
        _swept_at[:] = [now]
    try:
        merge_discard_orphans()
    except DatabaseError:
        log.warning("could not delete the merged trees left hidden", exc_info=True)


def _launch(job_id: int) -> None:
    try:
        thread = threading.Thread(
            target=merge_run, args=(job_id,), name=f"gametree-merge-{job_id}", daemon=True
        )
        thread.start()
    except RuntimeError:  # no thread to be had: say so now rather than after STALE_SECONDS
        log.exception("merge job %s: could not start its thread", job_id)
        try:
            _fail(job_id, FAILED, _MESSAGES[FAILED])
        except DatabaseError:  # the heartbeat never started: it reads as interrupted soon
            log.exception("merge job %s: could not record that it failed", job_id)


def merge_run(job_id: int) -> None:
    """Run a queued job to `done` or `failed` in this thread. Never raises."""
    _alive.add(job_id)
    beat = _Heartbeat(job_id)
    beat.start()
    try:
        with _slots:
            _run(job_id, beat)
    except Exception:  # recording the failure failed too (database gone): the heartbeat stops
        log.exception("merge job %s: could not record its end", job_id)
    finally:
        _alive.discard(job_id)
        beat.stop()
        connections.close_all()


def _run(job_id: int, beat: _Heartbeat) -> None:
    _sweep_now_and_then()
    now = timezone.now()
    claimed = MergeJob.objects.filter(pk=job_id, status=MergeStatus.QUEUED).update(
        status=MergeStatus.RUNNING, phase="reading", started_at=now, heartbeat_at=now
    )
    if not claimed:  # reported interrupted while it waited
        return
    job = MergeJob.objects.get(pk=job_id)
    try:
        found = Tree.objects.in_bulk(job.sources)
        if any(i not in found for i in job.sources):
            raise ActionError("not_found", "A tree to merge was deleted before the merge ran.")

        def record_done(outcome: MergeOutcome) -> None:
            done = MergeJob.objects.filter(pk=job_id, status=MergeStatus.RUNNING).update(
                status=MergeStatus.DONE,
                phase="done",
                progress=1.0,
                tree=outcome.tree,
                result={
                    "suggestions": outcome.suggestions,
                    "disagreements": outcome.disagreements,
                    "conflicts": outcome.conflicts,
                    "stats": outcome.stats,
                },
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
            )
            if not done:
                raise _GivenUp

        merge_create(
            actor_id=job.actor_id,
            trees=[found[i] for i in job.sources],
            title=job.title,
            progress=beat.report,
            job_id=job_id,
            on_written=record_done,
        )
    except _GivenUp:
        log.warning("merge job %s was reported interrupted; its result is dropped", job_id)
    except ActionError as exc:
        _fail(job_id, exc.code, exc.message)
    except Exception:
        log.exception("merge job %s failed", job_id)
        _fail(job_id, FAILED, _MESSAGES[FAILED])


def _fail(job_id: int, code: str, message: str) -> None:
    now = timezone.now()
    MergeJob.objects.filter(pk=job_id, status__in=ACTIVE).update(
        status=MergeStatus.FAILED,
        error_code=code[:64],
        error_message=message[:500],
        finished_at=now,
        heartbeat_at=now,
    )


class _Heartbeat:
    """A job's progress and heartbeat. A new phase is written at once by the merge thread
    (about ten a merge), unless it is inside its write transaction, where nobody would see
    the write before the commit; a thread of its own writes the latest value otherwise (at
    most every `PROGRESS_SECONDS`) and the heartbeat (every `HEARTBEAT_SECONDS`): the merge
    thread spends whole seconds inside one pure call, or in that transaction."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._latest: tuple[str, float] | None = None
        self._written: tuple[str, float] | None = None
        self._last_write = time.monotonic()
        self._lock = threading.Lock()  # guards the three above
        self._writing = threading.Lock()  # one write at a time, each of the latest value
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"gametree-merge-{job_id}-beat", daemon=True
        )

    def report(self, phase: str, fraction: float) -> None:
        """The merge thread's progress callback."""
        with self._lock:
            new_phase = self._latest is None or self._latest[0] != phase
            self._latest = (phase, min(1.0, max(0.0, fraction)))
        if new_phase and not connection.in_atomic_block:
            self._write()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _loop(self) -> None:
        try:
            while not self._stopping.wait(_TICK):
                with self._lock:
                    since = time.monotonic() - self._last_write
                    behind = self._latest != self._written
                if since >= HEARTBEAT_SECONDS or (behind and since >= PROGRESS_SECONDS):
                    self._write()
        finally:
            connections.close_all()

    def _write(self) -> None:
        with self._writing:
            with self._lock:
                latest = self._latest
            fields: dict[str, object] = {"heartbeat_at": timezone.now()}
            if latest is not None:
                fields["phase"], fields["progress"] = latest
            try:
                MergeJob.objects.filter(pk=self.job_id, status__in=ACTIVE).update(**fields)
            except DatabaseError:  # progress is worth a retry, not the merge
                log.warning("merge job %s: progress not written", self.job_id, exc_info=True)
                if not connection.in_atomic_block:
                    connections.close_all()  # a broken connection is replaced on the next try
                return
            with self._lock:
                self._written, self._last_write = latest, time.monotonic()
