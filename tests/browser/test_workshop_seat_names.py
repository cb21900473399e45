"""Alice is signed in (her account is "Alice Chen") and joins bob's workshop as "Ally"; Nora
joins from the link. On their group's tree, in Nora's browser, Alice is Ally: in the roster, on
the row she types in, in "Added by" and in the node's history, never "Alice Chen". Alice's own
roster chip and top bar say Ally too; her account stays Alice Chen outside the workshop's trees.

Then a group of three as a workshop runs: Ally, Wren (carol's account, "Carol Lindqvist") and
Nora (no account before she joined) write in one tree at once, Wren reloads, Ally's network
drops and comes back; every screen names each of them by the seat throughout."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE, row_text

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
        # The top bar too (by the Sign out button): the tree's name for her, not her account's.
        expect(alice.page.locator("header span.me")).to_have_text("Ally", timeout=LIVE)
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


def _join(page: Any, base: str, token: str, name: str) -> None:
    page.goto(f"{base}/join/{token}")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_text(f"You are {name}.")).to_be_visible()


def _sees_everyone(page: Any, me: str, others: list[str]) -> None:
    """`page`'s roster: its own chip is `me`, and each of `others` is there once, by name."""
    expect(page.locator(".roster .person.me")).to_have_text(me, timeout=LIVE)
    roster = page.locator(".roster .person:not(.me)")
    for name in others:
        expect(roster.filter(has_text=re.compile(rf"^{name}$"))).to_have_count(1, timeout=LIVE)
    expect(roster).to_have_count(len(others))


def _page_html(page: Any) -> str:
    """The page's HTML (text, titles, hidden parts), the top bar's own name included: a
    workshop's tree names the signed-in person by their seat there too."""
    return str(page.evaluate("() => document.body.innerHTML"))


def test_three_people_who_joined_under_seat_names_keep_them_on_every_screen_through_a_reload_and_an_outage(  # noqa: E501
    users: Any, browser: Any, gametree_server: str
) -> None:
    bob, alice, carol = users("bob"), users("alice"), users("carol")
    accounts = ["Alice Chen", "Carol Lindqvist"]
    assert [u.api("GET", "/api/auth/me/")["name"] for u in (alice, carol)] == accounts
    w = bob.api("POST", "/api/workshops/", {"title": "Three seats cohort"})
    _join(alice.page, gametree_server, w["join_token"], "Ally")
    _join(carol.page, gametree_server, w["join_token"], "Wren")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    nora = context.new_page()
    try:
        _join(nora, gametree_server, w["join_token"], "Nora")
        bob.api("POST", f"/api/workshops/{w['id']}/groups/draw/", {"size": 3})
        [ex] = bob.api(
            "POST", f"/api/workshops/{w['id']}/exercises/", {"template": "game_tree", "title": "G"}
        )["exercises"]
        bob.api("POST", f"/api/workshops/{w['id']}/rounds/{ex['rounds'][0]['id']}/start/", {})
        [tree] = [t["tree"] for t in ex["trees"]]
        alice.open_tree(tree)
        carol.open_tree(tree)
        nora.goto(f"{gametree_server}/app/trees/{tree}")
        nora.wait_for_selector("body[data-tree-ready]")
        pages = {"Ally": alice.page, "Wren": carol.page, "Nora": nora}

        def everyone_by_seat() -> None:
            for me, page in pages.items():
                _sees_everyone(page, me, [n for n in pages if n != me])

        everyone_by_seat()

        # Ally writes the first proposal; Wren adds a proposal after it and Nora a critique
        # under it; then all three type in their rows at once, a word each in turn.
        a, c = alice.page, carol.page
        a.get_by_role("button", name="Add the first proposal").click()
        a.keyboard.type("Debate between copies")
        a.keyboard.press("Escape")
        for page in (c, nora):
            expect(row_text(page, "Debate between copies")).to_be_visible(timeout=LIVE)
        for page in (c, nora, a):
            row_text(page, "Debate between copies").click()
            page.keyboard.press("End")
        c.keyboard.press("Enter")
        nora.keyboard.press("Enter")
        nora.keyboard.press("Tab")
        words = [
            (a, [" with", " judges", " who check"]),
            (c, ["Iterated", " amplification", " of overseers"]),
            (nora, ["Copies", " could", " collude"]),
        ]
        for turn in range(3):
            for page, said in words:
                page.keyboard.type(said[turn])
        written = {
            "Ally": "Debate between copies with judges who check",
            "Wren": "Iterated amplification of overseers",
            "Nora": "Copies could collude",
        }
        # Each row someone types in carries their seat's name on the other two screens.
        for me, page in pages.items():
            for name, text in written.items():
                if name != me:
                    marker = row_text(page, text).locator("xpath=..").locator(".marker")
                    expect(marker).to_have_text(name, timeout=LIVE)
        for page in pages.values():
            page.keyboard.press("Escape")

        # Wren types and reloads at once: her words survive, and her new socket is Wren.
        row_text(c, written["Wren"]).click()
        c.keyboard.press("End")
        c.keyboard.type(" (before reload)")
        c.reload()
        c.wait_for_selector("body[data-tree-ready]")
        written["Wren"] += " (before reload)"
        everyone_by_seat()

        # Ally's network drops: the others see her go; she writes offline, Nora meanwhile.
        alice.context.set_offline(True)
        expect(a.locator(".banner.offline")).to_be_visible(timeout=LIVE)
        for page in (c, nora):
            expect(page.locator(".roster .person", has_text="Ally")).to_have_count(0, timeout=LIVE)
        row_text(a, written["Ally"]).click()
        a.keyboard.press("End")
        a.keyboard.type(" (typed offline)")
        a.keyboard.press("Escape")
        row_text(nora, written["Nora"]).click()
        nora.keyboard.press("End")
        nora.keyboard.type(" (meanwhile)")
        nora.keyboard.press("Escape")
        written["Ally"] += " (typed offline)"
        written["Nora"] += " (meanwhile)"
        expect(row_text(c, written["Nora"])).to_have_text(written["Nora"], timeout=LIVE)
        alice.context.set_offline(False)
        expect(a.locator(".banner.offline")).to_be_hidden(timeout=LIVE)
        everyone_by_seat()

        # Nothing typed was lost, on any screen; each node was added by its writer's seat.
        for me, page in pages.items():
            expect(page.locator("li.node")).to_have_count(3, timeout=LIVE)
            for text in written.values():
                expect(row_text(page, text)).to_have_text(text, timeout=LIVE)
            expect(page.locator(".status")).to_have_text("Saved", timeout=LIVE)
            details = page.locator("aside.details")
            for name, text in written.items():
                row_text(page, text).click()
                by = "you" if name == me else name
                expect(details).to_contain_text(f"Added by {by}", timeout=LIVE)
                expect(details.locator(".history-box")).to_contain_text(f"{name} created it")
                page.keyboard.press("Escape")
            expect(page.locator("header span.me")).to_have_text(me)
            html = _page_html(page).lower()
            assert not [n for n in accounts if n.lower() in html], me
    finally:
        context.close()
