"""The merge review people work through, in real browsers (docs/analysis.md): three people's
15-node problem trees merged into one queue with one suggestion per pair of nodes, and the
merged outline showing who drew each node."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.analysis.three_people import PEOPLE, Outline
from tests.browser.helpers import LIVE, SocketGate, demo_tree, merge, submit

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

NAMES = {"ann": "alice", "bob": "bob", "carol": "carol"}  # demo users drawing the trees


def create_ops(outline: Outline) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []

    def walk(items: Outline, parent: str | None) -> None:
        for text, children in items:
            node_id = str(uuid.uuid4())
            ops.append(
                {"kind": "create", "id": node_id, "type": "problem", "parent": parent, "text": text}
            )
            walk(children, node_id)

    walk(outline, None)
    return ops


def three_trees(users: Any) -> tuple[dict[str, Any], list[int]]:
    people = {who: users(name) for who, name in NAMES.items()}
    ids = []
    for who, outline in PEOPLE.items():
        me = people[who]
        tree = me.api("POST", "/api/trees/", {"kind": "problem", "title": f"{who} {uuid.uuid4()}"})
        submit(me, tree["id"], create_ops(outline))
        if who != "ann":
            body = {"username": "alice", "role": "editor"}
            me.api("POST", f"/api/trees/{tree['id']}/members/", body)
        ids.append(int(tree["id"]))
    return people, ids


def test_three_peoples_merge_shows_each_pair_once_and_who_drew_each_node(users: Any) -> None:
    people, ids = three_trees(users)
    alice = people["ann"]
    tree_id = merge(alice, ids, "Three people")
    p = alice.page
    p.goto(f"{alice.base}/app/trees/{tree_id}#review")
    p.wait_for_selector("body[data-tree-ready]")

    queue = p.locator("section.review li.sugg")
    expect(queue.first).to_be_visible()
    served = alice.api("GET", f"/api/trees/{tree_id}/review/")["suggestions"]
    expect(queue).to_have_count(len(served))
    pairs = [frozenset((s["a"]["node"], s["b"]["node"])) for s in served]
    assert len(pairs) == len(set(pairs)) and all(len(x) == 2 for x in pairs)

    # The outline: every merged node carries the initials of the people who drew it.
    p.get_by_role("tab", name="Outline").click()
    root = p.locator("ul.tree > li.node").first
    chips = root.locator(":scope > .row .badge.drawn .who-chip")
    expect(chips).to_have_count(3)
    assert sorted(chips.all_text_contents()) == ["AL", "BO", "CA"]
    badge = root.locator(":scope > .row .badge.drawn")
    expect(badge).to_have_attribute(
        "aria-label", "Drawn by Alice Chen, Bob Okafor, Carol Lindqvist"
    )
    # A node only bob drew ("Off-switch problem" is only suggested, not merged).
    only_bob = p.locator("li.node:has(> .row > .text:text-is('Off-switch problem'))")
    expect(only_bob.locator(":scope > .row .badge.drawn .who-chip")).to_have_text(["BO"])
    alice.shot("review-drawn-by")
    assert not alice.errors


def node_row(p: Any, text: str) -> Any:
    return p.locator(f"li.node:has(> .row > .text:text-is({text!r}))")


def live_nodes(user: Any, tree_id: int) -> dict[str, dict[str, Any]]:
    nodes = user.api("GET", f"/api/trees/{tree_id}/snapshot/")["nodes"]
    return {n["id"]: n for n in nodes if not n["deleted"]}


def test_accept_keeping_bs_label_merge_by_hand_and_split_are_live_for_another_member(
    users: Any,
) -> None:
    # Which pairs the merge suggests is the matcher's business: the nodes used here are read
    # from the queue and the snapshot, not assumed.
    people, ids = three_trees(users)
    alice, bob = people["ann"], people["bob"]
    tree_id = merge(alice, ids, "Three people")
    a, b = alice.page, bob.page
    for u in (alice, bob):
        u.page.goto(f"{u.base}/app/trees/{tree_id}#review")
        u.page.wait_for_selector("body[data-tree-ready]")

    # Accept keeping B's label: A's stays on the node as an alias, in bob's outline too.
    s = alice.api("GET", f"/api/trees/{tree_id}/review/")["suggestions"][0]
    nodes = live_nodes(alice, tree_id)
    text_a, text_b = nodes[s["a"]["node"]]["text"], nodes[s["b"]["node"]]["text"]
    assert text_a != text_b
    item = a.locator(f"li.sugg[data-sid='{s['id']}']")
    item.get_by_role("button", name="Keep B's label").click()
    expect(item).to_have_attribute("data-status", "accepted")
    # The card says which label the merged problem kept (it showed A and B as before).
    expect(item.locator(".decided")).to_contain_text(f"now “{text_b}”")
    expect(b.locator(f"li.sugg[data-sid='{s['id']}'] .decided")).to_contain_text(
        f"now “{text_b}”", timeout=LIVE
    )
    b.get_by_role("tab", name="Outline").click()
    expect(node_row(b, text_a)).to_have_count(0, timeout=LIVE)
    kept = node_row(b, text_b).first
    expect(kept.locator(":scope > .row .badge.drawn .aka")).to_have_attribute(
        "title", f"Also called: “{text_a}”", timeout=LIVE
    )
    kept.locator(":scope > .row > .text").click()
    expect(b.locator(".details .aliases")).to_contain_text(f"“{text_a}”")

    # bob merges two problems by hand from the details panel; alice sees it live.
    nodes = live_nodes(alice, tree_id)
    texts = [n["text"] for n in nodes.values()]
    leaves = [
        n
        for n in nodes.values()
        if texts.count(n["text"]) == 1
        and n["parent"] is not None
        and not any(m["parent"] == n["id"] for m in nodes.values())
    ]
    x, y = leaves[0], next(n for n in leaves if n["parent"] != leaves[0]["parent"])
    before = a.evaluate("() => window.gametree.page.debug.engine.view.liveCount()")
    node_row(b, x["text"]).locator(":scope > .row > .text").click()
    b.get_by_label("Merge with another problem").fill(y["text"])
    b.locator(".merge-results button", has_text=y["text"]).first.click()
    a.get_by_role("tab", name="Outline").click()
    expect(node_row(a, y["text"])).to_have_count(0, timeout=LIVE)
    expect(node_row(a, x["text"])).to_have_count(1)
    a.get_by_role("tab", name="Analysis").click()
    by_hand = a.locator("li.sugg", has_text="merged by hand")
    expect(by_hand).to_have_count(1, timeout=LIVE)
    expect(by_hand).to_contain_text("Accepted by Bob Okafor")
    # alice undoes it: the two problems are back in bob's outline.
    by_hand.get_by_role("button", name="Undo").click()
    expect(node_row(b, y["text"])).to_have_count(1, timeout=LIVE)
    a.wait_for_function(
        f"() => window.gametree.page.debug.engine.view.liveCount() === {before}", timeout=LIVE
    )

    # bob splits a node drawn in several trees back into its sources.
    nodes = live_nodes(alice, tree_id)
    shared = next(
        n
        for n in nodes.values()
        if len({src["tree"] for src in n["meta"].get("sources", [])}) > 1
        and texts.count(n["text"]) == 1
    )
    k = len({src["tree"] for src in shared["meta"]["sources"]})
    node_row(b, shared["text"]).locator(":scope > .row > .text").click()
    b.get_by_role("button", name=f"Split into its {k} sources").click()
    a.get_by_role("tab", name="Outline").click()
    a.wait_for_function(
        f"() => window.gametree.page.debug.engine.view.liveCount() === {before + k - 1}",
        timeout=LIVE,
    )
    row = node_row(a, shared["text"]).first
    expect(row.locator(":scope > .row .badge.drawn .who-chip")).to_have_count(1, timeout=LIVE)
    bob.shot("review-split")
    assert not alice.errors and not bob.errors


def round_conflict(people: dict[str, Any], ids: list[int]) -> int:
    """The three trees merged, forked to bob and carol for a round, each renaming "Deceptive
    alignment" differently in his or her copy, and the copies merged: the merged tree's id (its
    review holds one conflict)."""
    alice = people["ann"]
    tree_id = merge(alice, ids, "Three people")
    forked = alice.api("POST", f"/api/trees/{tree_id}/fork/", {"people": ["bob", "carol"]})
    copies = {row["person"]: row["tree"]["id"] for row in forked["trees"]}
    base = next(
        n
        for n in alice.api("GET", f"/api/trees/{tree_id}/snapshot/")["nodes"]
        if n["text"] == "Deceptive alignment"
    )
    for name, copy in copies.items():
        who = people["bob"] if name == "bob" else people["carol"]
        node = next(
            n
            for n in who.api("GET", f"/api/trees/{copy}/snapshot/")["nodes"]
            if n["meta"].get("origin") == base["id"]
        )
        op = {"kind": "set", "id": node["id"], "field": "text", "value": f"Deception ({name})"}
        submit(who, copy, [op])
    return merge(alice, list(copies.values()), "Three people")


def open_review(user: Any, tree_id: int) -> None:
    user.page.goto(f"{user.base}/app/trees/{tree_id}#review")
    user.page.wait_for_selector("body[data-tree-ready]")


def test_a_round_conflict_shows_each_persons_text_and_a_pick_reaches_everyone(
    users: Any,
) -> None:
    people, ids = three_trees(users)
    alice, bob = people["ann"], people["bob"]
    merged = round_conflict(people, ids)
    a, b = alice.page, bob.page
    for u in (alice, bob):
        open_review(u, merged)
    conflict = a.locator("li.conflict")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text("Deceptive alignment")
    expect(conflict.locator(".conflict-choices li")).to_have_text(
        [
            re.compile(r"^Base: Deceptive alignment"),
            re.compile(r"^Bob Okafor: Deception \(bob\)"),
            re.compile(r"^Carol Lindqvist: Deception \(carol\)"),
        ]
    )
    alice.shot("review-conflict")
    conflict.get_by_role("button", name="Pick Carol Lindqvist's version: Deception (carol)").click()
    b_conflict = b.locator("li.conflict")
    expect(b_conflict).to_contain_text("Settled by Alice Chen: “Deception (carol)”", timeout=LIVE)
    b.get_by_role("tab", name="Outline").click()
    expect(node_row(b, "Deception (carol)")).to_have_count(1, timeout=LIVE)
    assert not alice.errors and not bob.errors


PICK_CAROLS = "Pick Carol Lindqvist's version: Deception (carol)"
SETTLED = "Settled by Alice Chen: “Deception (carol)”"


def test_a_conflict_settled_while_carol_is_offline_and_bob_reloads_shows_settled_to_both(
    users: Any, patient_expect: None
) -> None:
    """Three people on one merged tree's review: alice settles the round conflict while
    carol's page is offline (its socket cut as well, so no word of it can reach her) and
    bob's page is reloading (the pick may land before, during or after his page reads the
    tree and the queue). Once carol is back and bob's page is loaded, both show it settled."""
    people, ids = three_trees(users)
    alice, bob, carol = people["ann"], people["bob"], people["carol"]
    merged = round_conflict(people, ids)
    gate = SocketGate(carol.page)
    for u in (alice, bob, carol):
        open_review(u, merged)
        expect(u.page.locator("li.conflict")).to_have_count(1)
        expect(u.page.locator("li.conflict .decided")).to_have_count(0)

    carol.context.set_offline(True)
    gate.cut()
    expect(carol.page.locator(".banner.offline")).to_be_visible()
    bob.page.reload(wait_until="commit")
    alice.page.locator("li.conflict").get_by_role("button", name=PICK_CAROLS).click()
    expect(alice.page.locator("li.conflict .decided")).to_have_text(SETTLED)
    bob.page.wait_for_selector("body[data-tree-ready]")
    # Still offline: carol's page has not heard of the pick.
    expect(carol.page.locator("li.conflict .decided")).to_have_count(0)

    # Carol's page reads the queue when its socket is back: once, however it is caught up.
    reads: list[str] = []
    review_url = f"/api/trees/{merged}/review/"
    carol.page.on(
        "request",
        lambda r: reads.append(r.url) if r.method == "GET" and review_url in r.url else None,
    )
    gate.release()
    carol.context.set_offline(False)
    expect(carol.page.locator(".banner.offline")).to_be_hidden(timeout=LIVE)
    bobs = bob.page.locator("li.conflict")
    expect(bobs.locator(".decided")).to_have_text(SETTLED, timeout=LIVE)
    expect(bobs.get_by_role("button", name=PICK_CAROLS)).to_have_text("Picked")
    bob.page.get_by_role("tab", name="Outline").click()
    expect(node_row(bob.page, "Deception (carol)")).to_have_count(1, timeout=LIVE)
    expect(node_row(bob.page, "Deception (bob)")).to_have_count(0)
    # carol's page caught up with the text the pick set (from the ops it missed), seen in its
    # tree without leaving the review.
    carol.page.wait_for_function(
        "() => [...window.gametree.page.debug.engine.view.nodes.values()]"
        ".some(n => !n.deleted && n.text === 'Deception (carol)')",
        timeout=LIVE,
    )
    assert not alice.errors and not bob.errors and not carol.errors

    # The `review` event of the pick never reached carol's page; her page reads the queue
    # again when its socket is back in the tree's group (once per connection), as the
    # server answers its hello with the ops missed, not with the whole tree.
    carols = carol.page.locator("li.conflict")
    expect(carols.locator(".decided")).to_have_text(SETTLED, timeout=LIVE)
    expect(carols.get_by_role("button", name=PICK_CAROLS)).to_have_text("Picked")
    assert len(reads) == 1, reads
    carol.shot("review-conflict-settled-while-offline")


