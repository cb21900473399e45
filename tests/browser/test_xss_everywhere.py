"""User text is text on every screen: a tree title and description, node text, notes and tags
full of markup are shown literally in the tree list, the outliner and its details panel, the
graph and the Analysis tab, and nothing in them runs.

Usernames cannot carry markup: Django allows only letters, digits and @.+-_ in a username, and
there is no sign-up endpoint (users come from the admin or `loaddemo`), while the API exposes
only `username` for people, never first or last names. So that part is not tested here.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from trees.domain.tags import norm_tag

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

IMG = "<img src=x onerror=alert('t')>"
SCRIPT = "<script>alert(1)</script>"
SVG = "<svg onload=alert(2)>"
TITLE = f"Title {IMG}"
DESCRIPTION = f"Description {SCRIPT} {IMG}"
TEXT = f"Proposal {IMG}"
CHILD = f"Critique {SCRIPT}"
NOTE = f"Note {SVG} {IMG} {SCRIPT}"
TAGS = [IMG, SCRIPT]
# Tags are stored in their one spelling (lower case, spaces as hyphens): the markup stays.
SHOWN_TAGS = [norm_tag(t) for t in TAGS]
SVG_TAG = norm_tag(SVG)

NO_PAYLOAD_JS = """() => ({
  img: document.querySelectorAll('img[src="x"]').length,
  svg: document.querySelectorAll('svg[onload]').length,
  onerror: document.querySelectorAll('[onerror], [onload]').length,
  script: [...document.querySelectorAll('script')]
    .filter(s => s.textContent.includes('alert')).length,
})"""


def assert_clean(user: Any, where: str) -> None:
    time.sleep(0.3)  # let any injected onerror/onload handler fire
    found = user.page.evaluate(NO_PAYLOAD_JS)
    assert found == {"img": 0, "svg": 0, "onerror": 0, "script": 0}, (where, found)
    assert user.dialogs == [], (where, user.dialogs)


def test_markup_everywhere_is_shown_as_text_and_runs_nothing(users: Any) -> None:
    alice = users("alice")
    tree = alice.api(
        "POST", "/api/trees/", {"kind": "game", "title": TITLE, "description": DESCRIPTION}
    )
    tree_id = int(tree["id"])
    # Fresh node ids: ids are unique across trees, and a fixed one can meet another test's.
    p1, c1 = str(uuid.uuid4()), str(uuid.uuid4())
    alice.api("POST", f"/api/trees/{tree_id}/members/", {"username": "bob", "role": "viewer"})
    ops = [
        {"kind": "create", "id": p1, "type": "proposal", "parent": None, "key": "a0"},
        {"kind": "set", "id": p1, "field": "text", "value": TEXT},
        {"kind": "set", "id": p1, "field": "note", "value": NOTE},
        {"kind": "set", "id": p1, "field": "tags", "value": TAGS},
        {"kind": "create", "id": c1, "type": "critique", "parent": p1, "key": "a0"},
        {"kind": "set", "id": c1, "field": "text", "value": CHILD},
        {"kind": "set", "id": c1, "field": "tags", "value": [SVG]},
    ]
    for n, op in enumerate(ops, start=1):
        alice.api("POST", f"/api/trees/{tree_id}/ops/", {"client_id": "xss", "n": n, "op": op})
    stored = alice.api("GET", f"/api/trees/{tree_id}/")
    assert stored["title"] == TITLE and stored["description"] == DESCRIPTION

    bob = users("bob")  # a member, not the owner
    p = bob.page

    # The tree list: the title is a link whose text is the payload.
    expect(p.locator("a.tree-link", has_text=TITLE)).to_be_visible()
    assert_clean(bob, "tree list")

    # The outliner, with the proposal selected so the details panel shows its note and tags.
    bob.open_tree(tree_id)
    text = p.locator("li.node > .row > .text")
    expect(text.filter(has_text=TEXT)).to_be_visible()
    expect(text.filter(has_text=CHILD)).to_be_visible()
    expect(p.locator("li.node .tag", has_text=f"#{SHOWN_TAGS[0]}").first).to_be_visible()
    text.filter(has_text=TEXT).click()
    details = p.get_by_label("Node details")
    expect(details.get_by_label("Note")).to_have_value(NOTE)
    for tag in SHOWN_TAGS:
        expect(details.get_by_text(tag).first).to_be_visible()
    expect(p.get_by_text(TITLE).first).to_be_visible()
    assert_clean(bob, "outliner")
    bob.shot("xss-everywhere")

    # The graph draws labels on a canvas; nothing it adds may be markup from the tree.
    p.get_by_role("tab", name="Graph").click()
    expect(p.locator(".graph canvas").first).to_be_attached(timeout=10_000)
    assert_clean(bob, "graph")

    # The Analysis tab lists tags and nodes.
    p.get_by_role("tab", name="Analysis").click()
    pane = p.locator("#pane-analysis")
    expect(pane).to_be_visible()
    expect(pane.get_by_text(IMG).first).to_be_visible(timeout=5000)
    expect(pane.get_by_text(f"#{SVG_TAG}")).to_be_visible(timeout=5000)
    pane.get_by_text(f"#{SVG_TAG}").click()  # open the failure mode's critiques
    expect(pane.get_by_text(CHILD).first).to_be_visible()
    assert_clean(bob, "analysis")
    bob.shot("xss-everywhere-analysis")

    # Back in the outline the payloads are still plain text.
    p.get_by_role("tab", name="Outline").click()
    expect(text.filter(has_text=TEXT)).to_be_visible()
    bob.shot("xss-everywhere")
    assert_clean(bob, "outline again")
    assert alice.errors == [] and bob.errors == []
