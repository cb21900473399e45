"""Analysis in real browsers, continued (docs/analysis.md): forking a merged tree into one copy
per person from its page, and the taut-constraint board's failure-mode rows: the problem a
tag points at (set, followed and cleared from the board) and bars proportional to the
scores."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import demo_tree, merge

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

BARS_JS = """() => [...document.querySelectorAll('.an-board tbody.board-item')].map(b => ({
  score: Number(b.querySelector('.score').textContent),
  fill: b.querySelector('.bar-fill').getBoundingClientRect().width,
  track: b.querySelector('.bar').getBoundingClientRect().width,
}))"""


def merged_tree(user: Any, title: str) -> int:
    """Merge the two demo problem trees over REST; the merged tree's id once it exists."""
    sources = [demo_tree(user, p)["id"] for p in ("Bob's problem tree", "Carol's problem tree")]
    return merge(user, sources, title)


def test_a_merged_tree_is_forked_into_one_copy_per_person_from_its_page(users: Any) -> None:
    alice = users("alice")
    p = alice.page
    fork_button = p.get_by_role("button", name="Fork for next round…")

    # A plain problem tree offers no fork: rounds start from a merged tree.
    alice.open_tree(demo_tree(alice, "Bob's problem tree")["id"])
    expect(p.locator(".tree-title")).to_contain_text("Bob's problem tree")
    expect(fork_button).to_be_hidden()

    tree_id = merged_tree(alice, "Round one")
    alice.open_tree(tree_id)
    expect(fork_button).to_be_visible()
    fork_button.click()
    dialog = p.locator("dialog.fork-dialog")
    expect(dialog).to_be_visible()
    people = dialog.locator(".fork-person input")
    expect(people).to_have_count(3)
    assert [people.nth(i).get_attribute("value") for i in range(3)] == ["alice", "bob", "carol"]
    for i in range(3):
        expect(people.nth(i)).to_be_checked()
    dialog.get_by_label("carol").uncheck()
    alice.shot("analysis-fork-dialog")
    dialog.get_by_role("button", name="Fork", exact=True).click()

    copies = dialog.locator(".fork-copies li")
    expect(copies).to_have_count(2)
    expect(dialog.locator(".fork-done")).to_have_text(re.compile(r"^2 copies made"))
    expect(copies.nth(0)).to_have_attribute("data-person", "alice")
    expect(copies.nth(1)).to_have_attribute("data-person", "bob")
    expect(copies.nth(1).locator("a")).to_have_text("Round one (Bob Okafor)")
    # Whose copy it is, by the same name as the title (it said "bob's copy").
    expect(copies.nth(0)).to_have_text("Round one (Alice Chen) · Alice Chen's copy")
    expect(copies.nth(1)).to_contain_text("Bob Okafor's copy")
    alice.shot("analysis-fork-done")

    # The server made them: bob's copy is his, forked from this tree, every node carried over.
    mine = {t["title"]: t for t in alice.api("GET", "/api/trees/")}
    assert {"Round one (Alice Chen)", "Round one (Bob Okafor)"} <= set(mine)
    assert "Round one (Carol Lindqvist)" not in mine
    bobs = mine["Round one (Bob Okafor)"]
    assert bobs["owner"]["username"] == "bob" and bobs["role"] == "editor"
    merged_nodes = alice.api("GET", f"/api/trees/{tree_id}/snapshot/")["nodes"]
    copy_nodes = alice.api("GET", f"/api/trees/{bobs['id']}/snapshot/")["nodes"]
    assert sorted(n["meta"]["origin"] for n in copy_nodes) == sorted(n["id"] for n in merged_nodes)

    # The link opens the copy in the app.
    copies.nth(1).locator("a").click()
    p.wait_for_url(f"{alice.base}/app/trees/{bobs['id']}")
    p.wait_for_selector("body[data-tree-ready]")
    expect(p.locator(".tree-title")).to_have_text("Round one (Bob Okafor)")
    expect(p.locator("dialog.fork-dialog")).to_have_count(0)
    assert not alice.errors


