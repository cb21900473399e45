"""The facilitator's workshop page and a participant's home, live (issue 15), in real Chromium
against the real server: groups drawn, rearranged by drag and drop and by keyboard, a timed
blind round started, extended and ended, and phones following each step without reloading."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]


def join(guest: Any, link: str, name: str) -> None:
    guest.page.goto(link)
    guest.page.get_by_label("Your name").fill(name)
    guest.page.get_by_role("button", name="Join").click()
    expect(guest.page.get_by_text(f"You are {name}.")).to_be_visible()
    guest.page.wait_for_selector("body[data-workshop-ready]")


def seconds_left(page: Any) -> int:
    text = page.locator("#my-timer").inner_text()
    m = re.fullmatch(r"(\d+):(\d\d) left", text)
    assert m, text
    return int(m.group(1)) * 60 + int(m.group(2))


def test_groups_and_a_timed_blind_round_reach_every_phone_live(users: Any, guests: Any) -> None:
    alice = users("alice")
    w = alice.api("POST", "/api/workshops/", {"title": "Rounds cohort"})
    alice.page.goto(f"{alice.base}/app/workshops/{w['id']}")
    alice.page.wait_for_selector("body[data-workshop-ready]")
    link = alice.page.locator("#join-link").input_value()
    names = ["Ana", "Ben", "Cyd", "Dee"]
    phones = {}
    for name in names:
        phones[name] = guests()
        join(phones[name], link, name)
    p = alice.page
    expect(p.locator(".ws-participants .count")).to_have_text("(4 joined)", timeout=LIVE)
    # Nobody is in a group yet: each phone says so.
    expect(phones["Ana"].page.locator(".ws-mygroup")).to_contain_text("not in a group yet")

    # Two groups of two, drawn at random.
    p.get_by_label("Groups of").select_option("2")
    p.get_by_role("button", name="Draw groups").click()
    cols = p.locator(".group-col[data-group]:not([data-group=none])")
    expect(cols).to_have_count(2)
    for i in range(2):
        expect(cols.nth(i).locator(".member-chip")).to_have_count(2)
    expect(p.get_by_role("button", name="Re-draw groups")).to_be_visible()
    groups = alice.api("GET", f"/api/workshops/{w['id']}/groups/")["groups"]
    seats = alice.api("GET", f"/api/workshops/{w['id']}/participants/")
    people = {q["id"]: q["display_name"] for q in seats}
    first, second = groups[0], groups[1]
    mover = people[first["members"][0]]
    # Every phone shows its group and its members, live.
    for g in groups:
        for pid in g["members"]:
            box = phones[people[pid]].page.locator(".ws-mygroup")
            expect(box).to_contain_text(g["name"], timeout=LIVE)
            for other in g["members"]:
                expect(box).to_contain_text(people[other])

    # Drag and drop: the mover goes to the second group; their phone follows.
    chip = p.locator(f".member-chip[data-participant='{first['members'][0]}']")
    chip.drag_to(p.locator(f".group-col[data-group='{second['id']}']"))
    expect(p.locator(f".group-col[data-group='{second['id']}'] .member-chip")).to_have_count(3)
    group_name = phones[mover].page.locator(".ws-mygroup .group-name")
    expect(group_name).to_have_text(second["name"], timeout=LIVE)

    # By keyboard: the Group menu next to the mover's name brings them back; focus stays there.
    sel = p.get_by_label(f"Group of {mover}")
    sel.focus()
    sel.select_option(label=first["name"])
    expect(p.locator(f".group-col[data-group='{first['id']}'] .member-chip")).to_have_count(2)
    expect(p.get_by_label(f"Group of {mover}")).to_be_focused()
    expect(group_name).to_have_text(first["name"], timeout=LIVE)

    # A problem tree, two blind rounds of each person alone.
    p.get_by_label("Kind").select_option("problem_tree")
    p.get_by_label("Title").fill("What makes alignment hard")
    p.get_by_label("Rounds").fill("2")
    p.get_by_role("button", name="Add exercise").click()
    ex = p.locator("li.exercise", has_text="What makes alignment hard")
    expect(ex.locator("li.round")).to_have_count(2)
    ex.get_by_label(re.compile("Minutes for .*round 1")).fill("3")
    ex.get_by_role("button", name=re.compile("Start .*round 1")).click()
    expect(ex.locator("li.round[data-state=running]")).to_have_count(1)
    expect(p.locator(".ws-now")).to_contain_text("What makes alignment hard")

    # Each phone: the timer counting down from about 3 minutes, the blind banner, its own tree.
    ana = phones["Ana"].page
    expect(ana.locator("#my-timer")).to_have_text(re.compile(r"0[23]:\d\d left"), timeout=LIVE)
    first_read = seconds_left(ana)
    assert 150 <= first_read <= 180, first_read
    expect(ana.locator("#blind-banner")).to_be_visible()
    mine = ana.locator(".ws-mytrees .tree-links.current li")
    expect(mine).to_have_count(1)  # blind: nobody else's tree is listed
    expect(mine.first).to_contain_text("Your tree")
    ana.wait_for_timeout(1500)
    assert seconds_left(ana) < first_read  # it counts down by itself
    for name in names:
        expect(phones[name].page.locator("#blind-banner")).to_be_visible(timeout=LIVE)
    assert ana.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The facilitator adds five minutes: every timer moves on.
    ex.get_by_role("button", name=re.compile(r"^\+5 min: extend .*round 1, by 5 minutes")).click()
    expect(ana.locator("#my-timer")).to_have_text(re.compile(r"0[78]:\d\d left"), timeout=LIVE)

    # A latecomer joins during the round, is put in a group by keyboard and gets a tree.
    eve = guests()
    join(eve, link, "Eve")
    expect(eve.page.locator(".ws-mygroup")).to_contain_text("not in a group yet")
    p.get_by_label("Group of Eve").select_option(label=first["name"])
    expect(eve.page.locator(".ws-mygroup .group-name")).to_have_text(first["name"], timeout=LIVE)
    ex.get_by_role("button", name=re.compile("^Make trees for latecomers: .*round 1")).click()
    late_tree = eve.page.locator(".ws-mytrees .tree-links.current li")
    expect(late_tree).to_have_count(1, timeout=LIVE)
    expect(late_tree).to_contain_text("Your tree")
    expect(eve.page.locator("#blind-banner")).to_be_visible()

    # Ana opens her tree from the home page: the problem tree starts at "Alignment".
    mine.first.get_by_role("link").click()
    ana.wait_for_selector("body[data-tree-ready]")
    expect(ana.locator("li.node > .row > .text").first).to_have_text("Alignment")
    ana.go_back()
    ana.wait_for_selector("body[data-workshop-ready]")

    # The round ends: the phones say so and the groups' trees are merged.
    alice.accept_confirms = True
    ex.get_by_role("button", name=re.compile("End .*round 1")).click()
    expect(ana.locator(".ws-round")).to_contain_text("Round 1 has ended", timeout=LIVE)
    expect(ana.locator("#blind-banner")).to_have_count(0)
    expect(ex.locator("li.round").first.locator("li.merge")).to_have_count(2, timeout=LIVE)
    expect(ex.locator("li.merge[data-status=done]")).to_have_count(2, timeout=60_000)
    expect(ana.locator("#my-merge")).to_contain_text("merged", timeout=LIVE)
    for u in [alice, eve, *phones.values()]:
        assert not u.errors, u.errors
