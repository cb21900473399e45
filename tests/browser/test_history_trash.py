"""History and trash in the web client, three people on one tree: a deleted subtree restored by
another editor from the trash comes back for everyone live, each node shows who changed it and
when, and the tree can be viewed as it was at an earlier version."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE
from tests.browser.test_live_editing import row, seed

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_restore_from_the_trash_is_live_and_history_and_versions_show(users: Any) -> None:
    alice, bob, carol = users("alice"), users("bob"), users("carol")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "History"})["id"]
    alice.api("POST", f"/api/trees/{tree}/members/", {"username": "bob", "role": "viewer"})
    alice.api("POST", f"/api/trees/{tree}/members/", {"username": "carol", "role": "editor"})
    p1, c1 = str(uuid.uuid4()), str(uuid.uuid4())
    seed(
        alice,
        tree,
        [
            {"kind": "create", "id": p1, "type": "proposal", "parent": None, "text": "Debate"},
            {"kind": "create", "id": c1, "type": "critique", "parent": p1, "text": "Collusion"},
            {
                "kind": "create",
                "id": str(uuid.uuid4()),
                "type": "patch",
                "parent": c1,
                "text": "Separate the debaters",
            },
        ],
    )
    for u in (alice, bob, carol):
        u.open_tree(tree)

    # Alice deletes the critique and its patch.
    row(alice, "Collusion").click()
    alice.page.keyboard.press("Control+Shift+Backspace")
    for u in (bob, carol):
        expect(row(u, "Collusion")).to_have_count(0, timeout=LIVE)

    # Bob, a viewer, sees the trash but cannot restore.
    bob.page.get_by_role("button", name="Trash").click()
    item = bob.page.locator(".trash-item", has_text="Collusion")
    expect(item).to_contain_text("with 1 more")
    expect(item).to_contain_text("deleted by Alice Chen")
    expect(item.get_by_role("button", name="Restore")).to_be_disabled()
    bob.page.keyboard.press("Escape")

    # Carol, an editor, restores it: everyone sees it back, live.
    carol.page.get_by_role("button", name="Trash").click()
    carol.page.locator(".trash-item", has_text="Collusion").get_by_role(
        "button", name="Restore"
    ).click()
    for u in (alice, bob, carol):
        expect(row(u, "Collusion")).to_be_visible(timeout=LIVE)
        expect(row(u, "Separate the debaters")).to_be_visible(timeout=LIVE)
    expect(carol.page.locator(".trash-dialog")).to_contain_text("Nothing deleted", timeout=LIVE)
    carol.page.keyboard.press("Escape")

    # Who changed it and when, in the details panel.
    row(bob, "Collusion").click()
    history = bob.page.locator(".history")
    expect(history.locator("li").nth(0)).to_contain_text(
        "Carol Lindqvist restored it", timeout=LIVE
    )
    expect(history.locator("li").nth(1)).to_contain_text("Alice Chen deleted it")
    expect(history.locator("li").nth(2)).to_contain_text("Alice Chen created it: “Collusion”")

    # The tree as it was at version 1: only the proposal.
    bob.page.get_by_role("button", name="Versions").click()
    dialog = bob.page.locator(".versions-dialog")
    expect(dialog.locator(".versions-list li")).to_have_count(5)
    dialog.get_by_role("button", name="#1", exact=True).click()
    view = dialog.locator(".version-view")
    expect(view).to_contain_text("The tree at version 1 (read-only)")
    expect(view.locator("li")).to_have_count(1)
    expect(view).to_contain_text("Debate")
    dialog.get_by_label("Version number").fill("4")
    dialog.get_by_role("button", name="View").click()
    expect(view).to_contain_text("The tree at version 4")
    expect(view).not_to_contain_text("Collusion")
    assert alice.errors == [] and bob.errors == [] and carol.errors == []


def test_a_persons_typing_reads_as_one_change_in_history_and_versions(users: Any) -> None:
    """Every keystroke is an op: the node's history and Versions listed "bob text" once per
    letter, neither saying what "text" was nor which node it was typed in."""
    alice, bob = users("alice"), users("bob")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "Typing runs"})["id"]
    alice.api("POST", f"/api/trees/{tree}/members/", {"username": "bob", "role": "editor"})
    seed(alice, tree, [{"kind": "create", "id": str(uuid.uuid4()), "type": "proposal",
                        "parent": None, "text": "Debate"}])  # fmt: skip
    bob.open_tree(tree)
    row(bob, "Debate").click()
    bob.page.keyboard.press("End")
    bob.page.keyboard.type(" with judges")
    bob.page.keyboard.press("Escape")
    expect(bob.page.locator(".status")).to_have_text("Saved", timeout=LIVE)

    alice.open_tree(tree)
    p = alice.page
    row(alice, "Debate with judges").click()
    history = p.locator("aside.details .history-box")
    expect(history).to_contain_text(re.compile(r"Bob Okafor typed in it \(\d+ changes\)"))
    expect(history).to_contain_text("Alice Chen created it")
    assert "bob text" not in history.inner_text()
    p.get_by_role("button", name="Versions").click()
    versions = p.locator("dialog[open] .versions-list")
    typed = re.compile(r"Bob Okafor typed in “Debate with judges” \(\d+ changes\)")
    expect(versions).to_contain_text(typed)
    expect(versions.locator("li")).to_have_count(2)
    assert not alice.errors and not bob.errors
