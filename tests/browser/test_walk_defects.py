"""Defects a new user's walkthrough found, each pinned in real Chromium against the real server:
geometry by bounding boxes, what is shown by visibility, controls by their accessible names."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import LIVE, demo_tree, row_text, submit
from tests.browser.test_workshop_join import create_workshop

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]


def fully_shown(page: Any, selector: str) -> None:
    """The element's text fits its box (nothing clipped or scrolled away) and the box lies
    inside the viewport."""
    el = page.locator(selector)
    expect(el).to_be_visible()
    fits = el.evaluate(
        "e => ({sw: e.scrollWidth, cw: e.clientWidth, sh: e.scrollHeight, ch: e.clientHeight})"
    )
    assert fits["sw"] <= fits["cw"], f"{selector}: text {fits['sw']}px wide in a {fits['cw']}px box"
    assert fits["sh"] <= fits["ch"], f"{selector}: text {fits['sh']}px tall in a {fits['ch']}px box"
    box = el.bounding_box()
    view = page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0, f"{selector} starts off screen: {box}"
    assert box["x"] + box["width"] <= view["width"], f"{selector} runs off the right: {box}"
    assert box["y"] + box["height"] <= view["height"], f"{selector} runs off the bottom: {box}"


def test_show_to_the_room_fills_the_screen_with_the_whole_code_and_link(users: Any) -> None:
    alice = users("alice")
    _, code, link = create_workshop(alice, "Projector check")
    p = alice.page
    for size in ({"width": 1280, "height": 800}, {"width": 1920, "height": 1080}, PHONE):
        p.set_viewport_size(size)
        p.get_by_role("button", name="Show to the room").click()
        dialog = p.get_by_role("dialog", name="Join the workshop")
        expect(dialog).to_be_visible()
        code_el = dialog.locator(".join-code")
        expect(code_el).to_have_text(f"{code[:3]} {code[3:]}")
        fully_shown(p, "dialog .join-code")
        fully_shown(p, "dialog .join-url")
        expect(dialog.locator(".join-url")).to_have_text(link)
        # Large type that grows with the screen: the code spans most of the width.
        width = code_el.evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e);"
            " return r.getBoundingClientRect().width; }"
        )
        assert width >= 0.6 * size["width"], (
            f"the code is {width}px wide on a {size['width']}px screen"
        )
        dialog.get_by_role("button", name="Close").click()
        expect(dialog).to_be_hidden()


def test_a_tree_you_cannot_read_shows_a_not_found_page_with_a_way_back(users: Any) -> None:
    alice, carol = users("alice"), users("carol")
    tree = alice.api("POST", "/api/trees/", {"kind": "problem", "title": "Alice alone"})["id"]
    p = carol.page
    for tree_id in (tree, 999_999):  # never shared with carol; does not exist at all
        p.goto(f"{carol.base}/app/trees/{tree_id}")
        expect(p.get_by_role("heading", name="Tree not found", level=1)).to_be_visible(timeout=LIVE)
        expect(p.get_by_text("This tree does not exist or is not shared with you.")).to_be_visible()
        # None of the editor: no tabs, find bar, outline, history or download, no save status.
        for name in ("Trash", "Versions", "Download", "Rename tags…", "Expand all"):
            expect(p.get_by_role("button", name=name)).to_have_count(0)
        expect(p.get_by_role("tab")).to_have_count(0)
        expect(p.locator(".status")).to_have_count(0)
        expect(p.get_by_role("searchbox")).to_have_count(0)
        # No error toast on top of the page that already says it.
        expect(p.locator(".toast")).to_have_count(0)
        back = p.get_by_role("link", name="Back to my trees")
        expect(back).to_be_visible()
    back.click()
    expect(p.get_by_text("My trees")).to_be_visible()
    assert p.url.rstrip("/") == carol.base


def one_line(page: Any, selector: str) -> None:
    """Every shown child of the element sits on the same line (none wrapped to a second);
    the message lists each child's text, middle and width."""
    tops = page.locator(selector).evaluate(
        "e => [...e.children].filter(c => c.getClientRects().length && c.offsetWidth)"
        ".map(c => [c.textContent || c.getAttribute('aria-label') || c.tagName,"
        " Math.round(c.getBoundingClientRect().top + c.getBoundingClientRect().height / 2),"
        " Math.round(c.getBoundingClientRect().width)])"
    )
    middles = {m for _, m, _ in tops}
    assert max(middles) - min(middles) <= 4, f"{selector} wraps: {tops}"


def test_the_outline_toolbar_fits_one_line_at_1280_px_on_the_demo_game_tree(users: Any) -> None:
    alice = users("alice")
    alice.open_tree(demo_tree(alice, "Workshop game tree")["id"])
    p = alice.page
    expect(p.get_by_text("Broken proposals")).to_be_visible(timeout=LIVE)
    expect(p.get_by_role("button", name="Collapse all")).to_be_visible()
    one_line(p, ".findbar")
    # Filtering by the longest tag adds a count of matches: still one line.
    tags = p.get_by_label("Filter by tag")
    tags.focus()
    longest = max((t for t in tags.locator("option").all_inner_texts() if t != "All tags"), key=len)
    tags.select_option(label=longest)
    expect(p.locator(".findbar .count")).to_contain_text("match")
    one_line(p, ".findbar")


