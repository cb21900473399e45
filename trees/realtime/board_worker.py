"""The live board's computation in a child process of its own (spawned), so that its
pure-Python stretches (survival, the ranking) never hold the serving process's GIL while live
edits wait: in a thread of the serving process, a 40-person workshop's board made the live
edits' acks six times slower (bench/RESULTS.md, "Workshop board"), the way the merge did
before it moved to a child (trees/analysis/merge/in_process.py).

The child sets Django up with the parent's settings module and database (a test run's test
database included), keeps one `BoardCache` per workshop, and answers `(workshop id, viewers)`
with the board's message texts; the rankings are computed beside, in a thread of the child
(`board_service.ranking_thread`), and shown once done. One request at a time (the caller's
single board thread); a child that dies is started again on the next request. An in-memory
SQLite database cannot be shared with a child: then the caller computes in its thread instead
(`usable()`).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from typing import Any

_lock = threading.Lock()
_worker: BoardWorker | None = None


def _main(conn: Any, settings_module: str, database: dict[str, Any]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"].update(database)
    from django.db import close_old_connections

    from trees.board_service import BoardCache

    caches: dict[int, Any] = {}
    while True:
        try:
            workshop_id, viewers = conn.recv()
        except (EOFError, OSError):
            return
        try:
            close_old_connections()
            cache = caches.setdefault(workshop_id, BoardCache(background=True))
            conn.send(("ok", compute(workshop_id, cache, viewers)))
        except Exception as exc:  # reported to the parent, which logs it
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


def compute(
    workshop_id: int, cache: Any, viewers: set[int]
) -> tuple[dict[bool, str], set[int], float | None] | None:
    """The board as the facilitator's (True) and the projector's (False) message text, the
    trees it covers, and in how many seconds a ranking left stale is due (None: none is)."""
    from trees.board_service import projector_view, workshop_board
    from trees.models import Workshop

    workshop = Workshop.objects.filter(pk=workshop_id).first()
    if workshop is None:
        return None
    board = workshop_board(workshop, cache, viewers=viewers)
    texts = {True: _text(board), False: _text(projector_view(board))}
    again = None if cache.rank_again_at is None else max(0.0, cache.rank_again_at - time.time())
    return texts, {int(t) for t in board["versions"]}, again


def _text(board: dict[str, Any]) -> str:
    return json.dumps({"type": "board", "board": board}, separators=(",", ":"))


class BoardWorker:
    def __init__(self) -> None:
        from django.db import connection

        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        database = {"NAME": connection.settings_dict["NAME"]}
        self.process = context.Process(
            target=_main,
            args=(child, os.environ.get("DJANGO_SETTINGS_MODULE", ""), database),
            name="gametree-board-compute",
            daemon=True,
        )
        self.process.start()
        child.close()

    def call(self, workshop_id: int, viewers: set[int]) -> Any:
        self.conn.send((workshop_id, viewers))
        kind, value = self.conn.recv()
        if kind == "error":
            raise RuntimeError(value)
        return value

    def stop(self) -> None:
        self.conn.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def usable() -> bool:
    from django.conf import settings
    from django.db import connection

    if not getattr(settings, "GAMETREE_BOARD_IN_CHILD", True):
        return False
    name = str(connection.settings_dict.get("NAME") or "")
    return not (connection.vendor == "sqlite" and (":memory:" in name or "memorydb" in name))


def compute_in_child(workshop_id: int, viewers: set[int]) -> Any:
    """The board computed by the child (started on first use, restarted if it died)."""
    global _worker
    with _lock:
        if _worker is None or not _worker.process.is_alive():
            _worker = BoardWorker()
        worker = _worker
    try:
        return worker.call(workshop_id, viewers)
    except (EOFError, OSError, BrokenPipeError):
        with _lock:
            if _worker is worker:
                _worker = None
        raise


def stop() -> None:
    global _worker
    with _lock:
        worker, _worker = _worker, None
    if worker is not None:
        worker.stop()
