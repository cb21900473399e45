"""The rest of the client in a real browser: tree list management, roles, find, zoom,
help, ARIA roles, and an offline text edit merged with an online one."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_live_editing import node, row, seed

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_tree_list_create_invite_rename_view_only_leave_delete(users: Any) -> None:
    alice = users("alice")
    bob = users("bob")
    a = alice.page
    a.get_by_label("Kind").select_option("problem")
    a.get_by_label("Title").fill("List test tree")
    a.get_by_role("button", name="Create").click()
    a.wait_for_selector("body[data-tree-ready]")
    expect(a.locator(".kind")).to_have_text("Problem tree")
    tree_id = a.url.rstrip("/").rsplit("/", 1)[1]
    a.get_by_role("link", name="← Trees").click()
    item = a.locator(f"li.tree-item[data-tree='{tree_id}']")
    item.get_by_role("button", name="Members").click()
    item.get_by_label("Username to invite").fill("bob")
    item.get_by_label("Role", exact=True).select_option("viewer")
    item.get_by_role("button", name="Invite").click()
    expect(item.locator(".members li", has_text="bob")).to_be_visible()
    item.get_by_role("button", name="Rename").click()
    item.get_by_label("New title").fill("Renamed list tree")
    item.get_by_role("button", name="Save").click()
    expect(a.locator("li.tree-item", has_text="Renamed list tree")).to_be_visible()
    alice.shot("list-alice")

    bob.page.reload()
    shared = bob.page.locator("section", has_text="Shared with me").locator(
        "li.tree-item", has_text="Renamed list tree"
    )
    expect(shared).to_contain_text("you are viewer")
    shared.get_by_role("link").click()
    bob.page.wait_for_selector("body[data-tree-ready]")
    expect(bob.page.locator(".banner.info")).to_have_text("You can view this tree but not edit it.")
    expect(bob.page.get_by_role("button", name="Add the first problem")).to_be_disabled()
    bob.page.get_by_role("link", name="← Trees").click()
    bob.accept_confirms = True
    bob.page.locator("li.tree-item", has_text="Renamed list tree").get_by_role(
        "button", name="Leave"
    ).click()
    expect(bob.page.locator("li.tree-item", has_text="Renamed list tree")).to_have_count(0)

    alice.accept_confirms = True
    a.locator("li.tree-item", has_text="Renamed list tree").get_by_role(
        "button", name="Delete"
    ).click()
    expect(a.locator("li.tree-item", has_text="Renamed list tree")).to_have_count(0)


def test_find_zoom_help_and_aria_on_the_demo_game_tree(users: Any) -> None:
    alice = users("alice")
    trees = alice.api("GET", "/api/trees/")
    game = next(t for t in trees if t["title"].startswith("Workshop game tree"))
    alice.open_tree(game["id"])
    p = alice.page

    tree = p.get_by_role("tree")
    expect(tree).to_be_visible()
    first = p.locator("ul.tree > li.node").first
    expect(first).to_have_attribute("role", "treeitem")
    expect(first).to_have_attribute("aria-level", "1")
    expect(first).to_have_attribute("aria-expanded", "true")
    expect(p.locator("li.node[aria-level='3']").first).to_be_visible()

    # Critiques with no patch
    p.get_by_label("Critiques with no patch").check()
    expect(p.locator(".findbar .count")).to_have_text(re.compile(r"\d+ match"))
    matches = p.locator("li.node.match")
    assert matches.count() > 0
    assert matches.count() == p.locator("li.node.match.t-critique").count()
    p.get_by_label("Critiques with no patch").uncheck()
    # Text + type
    p.get_by_label("Find text").fill("reward")
    p.get_by_label("Filter by type").select_option("proposal")
    expect(p.locator("li.node.match").first).to_be_visible()
    for text in p.locator("li.node.match > .row > .text").all_text_contents():
        assert "reward" in text.lower()
    assert p.locator("li.node.match:not(.t-proposal)").count() == 0
    alice.shot("find-filtered")
    p.get_by_label("Find text").fill("")
    p.get_by_label("Filter by type").select_option("")
    expect(p.locator("ul.tree.filtering")).to_have_count(0)

    # Collapse and expand with the keyboard
    first.locator(":scope > .row > .text").click()
    p.keyboard.press("Control+ArrowUp")
    expect(first).to_have_attribute("aria-expanded", "false")
    p.keyboard.press("Control+ArrowDown")
    expect(first).to_have_attribute("aria-expanded", "true")

    # Zoom in and out with breadcrumbs
    p.keyboard.press("Alt+ArrowRight")
    expect(p.locator("nav.crumbs .crumb.current")).to_be_visible()
    expect(p.locator("ul.tree > li.node").first).to_have_class(re.compile("t-critique"))
    alice.shot("zoomed-in")
    p.locator("nav.crumbs .crumb").first.click()
    expect(p.locator("nav.crumbs")).to_be_hidden()
    expect(p.locator("ul.tree > li.node").first).to_have_class(re.compile("t-proposal"))

    # Help overlay
    p.locator("body").click(position={"x": 5, "y": 700})
    p.keyboard.press("?")
    expect(p.get_by_role("dialog")).to_be_visible()
    alice.shot("help-overlay")
    p.keyboard.press("Escape")
    expect(p.get_by_role("dialog")).to_be_hidden()

    # Graph tab, then click a node: back in the outline with it focused
    p.get_by_role("tab", name="Graph").click()
    expect(p.locator(".graph canvas").first).to_be_attached(timeout=10_000)
    time.sleep(0.5)
    alice.shot("graph-game-tree")
    assert alice.errors == []


def test_an_offline_edit_of_a_text_merges_with_a_concurrent_online_one(shared_tree: Any) -> None:
    # Text merges character by character (docs/protocol.md, "Node text"): nobody's words are
    # replaced, so there is no "replaced your text" notice any more (it stays for notes and tags).
    alice, bob, tree = shared_tree()
    seed(
        alice,
        tree,
        [
            {
                "kind": "create",
                "id": str(uuid.uuid4()),
                "type": "proposal",
                "parent": None,
                "key": "a0",
                "text": "Original",
            }
        ],
    )
    alice.open_tree(tree)
    bob.open_tree(tree)
    bob.context.set_offline(True)
    expect(bob.page.locator(".banner.offline")).to_be_visible(timeout=3000)
    row(bob, "Original").click()
    bob.page.keyboard.press("End")
    bob.page.keyboard.type(" by bob")
    bob.page.keyboard.press("Escape")

    row(alice, "Original").click()
    alice.page.keyboard.press("End")
    alice.page.keyboard.type(" by alice")
    alice.page.keyboard.press("Escape")
    expect(alice.page.locator(".status")).to_have_text("Saved", timeout=3000)

    bob.context.set_offline(False)
    for user in (alice, bob):
        text = node(user, "Original").locator(":scope > .row > .text")
        expect(text).to_contain_text("by bob", timeout=5000)
        expect(text).to_contain_text("by alice", timeout=5000)
    assert alice.page.locator(".toast", has_text="replaced your text").count() == 0
    alice.shot("merged-offline-edit")


def test_a_problem_can_sit_under_a_second_parent(users: Any) -> None:
    alice = users("alice")
    tree = alice.api("POST", "/api/trees/", {"kind": "problem", "title": "DAG tree"})
    outer, inner = str(uuid.uuid4()), str(uuid.uuid4())
    seed(
        alice,
        tree["id"],
        [
            {
                "kind": "create",
                "id": outer,
                "type": "problem",
                "parent": None,
                "key": "a0",
                "text": "Outer alignment",
            },
            {
                "kind": "create",
                "id": inner,
                "type": "problem",
                "parent": None,
                "key": "a1",
                "text": "Inner alignment",
            },
            {
                "kind": "create",
                "id": str(uuid.uuid4()),
                "type": "problem",
                "parent": outer,
                "key": "a0",
                "text": "Goodhart",
            },
        ],
    )
    alice.open_tree(tree["id"])
    row(alice, "Goodhart").click()
    alice.page.get_by_label("Also put under another problem").fill("inner")
    alice.page.get_by_role("button", name="Inner alignment").click()
    expect(node(alice, "Goodhart").locator(":scope > .row .badge.links")).to_have_text(
        "⇄ 2 parents"
    )
    ghost = node(alice, "Inner alignment").locator(":scope > ul > li.ghost")
    expect(ghost).to_contain_text("Goodhart")
    ghost.get_by_role("button").click()
    expect(node(alice, "Goodhart")).to_have_class(re.compile("active"))
    snap = alice.api("GET", f"/api/trees/{tree['id']}/snapshot/")
    goodhart = next(n for n in snap["nodes"] if n["text"] == "Goodhart")
    assert goodhart["parents"] == [inner]
    alice.shot("dag-linked")
