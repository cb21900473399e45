"""Outliner keys that match Workflowy/Dynalist (issue 14, defect 6), three people on one tree:
Enter splits the text at the caret, the type switch by keyboard and by the details panel's
control, and type changes that are announced (or refused with the reason), never silent."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE
from tests.browser.test_live_editing import outline, row, seed

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def converged(users: list[Any], want: list[str]) -> None:
    for u in users:
        u.page.wait_for_function(
            "want => JSON.stringify(" + OUTLINE + ") === JSON.stringify(want)",
            arg=want,
            timeout=LIVE,
        )
        assert outline(u) == want


OUTLINE = """[...document.querySelectorAll('ul.tree li.node')]
  .filter(li => li.getClientRects().length)
  .map(li => [li.getAttribute('aria-level'), li.className.match(/t-(\\w+)/)[1],
              li.querySelector(':scope > .row > .text').textContent].join('|'))"""


def test_enter_splits_and_type_changes_are_explicit_and_announced(users: Any) -> None:
    alice, bob, carol = users("alice"), users("bob"), users("carol")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "Keys"})["id"]
    for who in ("bob", "carol"):
        alice.api("POST", f"/api/trees/{tree}/members/", {"username": who, "role": "editor"})
    p1, p2 = str(uuid.uuid4()), str(uuid.uuid4())
    seed(
        alice,
        tree,
        [
            {
                "kind": "create",
                "id": p1,
                "type": "proposal",
                "parent": None,
                "key": "a0",
                "text": "AlphaBeta",
            },
            {
                "kind": "create",
                "id": str(uuid.uuid4()),
                "type": "critique",
                "parent": p1,
                "key": "a0",
                "text": "Judges can be fooled",
            },
            {
                "kind": "create",
                "id": p2,
                "type": "proposal",
                "parent": None,
                "key": "a1",
                "text": "Second",
            },
        ],
    )
    everyone = [alice, bob, carol]
    for u in everyone:
        u.open_tree(tree)
    k = alice.page.keyboard

    # Enter in the middle of the text splits it: the rest goes into a new sibling below, the
    # children stay, the caret is at the start of the new node.
    row(alice, "AlphaBeta").click()
    k.press("Home")
    for _ in range(5):
        k.press("ArrowRight")
    k.press("Enter")
    k.type("X")
    converged(
        everyone,
        [
            "1|proposal|Alpha",
            "2|critique|Judges can be fooled",
            "1|proposal|XBeta",
            "1|proposal|Second",
        ],
    )

    # Shift+Tab needs a type change (a critique at the top level is a proposal): announced.
    row(alice, "Judges can be fooled").click()
    k.press("Shift+Tab")
    expect(alice.page.locator(".toast", has_text="is now a proposal")).to_be_visible()
    converged(
        everyone,
        [
            "1|proposal|Alpha",
            "1|proposal|Judges can be fooled",
            "1|proposal|XBeta",
            "1|proposal|Second",
        ],
    )

    # The keyboard type switch: Ctrl+Shift+2 makes "Second" a critique of the proposal above.
    row(bob, "Second").click()
    bob.page.keyboard.press("Control+Shift+Digit2")
    expect(bob.page.locator(".toast", has_text="is now a critique")).to_be_visible()
    converged(
        everyone,
        [
            "1|proposal|Alpha",
            "1|proposal|Judges can be fooled",
            "1|proposal|XBeta",
            "2|critique|Second",
        ],
    )

    # The visible control, in the details panel. Refused, with the reason, when the node's
    # children could not stay or there is no place for the type; applied otherwise.
    types = carol.page.get_by_role("combobox", name="Node type")
    row(carol, "XBeta").click()
    types.select_option("critique")
    expect(
        carol.page.locator(".toast.warn", has_text="its critiques could not stay")
    ).to_be_visible()
    row(carol, "Second").click()
    types.select_option("patch")
    expect(
        carol.page.locator(".toast.warn", has_text="a patch goes under a critique")
    ).to_be_visible()
    expect(types).to_have_value("critique")
    row(carol, "Judges can be fooled").click()
    types.select_option("critique")
    expect(carol.page.locator(".toast", has_text="is now a critique")).to_be_visible()
    converged(
        everyone,
        [
            "1|proposal|Alpha",
            "2|critique|Judges can be fooled",
            "1|proposal|XBeta",
            "2|critique|Second",
        ],
    )
    # The shortcut is in the help.
    alice.page.keyboard.press("Escape")
    alice.page.keyboard.press("?")
    expect(alice.page.locator("dialog.help")).to_contain_text("Ctrl+Shift+1 / 2 / 3")
    assert alice.errors == [] and bob.errors == [] and carol.errors == []


IN_OUTLINE = "() => !!document.activeElement.closest('ul.tree')"
IN_DETAILS = "() => !!document.activeElement.closest('aside.details')"


def test_esc_then_tab_leaves_the_outline_and_a_retyped_node_is_read_with_its_new_type(
    users: Any,
) -> None:
    """Tab and Shift+Tab always indented and outdented, even after Esc: the keyboard could
    never leave the outline for the details or the header. And a node Tab made a critique
    kept "Proposal: ..." as the name a screen reader reads."""
    alice, bob = users("alice"), users("bob")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "Leave by keys"})["id"]
    alice.api("POST", f"/api/trees/{tree}/members/", {"username": "bob", "role": "editor"})
    alice.open_tree(tree)
    bob.open_tree(tree)
    p, k = alice.page, alice.page.keyboard
    p.get_by_role("button", name="Add the first proposal").focus()
    k.press("Enter")
    k.type("Use debate")
    k.press("Enter")
    k.type("Debaters collude")
    k.press("Tab")
    critique = row(alice, "Debaters collude", "critique")
    expect(critique).to_have_attribute("aria-label", "Critique: Debaters collude")
    # bob saw it arrive as a proposal, then retyped live.
    expect(row(bob, "Debaters collude", "critique")).to_have_attribute(
        "aria-label", "Critique: Debaters collude", timeout=LIVE
    )

    k.press("Escape")
    assert p.evaluate(IN_OUTLINE)
    k.press("Tab")
    assert p.evaluate(IN_DETAILS), p.evaluate("() => document.activeElement.outerHTML")
    # Nothing was indented on the way out.
    expect(critique).to_have_count(1)
    expect(p.locator("li.node.t-critique[aria-level='2']")).to_have_count(1)

    critique.click()
    k.press("Escape")
    k.press("Shift+Tab")
    assert not p.evaluate(IN_OUTLINE) and not p.evaluate(IN_DETAILS)
    expect(p.locator("li.node.t-critique[aria-level='2']")).to_have_count(1)
    # While editing, Tab still indents / outdents.
    critique.click()
    k.press("Shift+Tab")
    expect(row(alice, "Debaters collude", "proposal")).to_have_count(1)
    assert not alice.errors and not bob.errors