def test_a_review_queue_that_could_not_be_read_offline_is_read_when_the_page_is_back(
    users: Any, patient_expect: None
) -> None:
    """alice opens the Analysis tab of a merged tree while her page is offline: the queue and
    the recurring problems cannot be read and the page says so. When her socket is back the
    queue is read, once, and shown in place of the error, and so is the board, without a
    reload."""
    alice = users("alice")
    sources = [demo_tree(alice, p)["id"] for p in ("Bob's problem tree", "Carol's problem tree")]
    tree_id = merge(alice, sources, f"Offline review {uuid.uuid4()}")
    gate = SocketGate(alice.page)
    alice.open_tree(tree_id)
    p = alice.page
    alice.context.set_offline(True)
    gate.cut()
    expect(p.locator(".banner.offline")).to_be_visible()
    p.get_by_role("tab", name="Analysis").click()
    review = p.locator("section.review")
    expect(review.locator(".error")).to_contain_text("Could not load the review queue")
    board = p.locator("section.an-board")
    expect(board.locator(".error")).to_be_visible()

    reads: list[str] = []
    review_url = f"/api/trees/{tree_id}/review/"
    p.on(
        "request",
        lambda r: reads.append(r.url) if r.method == "GET" and review_url in r.url else None,
    )
    gate.release()
    alice.context.set_offline(False)
    expect(p.locator(".banner.offline")).to_be_hidden(timeout=LIVE)
    expect(review.locator("li.sugg").first).to_be_visible(timeout=LIVE)
    expect(review.locator(".error")).to_be_hidden()
    expect(board.locator("tbody.board-item").first).to_be_visible(timeout=LIVE)
    expect(board.locator(".error")).to_have_count(0)
    assert review.locator("li.sugg").count() == len(alice.api("GET", review_url)["suggestions"])
    assert len(reads) == 1, reads
    alice.shot("review-read-when-back-online")
    assert not alice.errors


