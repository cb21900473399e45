"""The facilitator's live board in Chromium: two participants of two groups build their
groups' trees with the keyboard while the facilitator's board is open, and the board follows
(counts, presence, the cross-group ranking) without a reload; the projector link opens a
read-only board signed out, in large type, and stops working once replaced; a participant on
the board's address is told it is the facilitators', with nothing left "Loading"."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, ROOT, SERVER_ENV
from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SETUP = """
import json
from django.contrib.auth import get_user_model
from tests.board_helpers import make_board_workshop
alice = get_user_model().objects.get(username="alice")
made = make_board_workshop(alice, groups=2, per_group=2, prefix="b", password={password!r})
print(json.dumps({{
    "workshop": made.id,
    "trees": [t.pk for t in made.trees],
    "people": [[u.username for u in g] for g in made.people],
}}))
"""


def board_workshop(server: str) -> dict[str, Any]:
    """A workshop of alice's with two groups of two and a game tree per group, made with the
    real actions against the browser server's database."""
    assert SERVER_ENV, server
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP.format(password=PASSWORD)],
        cwd=ROOT,
        env=SERVER_ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def totals(page: Any, group: int) -> Any:
    return page.locator(".board-group").nth(group).locator(".board-totals")


def build(user: Any, tree: int, proposal: str, critique: str) -> None:
    """A proposal and a critique under it, typed in the outliner."""
    user.open_tree(tree)
    k = user.page.keyboard
    user.page.get_by_role("button", name="Add the first proposal").focus()
    k.press("Enter")
    k.type(proposal)
    k.press("Enter")
    k.press("Tab")
    k.type(critique)
    k.press("Escape")


def test_the_board_follows_two_groups_editing_live(users: Any, gametree_server: str) -> None:
    made = board_workshop(gametree_server)
    alice = users("alice")
    alice.page.goto(f"{gametree_server}/app/workshops/{made['workshop']}/board")
    page = alice.page
    expect(page.locator(".board-group")).to_have_count(2)
    expect(totals(page, 0)).to_contain_text("0 proposals")
    updates_before = int(page.evaluate("document.body.dataset.boardUpdates || '0'"))

    one = users(made["people"][0][0])
    two = users(made["people"][1][0])
    build(one, made["trees"][0], "Imitate a careful human", "It learns to please the rater")
    expect(totals(page, 0)).to_contain_text("1 proposal ", timeout=LIVE)
    expect(totals(page, 0)).to_contain_text("1 critique ", timeout=LIVE)
    expect(totals(page, 0)).to_contain_text("1 broken", timeout=LIVE)
    build(two, made["trees"][1], "Debate between copies", "Debaters learn to persuade")
    expect(totals(page, 1)).to_contain_text("1 critique ", timeout=LIVE)
    # Both editors have their tree open: present; their group-mates are not.
    expect(page.locator(".board-group").nth(0).locator("li.present")).to_have_count(1, timeout=LIVE)
    expect(page.locator(".board-group").nth(1).locator("li.present")).to_have_count(1, timeout=LIVE)

    # Both tag their critique with one failure mode: the ranking names it, in two groups.
    for user, tree in ((one, made["trees"][0]), (two, made["trees"][1])):
        nodes = user.api("GET", f"/api/trees/{tree}/snapshot/")["nodes"]
        crit = next(n for n in nodes if n["type"] == "critique")
        op = {"kind": "set", "id": crit["id"], "field": "tags", "value": ["reward-hacking"]}
        user.api("POST", f"/api/trees/{tree}/ops/", {"client_id": "tag", "n": 1, "op": op})
    first = page.locator(".board-rank li").first
    expect(first.locator(".rank-label")).to_have_text("reward-hacking", timeout=LIVE)
    expect(first.locator(".rank-groups")).to_have_text("2 groups")
    assert int(page.evaluate("document.body.dataset.boardUpdates")) > updates_before
    # The page never reloaded: the same document took every update.
    assert not alice.errors, alice.errors

    # Drill-down: a group's tree opens from the board.
    page.locator(f"a.board-tree-link[data-tree='{made['trees'][0]}']").click()
    page.wait_for_selector("body[data-tree-ready]")
    expect(page.locator("li.node.t-proposal").first).to_contain_text("Imitate a careful human")


