"""A tree page whose socket the server closed (4403) says what happened, in a real browser: a
tree that was never shared says so on a not-found page instead of "You no longer have access"
under a title stuck on "Loading…"; a member removed while it is open sees "Closed" (the header
kept the open socket's "Saved" until the next status beat)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_a_tree_never_shared_says_so_and_does_not_claim_to_be_saved(users: Any) -> None:
    alice, carol = users("alice"), users("carol")
    tree = alice.api("POST", "/api/trees/", {"kind": "problem", "title": "Alice alone"})["id"]
    p = carol.page
    p.goto(f"{carol.base}/app/trees/{tree}")
    expect(p.get_by_text("This tree does not exist or is not shared with you.")).to_be_visible(
        timeout=LIVE
    )
    expect(p.get_by_role("heading", name="Tree not found")).to_be_visible()
    # A not-found page (tests/browser/test_walk_defects.py), with no save status at all.
    expect(p.locator(".status")).to_have_count(0)
    carol.shot("tree-not-shared")


def test_a_member_removed_while_the_tree_is_open_sees_it_closed_not_saved(users: Any) -> None:
    alice, bob = users("alice"), users("bob")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "Shared a while"})["id"]
    member = alice.api("POST", f"/api/trees/{tree}/members/", {"username": "bob", "role": "editor"})
    bob.open_tree(tree)
    expect(bob.page.locator(".status")).to_have_text("Saved", timeout=LIVE)
    alice.api("DELETE", f"/api/trees/{tree}/members/{member['user']['id']}/")
    expect(bob.page.locator(".banner.error")).to_have_text(
        "You no longer have access to this tree.", timeout=LIVE
    )
    expect(bob.page.locator(".status")).to_have_text("Closed")
    expect(bob.page.locator("h1.tree-title")).to_have_text("Shared a while")
