"""A pure function run in a worker process of its own, so that its long pure-Python stretches
(a merge: seconds) do not hold the serving process's GIL while live edits wait.

Pure: no Django here or in the worker. `run_in_process(function, *args, progress=...,
**kwargs)` sends the call (pickled; `function` by reference, so a module-level function) to an
idle worker, or to a new one, and waits for the answer, relaying the worker's progress
`(phase, fraction)` to `progress` in the calling thread. A merge's caller
(trees/actions/merges.py) keeps its job protocol, heartbeat and progress writes.

- **Spawned, not forked.** The serving process runs threads (the event loop, the database
  thread, merges, heartbeats) and holds locks and sockets; a forked child would inherit them
  in whatever state they were. A worker is a fresh interpreter (`sys.executable -c ...`, the
  parent's `sys.path`) that imports only what the call needs (no Django) and inherits no file
  descriptor but its end of a socket pair. Not multiprocessing's spawn: that re-runs the
  parent's main module in the child, which is wrong for some entry points (a script without
  a `__main__` guard, code read from standard input).
- **Kept warm.** A worker that answered goes back to its pool (at most `MAX_IDLE`), so the
  next merge finds its imports done and its caches (the embeddings of labels seen) filled. It
  is retired after `MAX_CALLS` calls (bounded memory) or `IDLE_SECONDS` unused (not a worker
  kept warm, below); a worker whose parent died sees its pipe end and exits.
- **One pool per kind of call.** `run_in_process` uses the merges' pool; a `Pool` of its own
  (`ANALYSIS`: the Analysis tab and tag suggestions, trees/analysis_service.py; the REST
  workshop board and the workshop export, trees/board_service.py) keeps other warm workers
  with their own limits (more calls each, a cap on how many run at once), so that an
  Analysis refreshed every few seconds neither retires the merges' worker nor is retired
  with it, and keeps its own cache of the critiques it read. Its callers go through
  `run_analysis`, which turns a worker that died or hung into `analysis_unavailable`. A
  pool's `code` starts its errors' codes: `merge` for the merges' pool (the stable codes of
  a merge job's end, docs/analysis.md), `analysis` for the Analysis's (seen in its logs).
- **A crash is an answer.** A worker that dies mid-call (killed, out of memory, a crash in
  C code) closes its pipe: the caller gets `WorkerDied` (code `<code>_worker_died`, with the
  exit code or signal) at once, never a hang, and the worker is not reused. An exception in
  the function comes back as `WorkerFailed` carrying the exception's `code` and `message`
  when it has them (a domain `OpError`), else its type and text.
- **A hang is an answer too.** A call given `timeout=` seconds that has not answered by then
  (the worker hung: stuck in a loop, stopped, starved) gets its worker killed by a timer
  thread (SIGKILL ends even a stopped process, and unblocks the caller's send of a large call
  as well as its receive) and raises `WorkerTimedOut` (code `<code>_timeout`); the next call
  spawns a new worker. Progress does not extend the limit: it bounds the whole call.
- **Started warm, where asked.** `Pool.keep_warm(warm_up)` (a serving process calls it for
  the merges' pool and for the Analysis's as it starts: trees/actions/merges.py,
  trees/analysis_service.py) keeps one worker of that pool ready
  from then on: it is started at once, and a worker started so runs `warm_up()` (a
  module-level function: it imports, loads and fills what the calls will need) before it
  reads its first call. The caller goes on at once: a call handed to a worker still warming
  waits in its pipe until the warm-up is done. A warm-up that raises is reported on the
  worker's stderr and the worker serves its calls cold, as before. A worker kept warm is not
  retired for idleness (a workshop's first merge of a round comes long after the last); one
  retired after its calls, or that died, is replaced by a new warm one; a call that finds
  none idle (the Analysis's second call at once) spawns one that warms up too, before its
  call. Without `keep_warm` (tests, management commands) a worker is spawned by the first call
  and nothing runs before it. A worker's command line ends with its pool's name (`merges`,
  `analysis`), so that `ps` tells them apart.
- **Below the live path.** The worker runs at `nice` 10, its start and warm-up too: where the
  cores are busy, live edits get them first and the merge (or the warm-up) takes longer.
- **Answers in small pieces.** A list in the answer (a merge's thousands of rows) comes back
  in slices of `PIECE` items, each unpickled on its own: one pickle of the whole answer held
  the caller's GIL for tens of milliseconds in one go.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from trees.domain.errors import ActionError

Progress = Callable[[str, float], None]

MAX_IDLE = 1
MAX_CALLS = 50
IDLE_SECONDS = 600.0
# The worker's own limit on waiting for a call: a minute past IDLE_SECONDS, after which the
# parent no longer hands it one, so that a call is never sent to a worker that just left,
# and an unused worker does not keep its memory past that.
_WORKER_IDLE_SECONDS = IDLE_SECONDS + 60.0
PIECE = 200
# The worker's CPU priority below the serving process's: on a busy machine the live path gets
# the cores first and a merge takes what is left (it is a background job, polled).
NICE = 10


class WorkerError(RuntimeError):
    """The call did not answer: `code` and `message` say why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class WorkerFailed(WorkerError):
    """The function raised in the worker."""


