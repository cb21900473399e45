"""What the browser tests share besides fixtures (conftest.py): how long to wait for a live
update, writing a tree through the ops API, finding the demo trees, a merge over REST waited for
to its end, an outline row by its text, an emptied outbox, a tab closed to the end, and a gate
on a page's tree sockets."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Literal

# Milliseconds to wait for a live update to reach another page: generous, so that a loaded
# machine cannot fail the test; a missing update still fails it. The tests check that updates
# arrive live (without a reload), not how fast: bench/ measures latency. Every browser test
# waits this long; a file that needs longer says why next to its own constant.
LIVE = 15_000


def close_tab(user: Any) -> None:
    """Close `user`'s page as a person closing the tab would, and wait until it is gone.

    close(run_before_unload=True) returns before the "Leave site?" dialog is accepted and the
    page unloads (seen: is_closed() is False right after it), so a test that goes online next
    would let the still-open page reconnect and send what it holds."""
    with user.page.expect_event("close", timeout=LIVE):
        user.page.close(run_before_unload=True)
    assert user.page.is_closed()


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


def outbox_emptied(page: Any) -> None:
    """Wait until the page's outbox (in localStorage) is empty: every edit was acknowledged.

    The predicate is a function, not a bare expression: Playwright evaluates a bare expression
    again with eval on each poll, which the app's Content Security Policy refuses, so the wait
    failed whenever the outbox was not empty at the first look."""
    page.wait_for_function(
        "() => !Object.keys(localStorage).some(k => k.startsWith('gametree:outbox:'))",
        timeout=LIVE,
    )


class SocketGate:
    """Stands between a page and the server on the page's tree sockets (Playwright's
    route_web_socket), for tests about messages that come late or never: what the page sends
    (`up`) passes, is held until `release` or is dropped; what the server sends (`down`)
    passes or is dropped. The gate stays on the page across reloads; pages opened later in
    the same context go straight to the server."""

    def __init__(self, page: Any) -> None:
        self.up: Literal["pass", "hold", "drop"] = "pass"
        self.down: Literal["pass", "drop"] = "pass"
        # While `up` is not "pass": how many more "op" messages get through anyway (the server
        # gets the first few of a burst).
        self.ops_through = 0
        self.held: list[tuple[Any, str | bytes]] = []
        page.route_web_socket("**/ws/trees/**", self._route)

    def cut(self) -> None:
        """Nothing passes either way (the socket stays open: the page cannot tell)."""
        self.up = self.down = "drop"

    def release(self) -> None:
        """Send what was held to the server, in order, and let everything pass again."""
        self.up = self.down = "pass"
        held, self.held = self.held, []
        for server, message in held:
            server.send(message)

    def _route(self, ws: Any) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda message: self._to_server(server, message))
        server.on_message(lambda message: self._to_page(ws, message))

    def _to_server(self, server: Any, message: str | bytes) -> None:
        if self.up != "pass" and self.ops_through > 0 and json.loads(message).get("type") == "op":
            self.ops_through -= 1
            server.send(message)
        elif self.up == "pass":
            server.send(message)
        elif self.up == "hold":
            self.held.append((server, message))

    def _to_page(self, ws: Any, message: str | bytes) -> None:
        if self.down == "pass":
            ws.send(message)
