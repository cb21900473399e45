"""A group's merged problem tree, opened from the workshop page in real Chromium: the link
opens its merge review (it opened the outline, where nothing said a review was waiting), and
the review names the group-mates' trees the participant may open since the round ended (it
called them "a tree not shared with you": they are not in the participant's tree list); the
next round's copy names who drew each problem (the group-mates are not members of the copy:
both showed as "user N", with the same initials "US"). Neither offers "Fork for next round…":
the facilitator's next round makes the copies. (And before anyone joined, the workshop page says so,
and the exercise list's placeholder is not numbered like an exercise.) Round 2's merged tree
asks again the pair nobody decided in round 1 (its queue said "0 of 0 decided")."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE, submit
from tests.browser.test_workshop_rounds import join

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

MERGE = 90_000


def test_the_merged_group_tree_opens_on_its_review_and_the_next_round_names_who_drew_what(
    users: Any, guests: Any
) -> None:
    alice = users("alice")
    w = alice.api("POST", "/api/workshops/", {"title": "Review cohort"})["id"]
    alice.page.goto(f"{alice.base}/app/workshops/{w}")
    alice.page.wait_for_selector("body[data-workshop-ready]")
    # No exercise yet: the list's placeholder is not numbered like one ("1. No exercises yet").
    empty = alice.page.locator("ol.exercises > li", has_text="No exercises yet")
    expect(empty).to_have_css("list-style-type", "none")
    # Nor does the empty "Not in a group" say everyone is in one when nobody has joined.
    expect(alice.page.locator(".ws-groups")).to_contain_text("Nobody has joined yet")
    link = alice.page.locator("#join-link").input_value()
    ana, ben = guests(), guests()
    join(ana, link, "Ana")
    join(ben, link, "Ben")
    group = alice.api("POST", f"/api/workshops/{w}/groups/", {"name": "Group 1"})
    for seat in alice.api("GET", f"/api/workshops/{w}/participants/"):
        if seat["display_name"] in ("Ana", "Ben"):
            alice.api("PATCH", f"/api/workshops/{w}/participants/{seat['id']}/",
                      {"group": group["id"]})  # fmt: skip
    alice.api("POST", f"/api/workshops/{w}/exercises/", {"template": "problem_tree", "rounds": 2})
    rounds = alice.api("GET", f"/api/workshops/{w}/home/")["exercises"][0]["rounds"]
    rnd = rounds[0]["id"]
    alice.api("POST", f"/api/workshops/{w}/rounds/{rnd}/start/", {})

    # Each draws alone: two problems that probably say the same thing go to the review.
    for guest, text in ((ana, "Reward hacking"), (ben, "Reward hacking is easy")):
        mine = guest.api("GET", f"/api/workshops/{w}/home/")["exercises"][0]["trees"][0]["tree"]
        root = next(n["id"] for n in guest.api("GET", f"/api/trees/{mine}/snapshot/")["nodes"])
        submit(guest, mine, [{"kind": "create", "id": str(uuid.uuid4()), "type": "problem",
                              "parent": root, "text": text}])  # fmt: skip
    alice.api("POST", f"/api/workshops/{w}/rounds/{rnd}/end/", {})

    page = ana.page
    merged = page.locator(".tree-links.current a.tree-open", has_text="Merged group tree")
    expect(merged).to_be_visible(timeout=MERGE)
    expect(page.locator(".tree-links.current a.tree-open", has_text="Ben's tree")).to_be_visible()
    merged.click()
    page.wait_for_selector("body[data-tree-ready]")
    review = page.locator("section.review")
    expect(review).to_be_visible(timeout=LIVE)
    # The facilitator's next round makes the copies: a fork of one's own would be no round's.
    fork = page.get_by_role("button", name="Fork for next round…")
    expect(page.locator("#workshop-strip")).to_contain_text("Review cohort", timeout=LIVE)
    expect(fork).to_be_hidden()
    pair = review.locator("li.sugg").first
    expect(pair).to_contain_text("Reward hacking is easy", timeout=LIVE)
    # Ben's tree is named by its title (Ana may open it now), never as one not shared.
    expect(pair).to_contain_text(re.compile(r"— Ben\b"), timeout=LIVE)
    expect(review).not_to_contain_text("a tree not shared with you")
    assert ana.errors == []

    # Round 2: Ana's copy of the merged tree says Ben drew his problem, by name.
    alice.api("POST", f"/api/workshops/{w}/rounds/{rounds[1]['id']}/start/", {})
    page.go_back()
    page.wait_for_selector("body[data-workshop-ready]")
    copy = page.locator(".tree-links.current a.tree-open", has_text="Your tree (round 2)")
    expect(copy).to_be_visible(timeout=LIVE)
    copy.click()
    page.wait_for_selector("body[data-tree-ready]")
    bens = page.locator("li.node", has=page.locator(":scope > .row > .text", has_text="is easy"))
    drawn = bens.locator(":scope > .row .badge.drawn")
    expect(drawn).to_have_attribute("aria-label", "Drawn by Ben", timeout=LIVE)
    expect(drawn.locator(".who-chip")).to_have_text("BE")
    expect(page.get_by_role("button", name="Fork for next round…")).to_be_hidden()
    assert ana.errors == []

    # Round 2 ends with nobody having reviewed round 1's pair: round 2's merged tree asks it
    # again (its queue said "0 of 0 decided").
    alice.api("POST", f"/api/workshops/{w}/rounds/{rounds[1]['id']}/end/", {})
    page.go_back()
    page.wait_for_selector("body[data-workshop-ready]")
    merged = page.locator(".tree-links.current a.tree-open", has_text="Merged group tree (round 2)")
    expect(merged).to_be_visible(timeout=MERGE)
    merged.click()
    page.wait_for_selector("body[data-tree-ready]")
    review = page.locator("section.review")
    pair = review.locator("li.sugg")
    expect(pair).to_have_count(1, timeout=LIVE)
    expect(pair).to_contain_text("Reward hacking is easy")
    expect(pair).to_contain_text("not decided in the round before")
    expect(review).to_contain_text("0 of 1 decided")
    assert ana.errors == []