class WorkerDied(WorkerError):
    """The worker process ended without answering."""


class WorkerTimedOut(WorkerError):
    """The worker did not answer within the call's time limit; it was killed."""


# ---- in the worker ------------------------------------------------------------------------------


def _serve(conn: Any, idle: float | None = _WORKER_IDLE_SECONDS) -> None:
    """The worker's loop: one call at a time until its pipe closes or it idles `idle` seconds
    (None: until its pipe closes)."""
    while conn.poll(idle):
        try:
            function, args, kwargs = conn.recv()
        except EOFError:
            return

        def progress(phase: str, fraction: float) -> None:
            conn.send(("progress", phase, fraction))

        try:
            answer = function(*args, progress=progress, **kwargs)
        except Exception as exc:
            code = getattr(exc, "code", None)
            message = getattr(exc, "message", None)
            if isinstance(code, str) and isinstance(message, str):
                conn.send(("error", code, message))
            else:
                conn.send(("error", "", f"{type(exc).__name__}: {exc}"))
            continue
        _send_answer(conn, answer)


def _send_answer(conn: Any, answer: Any) -> None:
    if not isinstance(answer, dict):
        conn.send(("value", None, answer))
    else:
        for key, value in answer.items():
            if isinstance(value, list) and len(value) > PIECE:
                conn.send(("value", key, []))
                for start in range(0, len(value), PIECE):
                    conn.send(("more", key, value[start : start + PIECE]))
            else:
                conn.send(("value", key, value))
    conn.send(("done",))


# ---- in the caller ------------------------------------------------------------------------------


class _Worker:
    def __init__(self, warm_up: str = "", pool: str = "") -> None:
        """`warm_up`: "module:function" the worker runs before its first call, and then it is
        kept however long it idles; empty: none, and it is retired after `IDLE_SECONDS`.
        `pool`: its pool's name, last on its command line (what `ps` shows; unread)."""
        ours, theirs = socket.socketpair()
        # Read once: a worker's own limit and the parent's view of it must agree.
        self.idle_limit: float | None = None if warm_up else IDLE_SECONDS
        child_idle = "" if warm_up else repr(IDLE_SECONDS + 60.0)
        # A fresh interpreter (not multiprocessing's spawn, which would also re-run the
        # parent's main module in it): it inherits nothing but its end of the socket pair.
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _CHILD,
                str(theirs.fileno()),
                json.dumps(sys.path),
                warm_up,
                child_idle,
                pool,
            ],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
        )
        theirs.close()  # the worker holds the only other end: its death ends the pipe
        # Lowered from here, at once: its start (and warm-up) never runs at the live path's.
        with contextlib.suppress(OSError):
            mine = os.getpriority(os.PRIO_PROCESS, 0)
            os.setpriority(os.PRIO_PROCESS, self.process.pid, min(mine + NICE, 19))
        self.conn = Connection(ours.detach())
        self.calls = 0
        self.idle_since = time.monotonic()

    @property
    def pid(self) -> int:
        return self.process.pid

    def fresh(self, max_calls: int) -> bool:
        return (
            self.process.poll() is None
            and self.calls < max_calls
            and (self.idle_limit is None or time.monotonic() - self.idle_since < self.idle_limit)
        )

    def close(self) -> None:
        self.conn.close()  # an idle worker reads end of file and exits
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        self.conn.close()
        self.process.kill()
        self.process.wait()

    def died(self, code: str) -> WorkerDied:
        """The error of a worker of the pool whose errors' codes start with `code`, whose pipe
        ended mid-call."""
        self.conn.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # its pipe broke but it runs on: end it
            self.kill()
        ended = self.process.returncode
        how = (
            f"killed by signal {-ended}"
            if ended is not None and ended < 0
            else f"exit code {ended}"
        )
        return WorkerDied(f"{code}_worker_died", f"the {code}'s worker process ended ({how})")


