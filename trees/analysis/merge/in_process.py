"""The pure merge in a child process of its own (spawned), so that its long pure-Python
stretches do not hold the serving process's GIL while live edits wait.

Pure: no Django here or in the child. The child gets the same arguments as `merge` (pickled),
sends its progress `(phase, fraction)` and then the result (or the error's text) back over a
pipe; the caller's thread reads the pipe and calls `progress` itself, so the MergeJob row
protocol, heartbeat and progress writes stay where they are (trees/actions/merge_jobs.py).
A child that dies without an answer is an error, never a hang: the pipe reports end of file.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

Progress = Callable[[str, float], None]


class MergeProcessError(RuntimeError):
    """The merge failed (or died) in its child process."""


def _child(conn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    from trees.analysis.merge.pipeline import merge

    def progress(phase: str, fraction: float) -> None:
        conn.send(("progress", phase, fraction))

    try:
        conn.send(("done", merge(*args, progress=progress, **kwargs)))
    except BaseException as exc:  # reported to the parent, which raises it there
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def merge_in_process(*args: Any, progress: Progress | None = None, **kwargs: Any) -> Any:
    """`trees.analysis.merge(*args, **kwargs)` computed in a spawned child process."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(sender, args, kwargs), name="gametree-merge-compute", daemon=True
    )
    child.start()
    sender.close()  # the child holds the only writing end: its death ends the pipe
    try:
        while True:
            try:
                message = receiver.recv()
            except EOFError:
                raise MergeProcessError("the merge process ended without an answer") from None
            if message[0] == "progress":
                if progress is not None:
                    progress(message[1], message[2])
            elif message[0] == "done":
                return message[1]
            else:
                raise MergeProcessError(message[1])
    finally:
        receiver.close()
        child.join(timeout=10)
        if child.is_alive():
            child.kill()
            child.join()
