"""Two people on one tree in two real browsers: Ctrl+Z never reverts the other person's later
change (structural undo is own-only, typing undo is per person), and two moves of one node at
nearly the same time are told to both, naming the outcome (issue 14)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def pair(users: Any) -> Any:
    """alice and bob with a new game tree of alice's holding top-level proposals `texts`."""

    def make(texts: list[str]) -> tuple[Any, Any, list[str]]:
        alice, bob = users("alice"), users("bob")
        tree = int(alice.api("POST", "/api/trees/", {"kind": "game", "title": "Undo"})["id"])
        alice.api("POST", f"/api/trees/{tree}/members/", {"username": "bob", "role": "editor"})
        ids = [str(uuid.uuid4()) for _ in texts]
        for n, (node, text) in enumerate(zip(ids, texts, strict=True), start=1):
            op = {"kind": "create", "id": node, "type": "proposal", "parent": None}
            op |= {"key": f"a{n}", "text": text}
            alice.api("POST", f"/api/trees/{tree}/ops/", {"client_id": "seed", "n": n, "op": op})
        for user in (alice, bob):
            user.open_tree(tree)
        return alice, bob, ids

    return make


def text_of(user: Any, node_id: str) -> Any:
    return user.page.locator(f"li.node[data-id='{node_id}'] > .row > .text")


def order(user: Any) -> list[str]:
    return user.page.locator("ul.tree > li.node > .row > .text").all_text_contents()


def expect_order(user: Any, want: list[str]) -> None:
    expect(user.page.locator("ul.tree > li.node > .row > .text")).to_have_text(want, timeout=LIVE)


def select(user: Any, node_id: str) -> None:
    text_of(user, node_id).click()
    user.page.keyboard.press("End")


def test_ctrl_z_of_my_move_leaves_a_later_move_by_someone_else_and_says_whose(pair: Any) -> None:
    alice, bob, (_one, _two, x) = pair(["One", "Two", "X"])
    # alice moves X up (above Two) ...
    select(alice, x)
    alice.page.keyboard.press("Alt+ArrowUp")
    alice.page.keyboard.press("Escape")
    expect_order(bob, ["One", "X", "Two"])
    # ... then bob moves it further up (above One).
    select(bob, x)
    bob.page.keyboard.press("Alt+ArrowUp")
    bob.page.keyboard.press("Escape")
    expect_order(alice, ["X", "One", "Two"])
    # alice's Ctrl+Z would put X back under One, reverting bob's move: it is skipped, named.
    alice.page.keyboard.press("Control+z")
    toast = alice.page.locator(".toast", has_text="Not undone")
    expect(toast).to_contain_text("Bob Okafor moved “X” since", timeout=LIVE)
    for user in (alice, bob):
        expect(user.page.locator(".status")).to_have_text("Saved", timeout=LIVE)
        expect_order(user, ["X", "One", "Two"])
        assert user.errors == []


def test_ctrl_z_of_my_typing_keeps_what_someone_else_typed_in_the_same_node_meanwhile(
    pair: Any,
) -> None:
    alice, bob, (p,) = pair(["Plan"])
    select(alice, p)
    select(bob, p)
    # Interleaved, nobody pausing: alice's run and bob's run are concurrent.
    for a, b in zip(" ab", " xy", strict=True):
        alice.page.keyboard.type(a)
        bob.page.keyboard.type(b)
    bob.page.keyboard.press("Escape")
    alice.page.keyboard.press("Escape")
    for user in (alice, bob):
        expect(user.page.locator(".status")).to_have_text("Saved", timeout=LIVE)
    merged = text_of(alice, p).text_content() or ""
    expect(text_of(bob, p)).to_have_text(merged, timeout=LIVE)
    assert sorted(merged) == sorted("Plan ab xy")
    alice.page.keyboard.press("Control+z")
    # Only alice's own characters go; bob's are all still there, in his order.
    for user in (alice, bob):
        expect(text_of(user, p)).not_to_have_text(merged, timeout=LIVE)
        left = text_of(user, p).text_content() or ""
        assert sorted(left) == sorted("Plan xy"), left
        assert left.startswith("Plan")
        assert left.replace(" ", "").endswith("xy")
    alice.page.keyboard.press("Control+Shift+z")
    for user in (alice, bob):
        expect(text_of(user, p)).to_have_text(merged, timeout=LIVE)
        assert user.errors == []


