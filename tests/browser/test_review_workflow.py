"""The merge review people work through, in real browsers (docs/analysis.md): three people's
15-node problem trees merged into one queue with one suggestion per pair of nodes, and the
merged outline showing who drew each node."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.analysis.three_people import PEOPLE, Outline

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

LIVE = 15_000
NAMES = {"ann": "alice", "bob": "bob", "carol": "carol"}  # demo users drawing the trees


def create_ops(outline: Outline) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []

    def walk(items: Outline, parent: str | None) -> None:
        for text, children in items:
            node_id = str(uuid.uuid4())
            ops.append(
                {"kind": "create", "id": node_id, "type": "problem", "parent": parent, "text": text}
            )
            walk(children, node_id)

    walk(outline, None)
    return ops


def submit(user: Any, tree_id: int, ops: list[dict[str, Any]]) -> None:
    client = f"test-{uuid.uuid4()}"
    for n, op in enumerate(ops, start=1):
        user.api("POST", f"/api/trees/{tree_id}/ops/", {"client_id": client, "n": n, "op": op})


def three_trees(users: Any) -> tuple[dict[str, Any], list[int]]:
    people = {who: users(name) for who, name in NAMES.items()}
    ids = []
    for who, outline in PEOPLE.items():
        me = people[who]
        tree = me.api("POST", "/api/trees/", {"kind": "problem", "title": f"{who} {uuid.uuid4()}"})
        submit(me, tree["id"], create_ops(outline))
        if who != "ann":
            body = {"username": "alice", "role": "editor"}
            me.api("POST", f"/api/trees/{tree['id']}/members/", body)
        ids.append(int(tree["id"]))
    return people, ids


def merge(user: Any, ids: list[int]) -> int:
    job = user.api("POST", "/api/merges/", {"trees": ids, "title": "Three people"})
    deadline = time.monotonic() + 60
    while job["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = user.api("GET", job["url"])
    assert job["status"] == "done", job
    return int(job["tree"]["id"])


def test_three_peoples_merge_shows_each_pair_once_and_who_drew_each_node(users: Any) -> None:
    people, ids = three_trees(users)
    alice = people["ann"]
    tree_id = merge(alice, ids)
    p = alice.page
    p.goto(f"{alice.base}/app/trees/{tree_id}#review")
    p.wait_for_selector("body[data-tree-ready]")

    queue = p.locator("section.review li.sugg")
    expect(queue.first).to_be_visible()
    served = alice.api("GET", f"/api/trees/{tree_id}/review/")["suggestions"]
    expect(queue).to_have_count(len(served))
    pairs = [frozenset((s["a"]["node"], s["b"]["node"])) for s in served]
    assert len(pairs) == len(set(pairs)) and all(len(x) == 2 for x in pairs)

    # The outline: every merged node carries the initials of the people who drew it.
    p.get_by_role("tab", name="Outline").click()
    root = p.locator("ul.tree > li.node").first
    chips = root.locator(":scope > .row .badge.drawn .who-chip")
    expect(chips).to_have_count(3)
    assert sorted(chips.all_text_contents()) == ["AL", "BO", "CA"]
    badge = root.locator(":scope > .row .badge.drawn")
    expect(badge).to_have_attribute("aria-label", "Drawn by alice, bob, carol")
    # A node only bob drew ("Off-switch problem" is only suggested, not merged).
    only_bob = p.locator("li.node:has(> .row > .text:text-is('Off-switch problem'))")
    expect(only_bob.locator(":scope > .row .badge.drawn .who-chip")).to_have_text(["BO"])
    alice.shot("review-drawn-by")
    assert not alice.errors
