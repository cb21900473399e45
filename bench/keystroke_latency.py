#!/usr/bin/env python3
"""Keystroke latency browser to browser: a key pressed on one page -> the character visible on
another member's page, with real Chromium pages on the embedded default (SQLite, in-memory
channel layer, one daphne process, production settings).

Two browser contexts (alice and bob, each signed in with their own session) open one tree.
Alice types into a node through Playwright's keyboard; a capturing `keydown` listener in her
page stamps each press, and a MutationObserver in bob's page stamps the moment the node's text
first holds that many characters. Both stamps are `performance.timeOrigin + performance.now()`
taken inside the pages (one browser process, one clock). In the same run and per keystroke, the
same pair is also taken on alice's own page (key -> her own text changed), the floor the
browser itself sets; the ratio of the two is printed.

Typing runs at two speeds (a key every 120 ms, like a fast typist, and every 40 ms, like a
burst or key repeat). Targets (issue 14): p50 <= 50 ms, p99 <= 150 ms.

`--field note` types into the node's note in the details panel instead (both pages have it
open; a textarea's value has no mutation to observe, so each page polls it every 2 ms). A note
is written half a second after the last key and at least every 2 s while typing goes on
(docs/protocol.md, "Node text"), so its figure is that pause, not the path: it is printed
without the label's targets.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _harness import (  # noqa: E402
    LoadSampler,
    bench_parser,
    machine,
    machine_line,
    production_env,
    summary,
    write_json,
)
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.server import running_server  # noqa: E402

TARGET_P50_MS = 50.0
TARGET_P99_MS = 150.0
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

WATCH_JS = """(id) => {
  window.__seen = {};
  const el = document.querySelector(`li.node[data-id='${id}'] > .row > .text`);
  const note = () => {
    const n = el.textContent.length;
    if (!(n in window.__seen)) window.__seen[n] = performance.timeOrigin + performance.now();
  };
  new MutationObserver(note).observe(el, { childList: true, characterData: true, subtree: true });
}"""

PRESS_JS = """() => {
  window.__pressed = [];
  document.addEventListener("keydown", () => {
    window.__pressed.push(performance.timeOrigin + performance.now());
  }, true);
}"""


def signed_in_page(browser: Any, base: str, cookie: str) -> Any:
    context = browser.new_context()
    cookies = []
    for part in cookie.split("; "):
        name, value = part.split("=", 1)
        cookies.append({"name": name, "value": value, "url": base})
    context.add_cookies(cookies)
    return context.new_page()


WATCH_NOTE_JS = """() => {
  window.__seen = {};
  // (The panel of a page not writing in it is rebuilt on every change: look the field up anew.)
  const note = () => {
    const el = document.querySelector("aside.details textarea.note-input");
    const n = el ? el.value.length : 0;
    if (!(n in window.__seen)) window.__seen[n] = performance.timeOrigin + performance.now();
  };
  document.addEventListener("input", note, true);
  setInterval(note, 2);
}"""


def first_at_least(seen: dict[str, float], length: int) -> float:
    """When the text first held at least `length` characters (a note's write brings many)."""
    return min(t for n, t in seen.items() if int(n) >= length)


def run(
    typed: str,
    delay_ms: int,
    base: str,
    tree_id: int,
    cookies: dict[str, str],
    browser: Any,
    field: str = "text",
) -> dict[str, list[float]]:
    node = str(uuid.uuid4())
    pages = {}
    for user in ("alice", "bob"):
        page = signed_in_page(browser, base, cookies[user])
        page.goto(f"{base}/app/trees/{tree_id}")
        page.wait_for_selector("body[data-tree-ready]")
        pages[user] = page
    alice, bob = pages["alice"], pages["bob"]
    # A fresh node per run, made in alice's page like a user would (Enter on the empty tree
    # would do the same); both pages then watch its text.
    alice.evaluate(
        "(args) => fetch(`/api/trees/${args.tree}/ops/`, {method: 'POST', headers: {'Content-Type':"
        " 'application/json', 'X-CSRFToken': document.cookie.match(/csrftoken=([^;]+)/)[1]},"
        " body: JSON.stringify({client_id: 'bench', n: Date.now(),"
        " op: {kind: 'create', id: args.id, type: 'proposal', parent: null}})})",
        {"tree": tree_id, "id": node},
    )
    row = f"li.node[data-id='{node}'] > .row > .text"
    for page in (alice, bob):
        page.wait_for_selector(row)
        if field == "note":
            page.click(row)
            page.wait_for_selector(f"aside.details[data-id='{node}'] textarea.note-input")
            page.evaluate(WATCH_NOTE_JS)
        else:
            page.evaluate(WATCH_JS, node)
    alice.click("aside.details textarea.note-input" if field == "note" else row)
    alice.evaluate(PRESS_JS)
    for ch in typed:
        alice.keyboard.type(ch)
        alice.wait_for_timeout(delay_ms)
    bob.wait_for_function(f"() => window.__seen[{len(typed)}] !== undefined", timeout=30_000)
    pressed = alice.evaluate("() => window.__pressed")
    own = alice.evaluate("() => window.__seen")
    other = bob.evaluate("() => window.__seen")
    remote = [first_at_least(other, i + 1) - pressed[i] for i in range(len(typed))]
    local = [first_at_least(own, i + 1) - pressed[i] for i in range(len(typed))]
    for page in (alice, bob):
        page.context.close()
    return {"remote": remote, "local": local}


def main() -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--keys", type=int, default=200, help="keystrokes per typing speed")
    parser.add_argument(
        "--field", choices=("text", "note"), default="text", help="type into the label or the note"
    )
    args = parser.parse_args()
    text = ("the quick brown fox jumps over the lazy dog " * 50)[: args.keys]
    print(machine_line(machine()))
    results: dict[str, Any] = {
        "machine": machine(),
        "keys": len(text),
        "field": args.field,
        "speeds": {},
    }
    with running_server(extra_env=production_env()) as server, sync_playwright() as pw:
        server.create_users("alice", "bob")
        tree_id = server.make_tree("alice", ["bob"])
        cookies = {u: server.session_cookie(u) for u in ("alice", "bob")}
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ok = True
        with LoadSampler() as load:
            for delay in (120, 40):
                got = run(text, delay, server.base, tree_id, cookies, browser, args.field)
                # summary() takes seconds and answers in ms.
                remote = summary([x / 1000 for x in got["remote"]])
                local = summary([x / 1000 for x in got["local"]])
                results["speeds"][f"{delay} ms"] = {"other_page": remote, "own_page": local}
                print(
                    f"key every {delay} ms, {len(text)} keys: other page"
                    f" p50 {remote['p50_ms']:.1f} ms"
                    f" p99 {remote['p99_ms']:.1f} ms max {remote['max_ms']:.1f} ms | own page p50"
                    f" {local['p50_ms']:.1f} ms p99 {local['p99_ms']:.1f} ms | ratio p50"
                    f" {remote['p50_ms'] / max(local['p50_ms'], 0.01):.1f}x"
                )
                ok = ok and remote["p50_ms"] <= TARGET_P50_MS and remote["p99_ms"] <= TARGET_P99_MS
        browser.close()
        print(load.text())
        results["load"] = load.text()
    write_json(args.json, results)
    if args.field == "note":
        return 0  # the write pause, by design: no target
    verdict = "met" if ok else "NOT met"
    print(f"targets p50 <= {TARGET_P50_MS} ms, p99 <= {TARGET_P99_MS} ms: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