_CHILD = (
    "import json, sys; sys.path[:0] = json.loads(sys.argv[2]); "
    "from trees.analysis.merge.in_process import serve_fd; "
    "serve_fd(int(sys.argv[1]), sys.argv[3], float(sys.argv[4]) if sys.argv[4] else None)"
)


def serve_fd(fd: int, warm_up: str = "", idle: float | None = _WORKER_IDLE_SECONDS) -> None:
    """The worker's entry point: run `warm_up` ("module:function", if any), then serve calls
    on the socket `fd` until it closes (or `idle` seconds pass without one). Its parent
    lowered its priority already (`NICE`)."""
    if warm_up:
        _warm(warm_up)
    _serve(Connection(fd), idle)


def _warm(warm_up: str) -> None:
    """Run the worker's warm-up; should it fail, say so on stderr (the server's log) and go on:
    the calls then load what they need themselves, and report their own errors."""
    module, _, name = warm_up.partition(":")
    try:
        getattr(importlib.import_module(module), name)()
    except Exception as exc:
        print(
            f"worker {os.getpid()}: warm-up {warm_up} failed "
            f"({type(exc).__name__}: {exc}); its calls will load what they need",
            file=sys.stderr,
            flush=True,
        )


class Pool:
    """Warm workers for one kind of call: at most `max_idle` kept idle, each retired after
    `max_calls` calls; with `max_running`, at most that many calls at once (the next waits
    for one to end; None: no limit, the caller bounds them). `name`: last on its workers'
    command lines, so that `ps` tells the pools apart. `code`: what its errors' codes start
    with (`WorkerDied`: `<code>_worker_died`, `WorkerTimedOut`: `<code>_timeout`), so that a
    dead worker of the Analysis is not called a merge's."""

    def __init__(
        self,
        *,
        code: str,
        max_idle: int = MAX_IDLE,
        max_calls: int = MAX_CALLS,
        max_running: int | None = None,
        name: str = "",
    ) -> None:
        self.code = code
        self.name = name
        self.max_idle = max_idle
        self.max_calls = max_calls
        self._slots = threading.BoundedSemaphore(max_running) if max_running else None
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._lock = threading.Lock()
        # "module:function" every worker runs as it starts, while this pool keeps one warm
        # (`keep_warm`); empty: it does not.
        self._warm_up = ""

    def keep_warm(self, warm_up: Callable[[], object]) -> None:
        """From now on keep one worker of this pool ready: start it now, in the background
        (it runs `warm_up()`, a module-level function, before its first call; this returns
        as soon as it is spawned), keep it however long it idles, and replace it by a new warm
        one when it is retired or dies. `shutdown()` stops this."""
        with self._lock:
            self._warm_up = f"{warm_up.__module__}:{warm_up.__qualname__}"
        self._refill()

    def _refill(self) -> None:
        """Start a warm worker, while this pool keeps one and has none idle or busy."""
        with self._lock:
            if self._warm_up and not self._idle and not self._busy:
                self._idle.append(_Worker(self._warm_up, self.name))

    def worker_pids(self) -> list[int]:
        """The process ids of this pool's workers, idle or busy."""
        with self._lock:
            return [w.pid for w in (*self._idle, *self._busy)]

    def _take(self) -> _Worker:
        stale = []
        with self._lock:
            worker = None
            while self._idle and worker is None:
                candidate = self._idle.pop()
                if candidate.fresh(self.max_calls):
                    worker = candidate
                else:
                    stale.append(candidate)
        for old in stale:
            old.close()
        if worker is None:
            worker = _Worker(self._warm_up, self.name)
        with self._lock:
            self._busy.add(worker)
        return worker

    def _give_back(self, worker: _Worker, reuse: bool) -> None:
        worker.idle_since = time.monotonic()
        with self._lock:
            self._busy.discard(worker)
            if reuse and worker.fresh(self.max_calls) and len(self._idle) < self.max_idle:
                self._idle.append(worker)
                return
        worker.close()
        self._refill()

    def shutdown(self) -> None:
        """Stop keeping a worker warm and end the idle workers (at exit, and in tests; a
        worker also ends when its parent does: its socket closes)."""
        with self._lock:
            self._warm_up = ""
            workers, self._idle[:] = list(self._idle), []
        for worker in workers:
            worker.close()

    def run(
        self,
        function: Callable[..., Any],
        *args: Any,
        progress: Progress | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """`function(*args, progress=..., **kwargs)` computed in one of this pool's workers
        (see `run_in_process`; `timeout` counts from when the call is sent, after any wait
        for a slot)."""
        if self._slots is None:
            return _call(self, function, args, kwargs, progress, timeout)
        with self._slots:
            return _call(self, function, args, kwargs, progress, timeout)


# The merges' pool (trees/actions/merges.py): their number is bounded by the merge jobs.
# Its `code` "merge": `merge_worker_died` and `merge_timeout` are a merge job's public codes.
MERGES = Pool(name="merges", code="merge")
# The Analysis's pool (trees/analysis_service.py): refreshed every 1.5 s by an open Analysis
# tab, so many calls per worker (its cache of critique vectors is bounded in size), two kept
# warm and at most two at once (a third request waits rather than start a cold worker).
ANALYSIS = Pool(max_idle=2, max_calls=2000, max_running=2, name="analysis", code="analysis")


def run_analysis(
    function: Callable[..., Any], *args: Any, timeout: float, in_worker: bool, what: str
) -> Any:
    """`function(*args)` (a pure function of the analysis layer) in the Analysis's worker
    processes (`ANALYSIS`), or here when `in_worker` is false (the serving process's
    `GAMETREE_ANALYSIS_IN_PROCESS=0`): the same function either way, so the same answer.
    `ActionError` `analysis_unavailable` ("The `what` could not be computed...") when the
    worker died or took over `timeout` seconds. The one wrapper of the Analysis's callers
    (trees/analysis_service.py, trees/board_service.py), which pass their own limits."""
    if not in_worker:
        return function(*args)
    try:
        return ANALYSIS.run(function, *args, timeout=timeout)
    except (WorkerDied, WorkerTimedOut) as exc:
        raise ActionError(
            "analysis_unavailable",
            f"The {what} could not be computed this time (its worker process stopped or "
            "took too long). Try again; if it happens again, tell the operator.",
        ) from exc


def worker_pids() -> list[int]:
    """The process ids of this process's merge workers, idle or busy."""
    return MERGES.worker_pids()


def shutdown() -> None:
    """End every pool's idle workers (at exit, and in tests; a worker also ends when its
    parent does: its socket closes)."""
    MERGES.shutdown()
    ANALYSIS.shutdown()


atexit.register(shutdown)


def run_in_process(
    function: Callable[..., Any],
    *args: Any,
    progress: Progress | None = None,
    timeout: float | None = None,
    **kwargs: Any,
) -> Any:
    """`function(*args, progress=..., **kwargs)` computed in a worker process of the merges'
    pool. Raises `WorkerFailed` if it raised there, `WorkerDied` if the worker ended without
    answering, `WorkerTimedOut` if it had not answered `timeout` seconds after the call (the
    worker is killed; None: no limit)."""
    return MERGES.run(function, *args, progress=progress, timeout=timeout, **kwargs)


def _call(
    pool: Pool,
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    progress: Progress | None,
    timeout: float | None,
) -> Any:
    worker = pool._take()
    answered = False
    expired = threading.Event()
    timer = None
    if timeout is not None:

        def expire() -> None:
            # SIGKILL ends a stopped process too; the caller's send or receive then fails.
            expired.set()
            worker.process.kill()

        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()

    def ended() -> WorkerError:
        died = worker.died(pool.code)
        if expired.is_set():
            return WorkerTimedOut(
                f"{pool.code}_timeout",
                f"the {pool.code}'s worker process did not answer in {timeout:g} s",
            )
        return died

    try:
        try:
            worker.conn.send((function, args, kwargs))
        except (BrokenPipeError, ConnectionResetError, OSError):
            raise ended() from None
        worker.calls += 1
        answer: dict[Any, Any] = {}
        while True:
            try:
                message = worker.conn.recv()
            except (EOFError, ConnectionResetError, OSError):
                raise ended() from None
            kind = message[0]
            if kind == "progress":
                if progress is not None:
                    progress(message[1], message[2])
            elif kind == "value":
                if message[1] is None:
                    answer = message[2]
                else:
                    answer[message[1]] = message[2]
            elif kind == "more":
                answer[message[1]].extend(message[2])
                time.sleep(0)  # between pieces, whoever waits for the GIL gets it
            elif kind == "done":
                answered = True
                return answer
            else:
                answered = True
                raise WorkerFailed(message[1], message[2])
    finally:
        if timer is not None:
            timer.cancel()
            timer.join()  # (should it have just fired, its kill is done: the flag is final)
        if not answered and not worker.conn.closed:
            # The caller gave up mid-call (its progress callback raised): the worker is
            # busy with a call nobody will read, so it goes.
            worker.kill()
        # A worker the timer killed as it answered is not reused either.
        pool._give_back(worker, reuse=answered and not expired.is_set())
