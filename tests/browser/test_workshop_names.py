"""Three people who joined a workshop as Nora, Omar and Pia are Nora, Omar and Pia on their
group's tree (each in their own browser): in the roster, on the row someone is editing, in
"Added by" and in the node's history, never by the usernames made for them ("nora-455443")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]

NAMES = ("Nora", "Omar", "Pia")


def test_workshop_participants_see_each_other_by_the_names_they_joined_with(
    users: Any, browser: Any, gametree_server: str
) -> None:
    alice = users("alice")
    w = alice.api("POST", "/api/workshops/", {"title": "Names cohort"})
    people: dict[str, Any] = {}
    for name in NAMES:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(f"{gametree_server}/join/{w['join_token']}")
        page.get_by_label("Your name").fill(name)
        page.get_by_role("button", name="Join").click()
        expect(page.get_by_text(f"You are {name}.")).to_be_visible()
        people[name] = page
    try:
        alice.api("POST", f"/api/workshops/{w['id']}/groups/draw/", {"size": 3})
        [ex] = alice.api(
            "POST", f"/api/workshops/{w['id']}/exercises/", {"template": "game_tree", "title": "G"}
        )["exercises"]
        rid = ex["rounds"][0]["id"]
        alice.api("POST", f"/api/workshops/{w['id']}/rounds/{rid}/start/", {})
        home = alice.api("GET", f"/api/workshops/{w['id']}/home/")
        [tree] = [t["tree"] for e in home["exercises"] for t in e["trees"]]
        for page in people.values():
            page.goto(f"{gametree_server}/app/trees/{tree}")
            page.wait_for_selector("body[data-tree-ready]")
        nora, omar, pia = (people[n] for n in NAMES)

        # The roster: one's own chip and everyone else's, by name.
        for me, page in people.items():
            chips = page.locator(".roster .person")
            expect(chips).to_have_count(3, timeout=LIVE)
            texts = sorted(chips.all_inner_texts())
            assert texts == sorted(NAMES), (me, texts)
            expect(page.locator(".roster .person.me")).to_have_text(me)

        # Nora writes a proposal: the row she is typing in shows "Nora" to the others.
        nora.get_by_role("button", name="Add the first proposal").click()
        nora.keyboard.type("Debate between copies")
        row = omar.locator("li.node", has_text="Debate between copies")
        expect(row.locator(":scope > .row .marker")).to_have_text("Nora", timeout=LIVE)
        expect(pia.locator(".roster .person", has_text="Nora")).to_have_attribute(
            "title", re.compile(r"^Nora (is typing in|is here)"), timeout=LIVE
        )
        nora.keyboard.press("Escape")

        # "Added by" and the node's history name her too.
        expect(row).to_be_visible()
        omar.locator("li.node > .row > .text", has_text="Debate between copies").click()
        details = omar.locator("aside.details")
        expect(details).to_contain_text("Added by Nora", timeout=LIVE)
        expect(details.locator(".history-box")).to_contain_text("Nora created it")
        for page in people.values():
            assert "nora-" not in page.locator("body").inner_text().lower()
    finally:
        for page in people.values():
            page.context.close()
