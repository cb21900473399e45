"""A tree shared by a link, like a shared document: the owner makes the link in the web client,
someone signed out opens it in another browser, types a name and is in the tree at once as a
guest; both edit live and see each other in presence, and the guest's browser gets back in
after a reload (docs/security.md, "Workshops and share links")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE, submit
from tests.browser.test_live_editing import node, row

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]


@pytest.fixture
def stranger(browser: Any) -> Iterator[Any]:
    """A signed-out desktop browser of its own (no cookies shared with the owner's)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))  # type: ignore[attr-defined]
    yield page
    context.close()


def test_a_signed_out_person_enters_by_the_link_under_a_name_and_both_edit_live(
    users: Any, stranger: Any
) -> None:
    alice = users("alice")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "Shared like a doc"})["id"]
    first = "11111111-1111-4111-8111-111111111111"
    submit(alice, tree, [{"kind": "create", "id": first, "type": "proposal", "parent": None,
                          "text": "Shared idea"}])  # fmt: skip
    alice.page.reload()
    item = alice.page.locator(f"li.tree-item[data-tree='{tree}']")
    item.get_by_role("button", name="Members").click()
    panel = item.locator(".share-panel")
    panel.get_by_label("Anyone with the link").select_option("editor")
    panel.get_by_role("button", name="Make a link").click()
    url = panel.locator("li.share-link[data-role='editor'] input").input_value()
    alice.open_tree(tree)

    # The stranger opens the link: a name to type, no account, no sign-in.
    p = stranger
    p.goto(url)
    expect(p.get_by_role("heading", name="Shared tree")).to_be_visible()
    expect(p.locator("#share-name")).to_be_focused()
    # A name someone in the tree is shown by is refused; another one lets them in.
    p.keyboard.type("alice")
    p.keyboard.press("Enter")
    expect(p.locator("#share-error")).to_contain_text("already uses this name")
    p.locator("#share-name").fill("Ada")
    p.keyboard.press("Enter")
    p.wait_for_selector("body[data-tree-ready]")
    assert p.url.endswith(f"/app/trees/{tree}")
    expect(p.locator("header")).to_contain_text("Shared like a doc")

    # Each sees the other in presence, the guest by the name they typed.
    expect(alice.page.locator(".roster .person", has_text="Ada")).to_be_visible(timeout=LIVE)
    expect(p.locator(".roster .person", has_text="alice")).to_be_visible(timeout=LIVE)

    # Both edit, live: the guest types into the proposal, alice sees it and where they are.
    p.locator("li.node > .row > .text", has_text="Shared idea").click()
    p.keyboard.press("End")
    p.keyboard.type(" from Ada")
    marker = node(alice, "Shared idea").locator(":scope > .row .marker", has_text="Ada")
    expect(marker).to_be_visible(timeout=LIVE)
    expect(row(alice, "Shared idea from Ada")).to_be_visible(timeout=LIVE)
    row(alice, "Shared idea from Ada").click()
    alice.page.keyboard.press("End")
    alice.page.keyboard.type(" and alice")
    both = p.locator("li.node > .row > .text", has_text="Shared idea from Ada and alice")
    expect(both).to_be_visible(timeout=LIVE)

    # The owner's member list names the guest as an editor, by the name typed.
    listed = alice.api("GET", f"/api/trees/{tree}/members/")
    members = {m["user"]["name"]: m["role"] for m in listed}
    assert members["Ada"] == "editor"

    # The same browser gets back in: a reload, and the link again, open the tree.
    p.reload()
    p.wait_for_selector("body[data-tree-ready]")
    expect(p.locator("li.node > .row > .text", has_text="and alice")).to_be_visible()
    p.goto(url)
    p.wait_for_selector("body[data-tree-ready]")
    assert p.url.endswith(f"/app/trees/{tree}")
    assert not alice.errors and not p.errors
