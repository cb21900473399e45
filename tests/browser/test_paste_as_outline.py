"""Pasting a list into a node, as people bring a list from a Google Doc (Workflowy does the
same): several lines become nodes nested by their indentation, each with the type its place
gives, seen live by the other person, and undone in one step; a paste made offline reaches
everyone on reconnect, and one followed by a reload before the server's answer is applied
once (its ops unsent or applied but unanswered: the outbox resends them with their numbers)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE, SocketGate, outbox_emptied
from tests.browser.test_live_editing import row, seed
from tests.browser.test_outliner_keys import converged

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PASTE_JS = """([id, plain]) => {
  const el = document.querySelector(`li.node[data-id='${id}'] > .row > .text`);
  const data = new DataTransfer();
  data.setData('text/plain', plain);
  const ev = new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true});
  el.dispatchEvent(ev);
  return ev.defaultPrevented;
}"""

PASTED = """Debate with judges
  - Judges can be fooled
    - Train the judges
  - Debaters collude
Amplification
"""


def test_a_pasted_list_becomes_nested_nodes_for_everyone_and_one_undo_takes_it_back(
    users: Any,
) -> None:
    alice, bob = users("alice"), users("bob")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "Paste"})["id"]
    alice.api("POST", f"/api/trees/{tree}/members/", {"username": "bob", "role": "editor"})
    debate = str(uuid.uuid4())
    seed(
        alice,
        tree,
        [
            {"kind": "create", "id": debate, "type": "proposal", "parent": None, "key": "a0"}
            | {"text": "Debate"},
            {"kind": "create", "id": str(uuid.uuid4()), "type": "proposal", "parent": None}
            | {"key": "a1", "text": "Later"},
        ],
    )
    for u in (alice, bob):
        u.open_tree(tree)
    before = ["1|proposal|Debate", "1|proposal|Later"]
    converged([alice, bob], before)

    # alice selects the node's text and pastes the list over it
    row(alice, "Debate").click()
    alice.page.keyboard.press("Control+a")
    assert alice.page.evaluate(PASTE_JS, [debate, PASTED]) is True
    after = [
        "1|proposal|Debate with judges",
        "2|critique|Judges can be fooled",
        "3|patch|Train the judges",
        "2|critique|Debaters collude",
        "1|proposal|Amplification",
        "1|proposal|Later",
    ]
    converged([alice, bob], after)

    # one Ctrl+Z takes the whole paste back, for both
    alice.page.keyboard.press("Control+z")
    converged([alice, bob], before)
    for u in (alice, bob):
        assert u.errors == []


AFTER = [
    "1|proposal|Debate with judges",
    "2|critique|Judges can be fooled",
    "3|patch|Train the judges",
    "2|critique|Debaters collude",
    "1|proposal|Amplification",
]


def paste_tree(three_on_one_tree: Any) -> tuple[list[Any], int, str]:
    """alice, bob and carol on a tree with "Debate" and "Later" (not opened yet)."""
    alice, bob, carol, tree, ids = three_on_one_tree("Paste", ["Debate", "Later"])
    return [alice, bob, carol], tree, ids[0]


def paste_over(user: Any, node_id: str, text: str) -> None:
    row(user, text).click()
    user.page.keyboard.press("Control+a")
    assert user.page.evaluate(PASTE_JS, [node_id, PASTED]) is True


def applied_once(user: Any, tree: int) -> None:
    """The server's log holds each op of the paste once: one create per new line."""
    log = user.api("GET", f"/api/trees/{tree}/ops/?since=2")["ops"]
    creates = [o["op"]["text"] for o in log if o["op"]["kind"] == "create"]
    assert sorted(creates) == sorted(line.split("|")[2] for line in AFTER[1:]), creates
    assert len({(o["client_id"], o["n"]) for o in log}) == len(log)


def test_a_list_pasted_offline_becomes_the_same_nested_nodes_for_everyone_on_reconnect(
    three_on_one_tree: Any, patient_expect: None
) -> None:
    people, tree, debate = paste_tree(three_on_one_tree)
    alice, bob, carol = people
    for u in people:
        u.open_tree(tree)
    alice.context.set_offline(True)
    expect(alice.page.locator(".banner.offline")).to_be_visible()
    paste_over(alice, debate, "Debate")
    converged([alice], [*AFTER, "1|proposal|Later"])
    expect(alice.page.locator(".status")).to_have_text("Offline")
    # Meanwhile bob, online, edits the node after the pasted ones.
    row(bob, "Later").click()
    bob.page.keyboard.press("End")
    bob.page.keyboard.type(" (bob)")
    converged([bob, carol], ["1|proposal|Debate", "1|proposal|Later (bob)"])

    alice.context.set_offline(False)
    converged(people, [*AFTER, "1|proposal|Later (bob)"])
    for u in people:
        expect(u.page.locator(".status")).to_have_text("Saved")
    applied_once(alice, tree)
    # One Ctrl+Z still takes the whole paste back, for everyone.
    row(alice, "Amplification").click()
    alice.page.keyboard.press("Escape")
    alice.page.keyboard.press("Control+z")
    converged(people, ["1|proposal|Debate", "1|proposal|Later (bob)"])
    for u in people:
        assert u.errors == []


