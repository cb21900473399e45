"""A workshop tree's page in real Chromium against the real server: the strip under its header
counts the round down from the server's clock, follows the facilitator's extension live and
leads back to the workshop; the participant's home compares their own before/after trees."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE
from tests.browser.test_workshop_rounds import join

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]


def strip_seconds(page: Any) -> int:
    text = page.locator("#workshop-strip .ws-strip-round").inner_text()
    m = re.search(r"Round 1 · (\d+):(\d\d) left", text)
    assert m, text
    return int(m.group(1)) * 60 + int(m.group(2))


def test_a_participants_tree_page_shows_the_round_timer_live_and_leads_back_to_the_workshop(
    users: Any, guests: Any
) -> None:
    alice = users("alice")
    w = alice.api("POST", "/api/workshops/", {"title": "Strip cohort"})
    alice.page.goto(f"{alice.base}/app/workshops/{w['id']}")
    alice.page.wait_for_selector("body[data-workshop-ready]")
    ana = guests()
    join(ana, alice.page.locator("#join-link").input_value(), "Ana")
    group = alice.api("POST", f"/api/workshops/{w['id']}/groups/", {"name": "Group 1"})
    seat = alice.api("GET", f"/api/workshops/{w['id']}/participants/")
    ana_seat = next(q["id"] for q in seat if q["display_name"] == "Ana")
    alice.api("PATCH", f"/api/workshops/{w['id']}/participants/{ana_seat}/", {"group": group["id"]})
    alice.api(
        "POST",
        f"/api/workshops/{w['id']}/exercises/",
        {"template": "before_after_reading", "title": "Risks", "rounds": 1},
    )
    page = ana.page

    # Her home compares her own two trees (before reading, after reading): both start alike.
    card = page.locator(".compare-card")
    expect(card).to_be_visible(timeout=LIVE)
    expect(page.locator("#my-compare-before option")).to_have_count(2)
    before, after = page.locator("#my-compare-before"), page.locator("#my-compare-after")
    assert before.input_value() != after.input_value()
    card.get_by_role("button", name="Compare").click()
    expect(card.locator(".comparison")).to_contain_text("kept as they were")

    # The facilitator starts the first exercise's round for 3 minutes.
    p = alice.page
    p.reload()
    p.wait_for_selector("body[data-workshop-ready]")
    ex = p.locator("li.exercise", has_text="Risks (before reading)")
    ex.get_by_label(re.compile("Minutes for .*round 1")).fill("3")
    ex.get_by_role("button", name=re.compile("Start .*round 1")).click()
    expect(ex.locator("li.round[data-state=running]")).to_have_count(1)

    # Ana opens her tree of that exercise: the strip names the workshop, the round, the time.
    mine = page.locator(".ws-mytrees .tree-links.current li").first
    expect(mine).to_contain_text("Your tree", timeout=LIVE)
    mine.get_by_role("link").click()
    page.wait_for_selector("body[data-tree-ready]")
    strip = page.locator("#workshop-strip")
    expect(strip.locator("#workshop-back")).to_have_text("\u2039 Strip cohort", timeout=LIVE)
    expect(strip).to_contain_text(re.compile(r"Round 1 · 0[23]:\d\d left"), timeout=LIVE)
    first = strip_seconds(page)
    assert 150 <= first <= 180, first
    page.wait_for_timeout(1500)
    assert strip_seconds(page) < first  # it counts down by itself

    # Five more minutes from the facilitator reach the tree page without a reload.
    ex.get_by_role("button", name=re.compile(r"^\+5 min: extend .*round 1, by 5 minutes")).click()
    expect(strip).to_contain_text(re.compile(r"Round 1 · 0[78]:\d\d left"), timeout=LIVE)

    # Its link goes back to her workshop home.
    strip.locator("#workshop-back").click()
    page.wait_for_selector("body[data-workshop-ready]")
    assert page.url.endswith(f"/app/workshops/{w['id']}")
    expect(page.locator("#my-timer")).to_have_text(re.compile(r"0[78]:\d\d left"))
    for u in (alice, ana):
        assert not u.errors, u.errors
