"""Take the README and user-guide screenshots (docs/images/).

Run by hand from the repository root (not part of the test suite):

    .venv/bin/python -m tests.browser.make_screenshots            # all of them
    .venv/bin/python -m tests.browser.make_screenshots --guide    # docs/guide.md's only

It starts the same server as the browser tests (daphne, a fresh SQLite database with the
demo data, frontend/dist) and drives Debian's Chromium at 1280x800 (the phone one at
390x844). The guide's pictures follow its two exercises step by step (docs/guide.md): each
step is done through the web client as a user would, so a picture that cannot be taken is a
step that no longer works.
"""

from __future__ import annotations

import argparse
import contextlib
import re
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


# ------------------------------------------------------------------------------ the guide

GUIDE = [
    "guide-1-new-tree.png",
    "guide-2-game-tree.png",
    "guide-3-taut-constraints.png",
    "guide-4-problem-tree.png",
    "guide-5-merge.png",
    "guide-6-review.png",
    "guide-7-fork.png",
    "guide-8-merge-again.png",
    "guide-9-phone.png",
]


def _snap(page: Any, name: str) -> None:
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    page.screenshot(path=str(OUT / name))


def _text(page: Any, text: str) -> Any:
    return page.locator("li.node > .row > .text", has_text=text).first


def _add_tag(page: Any, tag: str) -> None:
    """Click the details panel's tag field and type, as a user does."""
    active = page.locator("li.node.active > .row")
    box = page.get_by_label("Add a tag")
    box.click()
    page.keyboard.type(tag)
    page.keyboard.press("Enter")
    active.locator(".tags .tag", has_text=f"#{tag}").wait_for()


def guide_game(browser: Any, base: str) -> None:
    """Exercise 1: a group builds an alignment game tree, then reads its taut constraints."""
    alice = conftest.User(browser, base, "alice", VIEWPORT)
    bob = conftest.User(browser, base, "bob", VIEWPORT)
    p = alice.page
    p.get_by_label("Kind").select_option("game")
    p.get_by_label("Title").fill("Group 1: game tree")
    _snap(p, "guide-1-new-tree.png")
    p.get_by_role("button", name="Create").click()
    p.wait_for_selector("body[data-tree-ready]")
    tree = int(re.search(r"/app/trees/(\d+)", p.url).group(1))  # type: ignore[union-attr]
    alice.api("POST", f"/api/trees/{tree}/members/", {"username": "bob", "role": "editor"})

    p.get_by_role("button", name="Add the first proposal").click()
    p.keyboard.type("Train an honest assistant with debate between two copies")
    p.keyboard.press("Enter")  # a sibling proposal...
    p.keyboard.press("Tab")  # ...indented under the first: a critique
    p.keyboard.type("The judge cannot check the debaters' claims; the better liar wins")
    _add_tag(p, "deception")
    _text(p, "The judge cannot").click()
    p.keyboard.press("End")
    p.keyboard.press("Enter")
    p.keyboard.press("Tab")  # under the critique: a patch
    p.keyboard.type("Let the judge ask for a cited source for every factual claim")
    p.keyboard.press("Enter")
    p.keyboard.press("Tab")  # under the patch: a critique of the patch
    p.keyboard.type("Sources can be cherry-picked; the liar cites selectively")
    _add_tag(p, "deception")
    p.keyboard.press("Escape")
    # bob, in the same tree at the same time, adds a second proposal at the top level.
    bob.open_tree(tree)
    bob.page.get_by_role("button", name="Collapse all").click()
    bob.page.locator("ul.tree > li.node > .row > .text").first.click()
    bob.page.keyboard.press("End")
    bob.page.keyboard.press("Enter")
    bob.page.keyboard.type("Imitate a trusted human's judgement, trained on their choices")
    bob.page.keyboard.press("Enter")
    bob.page.keyboard.press("Tab")
    bob.page.keyboard.type("Imitation copies the human's blind spots and can be gamed")
    _add_tag(bob.page, "deception")
    bob.page.keyboard.press("Escape")
    _text(p, "Imitation copies").wait_for()
    _text(p, "Sources can be cherry-picked").click()
    p.keyboard.press("Escape")
    _snap(p, "guide-2-game-tree.png")
    bob.close()

    # The taut constraints of the demo game tree (fifteen proposals): survival and the board.
    game = _tree(alice, "game", "Workshop game tree")
    alice.open_tree(game)
    p.get_by_role("tab", name="Analysis").click()
    p.locator("table.board tbody.board-item").first.wait_for()
    p.mouse.move(0, 0)
    p.wait_for_timeout(300)
    # The whole board with its column definitions (taller than the screen).
    p.locator(".an-board").screenshot(path=str(OUT / "guide-3-taut-constraints.png"))
    alice.close()