def test_a_split_after_keep_bs_label_gives_back_both_labels_and_opens_the_card_for_both(
    users: Any,
) -> None:
    people, ids = three_trees(users)
    alice, bob = people["ann"], people["bob"]
    tree_id = merge(alice, ids, "Three people")
    a, b = alice.page, bob.page
    for u in (alice, bob):
        open_review(u, tree_id)
    nodes = live_nodes(alice, tree_id)
    texts = [n["text"] for n in nodes.values()]

    def one_tree(node: str) -> bool:
        return len({src["tree"] for src in nodes[node]["meta"].get("sources", [])}) == 1

    s = next(
        x
        for x in alice.api("GET", f"/api/trees/{tree_id}/review/")["suggestions"]
        if one_tree(x["a"]["node"])
        and one_tree(x["b"]["node"])
        and texts.count(nodes[x["a"]["node"]]["text"]) == 1
        and texts.count(nodes[x["b"]["node"]]["text"]) == 1
    )
    text_a, text_b = nodes[s["a"]["node"]]["text"], nodes[s["b"]["node"]]["text"]
    item = a.locator(f"li.sugg[data-sid='{s['id']}']")
    item.get_by_role("button", name="Keep B's label").click()
    expect(item).to_have_attribute("data-status", "accepted")
    b_item = b.locator(f"li.sugg[data-sid='{s['id']}']")
    expect(b_item).to_have_attribute("data-status", "accepted", timeout=LIVE)

    # bob splits the merged problem from its details: each part has its own label again.
    b.get_by_role("tab", name="Outline").click()
    node_row(b, text_b).locator(":scope > .row > .text").click()
    b.get_by_role("button", name="Split into its 2 sources").click()
    expect(node_row(b, text_a)).to_have_count(1, timeout=LIVE)
    expect(node_row(b, text_b)).to_have_count(1)
    # alice's card no longer says Accepted: the pair is open again, for both of them.
    expect(item).to_have_attribute("data-status", "pending", timeout=LIVE)
    expect(item.get_by_role("button", name="Keep B's label")).to_be_enabled()
    b.get_by_role("tab", name="Analysis").click()
    expect(b_item).to_have_attribute("data-status", "pending", timeout=LIVE)
    a.get_by_role("tab", name="Outline").click()
    expect(node_row(a, text_a)).to_have_count(1, timeout=LIVE)
    expect(node_row(a, text_b)).to_have_count(1)
    alice.shot("review-split-after-keep-b")
    assert not alice.errors and not bob.errors


