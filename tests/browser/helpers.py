"""What the browser tests share besides fixtures (conftest.py): writing a tree through the ops
API, finding the demo trees, a merge over REST waited for to its end, and an outline row by its
text."""

from __future__ import annotations

import time
import uuid
from typing import Any

# Milliseconds to wait for a live update to reach another page: generous, so that a loaded
# machine cannot fail the test; a missing update still fails it. The tests check that updates
# arrive live (without a reload), not how fast: bench/ measures latency. Every browser test
# waits this long; a file that needs longer says why next to its own constant.
LIVE = 15_000


def submit(user: Any, tree_id: int, ops: list[dict[str, Any]]) -> None:
    """Send `ops` to a tree over REST, in order, as one new client of `user`'s."""
    client = f"test-{uuid.uuid4()}"
    for n, op in enumerate(ops, start=1):
        user.api("POST", f"/api/trees/{tree_id}/ops/", {"client_id": client, "n": n, "op": op})


def demo_tree(user: Any, prefix: str) -> dict[str, Any]:
    """The first tree in `user`'s list whose title starts with `prefix` (loaddemo's trees)."""
    return next(t for t in user.api("GET", "/api/trees/") if t["title"].startswith(prefix))


def merge(user: Any, trees: list[int], title: str) -> int:
    """Merge `trees` over REST; the merged tree's id once the merge is done.

    POST /api/merges/ answers either the finished merge (201) or a queued job to poll (202)."""
    out = user.api("POST", "/api/merges/", {"trees": trees, "title": title})
    deadline = time.monotonic() + 60
    while not (isinstance(out.get("tree"), dict) and out.get("status") == "done"):
        assert out.get("status") not in ("failed", "error"), out
        assert "url" in out and time.monotonic() < deadline, out
        time.sleep(0.1)
        out = user.api("GET", out["url"])
    return int(out["tree"]["id"])


def row_text(page: Any, text: str) -> Any:
    """The text of the first outline row containing `text`."""
    return page.locator("li.node > .row > .text", has_text=text).first
