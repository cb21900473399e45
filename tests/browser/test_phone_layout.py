"""The tree page on a phone (390 x 844, Chromium): a node's details and tags open next to the
node (a sheet at the bottom of the screen, the node kept above it), not ~2,200 px below the
tree; and a node's text keeps whole words on a line next to its tags."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PHONE = {"width": 390, "height": 844}

# Rows whose words a line break split: a word's text range covering two or more lines.
SPLIT_WORDS_JS = """(limit) => {
  const out = [];
  const rows = [...document.querySelectorAll('ul.tree li.node > .row')]
    .filter((r) => r.querySelector(':scope > .tags .tag'));
  for (const row of rows.slice(0, limit)) {
    const text = row.querySelector(':scope > .text');
    const node = text.firstChild;
    if (!node || node.nodeType !== Node.TEXT_NODE) continue;
    const s = node.textContent;
    // A line may break after a hyphen or slash ("long-|horizon"); never inside a word.
    const re = /[^\\s\\-\\u2010-\\u2014\\/]+/g;
    let m;
    while ((m = re.exec(s))) {
      const r = document.createRange();
      r.setStart(node, m.index);
      r.setEnd(node, m.index + m[0].length);
      const rects = [...r.getClientRects()].filter((q) => q.width > 0);
      const tops = new Set(rects.map((q) => Math.round(q.top)));
      if (tops.size > 1) out.push([m[0], s.slice(0, 40)]);
    }
  }
  return {checked: Math.min(rows.length, limit), split: out};
}"""


def test_details_and_tags_open_next_to_the_node_on_a_phone(users: Any) -> None:
    alice = users("alice", viewport=PHONE)
    game = next(
        t for t in alice.api("GET", "/api/trees/") if t["title"].startswith("Workshop game tree")
    )
    alice.open_tree(game["id"])
    p = alice.page
    details = p.locator("aside.details")
    # Nothing selected: no sheet covers the tree.
    expect(details).to_be_hidden()

    # A critique far down the tree (the old layout put the panel below all of it).
    rows = p.locator("li.node.t-critique > .row > .text")
    target = rows.nth(rows.count() // 2)
    target.scroll_into_view_if_needed()
    target.click()
    expect(details).to_be_visible()
    expect(details).to_contain_text("Critique")
    p.wait_for_timeout(300)  # the sheet's height reaches the scroll padding

    row = p.locator("li.node.active > .row").bounding_box()
    sheet = details.bounding_box()
    assert row and sheet
    # The sheet is on screen, at its bottom, and the node is visible just above it.
    assert sheet["y"] >= 0 and sheet["y"] + sheet["height"] <= PHONE["height"] + 1, sheet
    assert sheet["height"] <= PHONE["height"] * 0.5, sheet
    assert row["y"] >= 0 and row["y"] + row["height"] <= sheet["y"] + 1, (row, sheet)
    assert sheet["y"] - (row["y"] + row["height"]) < PHONE["height"], (row, sheet)

    # The tags are reachable in the sheet without leaving the node.
    tag_input = details.get_by_label("Add a tag")
    tag_input.scroll_into_view_if_needed()
    box = tag_input.bounding_box()
    assert box and sheet["y"] - 1 <= box["y"] and box["y"] + box["height"] <= PHONE["height"] + 1
    tag_input.fill("phone-tag")
    tag_input.press("Enter")
    expect(p.locator("li.node.active > .row .tags")).to_contain_text("#phone-tag")
    row = p.locator("li.node.active > .row").bounding_box()
    assert row and 0 <= row["y"] < PHONE["height"], row
    alice.shot("phone-details-sheet")

    # The sheet folds down to its header and opens again.
    toggle = details.locator(".sheet-close")
    toggle.click()
    expect(details.get_by_label("Note")).to_be_hidden()
    folded = details.bounding_box()
    assert folded and folded["height"] < 80, folded
    toggle.click()
    expect(details.get_by_label("Note")).to_be_visible()


def test_text_next_to_tags_does_not_break_words_on_a_phone(users: Any) -> None:
    alice = users("alice", viewport=PHONE)
    game = next(
        t for t in alice.api("GET", "/api/trees/") if t["title"].startswith("Workshop game tree")
    )
    alice.open_tree(game["id"])
    p = alice.page
    p.get_by_role("button", name="Expand all").click()
    out = p.evaluate(SPLIT_WORDS_JS, 60)
    assert out["checked"] >= 20, out
    assert out["split"] == [], out["split"][:10]
    # Nothing is wider than the screen.
    assert p.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"] + 1


SMALL_PHONE = {"width": 375, "height": 740}
# Elements wider than the screen whose parent is not (the one that breaks the layout), unless
# that parent scrolls them sideways (a wide table in its own scroll box is fine).
TOO_WIDE_JS = """(vw) => [...document.querySelectorAll('body *')]
  .filter((e) => e.getBoundingClientRect().right > vw + 1
    && e.parentElement.getBoundingClientRect().right <= vw + 1
    && getComputedStyle(e.parentElement).overflowX === 'visible')
  .map((e) => e.tagName + '.' + e.className)"""


def test_the_analysis_tab_the_merge_review_and_the_import_dialog_fit_a_375_px_phone(
    users: Any,
) -> None:
    """They were 682-845 px wide on a 375 px screen: the analysis sections in a grid column as
    wide as their tables, the import dialog's two columns at their content's width."""
    alice = users("alice", viewport=SMALL_PHONE)
    p = alice.page
    width = SMALL_PHONE["width"]
    trees = alice.api("GET", "/api/trees/")
    game = next(t for t in trees if t["title"].startswith("Workshop game tree"))
    problems = [
        t["id"] for t in trees if t["title"].startswith(("Bob's problem", "Carol's problem"))
    ]
    alice.open_tree(game["id"])
    p.get_by_role("tab", name="Analysis").click()
    expect(p.locator("table.board tbody.board-item").first).to_be_attached(timeout=15_000)
    assert p.evaluate(TOO_WIDE_JS, width) == []
    assert p.evaluate("() => document.documentElement.scrollWidth") <= width + 1

    merge = alice.api("POST", "/api/merges/", {"trees": problems, "title": "Phone review"})
    for _ in range(600):
        if merge.get("status") == "done":
            break
        assert merge.get("status") not in ("failed", "error"), merge
        p.wait_for_timeout(100)
        merge = alice.api("GET", merge["url"])
    p.goto(f"{alice.base}/app/trees/{merge['tree']['id']}#review")
    expect(p.get_by_role("heading", name="Merge review")).to_be_visible()
    expect(p.locator("section.review li.sugg").first).to_be_visible(timeout=15_000)
    assert p.evaluate(TOO_WIDE_JS, width) == []
    assert p.evaluate("() => document.documentElement.scrollWidth") <= width + 1
    alice.shot("phone-375-review")

    p.goto(f"{alice.base}/")
    p.get_by_role("button", name="Import…").click()
    dialog = p.locator("dialog.import-dialog")
    expect(dialog).to_be_visible()
    assert p.evaluate(TOO_WIDE_JS, width) == []
    assert dialog.evaluate("(d) => d.scrollWidth <= d.clientWidth")
    assert not alice.errors
