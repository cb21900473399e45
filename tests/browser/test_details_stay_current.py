"""A node's details panel stays current in a real browser: the history of a node whose create
the server has not confirmed yet fills in once it has (it said "History not available: No such
node." for good), without asking the server for it meanwhile (each ask logged a 404), and
merging two problems by hand or splitting one back shows the new sources at once, for the
person who did it and for those watching, without a duplicate row; a viewer's details invite no
note or tag."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE, SocketGate, merge, row_text, submit

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def problem_tree(user: Any, title: str, outline: list[tuple[int, str]]) -> int:
    """A problem tree of `(depth, text)` lines, made through the ops API."""
    tree = int(user.api("POST", "/api/trees/", {"kind": "problem", "title": title})["id"])
    stack: list[str] = []
    ops = []
    for depth, text in outline:
        node = str(uuid.uuid4())
        del stack[depth:]
        ops.append({"kind": "create", "id": node, "type": "problem",
                    "parent": stack[-1] if stack else None, "text": text})  # fmt: skip
        stack.append(node)
    submit(user, tree, ops)
    return tree


def test_the_history_of_a_node_not_yet_saved_fills_in_once_it_is(users: Any) -> None:
    alice = users("alice")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "History wait"})["id"]
    submit(alice, tree, [{"kind": "create", "id": str(uuid.uuid4()), "type": "proposal",
                          "parent": None, "text": "First proposal"}])  # fmt: skip
    p = alice.page
    # The server gets nothing this page sends until released: its new node stays unsaved.
    gate = SocketGate(p)
    alice.open_tree(tree)
    # Nor does the page ask the server for a history it cannot have yet (each ask was a 404
    # in the console, at almost every Enter in a live session).
    asked: list[str] = []
    p.on("response", lambda r: asked.append(r.url) if r.status == 404 else None)
    gate.up = "hold"
    row_text(p, "First proposal").click()
    p.keyboard.press("End")
    p.keyboard.press("Enter")
    p.keyboard.type("Second proposal")
    history = p.locator("aside.details .history-box")
    expect(history).to_contain_text("Not saved yet")
    p.wait_for_timeout(1000)
    gate.release()
    expect(history).to_contain_text("Alice Chen created it", timeout=LIVE)
    expect(history).not_to_contain_text("not available")
    expect(history).not_to_contain_text("Not saved yet")
    assert not alice.errors
    assert asked == []


def test_a_hand_merge_and_a_split_show_in_the_details_at_once_for_everyone(users: Any) -> None:
    alice, bob = users("alice"), users("bob")
    trees = [
        problem_tree(alice, "Hand merge A", [(0, "Alignment"), (1, "Outer alignment"),
                                             (2, "Reward hacking")]),
        problem_tree(alice, "Hand merge B", [(0, "Alignment"), (1, "Specifying values"),
                                             (2, "Reward hacking")]),
    ]  # fmt: skip
    merged = merge(alice, trees, "Hand merge")
    alice.api("POST", f"/api/trees/{merged}/members/", {"username": "bob", "role": "editor"})
    nodes = {n["text"]: n for n in alice.api("GET", f"/api/trees/{merged}/snapshot/")["nodes"]}
    by_id = {n["id"]: n["text"] for n in nodes.values()}
    hacking = nodes["Reward hacking"]
    # "Reward hacking" sits under one of the two and is linked under the other: merge the
    # one it is under into the one it is linked under, so that it moves under a parent it is
    # already linked to.
    assert len(hacking["parents"]) == 1, hacking
    keep, gone = by_id[hacking["parents"][0]], by_id[hacking["parent"]]
    for user in (alice, bob):
        user.open_tree(merged)
        user.page.get_by_role("tab", name="Outline").click()
    p = alice.page
    details = p.locator("aside.details")
    row_text(p, keep).click()
    expect(details).to_contain_text("Drawn in 1 source")
    details.get_by_label("Merge with another problem").fill(gone[:6])
    details.locator(".merge-results").get_by_role("button", name=gone).click()
    # Without choosing the node again: its two sources and the way to split it back.
    expect(details).to_contain_text("Drawn in 2 sources", timeout=LIVE)
    expect(details.get_by_role("button", name="Split into its 2 sources")).to_be_visible()
    expect(details).to_contain_text(f"Also called: “{gone}”")
    for user in (alice, bob):
        expect(row_text(user.page, gone)).to_have_count(0, timeout=LIVE)
        under = user.page.locator("li.node", has=row_text(user.page, keep)).first
        # Once, as its child: not a second time as a "↪" row of an extra parent.
        expect(under.locator("li.node > .row > .text", has_text="Reward hacking")).to_have_count(1)
        expect(under.locator("li.ghost", has_text="Reward hacking")).to_have_count(0)

    details.get_by_role("button", name="Split into its 2 sources").click()
    expect(details).to_contain_text("Drawn in 1 source", timeout=LIVE)
    expect(details.get_by_role("button", name="Split into its 2 sources")).to_have_count(0)
    for user in (alice, bob):
        expect(row_text(user.page, gone)).to_be_visible(timeout=LIVE)
    assert not alice.errors and not bob.errors


def test_a_viewers_details_do_not_invite_a_note_or_a_tag(users: Any) -> None:
    """A read-only note said "Add a note, sources, reasoning…" and the tag field "Add tag,
    press Enter", and neither took a key (the facilitator watching a group's tree)."""
    alice, bob = users("alice"), users("bob")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "Watched"})["id"]
    proposal = {"kind": "create", "id": str(uuid.uuid4()), "type": "proposal", "parent": None}
    submit(alice, tree, [{**proposal, "text": "Use debate", "tags": ["oversight"]}])
    alice.api("POST", f"/api/trees/{tree}/members/", {"username": "bob", "role": "viewer"})
    bob.open_tree(tree)
    row_text(bob.page, "Use debate").click()
    details = bob.page.locator("aside.details")
    expect(details.get_by_label("Note")).to_have_attribute("placeholder", "No note.")
    expect(details.get_by_label("Add a tag")).to_be_hidden()
    expect(details).to_contain_text("#oversight")
    assert not bob.errors
