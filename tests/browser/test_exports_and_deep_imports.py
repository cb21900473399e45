"""Downloads and deep Google Docs imports in a real browser: a copy from Google Docs is read
from its HTML (every level exact), a misplaced prefix is explained in a sentence, counts say
"patches", downloads are named after the tree and a refused download says why."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_import_dialog import PREVIEW_JS, open_dialog

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

FIXTURES = Path(__file__).resolve().parents[1] / "formats" / "fixtures"

# What the same copy puts on the clipboard as text/plain: glyphs only, which cycle every
# three levels, so the plain text alone cannot tell level 4 from level 1.
PLAIN_COPY = "\n".join(
    [
        "Game tree: imitation of a careful overseer",
        "● Train a model to imitate a careful human overseer",
        "○ The careful human still makes systematic errors - imitating them copies them",
        "■ Use debate so the human only judges",
        "● The judge can be fooled by the more persuasive debater",
        "○ Cross-examination lets the judge pin a debater down",
        "■ Debaters can coordinate to mislead the judge together",
        "● Reward the debater who exposes collusion (a bounty)",
        "■ Ensemble several humans and take the majority",
        "○ Imitation gives no guarantee off-distribution",
        "● Use interpretability to audit the model's goals",
        "○ We cannot yet read goals from weights (see Olah et al.)",
    ]
)

WANT = [
    "1|proposal|Proposal|Train a model to imitate a careful human overseer",
    "2|critique|Critique|The careful human still makes systematic errors - "
    "imitating them copies them",
    "3|patch|Patch|Use debate so the human only judges",
    "4|critique|Critique|The judge can be fooled by the more persuasive debater",
    "5|patch|Patch|Cross-examination lets the judge pin a debater down",
    "6|critique|Critique|Debaters can coordinate to mislead the judge together",
    "7|patch|Patch|Reward the debater who exposes collusion (a bounty)",
    "3|patch|Patch|Ensemble several humans and take the majority",
    "2|critique|Critique|Imitation gives no guarantee off-distribution",
    "1|proposal|Proposal|Use interpretability to audit the model's goals",
    "2|critique|Critique|We cannot yet read goals from weights (see Olah et al.)",
]

PASTE_JS = """([plain, html]) => {
  const ta = document.querySelector('dialog.import-dialog textarea');
  ta.focus();
  const data = new DataTransfer();
  data.setData('text/plain', plain);
  if (html) data.setData('text/html', html);
  const ev = new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true});
  ta.dispatchEvent(ev);
  return ev.defaultPrevented;
}"""


def test_a_google_docs_copy_is_read_from_its_html_seven_levels_deep(users: Any) -> None:
    alice = users("alice")
    p = alice.page
    dialog = open_dialog(p)
    html = (FIXTURES / "google_docs_clipboard.html").read_text(encoding="utf-8")
    assert p.evaluate(PASTE_JS, [PLAIN_COPY, html]) is True
    text = dialog.get_by_label("Text to import")
    assert "\t\t\t\t\t\t● Reward the debater" in text.input_value()
    status = dialog.get_by_role("status")
    expect(status).to_contain_text("11 nodes: 2 proposals, 5 critiques, 4 patches")
    expect(status).to_contain_text("Game tree: imitation of a careful overseer")
    assert p.evaluate(PREVIEW_JS) == WANT
    expect(dialog.get_by_role("note")).to_be_hidden()  # nothing guessed from the HTML
    alice.shot("import-google-docs-html")
    dialog.get_by_role("button", name="Create tree").click()
    p.wait_for_selector("body[data-tree-ready]")
    expect(p.locator("li.node")).to_have_count(11)
    assert alice.errors == []


def test_a_deep_glyph_only_paste_explains_a_misplaced_patch_and_counts_patches(
    users: Any,
) -> None:
    alice = users("alice")
    p = alice.page
    dialog = open_dialog(p)
    text = dialog.get_by_label("Text to import")
    text.fill(
        "● Proposal: Use debate\n○ Judges get fooled\n■ Train the judges\n"
        "● Patch: Pay the judges better\n"
    )
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("Line 4")
    expect(alert).to_contain_text("“Pay the judges better” is marked as a patch")
    expect(alert).to_have_attribute("data-code", "bad_parent_type")
    expect(alert).not_to_contain_text("bad_parent_type")
    expect(dialog.get_by_role("button", name="Create tree")).to_be_disabled()
    alice.shot("import-misplaced-patch")

    # The glyph of the third level puts it there: two patches, one under the other critique.
    text.fill(
        "● Proposal: Use debate\n○ Judges get fooled\n■ Train the judges\n"
        "■ Patch: Pay the judges better\n● Judges still get fooled\n"
    )
    expect(dialog.get_by_role("status")).to_contain_text(
        "5 nodes: 1 proposal, 2 critiques, 2 patches"
    )
    # The last `●` could be level 1 or 4: read as 4, and the preview says it guessed.
    note = dialog.get_by_role("note")
    expect(note).to_contain_text("“Judges still get fooled” was read as level 4")
    expect(note).to_contain_text("Paste from the document itself")
    assert [row.split("|")[0] for row in p.evaluate(PREVIEW_JS)] == ["1", "2", "3", "3", "4"]
    assert alice.errors == []


def test_downloads_are_named_after_the_title_and_a_refused_one_says_why(users: Any) -> None:
    alice = users("alice")
    p = alice.page
    tree = alice.api(
        "POST",
        "/api/trees/import/",
        {
            "kind": "game",
            "title": "Débat: scalable oversight",
            "text": (
                "- Use debate #oversight\n  - Judges get fooled\n    - Train the judges\n"
                "- Use amplification\n"
            ),
        },
    )
    alice.open_tree(tree["id"])
    menu_btn = p.get_by_role("button", name=re.compile("^Download"))
    menu_btn.click()
    menu = p.get_by_role("menu", name="Download as")
    with p.expect_download() as info:
        menu.get_by_role("menuitem", name=re.compile("^Markdown")).click()
    download = info.value
    assert download.suggested_filename == "Débat scalable oversight.md"
    body = Path(download.path()).read_text(encoding="utf-8")
    assert "- Use debate #oversight" in body  # tags kept, in a form that imports back
    menu_btn.click()
    with p.expect_download() as info:
        menu.get_by_role("menuitem", name=re.compile("^PNG")).click()
    assert info.value.suggested_filename == "Débat scalable oversight.png"
    assert Path(info.value.path()).read_bytes().startswith(b"\x89PNG")

    assert alice.errors == []


def test_a_refused_download_shows_the_server_message(users: Any) -> None:
    """Bob's access ends while his page is open: the download answers 404 and says so,
    instead of silently doing nothing (as PNG did when Graphviz was missing)."""
    alice = users("alice")
    bob = users("bob")
    tree = alice.api("POST", "/api/trees/", {"kind": "problem", "title": "Shared for a while"})
    member = alice.api(
        "POST", f"/api/trees/{tree['id']}/members/", {"username": "bob", "role": "viewer"}
    )
    bob.open_tree(tree["id"])
    alice.api("DELETE", f"/api/trees/{tree['id']}/members/{member['user']['id']}/")
    p = bob.page
    p.get_by_role("button", name=re.compile("^Download")).click()
    p.get_by_role("menu", name="Download as").get_by_role(
        "menuitem", name=re.compile("^PNG")
    ).click()
    toast = p.locator(".toast.error").filter(has_text="PNG download failed")
    expect(toast).to_be_visible()
    bob.shot("download-refused")
