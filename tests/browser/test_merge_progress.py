"""A long merge in a real browser (docs/analysis.md): the merge dialog shows a progress bar
(role=progressbar, its phase and percentage) while the server merges in the background, then
opens the review screen; a merge the server refuses shows why and offers to try again."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

WORDS = [
    *("reward", "model", "oversight", "deception", "proxy", "goal", "values", "power"),
    *("agent", "training", "data", "human", "feedback", "honest", "gradient", "mesa"),
    *("optimiser", "corrigible", "interpretability", "scaling", "evaluation", "robust"),
    *("specification", "shift", "capability", "control", "situational", "awareness"),
    *("collusion", "debate"),
]

# Every value the bar takes, recorded in the page (polling from the test could miss some).
WATCH_JS = """() => {
  window.__bar = [];
  const seen = () => {
    const bar = document.querySelector('.merge-dialog [role=progressbar]');
    if (!bar) return;
    const v = [bar.getAttribute('aria-valuenow'), bar.getAttribute('aria-valuetext')];
    const last = window.__bar[window.__bar.length - 1];
    if (!last || last[0] !== v[0] || last[1] !== v[1]) window.__bar.push(v);
  };
  const all = {subtree: true, childList: true, attributes: true};
  new MutationObserver(seen).observe(document.body, all);
}"""


def outline(seed: int, size: int) -> str:
    """A Markdown outline of `size` problems under "Alignment", worded from a shared pool so
    that two of them have plenty of candidate matches."""
    rng = random.Random(seed)
    lines = ["- Alignment"]
    depth = 0  # each line at most one level below the one before
    for _ in range(size - 1):
        depth = max(1, min(4, depth + rng.choice((-1, 0, 0, 1))))
        lines.append("  " * depth + "- " + " ".join(rng.sample(WORDS, rng.randint(2, 4))))
    return "\n".join(lines) + "\n"


def pick(page: Any, titles: list[str]) -> None:
    for title in titles:
        page.locator("li.tree-item", has_text=title).locator("input.pick-tree").check()
    expect(page.locator(".pick-count")).to_have_text(f"{len(titles)} selected")


def test_a_long_merge_shows_its_progress_then_opens_the_review(users: Any) -> None:
    alice = users("alice")
    p = alice.page
    titles = ["Progress test one", "Progress test two"]
    for seed, title in enumerate(titles):
        body = {"kind": "problem", "title": title, "format": "md"}
        alice.api("POST", "/api/trees/import/", {**body, "text": outline(seed, 1500)})
    p.reload()
    p.wait_for_selector("text=My trees")
    pick(p, titles)
    p.get_by_role("button", name="Merge trees…").click()
    p.get_by_label("Title of the merged tree").fill("Progress test merge")
    p.evaluate(WATCH_JS)
    p.get_by_role("button", name="Merge", exact=True).click()

    bar = p.get_by_role("progressbar", name="Merge progress")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("aria-valuenow", re.compile(r"^\d{1,3}$"))
    expect(p.locator(".merge-dialog .merge-phase")).to_have_text(re.compile(r"…$"))
    alice.shot("merge-progress")
    p.wait_for_url(re.compile(r"/app/trees/\d+#review$"), timeout=120_000)
    # The review of ~740 suggestions over a 3,000-node tree: 2.3-4.7 s after the page opened
    # at load 10-16 on 2 cores (the default 5 s timed out twice there).
    expect(p.locator("section.review li.sugg").first).to_be_visible(timeout=20_000)

    values = p.evaluate("() => window.__bar")
    numbers = [int(v) for v, _ in values]
    assert numbers == sorted(numbers), values  # never goes back
    assert numbers[-1] == 100 and any(0 < n < 100 for n in numbers), values
    texts = {t.rsplit(",", 1)[0] for _, t in values}
    assert texts & {"Finding likely matches", "Building the merged tree", "Saving the merged tree"}
    assert not alice.errors


def test_a_refused_merge_shows_why_and_can_be_tried_again(users: Any) -> None:
    alice = users("alice")
    p = alice.page
    titles = ["Refused test one", "Refused test two"]
    made = [
        alice.api(
            "POST",
            "/api/trees/import/",
            {"kind": "problem", "title": t, "format": "md", "text": outline(7, 5)},
        )
        for t in titles
    ]
    p.reload()
    p.wait_for_selector("text=My trees")
    pick(p, titles)
    p.get_by_role("button", name="Merge trees…").click()
    # The tree goes away while the dialog is open: the server refuses the merge.
    alice.api("DELETE", f"/api/trees/{made[1]['id']}/")
    p.get_by_role("button", name="Merge", exact=True).click()
    error = p.locator(".merge-dialog .merge-error")
    expect(error).to_contain_text("The merge failed")
    expect(error).to_have_attribute("data-code", "not_found")
    expect(p.get_by_role("progressbar")).to_have_count(0)
    expect(p.get_by_role("button", name="Try again")).to_be_enabled()
    assert not alice.errors


def test_a_merge_started_low_on_a_long_tree_list_opens_its_review_at_the_top(users: Any) -> None:
    """The tree page opened at the list's scroll offset: the merged tree's header, the review's
    heading and its first suggestions were above the screen."""
    alice = users("alice", {"width": 1280, "height": 500})
    p = alice.page
    titles = ["Scroll test one", "Scroll test two"]
    for seed, title in enumerate(titles):
        body = {"kind": "problem", "title": title, "format": "md"}
        alice.api("POST", "/api/trees/import/", {**body, "text": outline(seed + 20, 8)})
    for n in range(8):  # a list long enough to scroll
        alice.api("POST", "/api/trees/", {"kind": "game", "title": f"Scroll filler {n}"})
    p.reload()
    p.wait_for_selector("text=My trees")
    pick(p, titles)
    p.get_by_role("button", name="Merge trees…").click()
    p.get_by_label("Title of the merged tree").fill("Scroll test merge")
    # Where the ticks were: far down the list.
    p.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    assert p.evaluate("() => window.scrollY") > 300
    p.get_by_role("button", name="Merge", exact=True).click()
    p.wait_for_url(re.compile(r"/app/trees/\d+#review$"), timeout=60_000)
    heading = p.get_by_role("heading", name="Merge review")
    expect(heading).to_be_visible()
    assert p.evaluate("() => window.scrollY") == 0
    assert heading.bounding_box()["y"] < 500
    expect(p.locator("header").get_by_text("Scroll test merge")).to_be_in_viewport()
    assert not alice.errors
