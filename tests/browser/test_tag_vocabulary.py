"""The tag vocabulary in real browsers (docs/analysis.md): one person renames a tag and
another's tag filter follows it live, or catches up with it when the other's page comes back
online; the tag field suggests the group's tags and the failure-mode vocabulary, writes the one
spelling, and is reached by keyboard (Alt+T, Alt+N, Esc back to the node)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import LIVE, SocketGate, submit

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def tagged_tree(alice: Any, tree_id: int) -> dict[str, str]:
    root = str(uuid.uuid4())
    ops = [{"kind": "create", "id": root, "type": "proposal", "parent": None, "text": "Debate"}]
    ids = {"root": root}
    for text, tags in (
        ("Judges reward confident answers", ["#Goodhart"]),
        ("Debaters learn what fools the judge", ["goodhart", "Sycophancy"]),
        ("Both debaters collude", ["collusion"]),
    ):
        ids[text] = str(uuid.uuid4())
        ops.append(
            {
                "kind": "create",
                "id": ids[text],
                "type": "critique",
                "parent": root,
                "text": text,
                "tags": tags,
            }
        )
    submit(alice, tree_id, ops)
    return ids


def test_a_rename_by_one_person_moves_anothers_tag_filter_live(shared_tree: Any) -> None:
    alice, bob, tree_id = shared_tree("game", "Tag rename test")
    tagged_tree(alice, tree_id)
    for u in (alice, bob):
        u.open_tree(tree_id)
    b = bob.page
    b.get_by_label("Filter by tag").focus()
    b.get_by_label("Filter by tag").select_option("goodhart")
    expect(b.locator(".findbar .count")).to_have_text("2 matches")

    a = alice.page
    a.get_by_role("button", name="Rename tags…").click()
    dialog = a.locator("dialog.tag-rename-dialog")
    dialog.get_by_label("#goodhart").check()
    dialog.get_by_label("#sycophancy").check()
    dialog.get_by_label("New name").fill("Proxy gaming")
    dialog.get_by_role("button", name="Rename").click()
    expect(a.locator("#toasts .toast", has_text="→ #proxy-gaming")).to_be_visible()

    # bob did not reload: his filter now shows the new tag, with the same critiques.
    expect(b.get_by_label("Filter by tag")).to_have_value("proxy-gaming", timeout=LIVE)
    expect(b.locator(".findbar .count")).to_have_text("2 matches")
    options = b.get_by_label("Filter by tag").locator("option").all_text_contents()
    assert "#goodhart" not in options and "#sycophancy" not in options
    assert "#proxy-gaming" in options and "#collusion" in options
    bob.shot("tags-renamed-live")
    assert not alice.errors and not bob.errors


def test_a_rename_while_bob_is_offline_reaches_his_tag_filter_and_suggestions_when_he_is_back(
    shared_tree: Any, patient_expect: None
) -> None:
    """The rename's ops reach bob's page with the catch-up of his reconnect, its `tags` event
    never does: his page reads the tag field's suggestions again when its socket is back, once,
    the filter's choices and the suggestions drop the old names without a reload, and the
    filter follows its tag to the new name, which the rename's ops tell."""
    alice, bob, tree_id = shared_tree("game", "Tag rename offline test")
    # Tags of this test alone: the suggestions also hold the tags of bob's other trees.
    mark = uuid.uuid4().hex[:8]
    old, other, new = f"shortcut-{mark}", f"hack-{mark}", f"proxy-gaming-{mark}"
    root, kept = str(uuid.uuid4()), str(uuid.uuid4())
    ops: list[dict[str, Any]] = [
        {"kind": "create", "id": root, "type": "proposal", "parent": None, "text": "Debate"}
    ]
    for node, text, tag in (
        (kept, "Both debaters collude", f"collusion-{mark}"),
        (str(uuid.uuid4()), "Judges reward confidence", old),
        (str(uuid.uuid4()), "Debaters fool the judge", other),
    ):
        crit = {"kind": "create", "id": node, "type": "critique", "parent": root, "text": text}
        ops.append({**crit, "tags": [tag]})
    submit(alice, tree_id, ops)
    gate = SocketGate(bob.page)
    bob.open_tree(tree_id)
    b = bob.page
    # A node without the renamed tags in the details panel: its tag field's suggestions are
    # read (this tree's tags, bob's other trees', the vocabulary), and no op of the rename
    # touches it.
    b.locator(f"li.node[data-id='{kept}'] > .row > .text").click()

    def offered(tag: str) -> Any:
        return b.locator(f"datalist#tag-offers option[value='{tag}']")

    expect(offered(old)).to_have_count(1)
    tag_filter = b.get_by_label("Filter by tag")
    tag_filter.select_option(old)
    expect(b.locator(".findbar .count")).to_have_text("1 match")

    bob.context.set_offline(True)
    gate.cut()
    expect(b.locator(".banner.offline")).to_be_visible()
    alice.api("POST", "/api/tags/rename/", {"from": [old, other], "to": new, "trees": [tree_id]})
    reads: list[str] = []
    b.on(
        "request",
        lambda r: reads.append(r.url) if "/api/tags/vocabulary/" in r.url else None,
    )
    gate.release()
    bob.context.set_offline(False)
    expect(b.locator(".banner.offline")).to_be_hidden(timeout=LIVE)

    # bob did not reload: the filter offers the new name, no old one, and follows its tag to
    # the new name (its node's tags were set by the rename), now on both merged critiques.
    expect(tag_filter.locator(f"option[value='{new}']")).to_have_count(1, timeout=LIVE)
    expect(tag_filter.locator(f"option[value='{old}']")).to_have_count(0)
    expect(tag_filter.locator(f"option[value='{other}']")).to_have_count(0)
    expect(tag_filter).to_have_value(new)
    expect(b.locator(".findbar .count")).to_have_text("2 matches")
    # The tag field's suggestions: the new name, neither old one (this tree's tags follow the
    # ops, what the server offers is read again).
    expect(offered(new)).to_have_count(1, timeout=LIVE)
    expect(offered(old)).to_have_count(0, timeout=LIVE)
    expect(offered(other)).to_have_count(0)
    assert len(reads) == 1, reads
    bob.shot("tags-renamed-while-offline")
    assert not alice.errors and not bob.errors