def guide_problem(browser: Any, base: str) -> None:
    """Exercise 2: problem trees drawn alone, merged, reviewed, forked, extended, merged again."""
    alice = conftest.User(browser, base, "alice", VIEWPORT)
    p = alice.page
    bobs = _tree(alice, "problem", "Bob's problem tree")
    alice.open_tree(bobs)
    p.get_by_role("button", name="Collapse all").click()
    top = p.locator("ul.tree > li.node").first
    top.locator(":scope > .row > .toggle").click()
    for i in range(2):
        child = top.locator(":scope > ul > li.node").nth(i)
        if child.get_attribute("aria-expanded") == "false":
            child.locator(":scope > .row > .toggle").click()
    _snap(p, "guide-4-problem-tree.png")

    p.locator("a.back").click()
    p.wait_for_selector("text=My trees")
    for prefix in ("Bob's problem tree", "Carol's problem tree"):
        p.locator("li.tree-item", has_text=prefix).locator("input.pick-tree").check()
    p.get_by_role("button", name="Merge trees…").click()
    p.get_by_label("Title of the merged tree").fill("Big ASS Tree, round 1")
    _snap(p, "guide-5-merge.png")
    p.get_by_role("button", name="Merge", exact=True).click()
    p.wait_for_url(re.compile(r"/app/trees/\d+#review$"), timeout=120_000)
    merged = int(re.search(r"/app/trees/(\d+)", p.url).group(1))  # type: ignore[union-attr]
    queue = p.locator("section.review li.sugg")
    queue.first.wait_for()
    queue.first.get_by_role("button", name="Accept").click()
    queue.nth(1).get_by_role("button", name="Reject").click()
    p.locator("section.review").scroll_into_view_if_needed()
    _snap(p, "guide-6-review.png")

    alice.open_tree(merged)
    p.get_by_role("button", name="Fork for next round…").click()
    dialog = p.locator("dialog.fork-dialog")
    dialog.get_by_label("carol").uncheck()
    dialog.get_by_role("button", name="Fork", exact=True).click()
    dialog.locator(".fork-done").wait_for()
    _snap(p, "guide-7-fork.png")
    copies = {t["title"]: t["id"] for t in alice.api("GET", "/api/trees/")}
    dialog.get_by_role("button", name="Close").click()

    # Each extends their copy alone: alice adds a problem to hers.
    alice.open_tree(copies["Big ASS Tree, round 1 (Alice Chen)"])
    p.locator("ul.tree > li.node > .row > .text").first.click()
    p.keyboard.press("End")
    p.keyboard.press("Enter")
    p.keyboard.type("Evaluations stop working once the model knows it is being tested")
    p.keyboard.press("Escape")
    p.locator("a.back").click()
    p.wait_for_selector("text=My trees")
    for title in ("Big ASS Tree, round 1 (Alice Chen)", "Big ASS Tree, round 1 (Bob Okafor)"):
        p.locator("li.tree-item", has_text=title).locator("input.pick-tree").check()
    p.get_by_role("button", name="Merge trees…").click()
    p.get_by_label("Title of the merged tree").fill("Big ASS Tree, round 2")
    _snap(p, "guide-8-merge-again.png")
    p.get_by_role("button", name="Merge", exact=True).click()
    p.wait_for_url(re.compile(r"/app/trees/\d+#review$"), timeout=120_000)
    alice.close()


def guide_phone(browser: Any, base: str) -> None:
    alice = conftest.User(browser, base, "alice", {"width": 390, "height": 844})
    alice.open_tree(_tree(alice, "game", "Workshop game tree"))
    p = alice.page
    rows = p.locator("li.node.t-critique > .row > .text")
    target = rows.nth(3)
    target.scroll_into_view_if_needed()
    target.click()
    p.keyboard.press("Escape")
    _snap(p, "guide-9-phone.png")
    alice.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.browser.make_screenshots",
        description="Retake the README and user-guide screenshots into docs/images/.",
    )
    parser.add_argument("--guide", action="store_true", help="only docs/guide.md's pictures")
    only_guide = parser.parse_args().guide
    OUT.mkdir(parents=True, exist_ok=True)
    server = contextlib.contextmanager(conftest.gametree_server.__wrapped__)
    with server() as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=conftest.CHROMIUM, args=conftest.CHROMIUM_ARGS)
        try:
            if not only_guide:
                outliner(browser, base, OUT / "outliner.png")
                graph(browser, base, OUT / "graph.png")
            guide_game(browser, base)
            guide_problem(browser, base)
            guide_phone(browser, base)
        finally:
            browser.close()
    names = ([] if only_guide else ["outliner.png", "graph.png"]) + GUIDE
    for name in names:
        f = OUT / name
        print(f"{f.relative_to(conftest.ROOT)}: {f.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
