"""A whole workshop in one Chromium (issue 15): a facilitator and six participants (seven
browser contexts; the participants on phones) go from the join link through a game-tree round,
a two-round problem-tree exercise with a blind round and merges, to the live board and the
export. Each step is done through the web client by the person who would do it; the
background content a real group would type (their partners' critiques and problems) is sent
through the same REST op path with the partner's own session, to keep the run light."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.usefixtures("patient_expect")]

MERGE = 90_000
NAMES = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo"]


def post_ops(who: Any, tree: int, ops: list[dict[str, Any]]) -> None:
    client = f"e2e-{uuid.uuid4()}"
    for n, op in enumerate(ops, start=1):
        who.api("POST", f"/api/trees/{tree}/ops/", {"client_id": client, "n": n, "op": op})


def nodes(who: Any, tree: int) -> list[dict[str, Any]]:
    return [
        n for n in who.api("GET", f"/api/trees/{tree}/snapshot/")["nodes"] if not n.get("deleted")
    ]


def status_of(who: Any, path: str) -> int:
    return int(who.context.request.get(f"{who.base}{path}").status)


def home(who: Any, workshop: int) -> dict[str, Any]:
    return who.api("GET", f"/api/workshops/{workshop}/home/")  # type: ignore[no-any-return]


def add_child_by_keyboard(page: Any, parent_text: str, text: str) -> None:
    """Outliner keys: on the parent, End, Enter (a sibling), Tab (under the parent), type."""
    page.locator("li.node > .row > .text", has_text=parent_text).first.click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type(text)
    page.keyboard.press("Escape")
    expect(page.locator("li.node > .row > .text", has_text=text)).to_be_visible()


def test_a_facilitator_and_six_participants_run_a_whole_workshop(users: Any, guests: Any) -> None:
    alice = users("alice")
    alice.accept_confirms = True
    fac = alice.page

    # ---- joining: the facilitator makes the workshop; six phones join by the link.
    fac.get_by_role("link", name="Workshops").click()
    fac.get_by_label("Title").fill("Alignment cohort")
    fac.get_by_role("button", name="Create workshop").click()
    fac.wait_for_selector("body[data-workshop-ready]")
    workshop = int(re.search(r"/app/workshops/(\d+)", fac.url).group(1))  # type: ignore[union-attr]
    link = fac.locator("#join-link").input_value()
    code = fac.locator("#join-code-shown").inner_text().replace(" ", "")
    phones: dict[str, Any] = {}
    for i, name in enumerate(NAMES):
        g = guests()
        phones[name] = g
        if i % 2:
            g.page.goto(link)
        else:  # every other one types the code read aloud
            g.page.goto(f"{alice.base}/join")
            g.page.get_by_label("Workshop code").fill(code.lower())
        g.page.get_by_label("Your name").fill(name)
        g.page.get_by_role("button", name="Join").click()
        expect(g.page.get_by_text(f"You are {name}.")).to_be_visible()
    expect(fac.locator(".ws-participants .count")).to_have_text("(6 joined)", timeout=LIVE)

    # ---- three groups of two, drawn; every phone shows its group.
    fac.get_by_label("Groups of").select_option("2")
    fac.get_by_role("button", name="Draw groups").click()
    expect(fac.locator(".group-col[data-group]:not([data-group=none])")).to_have_count(3)
    state = home(alice, workshop)
    seat = {p["id"]: p["display_name"] for p in state["participants"]}
    groups = [(g["id"], g["name"], [seat[m] for m in g["members"]]) for g in state["groups"]]
    assert sorted(len(m) for _, _, m in groups) == [2, 2, 2]
    for _, gname, members in groups:
        for name in members:
            expect(phones[name].page.locator(".ws-mygroup .group-name")).to_have_text(
                gname, timeout=LIVE
            )

    # ---- exercise 1: a game tree per group, one timed round.
    fac.get_by_label("Kind").select_option("game_tree")
    fac.get_by_label("Title").fill("Game tree: honest assistant")
    fac.get_by_role("button", name="Add exercise").click()
    game = fac.locator("li.exercise", has_text="Game tree: honest assistant")
    game.get_by_label(re.compile("Minutes for .*round 1")).fill("10")
    game.get_by_role("button", name=re.compile("Start .*round 1")).click()
    expect(game.locator("li.round[data-state=running]")).to_have_count(1)
    game_trees = {
        t["group"]: t["tree"]
        for e in home(alice, workshop)["exercises"]
        if e["kind"] == "game_tree"
        for t in e["trees"]
    }
    assert len(game_trees) == 3
    # Each group: the first member opens the group tree from the phone and proposes; the
    # partner critiques it. Two groups hit the same failure mode: a taut constraint.
    tags = ["deception", "deception", "reward-hacking"]
    for (gid, _, (writer, partner)), tag in zip(groups, tags, strict=True):
        page = phones[writer].page
        expect(page.locator("#my-timer")).to_have_text(re.compile(r"\d\d:\d\d left"), timeout=LIVE)
        page.locator(".tree-links.current a.tree-open", has_text="Group tree").click()
        page.wait_for_selector("body[data-tree-ready]")
        page.get_by_role("button", name="Add the first proposal").click()
        page.keyboard.type(f"Debate between copies ({writer})")
        page.keyboard.press("Escape")
        proposal = next(n["id"] for n in _wait_nodes(phones[partner], game_trees[gid], "proposal"))
        post_ops(phones[partner], game_trees[gid], [{
            "kind": "create", "id": str(uuid.uuid4()), "type": "critique", "parent": proposal,
            "text": f"The judge can be fooled ({partner})", "tags": [tag],
        }])  # fmt: skip
        # The writer sees the partner's critique arrive without reloading.
        expect(page.locator("li.node.t-critique > .row > .text")).to_contain_text(
            f"The judge can be fooled ({partner})", timeout=LIVE
        )
        page.go_back()
        page.wait_for_selector("body[data-workshop-ready]")
    game.get_by_role("button", name=re.compile(r"^\+1 min: extend .*round 1, by 1 minute")).click()
    game.get_by_role("button", name=re.compile("End .*round 1")).click()
    expect(game.locator("li.round[data-state=ended]")).to_have_count(1)
    first_writer = groups[0][2][0]
    expect(phones[first_writer].page.locator(".ws-round")).to_contain_text(
        "This exercise has ended", timeout=LIVE
    )

    # ---- exercise 2: problem trees, round 1 blind and alone.
    fac.get_by_label("Kind").select_option("problem_tree")
    fac.get_by_label("Title").fill("What makes alignment hard")
    fac.get_by_label("Rounds").fill("2")
    fac.get_by_role("button", name="Add exercise").click()
    prob = fac.locator("li.exercise", has_text="What makes alignment hard")
    expect(prob.locator("li.round")).to_have_count(2)
    prob.get_by_role("button", name=re.compile("Start .*round 1")).click()
    expect(prob.locator("li.round[data-state=running]")).to_have_count(1)
    ex = next(e for e in home(alice, workshop)["exercises"] if e["kind"] == "problem_tree")
    round1 = ex["rounds"][0]["id"]
    mine = {seat[t["participant"]]: t["tree"] for t in ex["trees"] if t["round"] == round1}
    assert len(mine) == 6
    for _, _, (a, b) in groups:
        for me, mate in ((a, b), (b, a)):
            page = phones[me].page
            expect(page.locator("#blind-banner")).to_be_visible(timeout=LIVE)
            listed = page.locator(".ws-mytrees .tree-links.current li")
            expect(listed).to_have_count(1)
            expect(listed).to_contain_text("Your tree")
            # Blind: the group-mate's tree cannot be opened, not even by its address.
            assert status_of(phones[me], f"/api/trees/{mine[mate]}/") == 404
    # Everyone draws alone: one person with the outliner's keys, the others by REST.
    ada = phones[groups[0][2][0]]
    ada.page.locator(".tree-links.current a.tree-open").click()
    ada.page.wait_for_selector("body[data-tree-ready]")
    add_child_by_keyboard(ada.page, "Alignment", "Goals drift under optimisation")
    for _, _, members in groups:
        for name in members:
            if phones[name] is ada:
                continue
            root = next(n["id"] for n in nodes(phones[name], mine[name]) if n["parent"] is None)
            post_ops(phones[name], mine[name], [{
                "kind": "create", "id": str(uuid.uuid4()), "type": "problem", "parent": root,
                "text": f"Problem seen by {name}",
            }])  # fmt: skip
    ada.page.go_back()
    ada.page.wait_for_selector("body[data-workshop-ready]")

    # The round ends: blind hiding ends and each group's two trees are merged.
    prob.get_by_role("button", name=re.compile("End .*round 1")).click()
    first_round = prob.locator("li.round").first
    expect(first_round.locator("li.merge[data-status=done]")).to_have_count(3, timeout=MERGE)
    expect(ada.page.locator("#my-merge")).to_contain_text("merged", timeout=LIVE)
    expect(ada.page.locator("#blind-banner")).to_have_count(0)

    # ---- round 2: each person extends a fork of the group's merged tree.
    prob.get_by_role("button", name=re.compile("Start .*round 2")).click()
    expect(prob.locator("li.round[data-state=running]")).to_have_count(1)
    mate = groups[0][2][1]
    own = ada.page.locator(".tree-links.current a.tree-open", has_text="Your tree (round 2)")
    expect(own).to_be_visible(timeout=LIVE)
    own.click()
    ada.page.wait_for_selector("body[data-tree-ready]")
    # The fork holds both people's round-1 problems.
    expect(
        ada.page.locator("li.node > .row > .text", has_text=f"Problem seen by {mate}")
    ).to_be_visible()
    expect(ada.page.locator("li.node > .row > .text", has_text="Goals drift")).to_be_visible()
    add_child_by_keyboard(ada.page, "Alignment", "Evaluators can be gamed")
    ada.page.go_back()
    ada.page.wait_for_selector("body[data-workshop-ready]")
    prob.get_by_role("button", name=re.compile("End .*round 2")).click()
    second_round = prob.locator("li.round").nth(1)
    expect(second_round.locator("li.merge[data-status=done]")).to_have_count(3, timeout=MERGE)

    # ---- the live board and the export: see _board_and_export.
    _board_and_export(alice, phones, groups, game_trees, workshop)

    for u in [alice, *phones.values()]:
        assert not u.errors, u.errors


def _wait_nodes(who: Any, tree: int, kind: str, timeout_s: float = 15) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = [n for n in nodes(who, tree) if n["type"] == kind]
        if found or time.monotonic() > deadline:
            assert found, f"no {kind} in tree {tree}"
            return found
        time.sleep(0.2)


def _board_and_export(
    alice: Any, phones: dict[str, Any], groups: list[Any], game_trees: dict[int, int], workshop: int
) -> None:
    fac = alice.page
    fac.get_by_role("link", name="Open the live board").click()
    assert fac.url.endswith(f"/app/workshops/{workshop}/board")
    # Every group at a glance, with its counts.
    cards = fac.locator(".board-group[data-group]:not([data-group=none])")
    expect(cards).to_have_count(3, timeout=LIVE)
    for gid, gname, _ in groups:
        card = fac.locator(f".board-group[data-group='{gid}']")
        expect(card).to_contain_text(gname)
        expect(card.locator(".board-totals")).to_contain_text("1 proposal ")
    # The game tree's ranking across groups: the failure mode two groups hit comes first.
    game = fac.locator(".board-exercise", has_text="Game tree: honest assistant")
    top = game.locator(".board-rank li").first
    expect(top.locator(".rank-label")).to_have_text(re.compile("deception"))
    expect(top.locator(".rank-groups")).to_have_text("2 groups")
    # Live: the third group critiques with the same failure mode; the board follows, no reload.
    gid, _, (writer, partner) = groups[2]
    proposal = next(
        n["id"] for n in nodes(phones[partner], game_trees[gid]) if n["type"] == "proposal"
    )
    post_ops(phones[partner], game_trees[gid], [{
        "kind": "create", "id": str(uuid.uuid4()), "type": "critique", "parent": proposal,
        "text": f"It learns to tell the judge what it wants ({partner})", "tags": ["deception"],
    }])  # fmt: skip
    expect(top.locator(".rank-groups")).to_have_text("3 groups", timeout=LIVE)

    # Drill-down: the facilitator reads a group's tree without being invited (read-only).
    fac.locator(f".board-tree-link[data-tree='{game_trees[gid]}']").first.click()
    fac.wait_for_selector("body[data-tree-ready]")
    expect(fac.locator("li.node > .row > .text", has_text=f"({writer})")).to_be_visible()
    fac.go_back()
    expect(cards).to_have_count(3, timeout=LIVE)

    # The export: the Markdown report, the failure modes as CSV, the lossless JSON backup.
    with fac.expect_download() as dl:
        fac.get_by_role("link", name="Report (Markdown)").click()
    report = Path(dl.value.path()).read_text(encoding="utf-8")
    for _, gname, _ in groups:
        assert gname in report, report[:2000]
    assert "deception" in report
    with fac.expect_download() as dl:
        fac.get_by_role("link", name="Failure modes (CSV)").click()
    csv_text = Path(dl.value.path()).read_text(encoding="utf-8")
    assert re.search(r"deception.*\b3\b", csv_text), csv_text
    with fac.expect_download() as dl:
        fac.get_by_role("link", name="Backup (JSON)").click()
    backup = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    assert backup, "an empty backup"
