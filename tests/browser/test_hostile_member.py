"""A hostile member sends every malformed op of issue 17 on the tree two people are editing in
the real web client: their pages get an `internal`-free stream, and every edit arrives.

Carol's own client (Python, a raw websocket with her session) sends, the whole time Alice
types proposals in Chromium: meta with lone surrogates as keys and values, meta nested 33 and
500 levels, meta keys with NUL, JSON nested past the parser's limit, and hellos with client ids
holding NUL or lone surrogates. Before issue 17 an op of hers in the same group-commit batch
as Alice's made Alice's op fail `internal` (and sometimes commit anyway).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.browser.helpers import LIVE
from tests.browser.test_live_editing import row

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PROPOSALS = 12


def nested(depth: int) -> str:
    return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)


def bad_ops() -> list[str]:
    metas = [
        '{"a": "\\ud800"}',
        '{"\\udfff": 1}',
        '{"a": ["x", {"b": "z\\ud800"}]}',
        nested(33),
        nested(500),
        '{"\\u0000": 1}',
    ]
    out = []
    for meta in metas:
        create = (
            '{"kind": "create", "id": "' + str(uuid.uuid4()) + '", "type": "proposal", '
            '"parent": null, "meta": ' + meta + "}"
        )
        out.append(create)
    return out


BAD_HELLOS = ['"a\\u0000b"', '"\\ud800"', '"ok\\udfff"']


class Hostile(threading.Thread):
    """Carol's client: malformed messages in a loop until stopped; records every answer."""

    def __init__(self, url: str, origin: str, cookie: str) -> None:
        super().__init__(daemon=True)
        self.url, self.origin, self.cookie = url, origin, cookie
        self.stop = threading.Event()
        self.answers: list[dict[str, Any]] = []
        self.sent = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the test
            self.failure = exc

    def _run(self) -> None:
        headers = {"Cookie": self.cookie}
        with connect(self.url, origin=self.origin, additional_headers=headers) as ws:  # type: ignore[arg-type]
            for client_id in BAD_HELLOS:
                ws.send('{"type": "hello", "client_id": ' + client_id + ', "since": null}')
                self.sent += 1
            ws.send(json.dumps({"type": "hello", "client_id": "carol-hostile", "since": None}))
            n = 0
            ops = bad_ops()
            while not self.stop.is_set():
                for op in ops:
                    n += 1
                    ws.send('{"type": "op", "n": ' + str(n) + ', "op": ' + op + "}")
                    self.sent += 1
                ws.send("[" * 5000 + "]" * 5000)  # past the parser's nesting: bad_json
                self.sent += 1
                time.sleep(0.05)
                self._drain(ws)
            time.sleep(0.5)
            self._drain(ws)

    def _drain(self, ws: Any) -> None:
        while True:
            try:
                raw = ws.recv(timeout=0.01)
            except TimeoutError:
                return
            self.answers.append(json.loads(raw))


def test_the_web_client_gets_no_internal_while_a_member_sends_every_malformed_op(
    shared_tree: Any, users: Any, gametree_server: str
) -> None:
    alice, bob, tree = shared_tree()
    carol = users("carol")
    alice.api("POST", f"/api/trees/{tree}/members/", {"username": "carol", "role": "editor"})

    frames: dict[str, list[str]] = {"alice": [], "bob": []}
    for name, user in (("alice", alice), ("bob", bob)):
        user.page.on(
            "websocket",
            lambda ws, name=name: ws.on(
                "framereceived", lambda payload, name=name: frames[name].append(str(payload))
            ),
        )
    alice.open_tree(tree)
    bob.open_tree(tree)

    session = next(c["value"] for c in carol.context.cookies() if c["name"] == "sessionid")
    ws_url = gametree_server.replace("http://", "ws://") + f"/ws/trees/{tree}/"
    hostile = Hostile(ws_url, gametree_server, f"sessionid={session}")
    hostile.start()
    try:
        k = alice.page.keyboard
        alice.page.get_by_role("button", name="Add the first proposal").focus()
        k.press("Enter")
        for i in range(PROPOSALS):
            k.type(f"Alice proposal {i}")
            expect(row(bob, f"Alice proposal {i}", "proposal", 1)).to_be_visible(timeout=LIVE)
            if i < PROPOSALS - 1:
                k.press("Enter")
        want = [f"Alice proposal {i}" for i in range(PROPOSALS)]
        expect(bob.page.locator("li.node.t-proposal > .row > .text")).to_have_text(
            want, timeout=LIVE
        )
    finally:
        hostile.stop.set()
        hostile.join(30)
    assert hostile.failure is None, hostile.failure
    assert hostile.sent > 50

    # Carol got a code for everything, never `internal`.
    codes = {m.get("code") for m in hostile.answers if m["type"] in ("nack", "error")}
    assert "internal" not in codes
    assert codes <= {"invalid", "bad_json", "not_ready", "rate_limited"}, codes
    # Alice's and Bob's pages: no `internal` anywhere, every proposal of Alice's acknowledged.
    for name in ("alice", "bob"):
        messages = [json.loads(f) for f in frames[name] if f.startswith("{")]
        assert messages, name
        assert not [m for m in messages if m.get("code") == "internal"], name
    alice_acks = [json.loads(f) for f in frames["alice"] if '"type":"ack"' in f]
    alice_nacks = [json.loads(f) for f in frames["alice"] if '"type":"nack"' in f]
    assert alice_acks and not alice_nacks, alice_nacks
    # And the tree holds exactly her proposals, nothing of Carol's.
    snapshot = alice.api("GET", f"/api/trees/{tree}/snapshot/")
    texts = sorted(n["text"] for n in snapshot["nodes"] if not n["deleted"])
    assert texts == sorted(f"Alice proposal {i}" for i in range(PROPOSALS))
    assert alice.errors == [] and bob.errors == []
