"""The facilitator's workshop page and live board on a 375 px phone (every control in reach
without scrolling sideways), and dragging a person between groups while someone joins (the
live update waits for the drop instead of ending the drag). Chromium."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SMALL_PHONE = {"width": 375, "height": 812}

# What sticks out of the viewport sideways, and every control a facilitator uses that does.
LAYOUT_JS = """(root) => {
  const vw = document.documentElement.clientWidth;
  const kinds = ['button', 'select', 'input', 'a', 'summary', '[draggable]'];
  const controls = [...document.querySelectorAll(kinds.map((k) => root + ' ' + k).join(','))]
    .filter((el) => el.getClientRects().length);
  const name = (el) => (el.textContent || el.value || el.getAttribute('aria-label') || '')
    .trim().slice(0, 30);
  const outside = controls
    .map((el) => [el, el.getBoundingClientRect()])
    .filter(([, r]) => r.left < -0.5 || r.right > vw + 0.5)
    .map(([el, r]) => `${el.tagName} "${name(el)}" ${Math.round(r.left)}..${Math.round(r.right)}`);
  return {vw, scroll: document.documentElement.scrollWidth, controls: controls.length, outside};
}"""


def demo_workshop(who: Any) -> int:
    return int(
        next(
            w["id"]
            for w in who.api("GET", "/api/workshops/")
            if w["title"].startswith("Demo workshop")
        )
    )


def assert_fits(page: Any, root: str = ".ws-main") -> int:
    layout = page.evaluate(LAYOUT_JS, root)
    assert layout["scroll"] <= layout["vw"], layout
    assert layout["outside"] == [], layout
    return int(layout["controls"])


def test_the_facilitator_page_fits_a_375_px_phone_with_every_control_in_reach(
    users: Any,
) -> None:
    alice = users("alice", viewport=SMALL_PHONE)
    workshop = demo_workshop(alice)
    page = alice.page
    page.goto(f"{alice.base}/app/workshops/{workshop}")
    page.wait_for_selector("body[data-workshop-ready]")
    expect(page.locator(".group-col")).to_have_count(3)
    controls = assert_fits(page)
    assert controls >= 30  # join, groups, exercises and rounds, people: all measured
    # Opened parts too: every exercise's trees, a group being renamed, the add-exercise
    # form with the problem-tree options.
    for summary in page.locator(".ex-trees > summary").all():
        summary.click()
    page.get_by_role("button", name="Rename Group 1").click()
    expect(page.get_by_label("New name of Group 1")).to_be_visible()
    page.get_by_label("Kind").select_option("before_after_reading")
    assert assert_fits(page) > controls
    page.get_by_label("New name of Group 1").press("Escape")
    # A move by the keyboard way, with the note on what became of the person's tree.
    page.get_by_label("Group of Dave").select_option(label="Group 2")
    note = page.locator(".move-note")
    expect(note).to_contain_text("Their tree of Problem tree, round 1 moved with them to Group 2")
    expect(page.locator(".group-col", has_text="Group 2").locator(".member-chip")).to_have_count(3)
    assert_fits(page)
    box = note.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    # Put him back (the demo workshop is shared by the other browser tests).
    page.get_by_label("Group of Dave").select_option(label="Group 1")
    expect(note).to_contain_text("moved with them to Group 1")
    # The live board too (its before/after menus and export buttons included).
    page.get_by_role("link", name="Open the live board").click()
    expect(page.locator(".board-summary")).to_contain_text("present", timeout=LIVE)
    assert assert_fits(page, ".board-root") >= 10
    assert alice.errors == []


# One HTML5 drag event on an element, with the data transfer the page's handlers read.
DRAG_JS = """(el, type) => {
  window.__drag = window.__drag || new DataTransfer();
  const init = {dataTransfer: window.__drag, bubbles: true, cancelable: true};
  el.dispatchEvent(new DragEvent(type, init));
}"""
DROP_JS = """(el) => {
  const init = {dataTransfer: window.__drag, bubbles: true, cancelable: true};
  el.dispatchEvent(new DragEvent('drop', init));
}"""


def test_a_drag_between_groups_survives_someone_joining_during_it(users: Any) -> None:
    alice = users("alice")
    bob = users("bob")
    carol = users("carol")
    made = alice.api("POST", "/api/workshops/", {"title": "Drag while joining"})
    workshop, token = int(made["id"]), made["join_token"]
    seat = bob.api("POST", "/api/join/", {"token": token, "display_name": "Bob"})["participant"]
    groups = [
        alice.api("POST", f"/api/workshops/{workshop}/groups/", {"name": name})["id"]
        for name in ("Reds", "Blues")
    ]
    alice.api(
        "PATCH", f"/api/workshops/{workshop}/participants/{seat['id']}/", {"group": groups[0]}
    )
    page = alice.page
    page.goto(f"{alice.base}/app/workshops/{workshop}")
    # live: the socket is up and its first read drawn, so Bob's chip is not replaced after
    # it is picked up (seen in a fresh-clone CI run: the drag went to the replaced chip)
    page.wait_for_selector("body[data-workshop-live]")
    reds = page.locator(f".group-col[data-group='{groups[0]}']")
    blues = page.locator(f".group-col[data-group='{groups[1]}']")
    chip = reds.locator(".member-chip", has_text="Bob")
    expect(chip).to_be_visible()
    held = chip.element_handle()

    # Pick Bob up and carry him over the Blues. The drag's events are dispatched by the page
    # itself: a real mouse drag in headless Chromium may be cancelled by the browser while the
    # test waits (seen in CI: the chip lost its drag, not by the page's doing).
    held.evaluate(DRAG_JS, "dragstart")
    expect(chip).to_have_class(re.compile(r"\bdragging\b"))
    blues.evaluate(DRAG_JS, "dragover")

    # Carol joins meanwhile: the page hears it and re-reads (the people list shows her)...
    carol.api("POST", "/api/join/", {"token": token, "display_name": "Carol"})
    expect(page.locator(".ws-participants .count")).to_have_text("(2 joined)", timeout=LIVE)
    # ... but the groups are not re-drawn under the drag: Bob's chip is the one held.
    # (Re-drawn, the chip under the pointer would be gone from the page, its drag with it.)
    assert held.evaluate("(el) => el.isConnected && el.classList.contains('dragging')")
    expect(page.locator(".group-col.unassigned")).to_have_count(0)

    blues.evaluate(DROP_JS)
    held.evaluate(DRAG_JS, "dragend")
    # The drop moved Bob, and the state that waited (Carol, in no group) is drawn now.
    expect(blues.locator(".member-chip", has_text="Bob")).to_be_visible(timeout=LIVE)
    expect(page.locator(".group-col.unassigned .member-chip", has_text="Carol")).to_be_visible(
        timeout=LIVE
    )
    home = alice.api("GET", f"/api/workshops/{workshop}/home/")
    assert next(g for g in home["groups"] if g["id"] == groups[1])["members"] == [seat["id"]]
    assert alice.errors == []
