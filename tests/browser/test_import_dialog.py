"""The import dialog and the download menu in a real browser: a Google-Docs-style paste is
previewed with its node types, created and opened in the outliner; a malformed paste shows
the error with its line and creates nothing; files can be chosen; exports download."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_live_editing import outline

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# What Google Docs' "Download as Markdown" (and many copies) gives: `*` bullets, 4-space
# indents, bold labels, an explicit type prefix.
GDOCS_PASTE = """# Debate for scalable oversight

*   **Train two debaters and a human judge**
    *   Critique: Judges can be fooled by confident rhetoric
        *   Train judges on adversarial transcripts
            *   **Critique:** Adversarial training does not cover novel tricks
    *   Debaters may collude against the judge <img src=x onerror=alert(1)>
*   Use interpretability to check the debaters
"""

WANT = [
    "1|proposal|Train two debaters and a human judge",
    "2|critique|Judges can be fooled by confident rhetoric",
    "3|patch|Train judges on adversarial transcripts",
    "4|critique|Adversarial training does not cover novel tricks",
    "2|critique|Debaters may collude against the judge <img src=x onerror=alert(1)>",
    "1|proposal|Use interpretability to check the debaters",
]

BROKEN_PASTE = """# Broken paste

*   Proposal one
    *   A critique
        *   A patch
    *   Another critique
  *   Misaligned bullet