def test_two_people_moving_one_node_at_once_are_each_told_whose_move_stands(pair: Any) -> None:
    alice, bob, (_one, _two, x, _four) = pair(["One", "Two", "X", "Four"])
    select(alice, x)
    select(bob, x)
    # Nearly at once: alice moves X up, bob moves it down.
    alice.page.keyboard.press("Alt+ArrowUp")
    bob.page.keyboard.press("Alt+ArrowDown")
    alice_toast = alice.page.locator(".toast.warn", has_text="bob")
    bob_toast = bob.page.locator(".toast.warn", has_text="alice")
    expect(alice_toast).to_be_visible(timeout=LIVE)
    expect(bob_toast).to_be_visible(timeout=LIVE)
    for user in (alice, bob):
        expect(user.page.locator(".status")).to_have_text("Saved", timeout=LIVE)
    final = order(alice)
    expect_order(bob, final)
    alice_won = "stands" in (alice_toast.first.text_content() or "")
    winner, loser = (alice_toast, bob_toast) if alice_won else (bob_toast, alice_toast)
    # The person whose move came last is told it stands; the other where the node stays.
    expect(winner).to_contain_text("your move came after theirs and stands")
    expect(winner).to_contain_text("“X”")
    expect(loser).to_contain_text("moved “X” right after you did; it stays where they put it")
    # "Put mine back" on the overruled side puts X where that person had put it, for both.
    loser.get_by_role("button", name="Put mine back").click()
    rows = alice.page.locator("ul.tree > li.node > .row > .text")
    expect(rows).not_to_have_text(final, timeout=LIVE)
    back = order(alice)
    if alice_won:  # bob's move: down one, from the order he saw (before or after alice's)
        assert back in (["One", "Two", "Four", "X"], ["One", "Two", "X", "Four"]), back
    else:
        assert back == ["One", "X", "Two", "Four"], back
    for user in (alice, bob):
        expect_order(user, back)
        assert user.errors == []


def test_deleting_a_branch_someone_is_typing_in_names_the_node_they_were_in(pair: Any) -> None:
    alice, bob, (p,) = pair(["Plan"])
    flaw = str(uuid.uuid4())
    op = {"kind": "create", "id": flaw, "type": "critique", "parent": p, "key": "a0"}
    tree = int(alice.page.url.rstrip("/").rsplit("/", 1)[1])
    body = {"client_id": "seed2", "n": 1, "op": op | {"text": "Flaw"}}
    alice.api("POST", f"/api/trees/{tree}/ops/", body)
    for user in (alice, bob):
        expect(text_of(user, flaw)).to_have_text("Flaw", timeout=LIVE)
    select(bob, flaw)
    bob.page.keyboard.type(" here")
    expect(bob.page.locator(".status")).to_have_text("Saved", timeout=LIVE)
    marker = alice.page.locator(f"li.node[data-id='{flaw}'] .marker", has_text="bob")
    expect(marker).to_have_attribute("title", "Bob Okafor is editing", timeout=LIVE)
    # alice deletes the proposal, and with it the critique bob is typing in: she is told
    # whose node it was, not only that her branch held it
    text_of(alice, p).click()
    alice.page.keyboard.press("Control+Shift+Backspace")
    toast = alice.page.locator(".toast", has_text="when you deleted it")
    expect(toast).to_contain_text("Bob Okafor was editing “Flaw here” in “Plan”", timeout=LIVE)
    toast.get_by_role("button", name="Undo delete").click()
    for user in (alice, bob):
        expect(text_of(user, flaw)).to_have_text("Flaw here", timeout=LIVE)
