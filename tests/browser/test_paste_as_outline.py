"""Pasting a list into a node, as people bring a list from a Google Doc (Workflowy does the
same): several lines become nodes nested by their indentation, each with the type its place
gives, seen live by the other person, and undone in one step."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

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
