"""Alice is signed in (her account is "Alice Chen") and joins bob's workshop as "Ally"; Nora
joins from the link. On their group's tree, in Nora's browser, Alice is Ally: in the roster, on
the row she types in, in "Added by" and in the node's history, never "Alice Chen". Alice's own
roster chip says Ally too; her account stays Alice Chen outside the workshop's trees."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]


def test_a_signed_in_account_that_joined_under_another_name_is_that_name_on_the_workshops_tree(
    users: Any, browser: Any, gametree_server: str
) -> None:
    bob, alice = users("bob"), users("alice")
    assert alice.api("GET", "/api/auth/me/")["name"] == "Alice Chen"
    w = bob.api("POST", "/api/workshops/", {"title": "Seat names cohort"})

    alice.page.goto(f"{gametree_server}/join/{w['join_token']}")
    expect(alice.page.get_by_label("Your name")).to_have_value("Alice Chen")
    alice.page.get_by_label("Your name").fill("Ally")
    alice.page.get_by_role("button", name="Join").click()
    expect(alice.page.get_by_text("You are Ally.")).to_be_visible()

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    nora = context.new_page()
    try:
        nora.goto(f"{gametree_server}/join/{w['join_token']}")
        nora.get_by_label("Your name").fill("Nora")
        nora.get_by_role("button", name="Join").click()
        expect(nora.get_by_text("You are Nora.")).to_be_visible()

        bob.api("POST", f"/api/workshops/{w['id']}/groups/draw/", {"size": 2})
        [ex] = bob.api(
            "POST", f"/api/workshops/{w['id']}/exercises/", {"template": "game_tree", "title": "G"}
        )["exercises"]
        bob.api("POST", f"/api/workshops/{w['id']}/rounds/{ex['rounds'][0]['id']}/start/", {})
        [tree] = [t["tree"] for t in ex["trees"]]
        alice.open_tree(tree)
        nora.goto(f"{gametree_server}/app/trees/{tree}")
        nora.wait_for_selector("body[data-tree-ready]")

        # The roster: Nora sees Ally; Alice sees herself as the tree names her.
        expect(nora.locator(".roster .person:not(.me)")).to_have_text("Ally", timeout=LIVE)
        expect(alice.page.locator(".roster .person.me")).to_have_text("Ally", timeout=LIVE)
        expect(alice.page.locator(".roster .person:not(.me)")).to_have_text("Nora", timeout=LIVE)

        # Alice writes a proposal: the row she types in is marked "Ally" on Nora's page.
        alice.page.get_by_role("button", name="Add the first proposal").click()
        alice.page.keyboard.type("Debate between copies")
        row = nora.locator("li.node", has_text="Debate between copies")
        expect(row.locator(":scope > .row .marker")).to_have_text("Ally", timeout=LIVE)
        expect(nora.locator(".roster .person", has_text="Ally")).to_have_attribute(
            "title", re.compile(r"^Ally (is typing in|is here)"), timeout=LIVE
        )
        alice.page.keyboard.press("Escape")

        # "Added by" and the node's history name her Ally too.
        nora.locator("li.node > .row > .text", has_text="Debate between copies").click()
        details = nora.locator("aside.details")
        expect(details).to_contain_text("Added by Ally", timeout=LIVE)
        expect(details.locator(".history-box")).to_contain_text("Ally created it")
        assert "alice chen" not in nora.locator("body").inner_text().lower()

        # Outside the workshop's trees her account keeps its name.
        assert alice.api("GET", "/api/auth/me/")["name"] == "Alice Chen"
    finally:
        context.close()
