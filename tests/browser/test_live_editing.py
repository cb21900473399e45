"""Two people on one tree in two real browsers: keyboard building, live updates, presence,
undo, drag and drop, offline editing and convergence, and user text that stays text."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

OUTLINE_JS = """() => [...document.querySelectorAll('ul.tree li.node')]
  .filter(li => li.getClientRects().length)
  .map(li => [li.getAttribute('aria-level'), li.className.match(/t-(\\w+)/)[1],
              li.querySelector(':scope > .row > .text').textContent].join('|'))"""


def outline(user: Any) -> list[str]:
    return list(user.page.evaluate(OUTLINE_JS))


def row(user: Any, text: str, type_: str | None = None, level: int | None = None) -> Any:
    sel = "li.node"
    if type_:
        sel += f".t-{type_}"
    if level:
        sel += f"[aria-level='{level}']"
    return user.page.locator(f"{sel} > .row > .text").filter(has_text=text)


def node(user: Any, text: str) -> Any:
    """The innermost outline item whose own text contains `text`."""
    return user.page.locator("li.node").filter(
        has=user.page.locator(":scope > .row > .text", has_text=text)
    )


def seed(user: Any, tree_id: int, ops: list[dict[str, Any]]) -> None:
    for n, op in enumerate(ops, start=1):
        user.api("POST", f"/api/trees/{tree_id}/ops/", {"client_id": "seed", "n": n, "op": op})


def test_keyboard_building_is_seen_live_with_presence_and_undo(shared_tree: Any) -> None:
    alice, bob, tree = shared_tree()
    alice.open_tree(tree)
    bob.open_tree(tree)
    a, k = alice.page, alice.page.keyboard

    a.get_by_role("button", name="Add the first proposal").focus()
    k.press("Enter")
    k.type("Use AI debate")
    k.press("Enter")
    k.press("Tab")
    k.type("Judges can be fooled")
    expect(row(bob, "Use AI debate", "proposal", 1)).to_be_visible(timeout=LIVE)
    k.press("Enter")
    k.press("Tab")
    k.type("Train judges on adversarial debates")
    expect(row(bob, "Judges can be fooled", "critique", 2)).to_be_visible(timeout=LIVE)
    k.press("Enter")
    k.press("Shift+Tab")
    k.type("Debaters may collude")
    expect(row(bob, "Train judges on adversarial debates", "patch", 3)).to_be_visible(timeout=LIVE)
    expect(row(bob, "Debaters may collude", "critique", 2)).to_be_visible(timeout=LIVE)

    want = [
        "1|proposal|Use AI debate",
        "2|critique|Judges can be fooled",
        "3|patch|Train judges on adversarial debates",
        "2|critique|Debaters may collude",
    ]
    assert outline(alice) == want
    assert outline(bob) == want

    # Presence: bob sees alice in the roster and on the node she is editing.
    expect(bob.page.locator(".roster .person", has_text="alice")).to_be_visible(timeout=LIVE)
    marker = node(bob, "Debaters may collude").locator(":scope > .row .marker", has_text="alice")
    expect(marker).to_be_visible(timeout=LIVE)
    alice.shot("live-alice-built")
    bob.shot("live-bob-sees")

    # Undo the typing run, then the outdent; redo the outdent. Bob sees each step.
    k.press("Control+z")
    expect(
        bob.page.locator("li.node.t-critique[aria-level='2'] > .row > .text").nth(1)
    ).to_have_text("", timeout=LIVE)
    k.press("Control+z")
    expect(bob.page.locator("li.node.t-patch[aria-level='3']")).to_have_count(2, timeout=LIVE)
    k.press("Control+Shift+z")
    expect(bob.page.locator("li.node.t-critique[aria-level='2']")).to_have_count(2, timeout=LIVE)
    assert alice.errors == [] and bob.errors == []


def test_drag_and_drop_move_is_seen_by_both(shared_tree: Any) -> None:
    alice, bob, tree = shared_tree()
    one, two, critique = (str(uuid.uuid4()) for _ in range(3))
    seed(
        alice,
        tree,
        [
            {
                "kind": "create",
                "id": one,
                "type": "proposal",
                "parent": None,
                "key": "a0",
                "text": "Proposal one",
            },
            {
                "kind": "create",
                "id": two,
                "type": "proposal",
                "parent": None,
                "key": "a1",
                "text": "Proposal two",
            },
            {
                "kind": "create",
                "id": critique,
                "type": "critique",
                "parent": one,
                "key": "a0",
                "text": "Movable critique",
            },
        ],
    )
    alice.open_tree(tree)
    bob.open_tree(tree)
    source = node(alice, "Movable critique").locator(":scope > .row > .bullet")
    target = node(alice, "Proposal two").locator(":scope > .row")
    source.drag_to(target)
    want = ["1|proposal|Proposal one", "1|proposal|Proposal two", "2|critique|Movable critique"]
    for user in (alice, bob):
        expect(
            node(user, "Proposal two").locator("li.node.t-critique", has_text="Movable critique")
        ).to_be_visible(timeout=LIVE)
        assert outline(user) == want
    bob.shot("dnd-bob-sees-move")


def test_offline_edits_are_sent_on_reconnect_and_both_converge(shared_tree: Any) -> None:
    alice, bob, tree = shared_tree()
    proposal, critique = str(uuid.uuid4()), str(uuid.uuid4())
    seed(
        alice,
        tree,
        [
            {
                "kind": "create",
                "id": proposal,
                "type": "proposal",
                "parent": None,
                "key": "a0",
                "text": "Shared proposal",
            },
            {
                "kind": "create",
                "id": critique,
                "type": "critique",
                "parent": proposal,
                "key": "a0",
                "text": "Alice's critique",
            },
        ],
    )
    alice.open_tree(tree)
    bob.open_tree(tree)
    bob.context.set_offline(True)
    expect(bob.page.locator(".banner.offline")).to_be_visible(timeout=3000)

    # Bob edits while offline: a new critique under the proposal.
    row(bob, "Alice's critique").click()
    bob.page.keyboard.press("End")
    bob.page.keyboard.press("Enter")
    bob.page.keyboard.type("Written offline by bob")
    bob.page.keyboard.press("Enter")
    bob.page.keyboard.press("Backspace")  # the empty node goes again
    expect(bob.page.locator(".banner.offline")).to_contain_text("will be sent")
    bob.shot("offline-bob-banner")

    # Meanwhile alice edits too.
    row(alice, "Shared proposal").click()
    alice.page.keyboard.press("End")
    alice.page.keyboard.type(" (edited online)")
    alice.page.keyboard.press("Escape")
    time.sleep(0.5)

    bob.context.set_offline(False)
    expect(bob.page.locator(".banner.offline")).to_be_hidden(timeout=5000)
    want = [
        "1|proposal|Shared proposal (edited online)",
        "2|critique|Alice's critique",
        "2|critique|Written offline by bob",
    ]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (outline(alice) != want or outline(bob) != want):
        time.sleep(0.1)
    assert outline(alice) == want
    assert outline(bob) == want
    expect(bob.page.locator(".status")).to_have_text("Saved")
    alice.shot("offline-converged-alice")


def test_html_in_a_label_is_shown_as_text_and_runs_nothing(shared_tree: Any) -> None:
    alice, bob, tree = shared_tree()
    alice.open_tree(tree)
    bob.open_tree(tree)
    evil = "<img src=x onerror=alert(1)>"
    alice.page.get_by_role("button", name="Add the first proposal").click()
    alice.page.keyboard.type(evil)
    alice.page.keyboard.press("Escape")
    for user in (alice, bob):
        expect(row(user, evil, "proposal")).to_be_visible(timeout=LIVE)
        assert user.page.locator("ul.tree img").count() == 0
    # Tags and notes are text too.
    alice.page.get_by_label("Add a tag").fill("<b>bold</b>")
    alice.page.get_by_label("Add a tag").press("Enter")
    expect(bob.page.locator("li.node .tag", has_text="#<b>bold</b>")).to_be_visible(timeout=LIVE)
    time.sleep(0.5)
    assert alice.dialogs == [] and bob.dialogs == []
    assert bob.page.locator("ul.tree b").count() == 0
    bob.shot("xss-shown-as-text")


def test_layout_fits_a_narrow_screen(users: Any, gametree_server: str) -> None:
    carol = users("carol", viewport={"width": 390, "height": 844})
    trees = carol.api("GET", "/api/trees/")
    carol.open_tree(next(t["id"] for t in trees if t["kind"] == "problem"))
    width = carol.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1
    carol.shot("narrow-problem-tree")
    carol.page.get_by_role("tab", name="Graph").click()
    expect(carol.page.locator(".graph canvas").first).to_be_attached(timeout=10_000)
    carol.page.set_viewport_size({"width": 1280, "height": 800})
    time.sleep(0.5)
    carol.shot("graph-problem-tree")
