"""Joining a workshop in the web client (issue 15), in real Chromium against the real server:
a facilitator makes a workshop and reads out its code while people join live from phones (by
the link and by the typed code), sets a password to come back, is reset and let back in by a
one-time link, or removed; and a tree's share link made, used and revoked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def create_workshop(alice: Any, title: str) -> tuple[int, str, str]:
    """alice makes a workshop through the client; returns its id, code and join link."""
    p = alice.page
    p.get_by_role("link", name="Workshops").click()
    p.get_by_label("Title").fill(title)
    p.get_by_role("button", name="Create workshop").click()
    expect(p.locator("#ws-title")).to_have_text(title)
    p.wait_for_selector("body[data-workshop-ready]")
    workshop_id = int(re.search(r"/app/workshops/(\d+)", p.url).group(1))  # type: ignore[union-attr]
    code = p.locator("#join-code-shown").inner_text().replace(" ", "")
    link = p.locator("#join-link").input_value()
    return workshop_id, code, link


def test_people_join_from_their_phones_while_the_facilitator_watches(
    users: Any, guests: Any
) -> None:
    alice = users("alice")
    workshop_id, code, link = create_workshop(alice, "Tuesday cohort")
    # The code is six letters to read aloud; the link is this server's /join/<token>.
    assert re.fullmatch(r"[A-Z]{6}", code), code
    assert link.startswith(f"{alice.base}/join/"), link
    people = alice.page.locator("ul.participants")
    expect(people).to_contain_text("(you)")

    # Dana opens the link on her phone: only a name to pick, then she is in.
    dana = guests()
    dana.page.goto(link)
    expect(dana.page.get_by_role("heading", name="Join a workshop")).to_be_visible()
    no_sideways_scroll(dana.page)
    dana.page.get_by_label("Your name").fill("Dana")
    dana.page.keyboard.press("Enter")
    expect(dana.page.locator("#ws-title")).to_have_text("Tuesday cohort")
    expect(dana.page.get_by_text("You are Dana.")).to_be_visible()
    assert dana.page.url.endswith(f"/app/workshops/{workshop_id}")
    no_sideways_scroll(dana.page)
    # The facilitator sees her arrive without reloading.
    expect(people.locator("li", has_text="Dana")).to_be_visible(timeout=LIVE)

    # Eli types the code as he heard it (lower case, a space), by keyboard alone.
    eli = guests()
    eli.page.goto(f"{alice.base}/join")
    expect(eli.page.locator("#join-code")).to_be_focused()
    eli.page.keyboard.type(f"{code[:3].lower()} {code[3:].lower()}")
    eli.page.keyboard.press("Tab")
    expect(eli.page.locator("#join-name")).to_be_focused()
    eli.page.keyboard.type("Eli")
    eli.page.keyboard.press("Enter")
    expect(eli.page.get_by_text("You are Eli.")).to_be_visible()
    expect(people.locator("li", has_text="Eli")).to_be_visible(timeout=LIVE)
    expect(alice.page.locator(".ws-participants .count")).to_have_text("(2 joined)")

    # A third person who picks a name already used is told so, and can pick another.
    fay = guests()
    fay.page.goto(link)
    fay.page.get_by_label("Your name").fill("Dana")
    fay.page.get_by_role("button", name="Join").click()
    expect(fay.page.locator("#join-error")).to_contain_text("already uses this name")
    expect(fay.page.get_by_label("Your name")).to_be_focused()
    fay.page.get_by_label("Your name").fill("Fay")
    fay.page.get_by_role("button", name="Join").click()
    expect(fay.page.get_by_text("You are Fay.")).to_be_visible()

    # A wrong code is refused with a clear message.
    gus = guests()
    gus.page.goto(f"{alice.base}/join")
    gus.page.get_by_label("Workshop code").fill("ZZZZZZ")
    gus.page.get_by_label("Your name").fill("Gus")
    gus.page.get_by_role("button", name="Join").click()
    expect(gus.page.locator("#join-error")).to_contain_text("No workshop has this code")

    # Dana sets a password to come back later from another device.
    dana.page.get_by_text("Come back later: set a password").click()
    username = dana.page.locator("#first-username").input_value()
    dana.page.locator("#first-password").fill("dana-comes-back-7")
    dana.page.get_by_role("button", name="Set password").click()
    expect(dana.page.locator(".pw-form [role=status]")).to_contain_text("Password set")
    laptop = guests()
    laptop.page.goto(f"{alice.base}/")
    laptop.page.fill("#login-user", username)
    laptop.page.fill("#login-pass", "dana-comes-back-7")
    laptop.page.click("form.login button[type=submit]")
    expect(laptop.page.get_by_text("My trees")).to_be_visible()
    # Her workshop is one tap away from the tree list.
    laptop.page.locator(".ws-shortcuts a.ws-link", has_text="Tuesday cohort").click()
    expect(laptop.page.get_by_text("You are Dana.")).to_be_visible()

    # Eli lost his phone: the facilitator resets his access and hands him a one-time link.
    alice.accept_confirms = True
    alice.page.get_by_role("button", name="Reset access of Eli").click()
    access = alice.page.locator("#access-link")
    expect(access).to_be_visible()
    access_url = access.input_value()
    assert "/access/" in access_url
    alice.page.get_by_role("button", name="Done").click()
    expect(alice.page.get_by_role("button", name="Reset access of Eli")).to_be_focused()
    # His old session is signed out; the link signs him in once, into the workshop.
    eli.page.reload()
    expect(eli.page.locator("form.login")).to_be_visible()
    new_phone = guests()
    new_phone.page.goto(access_url)
    expect(new_phone.page.get_by_text("You are Eli.")).to_be_visible()
    used = guests()
    used.page.goto(access_url)
    expect(used.page.get_by_role("alert")).to_contain_text("already used")

    # The facilitator removes Fay: she is gone from the list and her session is closed.
    alice.page.get_by_role("button", name="Remove Fay").click()
    expect(people.locator("li", has_text="Fay")).to_have_count(0)
    # Her open page is told at once (its live socket is closed by the server).
    expect(fay.page.locator(".banner.error")).to_have_text("You are no longer in this workshop.")
    fay.page.reload()
    expect(fay.page.locator("form.login")).to_be_visible()

    # Closing the workshop stops new joins, with the reason given.
    alice.page.get_by_role("button", name="Close to new joins").click()
    expect(alice.page.locator(".ws-status")).to_have_text("Closed to new joins.")
    late = guests()
    late.page.goto(link)
    late.page.get_by_label("Your name").fill("Late")
    late.page.get_by_role("button", name="Join").click()
    expect(late.page.locator("#join-error")).to_contain_text("no longer takes new participants")

    for u in (alice, dana, eli, fay, gus, laptop, new_phone, used, late):
        assert not u.errors, u.errors


def test_a_tree_share_link_is_made_used_and_revoked(users: Any) -> None:
    alice = users("alice")
    tree = alice.api("POST", "/api/trees/", {"kind": "game", "title": "Shared by link"})
    alice.page.reload()
    item = alice.page.locator(f"li.tree-item[data-tree='{tree['id']}']")
    item.get_by_role("button", name="Members").click()
    panel = item.locator(".share-panel")
    expect(panel).to_contain_text("No active share links.")
    panel.get_by_label("Anyone with the link").select_option("editor")
    panel.get_by_label("Expires").select_option("1d")
    panel.get_by_role("button", name="Make a link").click()
    link_input = panel.locator("li.share-link[data-role='editor'] input")
    expect(link_input).to_be_focused()
    url = link_input.input_value()
    assert "/share/" in url
    expect(panel.locator("li.share-link")).to_contain_text("expires")

    # bob, signed in, opens it: he lands on the tree and can edit it.
    bob = users("bob")
    bob.page.goto(url)
    bob.page.wait_for_selector("body[data-tree-ready]")
    assert bob.page.url.endswith(f"/app/trees/{tree['id']}")
    roles = {
        m["user"]["username"]: m["role"]
        for m in alice.api("GET", f"/api/trees/{tree['id']}/members/")
    }
    assert roles["bob"] == "editor"

    # A viewer link too; then alice revokes the editor link: carol cannot use it any more.
    panel.get_by_label("Anyone with the link").select_option("viewer")
    panel.get_by_label("Expires").select_option("never")
    panel.get_by_role("button", name="Make a link").click()
    expect(panel.locator("li.share-link")).to_have_count(2)
    panel.get_by_role("button", name="Revoke the editor link").click()
    expect(panel.locator("li.share-link")).to_have_count(1)
    expect(panel).to_contain_text("1 revoked or expired.")
    carol = users("carol")
    carol.page.goto(url)
    expect(carol.page.get_by_role("alert")).to_contain_text("revoked")
    # Revoking keeps the people it let in.
    roles = {
        m["user"]["username"]: m["role"]
        for m in alice.api("GET", f"/api/trees/{tree['id']}/members/")
    }
    assert roles.get("bob") == "editor" and "carol" not in roles
    assert not alice.errors and not bob.errors and not carol.errors