def test_or_merge_a_with_another_candidate_says_so_and_leaves_bs_pair_open_for_everyone(
    users: Any,
) -> None:
    people, ids = three_trees(users)
    alice, bob = people["ann"], people["bob"]
    tree_id = merge(alice, ids, "Three people")
    a, b = alice.page, bob.page
    for u in (alice, bob):
        open_review(u, tree_id)
    s, pick = next(
        (x, c)
        for x in alice.api("GET", f"/api/trees/{tree_id}/review/")["suggestions"]
        for c in x["candidates"][1:]
        if c["node"] not in (x["a"]["node"], x["b"]["node"])
    )
    text_b = live_nodes(alice, tree_id)[s["b"]["node"]]["text"]
    item = a.locator(f"li.sugg[data-sid='{s['id']}']")
    item.locator(".candidates button", has_text=pick["label"]).first.click()
    expect(item).to_have_attribute("data-status", "accepted")
    said = f"merged A with “{pick['label']}”, not B"
    expect(item.locator(".decided")).to_contain_text(said)
    expect(b.locator(f"li.sugg[data-sid='{s['id']}'] .decided")).to_contain_text(said, timeout=LIVE)
    # B is still its own problem, and its pair with A is still to decide, on bob's screen too.
    served = alice.api("GET", f"/api/trees/{tree_id}/review/")["suggestions"]
    still = [
        x
        for x in served
        if x["status"] == "pending"
        and {x["a"]["node"], x["b"]["node"]} == {s["a"]["node"], s["b"]["node"]}
    ]
    assert len(still) == 1
    open_card = b.locator(f"li.sugg[data-sid='{still[0]['id']}']")
    expect(open_card).to_have_attribute("data-status", "pending", timeout=LIVE)
    b.get_by_role("tab", name="Outline").click()
    expect(node_row(b, text_b)).to_have_count(1)
    assert pick["node"] not in live_nodes(alice, tree_id)
    alice.shot("review-pick-other-candidate")
    assert not alice.errors and not bob.errors
