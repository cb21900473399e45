"""A clean browser console, in Chromium against the real server: a signed-out visit logs no
error (the client asked `GET /api/auth/me/` and every visitor's console showed its 401; it now
asks `GET /api/auth/session/`, which answers 200 either way), signing in, reloading and signing
out still work, and the main pages log no error or warning for a facilitator at a desktop and
a participant on a phone using them at once."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PHONE = {"width": 375, "height": 667}


def settle(page: Any) -> None:
    """Until the page's requests are done, and a moment for anything logged after them."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def test_a_signed_out_visit_logs_no_console_error_and_signing_in_still_works(
    browser: Any, gametree_server: str
) -> None:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    console: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text} {m.location.get('url')}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    base = gametree_server
    try:
        with page.expect_response(lambda r: r.url.endswith("/api/auth/session/")) as asked:
            page.goto(f"{base}/")
        assert asked.value.status == 200
        assert asked.value.json() == {"authenticated": False, "user": None}
        expect(page.locator("#login-user")).to_be_visible()
        settle(page)
        # The other pages a signed-out visitor meets: joining a workshop, a tree's link.
        page.goto(f"{base}/join")
        expect(page.get_by_role("button", name="Join")).to_be_visible()
        settle(page)
        page.goto(f"{base}/app/trees/1")
        expect(page.locator("#login-user")).to_be_visible()
        settle(page)
        errors = [m for m in console if not m.startswith(("log:", "info:", "debug:"))]
        assert errors == [], errors
        assert failed == [], failed

        # Signing in from there opens the tree; a reload keeps the session; signing out ends it.
        page.fill("#login-user", "alice")
        page.fill("#login-pass", PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_selector("body[data-tree-ready]")
        page.reload()
        page.wait_for_selector("body[data-tree-ready]")
        expect(page.locator("header.topbar > span.me")).to_have_text("Alice Chen")
        page.get_by_role("button", name="Sign out").click()
        expect(page.locator("#login-user")).to_be_visible()
        settle(page)
        page.reload()
        expect(page.locator("#login-user")).to_be_visible()
        settle(page)
        errors = [m for m in console if not m.startswith(("log:", "info:", "debug:"))]
        assert errors == [], errors
        assert failed == [], failed
    finally:
        context.close()


def test_the_main_pages_log_no_console_error_or_warning_for_two_people_at_once(
    users: Any,
) -> None:
    """alice facilitates the demo workshop at her desktop, dave takes part from his phone; they
    go through the tree list, a tree (outline, graph, analysis), the workshop pages and the
    board, and both have the group's tree open together."""
    alice = users("alice")
    dave = users("dave", viewport=PHONE, touch=True)
    base = alice.base
    workshop = next(
        w["id"] for w in alice.api("GET", "/api/workshops/") if w["title"].startswith("Demo")
    )
    group_tree = next(t["id"] for t in dave.api("GET", "/api/trees/") if t["kind"] == "game")
    demo_game = next(
        t["id"]
        for t in alice.api("GET", "/api/trees/")
        if t["title"].startswith("Workshop game tree")
    )

    for who in (alice, dave):
        who.page.goto(f"{base}/")
        expect(who.page.get_by_text("My trees")).to_be_visible()
        settle(who.page)
        who.page.goto(f"{base}/app/workshops")
        settle(who.page)
        who.page.goto(f"{base}/app/workshops/{workshop}")
        who.page.wait_for_selector("body[data-workshop-ready]")
        settle(who.page)
    alice.page.goto(f"{base}/app/workshops/{workshop}/board")
    expect(alice.page.locator(".board-group").first).to_be_visible()
    settle(alice.page)

    alice.open_tree(demo_game)
    for tab in ("Graph", "Analysis", "Outline"):
        alice.page.get_by_role("tab", name=tab).click()
        settle(alice.page)
    alice.page.locator("li.node > .row > .text").first.click()
    expect(alice.page.locator("aside.details")).to_be_visible()

    # Both on the group's tree: dave edits it, alice (the facilitator) watches it.
    dave.open_tree(group_tree)
    alice.open_tree(group_tree)
    expect(alice.page.locator(".roster")).to_contain_text("Dave")
    dave.page.locator("li.node > .row > .text").first.click()
    dave.page.keyboard.press("End")
    dave.page.keyboard.type(" (seen)")
    dave.page.keyboard.press("Escape")
    expect(alice.page.locator("ul.tree")).to_contain_text("(seen)", timeout=LIVE)
    for tab in ("Graph", "Analysis"):
        dave.page.get_by_role("tab", name=tab).click()
        settle(dave.page)
    settle(alice.page)

    assert alice.console == [], alice.console
    assert dave.console == [], dave.console
    assert alice.errors == [] and dave.errors == []
