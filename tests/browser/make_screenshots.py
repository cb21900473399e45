"""Take the README screenshots (docs/images/outliner.png, docs/images/graph.png).

Run by hand from the repository root (not part of the test suite):

    .venv/bin/python -m tests.browser.make_screenshots

It starts the same server as the browser tests (daphne, a fresh SQLite database with the
demo data, frontend/dist) and drives Debian's Chromium at 1280x800.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import expect, sync_playwright

from tests.browser import conftest

OUT = conftest.ROOT / "docs" / "images"
VIEWPORT = {"width": 1280, "height": 800}


def _tree(user: conftest.User, kind: str, title_start: str) -> int:
    trees = user.api("GET", "/api/trees/")
    found = [t for t in trees if t["kind"] == kind and t["title"].startswith(title_start)]
    found = found or [t for t in trees if t["kind"] == kind]
    return int(found[0]["id"])


def outliner(browser: Any, base: str, path: Path) -> None:
    alice = conftest.User(browser, base, "alice", VIEWPORT)
    bob = conftest.User(browser, base, "bob", VIEWPORT)
    game = _tree(alice, "game", "Workshop game tree")
    alice.open_tree(game)
    bob.open_tree(game)
    p = alice.page
    # Everything collapsed, then the first two proposals opened a level or two deep.
    p.get_by_role("button", name="Collapse all").click()
    top = p.locator("ul.tree > li.node")
    for i in (0, 1):
        item = top.nth(i)
        item.locator(":scope > .row > .toggle").click()
        expect(item).to_have_attribute("aria-expanded", "true")
    first_child = top.nth(0).locator(":scope > ul > li.node").first
    if first_child.get_attribute("aria-expanded") == "false":
        first_child.locator(":scope > .row > .toggle").click()
    # bob is editing a node: alice sees him in the roster and on the row.
    target = top.nth(1).locator(":scope > ul > li.node").first
    target_text = target.locator(":scope > .row > .text").inner_text()
    bob.page.locator("li.node > .row > .text", has_text=target_text[:40]).first.click()
    expect(target.locator(":scope > .row .marker", has_text="bob")).to_be_visible(timeout=5000)
    # alice has a node selected, so the details panel shows its note and tags.
    top.nth(0).locator(":scope > ul > li.node").first.locator(":scope > .row > .text").click()
    p.keyboard.press("Escape")
    p.mouse.move(0, 0)
    p.wait_for_timeout(300)
    p.screenshot(path=str(path))
    bob.close()
    alice.close()


def graph(browser: Any, base: str, path: Path, which: str = "Bob's problem tree") -> None:
    alice = conftest.User(browser, base, "alice", VIEWPORT)
    problem = _tree(alice, "problem", which)
    alice.open_tree(problem)
    p = alice.page
    p.get_by_role("tab", name="Graph").click()
    p.wait_for_selector("#pane-graph canvas")
    p.wait_for_timeout(1000)  # layout
    # Readable labels: zoom so the tree is centred across the pane, its top in view.
    p.evaluate(
        """(zoom) => {
          const cy = window.gametree.page.graph.cy;
          const bb = cy.elements().boundingBox();
          cy.zoom(zoom);
          cy.pan({ x: cy.width() / 2 - ((bb.x1 + bb.x2) / 2) * zoom, y: 24 - bb.y1 * zoom });
        }""",
        0.6,
    )
    p.wait_for_timeout(500)
    p.mouse.move(0, 0)
    p.screenshot(path=str(path))
    alice.close()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    server = contextlib.contextmanager(conftest.gametree_server.__wrapped__)
    with server() as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=conftest.CHROMIUM, args=conftest.CHROMIUM_ARGS)
        try:
            outliner(browser, base, OUT / "outliner.png")
            graph(browser, base, OUT / "graph.png")
        finally:
            browser.close()
    for name in ("outliner.png", "graph.png"):
        f = OUT / name
        print(f"{f.relative_to(conftest.ROOT)}: {f.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