def test_the_tag_field_is_reached_by_keyboard_suggests_and_writes_the_one_spelling(
    shared_tree: Any,
) -> None:
    alice, _bob, tree_id = shared_tree("game", "Tag keyboard test")
    ids = tagged_tree(alice, tree_id)
    alice.open_tree(tree_id)
    p = alice.page
    node = ids["Both debaters collude"]
    p.locator(f"li.node[data-id='{node}'] > .row > .text").click()

    p.keyboard.press("Alt+t")
    field = p.get_by_label("Add a tag")
    expect(field).to_be_focused()
    # The suggestions: this tree's tags, then the failure-mode vocabulary (label and aliases).
    offers = p.locator("datalist#tag-offers option")
    expect(offers.first).to_have_attribute("value", "collusion")
    expect(p.locator("datalist#tag-offers option[value='reward-tampering']")).to_have_count(1)
    field.fill("#Scalable Oversight")
    p.keyboard.press("Enter")
    tags = f"() => window.gametree.page.debug.engine.view.get('{node}').tags"
    p.wait_for_function(f"() => ({tags})().join() === 'collusion,scalable-oversight'")
    expect(p.locator(".details .tag-list")).to_contain_text("#scalable-oversight")

    p.keyboard.press("Escape")
    expect(p.locator(f"li.node[data-id='{node}'] > .row > .text")).to_be_focused()
    p.keyboard.press("Alt+n")
    expect(p.get_by_label("Note", exact=True)).to_be_focused()
    p.keyboard.type("Seen in the 2024 debate runs")
    p.keyboard.press("Escape")
    expect(p.locator(f"li.node[data-id='{node}'] > .row > .text")).to_be_focused()
    p.wait_for_function(
        f"() => window.gametree.page.debug.engine.view.get('{node}').note"
        " === 'Seen in the 2024 debate runs'"
    )

    p.keyboard.press("Escape")
    p.keyboard.press("?")
    help_box = p.locator("dialog.help")
    expect(help_box).to_contain_text("Alt+T")
    expect(help_box).to_contain_text("Alt+N")
    assert not alice.errors