@pytest.mark.parametrize("reached_server", [False, True], ids=["unsent", "unanswered"])
def test_a_pasted_list_then_a_reload_before_the_answer_is_neither_lost_nor_doubled(
    three_on_one_tree: Any, patient_expect: None, reached_server: bool
) -> None:
    """alice pastes and reloads before any answer: her ops either never left (unsent) or the
    server applied them and the answers were lost (unanswered). The reloaded page resends them
    from the outbox with their numbers: applied once either way."""
    people, tree, debate = paste_tree(three_on_one_tree)
    alice, bob, carol = people
    gate = SocketGate(alice.page)
    for u in people:
        u.open_tree(tree)
    # alice hears no answer; the server gets her ops only in the "unanswered" case.
    gate.down = "drop"
    gate.up = "pass" if reached_server else "drop"
    paste_over(alice, debate, "Debate")
    converged([alice], [*AFTER, "1|proposal|Later"])
    if reached_server:
        converged([bob, carol], [*AFTER, "1|proposal|Later"])
    else:
        converged([bob, carol], ["1|proposal|Debate", "1|proposal|Later"])
    expect(alice.page.locator(".status")).not_to_have_text("Saved")

    gate.release()  # the reloaded page's socket goes through
    alice.page.reload()
    alice.page.wait_for_selector("body[data-tree-ready]")
    converged(people, [*AFTER, "1|proposal|Later"])
    expect(alice.page.locator(".status")).to_have_text("Saved")
    outbox_emptied(alice.page)
    applied_once(alice, tree)
    for u in people:
        assert u.errors == []


def toast(user: Any, text: str) -> Any:
    return user.page.locator("#toasts .toast", has_text=text)


def test_a_paste_that_would_not_fit_is_refused_whole_with_the_limit_and_nothing_is_cut(
    users: Any,
) -> None:
    # A walkthrough pasted 60,000 characters into a node and kept 2,000 (the rest gone, a
    # toast said the limit), and 300 lines as an outline and kept 200 nodes.
    alice, bob = users("alice"), users("bob")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "Long pastes"})["id"]
    alice.api("POST", f"/api/trees/{tree}/members/", {"username": "bob", "role": "editor"})
    debate = str(uuid.uuid4())
    seed(
        alice,
        tree,
        [
            {"kind": "create", "id": debate, "type": "proposal", "parent": None, "key": "a0"}
            | {"text": "Debate"},
        ],
    )
    for u in (alice, bob):
        u.open_tree(tree)
    before = ["1|proposal|Debate"]
    converged([alice, bob], before)
    page = alice.page
    row(alice, "Debate").click()
    page.keyboard.press("End")

    # 60,000 characters: too long for the text and for the note; nothing pasted
    assert page.evaluate(PASTE_JS, [debate, "X" * 60000]) is True
    refused = toast(alice, "The pasted text is 60,000 characters")
    expect(refused).to_contain_text("a node's text takes at most 2,000 (this one has 6 already)")
    expect(refused).to_contain_text("too long for the note too: at most 20,000 characters")
    expect(refused.get_by_role("button", name="Paste into the note")).to_have_count(0)

    # 300 lines: refused whole, pointing to Import; not 200 of them
    lines = "\n".join(f"- pasted line {i}" for i in range(300))
    assert page.evaluate(PASTE_JS, [debate, lines]) is True
    expect(
        toast(alice, "That paste has 300 lines; a paste makes at most 200 nodes")
    ).to_contain_text("Import… on the tree list")

    # 3,000 characters: refused from the text, and put into the note when asked (one edit)
    long = "A long paragraph from a paper. " * 100
    assert page.evaluate(PASTE_JS, [debate, long]) is True
    offer = toast(alice, "The pasted text is 3,100 characters")
    offer.get_by_role("button", name="Paste into the note").click()
    expect(page.get_by_label("Note")).to_have_value(long.strip(), timeout=LIVE)
    converged([alice, bob], before)
    bob.page.locator("li.node > .row > .text", has_text="Debate").click()
    expect(bob.page.get_by_label("Note")).to_have_value(long.strip(), timeout=LIVE)

    # an insertion over the limit that is not a paste (a drop, a long insertion) is taken
    # back whole, not cut to the limit
    row(alice, "Debate").click()
    page.keyboard.press("End")
    page.keyboard.insert_text(" " + "long " * 500)
    expect(toast(alice, "Text is limited to 2,000 characters: that was not added.")).to_be_visible()
    converged([alice, bob], before)
    page.reload()
    page.wait_for_selector("body[data-tree-ready]")
    converged([alice], before)
    snap = alice.api("GET", f"/api/trees/{tree}/snapshot/")["nodes"]
    assert [(n["text"], n["note"]) for n in snap if not n["deleted"]] == [("Debate", long.strip())]
    for u in (alice, bob):
        assert u.errors == []