"""

PREVIEW_JS = """() => {
  const walk = (ul, depth) => [...ul.children].flatMap(li => [
    [depth, li.dataset.type, li.querySelector(':scope > .imp-row > .imp-type').textContent,
     li.querySelector(':scope > .imp-row > .imp-text').textContent].join('|'),
    ...[...li.querySelectorAll(':scope > ul.imp-tree')].flatMap(u => walk(u, depth + 1)),
  ]);
  const root = document.querySelector('dialog.import-dialog .imp-preview > ul.imp-tree');
  return root ? walk(root, 1) : [];
}"""


def open_dialog(page: Any) -> Any:
    page.wait_for_selector("body[data-list-ready]")
    page.get_by_role("button", name="Import…").click()
    dialog = page.get_by_role("dialog", name="Import a tree")
    expect(dialog).to_be_visible()
    return dialog


def test_paste_preview_create_and_download(users: Any) -> None:
    alice = users("alice")
    p = alice.page
    dialog = open_dialog(p)
    text = dialog.get_by_label("Text to import")
    expect(text).to_be_focused()
    # Shift+Tab from the first control wraps to the last one (focus trap).
    p.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    p.keyboard.press("Tab")
    expect(text).to_be_focused()

    text.fill(GDOCS_PASTE)
    status = dialog.get_by_role("status")
    expect(status).to_contain_text("6 nodes: 2 proposals, 3 critiques, 1 patch")
    expect(status).to_contain_text("read as Markdown")
    expect(status).to_contain_text("Debate for scalable oversight")
    assert p.evaluate(PREVIEW_JS) == [
        "1|proposal|Proposal|Train two debaters and a human judge",
        "2|critique|Critique|Judges can be fooled by confident rhetoric",
        "3|patch|Patch|Train judges on adversarial transcripts",
        "4|critique|Critique|Adversarial training does not cover novel tricks",
        "2|critique|Critique|Debaters may collude against the judge <img src=x onerror=alert(1)>",
        "1|proposal|Proposal|Use interpretability to check the debaters",
    ]
    # User text stays text: no element was made from the pasted markup.
    assert dialog.locator(".imp-preview img").count() == 0
    create = dialog.get_by_role("button", name="Create tree")
    expect(create).to_be_enabled()
    alice.shot("import-preview")

    create.click()
    p.wait_for_selector("body[data-tree-ready]")
    expect(p.locator(".tree-title")).to_have_text("Debate for scalable oversight")
    expect(p.get_by_role("dialog")).to_have_count(0)
    expect(p.locator("li.node")).to_have_count(6)
    assert outline(alice) == WANT
    alice.shot("import-created")

    # Download menu: game trees offer Argdown; the Markdown link downloads the export.
    menu_btn = p.get_by_role("button", name=re.compile("^Download"))
    menu_btn.click()
    menu = p.get_by_role("menu", name="Download as")
    expect(menu).to_be_visible()
    labels = menu.get_by_role("menuitem").all_text_contents()
    assert len(labels) == 7
    for name in ("Markdown", "OPML", "JSON (backup)", "GraphML", "SVG", "PNG", "Argdown"):
        expect(menu.get_by_role("menuitem", name=re.compile("^" + re.escape(name)))).to_be_visible()
    alice.shot("download-menu")
    with p.expect_download() as info:
        menu.get_by_role("menuitem", name=re.compile("^Markdown")).click()
    download = info.value
    assert download.suggested_filename == "Debate for scalable oversight.md"
    body = Path(download.path()).read_text(encoding="utf-8")
    assert body.startswith("# Debate for scalable oversight")
    assert "Judges can be fooled by confident rhetoric" in body
    assert "Adversarial training does not cover novel tricks" in body
    expect(menu).to_be_hidden()
    # Keyboard: ArrowDown opens on the first item, Escape closes back onto the button.
    menu_btn.focus()
    p.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem").first).to_be_focused()
    p.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(menu_btn).to_be_focused()
    assert alice.errors == []


def test_malformed_paste_shows_a_sentence_with_its_line_and_creates_nothing(users: Any) -> None:
    alice = users("alice")
    p = alice.page
    before = len(alice.api("GET", "/api/trees/"))
    dialog = open_dialog(p)
    dialog.get_by_label("Text to import").fill(BROKEN_PASTE)
    alert = dialog.get_by_role("alert")
    expect(alert).to_have_attribute("data-code", "bad_indentation")
    expect(alert).not_to_contain_text("bad_indentation")  # a sentence, not the code
    expect(alert).to_contain_text("Line 7")
    expect(alert).to_have_attribute("data-line", "7")
    expect(dialog.get_by_role("button", name="Create tree")).to_be_disabled()
    assert p.evaluate(PREVIEW_JS) == []
    alice.shot("import-error")

    # Fixing the line brings the preview back.
    fixed = BROKEN_PASTE.replace("  *   Misaligned", "*   Misaligned")
    dialog.get_by_label("Text to import").fill(fixed)
    expect(dialog.get_by_role("status")).to_contain_text("5 nodes")
    expect(dialog.locator(".imp-error")).to_be_empty()

    # Escape closes the dialog; nothing was created.
    p.keyboard.press("Escape")
    expect(p.get_by_role("dialog")).to_have_count(0)
    expect(p.get_by_role("button", name="Import…")).to_be_focused()
    assert len(alice.api("GET", "/api/trees/")) == before
    assert alice.errors == []


def test_file_import_of_a_problem_tree_from_opml(users: Any) -> None:
    alice = users("alice")
    p = alice.page
    dialog = open_dialog(p)
    dialog.get_by_label("Kind").select_option("problem")
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><head><title>What makes it hard</title></head>'
        '<body><outline text="Alignment is hard"><outline text="Goals are hard to specify"/>'
        '<outline text="Oversight does not scale" _note="Humans are slow."/>'
        "</outline></body></opml>"
    )
    dialog.locator("input[type=file]").set_input_files(
        {"name": "hard.opml", "mimeType": "text/x-opml", "buffer": opml.encode()}
    )
    expect(dialog.get_by_text("hard.opml")).to_be_visible()
    expect(dialog.get_by_label("Text to import")).to_be_disabled()
    status = dialog.get_by_role("status")
    expect(status).to_contain_text("3 nodes")
    expect(status).to_contain_text("read as OPML")
    assert [x.split("|")[1] for x in p.evaluate(PREVIEW_JS)] == ["problem"] * 3
    expect(dialog.locator(".imp-note")).to_have_text("Humans are slow.")
    dialog.get_by_label("Title").fill("Imported problems")
    dialog.get_by_role("button", name="Create tree").click()
    p.wait_for_selector("body[data-tree-ready]")
    expect(p.locator(".tree-title")).to_have_text("Imported problems")
    assert outline(alice) == [
        "1|problem|Alignment is hard",
        "2|problem|Goals are hard to specify",
        "2|problem|Oversight does not scale",
    ]
    # Problem trees have no Argdown export.
    p.get_by_role("button", name=re.compile("^Download")).click()
    menu = p.get_by_role("menu", name="Download as")
    expect(menu.get_by_role("menuitem", name=re.compile("^OPML"))).to_be_visible()
    expect(menu.get_by_role("menuitem", name=re.compile("^Argdown"))).to_have_count(0)
    assert alice.errors == []


def test_the_new_tree_form_stays_put_while_the_workshops_and_trees_arrive(users: Any) -> None:
    # A facilitator's list page shows a "Your workshops" card once its request answers. It
    # used to sit above the new-tree form and push "Import…" down when it appeared, so a
    # click meant for it landed elsewhere (a browser test caught it on a busy machine).
    alice = users("alice")
    made = alice.api("POST", "/api/workshops/", {"title": "Layout cohort"})
    held: list[Any] = []
    alice.page.route("**/api/workshops/", lambda route: held.append(route))
    p = alice.page
    p.goto(f"{alice.base}/")
    p.wait_for_selector("text=My trees")
    expect(p.get_by_role("button", name="Import…")).to_be_visible()
    before = p.get_by_role("button", name="Import…").bounding_box()
    assert held, "the workshops request was not made"
    assert p.locator("body[data-list-ready]").count() == 0  # the lists wait for the card
    held[0].continue_()
    p.unroute("**/api/workshops/")
    p.wait_for_selector("body[data-list-ready]")
    expect(p.get_by_role("region", name="Your workshops")).to_contain_text(made["title"])
    assert p.get_by_role("button", name="Import…").bounding_box() == before
    expect(p.get_by_role("list", name="My trees")).to_be_visible()
