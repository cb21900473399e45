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
- **Kept warm.** A worker that answered goes back to the pool (at most `MAX_IDLE`), so the
  next merge finds its imports done and its caches (the embeddings of labels seen) filled. It
  is retired after `MAX_CALLS` calls (bounded memory) or `IDLE_SECONDS` unused; a worker whose
  parent died sees its pipe end and exits.
- **A crash is an answer.** A worker that dies mid-call (killed, out of memory, a crash in
  C code) closes its pipe: the caller gets `WorkerDied` (code `merge_worker_died`, with the
  exit code or signal) at once, never a hang, and the worker is not reused. An exception in
  the function comes back as `WorkerFailed` carrying the exception's `code` and `message`
  when it has them (a domain `OpError`), else its type and text.
- **A hang is an answer too.** A call given `timeout=` seconds that has not answered by then
  (the worker hung: stuck in a loop, stopped, starved) gets its worker killed by a timer
  thread (SIGKILL ends even a stopped process, and unblocks the caller's send of a large call
  as well as its receive) and raises `WorkerTimedOut` (code `merge_timeout`); the next call
  spawns a new worker. Progress does not extend the limit: it bounds the whole call.
- **Below the live path.** The worker runs at `nice` 10: where the cores are busy, live
  edits get them first and the merge takes longer.
- **Answers in small pieces.** A list in the answer (a merge's thousands of rows) comes back
  in slices of `PIECE` items, each unpickled on its own: one pickle of the whole answer held
  the caller's GIL for tens of milliseconds in one go.
"""

from __future__ import annotations

import atexit
import contextlib
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


def _serve(conn: Any) -> None:
    """The worker's loop: one call at a time until its pipe closes or it idles too long."""
    while conn.poll(_WORKER_IDLE_SECONDS):
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
    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        # A fresh interpreter (not multiprocessing's spawn, which would also re-run the
        # parent's main module in it): it inherits nothing but its end of the socket pair.
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(theirs.fileno()), json.dumps(sys.path)],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
        )
        theirs.close()  # the worker holds the only other end: its death ends the pipe
        self.conn = Connection(ours.detach())
        self.calls = 0
        self.idle_since = time.monotonic()

    @property
    def pid(self) -> int:
        return self.process.pid

    def fresh(self) -> bool:
        return (
            self.process.poll() is None
            and self.calls < MAX_CALLS
            and time.monotonic() - self.idle_since < IDLE_SECONDS
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

    def died(self) -> WorkerDied:
        self.conn.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # its pipe broke but it runs on: end it
            self.kill()
        code = self.process.returncode
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return WorkerDied("merge_worker_died", f"the merge's worker process ended ({how})")


_CHILD = (
    "import json, sys; sys.path[:0] = json.loads(sys.argv[2]); "
    "from trees.analysis.merge.in_process import serve_fd; serve_fd(int(sys.argv[1]))"
)


def serve_fd(fd: int) -> None:
    """The worker's entry point: serve calls on the socket `fd` until it closes."""
    with contextlib.suppress(OSError):
        os.nice(NICE)
    _serve(Connection(fd))


_idle: list[_Worker] = []
_busy: set[_Worker] = set()
_idle_lock = threading.Lock()


def worker_pids() -> list[int]:
    """The process ids of this process's merge workers, idle or busy."""
    with _idle_lock:
        return [w.pid for w in (*_idle, *_busy)]


def _take() -> _Worker:
    stale = []
    with _idle_lock:
        worker = None
        while _idle and worker is None:
            candidate = _idle.pop()
            if candidate.fresh():
                worker = candidate
            else:
                stale.append(candidate)
    for old in stale:
        old.close()
    if worker is None:
        worker = _Worker()
    with _idle_lock:
        _busy.add(worker)
    return worker


def _give_back(worker: _Worker, reuse: bool) -> None:
    worker.idle_since = time.monotonic()
    with _idle_lock:
        _busy.discard(worker)
        if reuse and worker.fresh() and len(_idle) < MAX_IDLE:
            _idle.append(worker)
            return
    worker.close()


def shutdown() -> None:
    """End the idle workers (at exit, and in tests; a worker also ends when its parent does:
    its socket closes)."""
    with _idle_lock:
        workers, _idle[:] = list(_idle), []
    for worker in workers:
        worker.close()


atexit.register(shutdown)


def run_in_process(
    function: Callable[..., Any],
    *args: Any,
    progress: Progress | None = None,
    timeout: float | None = None,
    **kwargs: Any,
) -> Any:
    """`function(*args, progress=..., **kwargs)` computed in a worker process. Raises
    `WorkerFailed` if it raised there, `WorkerDied` if the worker ended without answering,
    `WorkerTimedOut` if it had not answered `timeout` seconds after the call (the worker is
    killed; None: no limit)."""
    worker = _take()
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
        died = worker.died()
        if expired.is_set():
            return WorkerTimedOut(
                "merge_timeout", f"the merge's worker process did not answer in {timeout:g} s"
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
        _give_back(worker, reuse=answered and not expired.is_set())