def test_merge_with_search_results_are_a_list_reached_by_the_down_arrow(users: Any) -> None:
    alice = users("alice")
    tree = int(alice.api("POST", "/api/trees/", {"kind": "problem", "title": "Arrows"})["id"])
    texts = ["Alignment", "Reward hacking", "Reward tampering", "Reward model errors"]
    submit(alice, tree, [{"kind": "create", "id": str(uuid.uuid4()), "type": "problem",
                          "parent": None, "text": t} for t in texts])  # fmt: skip
    alice.open_tree(tree)
    p = alice.page
    row_text(p, "Alignment").click()
    details = p.locator("aside.details")
    search = details.get_by_role("searchbox", name="Merge with another problem")
    search.fill("reward")
    results = details.get_by_role("list", name="Problems to merge with")
    expect(results.get_by_role("button")).to_have_count(3)
    search.press("ArrowDown")
    expect(results.get_by_role("button").nth(0)).to_be_focused()
    p.keyboard.press("ArrowDown")
    expect(results.get_by_role("button").nth(1)).to_be_focused()
    p.keyboard.press("End")
    expect(results.get_by_role("button").nth(2)).to_be_focused()
    p.keyboard.press("ArrowDown")  # wraps round to the first
    expect(results.get_by_role("button").nth(0)).to_be_focused()
    p.keyboard.press("ArrowUp")  # above the first: back to the search field
    expect(search).to_be_focused()
    # The same in "Also under another problem".
    also = details.get_by_role("searchbox", name="Also put under another problem")
    also.fill("reward")
    also.press("ArrowDown")
    under = details.get_by_role("list", name="Problems to put it under")
    expect(under.get_by_role("button").nth(0)).to_be_focused()
    p.keyboard.press("Escape")
    expect(also).to_be_focused()


def test_end_round_is_named_by_its_visible_text_first(users: Any) -> None:
    alice = users("alice")
    w = alice.api("POST", "/api/workshops/", {"title": "Label in name"})
    ex = alice.api(
        "POST",
        f"/api/workshops/{w['id']}/exercises/",
        {"template": "problem_tree", "title": "Problem tree", "duration_seconds": 600},
    )["exercises"][0]
    alice.api("POST", f"/api/workshops/{w['id']}/rounds/{ex['rounds'][0]['id']}/start/", {})
    p = alice.page
    p.goto(f"{alice.base}/app/workshops/{w['id']}")
    p.wait_for_selector("body[data-workshop-ready]")
    end = p.get_by_role("button", name="End round: Problem tree, round 1", exact=True)
    expect(end).to_have_text("End round")


def test_rename_tags_starts_at_the_first_tag_to_tick(users: Any) -> None:
    alice = users("alice")
    alice.open_tree(demo_tree(alice, "Workshop game tree")["id"])
    p = alice.page
    p.get_by_role("button", name="Rename tags…").click()
    dialog = p.get_by_role("dialog", name="Rename or merge tags")
    boxes = dialog.get_by_role("checkbox")
    expect(boxes.first).to_be_focused()
    p.keyboard.press("Space")
    expect(boxes.first).to_be_checked()


def test_a_problem_trees_node_offers_tags_not_failure_mode_tags(users: Any) -> None:
    alice = users("alice")
    tree = int(alice.api("POST", "/api/trees/", {"kind": "problem", "title": "Tag words"})["id"])
    submit(alice, tree, [{"kind": "create", "id": str(uuid.uuid4()), "type": "problem",
                          "parent": None, "text": "Alignment"}])  # fmt: skip
    alice.open_tree(tree)
    row_text(alice.page, "Alignment").click()
    details = alice.page.locator("aside.details")
    expect(details.get_by_text("Tags", exact=True)).to_be_visible()
    expect(details.get_by_text("Failure-mode tags")).to_have_count(0)
    # A game tree's critiques keep the failure-mode wording.
    alice.open_tree(demo_tree(alice, "Workshop game tree")["id"])
    alice.page.locator("li.node > .row > .text").nth(1).click()
    expect(alice.page.locator("aside.details").get_by_text("Failure-mode tags")).to_be_visible()


def test_the_board_names_a_persons_tree_once(users: Any, guests: Any) -> None:
    alice = users("alice")
    w = alice.api("POST", "/api/workshops/", {"title": "Names once"})
    quinn = guests()
    quinn.page.goto(f"{alice.base}/join/{w['join_token']}")
    quinn.page.get_by_label("Your name").fill("Quinn")
    quinn.page.get_by_role("button", name="Join").click()
    expect(quinn.page.get_by_text("You are Quinn.")).to_be_visible()
    alice.api("POST", f"/api/workshops/{w['id']}/groups/draw/", {"size": 2})
    [ex] = alice.api(
        "POST",
        f"/api/workshops/{w['id']}/exercises/",
        {"template": "problem_tree", "title": "Problem tree", "rounds": 1},
    )["exercises"]
    alice.api("POST", f"/api/workshops/{w['id']}/rounds/{ex['rounds'][0]['id']}/start/", {})
    p = alice.page
    p.goto(f"{alice.base}/app/workshops/{w['id']}/board")
    link = p.locator("a.board-tree-link")
    expect(link).to_have_count(1, timeout=LIVE)
    expect(link).to_have_text("Problem tree — Quinn")
