"""The scenario of the lock-free read tests, run in the test process (PostgreSQL) or in a
child process on a file database (SQLite in WAL mode, as served): a writer holds the tree's
write lock with an uncommitted op while an export and a survival report read the tree."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from trees.actions import tree_apply_op, tree_create
from trees.analysis_service import survival_report
from trees.selectors import tree_snapshot
from trees.transfer import export_bytes

WAIT = 10.0  # seconds a read may take before it counts as blocked


def _in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        try:
            box["value"] = fn()
        except BaseException as exc:  # reported to the test, which fails with it
            box["error"] = repr(exc)
        finally:
            box["seconds"] = time.monotonic() - started
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def run(tag: str) -> dict[str, Any]:
    """What the readers saw while the writer held the lock, and after it committed."""
    user = get_user_model().objects.create_user(f"lockfree-{tag}", password="pw-for-tests-123")
    tree = tree_create(owner_id=user.pk, kind="game", title="Held")
    root, held = str(uuid.uuid4()), str(uuid.uuid4())
    client = f"lockfree-{tag}"
    tree_apply_op(
        tree_id=tree.pk,
        actor_id=user.pk,
        client_id=client,
        n=1,
        op={"kind": "create", "id": root, "type": "proposal", "parent": None, "text": "Root"},
    )
    locked, release = threading.Event(), threading.Event()

    def writer() -> int:
        with transaction.atomic():
            result = tree_apply_op(
                tree_id=tree.pk,
                actor_id=user.pk,
                client_id=client,
                n=2,
                op={
                    "kind": "create",
                    "id": held,
                    "type": "critique",
                    "parent": root,
                    "text": "Held",
                },
            )
            locked.set()  # the row lock (SQLite: the write lock) is held until commit
            if not release.wait(3 * WAIT):
                raise TimeoutError("never released")
        return result.seq

    write_thread, write_box = _in_thread(writer)
    if not locked.wait(WAIT):
        raise AssertionError(f"the writer never took the lock: {write_box}")
    reads: dict[str, Any] = {}
    for name, fn in {
        "snapshot": lambda: tree_snapshot(tree_id=tree.pk),
        "export": lambda: json.loads(export_bytes(tree, "json")),
        "survival": lambda: survival_report(tree),
    }.items():
        thread, box = _in_thread(fn)
        thread.join(WAIT)
        reads[name] = {"done": not thread.is_alive(), **box}
    still_held = write_thread.is_alive()
    release.set()
    write_thread.join(WAIT)
    after = tree_snapshot(tree_id=tree.pk)
    return {
        "held_during_reads": still_held,
        "writer": write_box,
        "held_id": held,
        "reads": {
            name: {
                "done": read["done"],
                "error": read.get("error"),
                "seconds": read.get("seconds"),
                "ids": _ids(read.get("value")),
                "seq": (read.get("value") or {}).get("seq"),
            }
            for name, read in reads.items()
        },
        "after": {"seq": after["seq"], "ids": sorted(n["id"] for n in after["nodes"])},
        "root_id": root,
    }


def _ids(value: Any) -> list[str] | None:
    return None if value is None else sorted(n["id"] for n in value["nodes"])


def main() -> None:
    print("RESULT " + json.dumps(run("child")))