MERGED_SETUP = """
import json
from django.contrib.auth import get_user_model
from tests.board_helpers import group_merged, make_board_workshop, own_problem_trees
from trees.models import ExerciseTree
alice = get_user_model().objects.get(username="alice")
made = make_board_workshop(
    alice, groups=1, per_group=3, kind="problem", prefix="m", password={password!r}
)
ExerciseTree.objects.filter(exercise=made.exercise, kind="group").delete()
own = own_problem_trees(made, 0, [
    ["Deceptive alignment", "Reward hacking", "Goal misgeneralization"],
    ["The model deceives its overseers", "Specification gaming", "Inner misalignment"],
    ["Deception", "Reward hacking", "Scalable oversight is hard"],
])
merged = group_merged(made, 0, own)
print(json.dumps({{"workshop": made.id, "own": [t.pk for t in own], "merged": merged.pk}}))
"""


def test_after_a_merge_the_group_counts_its_merged_tree_once(
    users: Any, gametree_server: str
) -> None:
    # The walkthrough's board said "15 problems": three own trees of 3 added to their merged
    # tree. The total is the merged tree's; the own trees say they are in it.
    assert SERVER_ENV, gametree_server
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MERGED_SETUP.format(password=PASSWORD)],
        cwd=ROOT,
        env=SERVER_ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    made = json.loads(out.stdout.strip().splitlines()[-1])
    alice = users("alice")
    page = alice.page
    page.goto(f"{gametree_server}/app/workshops/{made['workshop']}/board")
    merged_row = page.locator(f".board-trees li[data-tree='{made['merged']}']")
    expect(merged_row.locator(".board-counts")).to_have_text("8 problems")
    expect(totals(page, 0)).to_have_text("8 problems")
    expect(merged_row.locator(".board-uncounted")).to_have_count(0)
    for tree in made["own"]:
        row = page.locator(f".board-trees li[data-tree='{tree}']")
        expect(row.locator(".board-counts")).to_have_text("3 problems")
        expect(row.locator(".board-uncounted")).to_have_text(
            "in the merged tree, not added to the total"
        )
    assert not alice.errors, alice.errors


def test_the_projector_link_shows_the_board_signed_out_until_it_is_replaced(
    users: Any, browser: Any, gametree_server: str
) -> None:
    made = board_workshop(gametree_server)
    alice = users("alice")
    alice.page.goto(f"{gametree_server}/app/workshops/{made['workshop']}/board")
    alice.page.get_by_role("button", name="Make a projector link").click()
    url = alice.page.locator("#projector-link").input_value()
    assert "#key=" in url

    room = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        projector = room.new_page()
        projector.goto(url)
        expect(projector.locator(".board-page.projector .board-group")).to_have_count(2)
        # read-only: no tree links, no tools
        expect(projector.locator("a.board-tree-link")).to_have_count(0)
        expect(projector.locator(".board-tools")).to_have_count(0)
        size = projector.evaluate(
            "parseFloat(getComputedStyle(document.querySelector('.board-page')).fontSize)"
        )
        assert size >= 20, size
        seed = {
            "kind": "create",
            "id": str(uuid.uuid4()),
            "type": "proposal",
            "parent": None,
            "text": "Live on the wall",
        }
        alice.api(
            "POST", f"/api/trees/{made['trees'][1]}/ops/", {"client_id": "fac", "n": 1, "op": seed}
        )
        expect(totals(projector, 1)).to_contain_text("1 proposal ", timeout=LIVE)
        alice.page.get_by_role("button", name="Make a new link (the old one stops)").click()
        expect(projector.locator(".banner")).to_contain_text("no longer works", timeout=LIVE)
    finally:
        room.close()


def test_a_participant_on_the_board_address_is_told_it_is_the_facilitators_and_nothing_loads(
    users: Any,
) -> None:
    """ "Loading the board…" stayed under the refusal for good."""
    dave = users("dave")
    workshop = next(w["id"] for w in dave.api("GET", "/api/workshops/"))
    p = dave.page
    p.goto(f"{dave.base}/app/workshops/{workshop}/board")
    expect(p.locator(".banner")).to_have_text(
        "Only the workshop's facilitators can see its board.", timeout=LIVE
    )
    expect(p.get_by_text("Loading the board…")).to_have_count(0)
    assert not dave.errors