def test_a_viewer_of_a_merged_tree_is_not_offered_the_fork(users: Any) -> None:
    alice = users("alice")
    tree_id = merged_tree(alice, "Round one, watched")
    members = alice.api("GET", f"/api/trees/{tree_id}/members/")
    carol = next(m["user"]["id"] for m in members if m["user"]["username"] == "carol")
    alice.api("PATCH", f"/api/trees/{tree_id}/members/{carol}/", {"role": "viewer"})
    viewer = users("carol")
    viewer.open_tree(tree_id)
    expect(viewer.page.locator(".banner.info")).to_contain_text("view this tree")
    expect(viewer.page.get_by_role("button", name="Fork for next round…")).to_be_hidden()


def test_the_board_links_a_failure_mode_to_its_problem_and_draws_bars_to_scale(
    users: Any,
) -> None:
    alice = users("alice")
    p = alice.page
    game = demo_tree(alice, "Workshop game tree")
    problems = demo_tree(alice, "Bob's problem tree")
    alice.open_tree(game["id"])
    p.get_by_role("tab", name="Analysis").click()
    rows = p.locator(".an-board tbody.board-item")
    expect(rows.first).to_be_visible()

    # The bars: each fill is its score's share of the top score (at least 2%, to stay visible).
    bars = p.evaluate(BARS_JS)
    assert len(bars) >= 3
    top = max(b["score"] for b in bars)
    assert top > 0 and len({b["score"] for b in bars}) >= 2
    for b in bars:
        assert b["track"] > 50, b
        assert b["fill"] / b["track"] == pytest.approx(max(0.02, b["score"] / top), abs=0.01), b
    assert bars[0]["fill"] == pytest.approx(bars[0]["track"], abs=1)

    # Link the first tag to a problem of Bob's problem tree, from the board.
    first = p.locator(".an-board tbody.board-item[data-tag]").first
    tag = first.get_attribute("data-tag")
    first.get_by_role("button", name=f"Link #{tag} to a problem").click()
    dialog = p.locator("dialog.problem-link-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Problem tree").select_option(str(problems["id"]))
    nodes = alice.api("GET", f"/api/trees/{problems['id']}/snapshot/")["nodes"]
    target = next(n for n in nodes if n["parent"] is not None and not n["deleted"])
    problem = dialog.get_by_label("Problem", exact=True)
    expect(problem).to_be_enabled()
    expect(problem.locator(f"option[value='{target['id']}']")).to_have_count(1)
    problem.select_option(target["id"])
    alice.shot("analysis-problem-link-dialog")
    dialog.get_by_role("button", name="Save link").click()
    expect(p.locator("dialog.problem-link-dialog")).to_have_count(0)

    row = p.locator(f".an-board tbody.board-item[data-tag='{tag}']")
    link = row.locator(".board-problem a.problem-link")
    expect(link).to_have_attribute("href", f"/app/trees/{problems['id']}#node={target['id']}")
    saved = {t["tag"]: t for t in alice.api("GET", "/api/tags/")}[tag]["problem"]
    assert (saved["tree"], saved["node"]) == (problems["id"], target["id"])
    assert target["text"].startswith(saved["label"].rstrip("…"))
    expect(link).to_have_text(saved["label"])
    alice.shot("analysis-board-problem-link")

    # Following it opens the problem tree on that node.
    link.click()
    p.wait_for_url(re.compile(rf"/app/trees/{problems['id']}#node="))
    p.wait_for_selector("body[data-tree-ready]")
    expect(p.locator("li.node.active > .row > .text")).to_have_text(target["text"])

    # Back on the board, the link can be changed or removed.
    alice.open_tree(game["id"])
    p.get_by_role("tab", name="Analysis").click()
    row = p.locator(f".an-board tbody.board-item[data-tag='{tag}']")
    expect(row.locator(".board-problem a.problem-link")).to_have_text(saved["label"])
    row.get_by_role("button", name=f"Change or remove the problem #{tag} shows").click()
    dialog = p.locator("dialog.problem-link-dialog")
    expect(dialog.get_by_label("Problem", exact=True)).to_have_value(target["id"])
    dialog.get_by_role("button", name="Remove link").click()
    expect(row.locator(".board-problem a.problem-link")).to_have_count(0)
    expect(row.get_by_role("button", name=f"Link #{tag} to a problem")).to_be_visible()
    assert {t["tag"]: t for t in alice.api("GET", "/api/tags/")}[tag]["problem"] is None
    assert not alice.errors
