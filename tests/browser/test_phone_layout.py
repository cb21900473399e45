"""The tree page on a phone (390 x 844, Chromium): a node's details and tags open next to the
node (a sheet at the bottom of the screen, the node kept above it), not ~2,200 px below the
tree; a node's text keeps whole words on a line next to its tags; the graph fits the whole
tree on a 375 px phone; the type menu shows keyboard shortcuts on a desktop, not a phone; the
Download menu and the shortcuts list fit a 375 px phone."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.browser.helpers import merge

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


PHONE_375 = {"width": 375, "height": 667}
# Each graph node's box on screen (the canvas's place plus the node's rendered box), those not
# inside both the window and the graph's own box, and the whole graph's rendered size.
GRAPH_BOXES_JS = """() => {
  const cy = window.gametree.page.graph.cy;
  const c = cy.container().getBoundingClientRect();
  const out = [];
  cy.nodes().forEach((n) => {
    const b = n.renderedBoundingBox({ includeLabels: false });
    const x1 = c.left + b.x1, x2 = c.left + b.x2, y1 = c.top + b.y1, y2 = c.top + b.y2;
    const inWindow = x1 >= 0 && y1 >= 0 && x2 <= innerWidth && y2 <= innerHeight;
    const inBox = x1 >= c.left && y1 >= c.top && x2 <= c.right && y2 <= c.bottom;
    if (!inWindow || !inBox) out.push([n.data('label').slice(0, 30), x1, y1, x2, y2]);
  });
  const all = cy.nodes().renderedBoundingBox({ includeLabels: false });
  return {
    nodes: cy.nodes().length, outside: out, box: [c.left, c.top, c.right, c.bottom],
    window: [innerWidth, innerHeight], used: [all.w / c.width, all.h / c.height],
  };
}"""


def graph_fits(page: Any, size: dict[str, int]) -> dict[str, Any]:
    """Wait (a few seconds at most) until every node is on screen, then say how it fits."""
    page.wait_for_function(
        f"() => innerWidth === {size['width']} && innerHeight === {size['height']}"
    )
    # On a timeout the assertions below say what is off screen.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            f"() => {{ const r = ({GRAPH_BOXES_JS})(); return r.nodes > 0 && !r.outside.length; }}",
            timeout=5_000,
        )
    out: dict[str, Any] = page.evaluate(GRAPH_BOXES_JS)
    assert out["outside"] == [], out
    # Fitted, not just small: the tree spans its box's width or height.
    assert max(out["used"]) > 0.75, out
    # The graph's box is on screen too (it was 520 px tall, past a phone's fold).
    left, top, right, bottom = out["box"]
    assert left >= 0 and top >= 0 and right <= size["width"] and bottom <= size["height"], out
    assert page.evaluate("() => document.documentElement.scrollHeight") <= size["height"] + 1
    return out


def test_the_graph_fits_the_whole_tree_on_a_phone_when_opened_rotated_and_edited(
    users: Any,
) -> None:
    """At 375 x 667 the graph showed its first column at a legible zoom (the desktop's floor)
    in a box running past the screen's bottom: the tree's shape was off screen until one
    pinched and panned. Now all of it is fitted on opening, after rotating the phone, and after
    someone else adds to the tree."""
    alice = users("alice", viewport=PHONE_375, touch=True)
    bob = users("bob")
    # A game tree three levels deep: 6 proposals, 3 critiques each, 2 patches under each (60).
    outline = "".join(
        f"- Proposal {i}\n"
        + "".join(
            f"  - Critique {i}.{j}\n" + "".join(f"    - Patch {i}.{j}.{k}\n" for k in (1, 2))
            for j in (1, 2, 3)
        )
        for i in range(1, 7)
    )
    game = alice.api(
        "POST", "/api/trees/import/", {"kind": "game", "title": "Phone graph", "text": outline}
    )
    alice.api("POST", f"/api/trees/{game['id']}/members/", {"username": "bob", "role": "editor"})
    alice.open_tree(game["id"])
    p = alice.page
    p.get_by_role("tab", name="Graph").click()
    p.wait_for_function("() => window.gametree.page.graph && window.gametree.page.graph.cy")
    first = graph_fits(p, PHONE_375)
    assert first["nodes"] == 60, first
    expect(p.locator(".graph-bar")).to_contain_text("Pinch to zoom")
    alice.shot("phone-375-graph")

    # Turned sideways, and back.
    landscape = {"width": PHONE_375["height"], "height": PHONE_375["width"]}
    p.set_viewport_size(landscape)
    graph_fits(p, landscape)
    alice.shot("phone-375-graph-landscape")
    p.set_viewport_size(PHONE_375)
    graph_fits(p, PHONE_375)

    # bob adds a branch from his desktop: it arrives live and the tree is fitted again with it.
    op = {
        "kind": "create",
        "id": str(uuid.uuid4()),
        "type": "proposal",
        "parent": None,
        "key": "a9",
        "text": "Bob's late proposal",
    }
    bob.api("POST", f"/api/trees/{game['id']}/ops/", {"client_id": "bob-f", "n": 1, "op": op})
    p.wait_for_function(
        "(n) => window.gametree.page.graph.cy.nodes().length === n", arg=first["nodes"] + 1
    )
    graph_fits(p, PHONE_375)
    assert not alice.errors


def test_the_type_menu_shows_shortcuts_on_a_desktop_and_none_on_a_phone(users: Any) -> None:
    """Ctrl+Shift+1/2/3 in the type menu (and Alt+T in the tag field) mean nothing on a touch
    screen: alice at her desktop sees them, bob on his phone, on the same node, does not."""
    alice = users("alice")
    bob = users("bob", viewport=PHONE_375, touch=True)
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "Hints tree"})["id"]
    alice.api("POST", f"/api/trees/{tree}/members/", {"username": "bob", "role": "editor"})
    op = {
        "kind": "create",
        # node ids are unique across trees: a fixed one collided with another test's node
        "id": str(uuid.uuid4()),
        "type": "proposal",
        "parent": None,
        "key": "a0",
        "text": "Ask the model to explain itself",
    }
    alice.api("POST", f"/api/trees/{tree}/ops/", {"client_id": "hints", "n": 1, "op": op})

    def menu(user: Any) -> tuple[list[str], str, str]:
        user.open_tree(tree)
        user.page.locator("li.node > .row > .text", has_text="Ask the model").click()
        select = user.page.locator("aside.details").get_by_label("Node type")
        expect(select).to_be_visible()
        options = select.locator("option").all_text_contents()
        title = select.get_attribute("title") or ""
        tag = user.page.locator("aside.details").get_by_label("Add a tag")
        return options, title, tag.get_attribute("placeholder") or ""

    options, title, placeholder = menu(alice)
    assert options == ["Proposal (Ctrl+Shift+1)", "Critique (Ctrl+Shift+2)", "Patch (Ctrl+Shift+3)"]
    assert "Ctrl+Shift" in title and "Alt+T" in placeholder

    options, title, placeholder = menu(bob)
    assert options == ["Proposal", "Critique", "Patch"]
    assert "Ctrl" not in title and "Alt" not in placeholder, (title, placeholder)
    bob.shot("phone-375-type-menu")
    assert not alice.errors and not bob.errors


def test_the_download_menu_and_the_shortcuts_fit_a_375_px_phone(users: Any) -> None:
    """The Download menu hung from its button's right edge at 21rem wide: on a phone its
    labels ("Markdown", "OPML", "JSON (backup)") were cut off at the screen's left edge, most
    on a merged tree, whose header puts the button at the start of a line. The shortcuts
    list ran past the dialog's right edge."""
    alice = users("alice", viewport=SMALL_PHONE, touch=True)
    p = alice.page
    width = SMALL_PHONE["width"]
    trees = alice.api("GET", "/api/trees/")
    game = next(t["id"] for t in trees if t["title"].startswith("Workshop game tree"))
    problems = [
        t["id"] for t in trees if t["title"].startswith(("Bob's problem", "Carol's problem"))
    ]
    merged = merge(alice, problems, "Phone download")
    for tree in (game, merged):
        alice.open_tree(tree)
        p.get_by_role("button", name="Download ▾").click()
        menu = p.get_by_role("menu", name="Download as")
        expect(menu).to_be_visible()
        box = menu.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (tree, box)
        assert menu.evaluate("(m) => m.scrollWidth <= m.clientWidth"), tree
        alice.shot(f"phone-375-download-{tree}")
        p.keyboard.press("Escape")

    p.get_by_role("button", name="Keyboard shortcuts").click()
    help_dialog = p.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    assert help_dialog.evaluate("(d) => d.scrollWidth <= d.clientWidth")
    assert p.evaluate(TOO_WIDE_JS, width) == []
    assert not alice.errors
