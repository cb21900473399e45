"""Browser tests: the real server (daphne on a free port, temp SQLite) and Debian's Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "gametree-demo"
# The session server's environment (its database), for tests that set up rows with
# `manage.py shell` against it (the server is the same; only the setup takes a shortcut).
SERVER_ENV: dict[str, str] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ensure_frontend_built() -> None:
    if (ROOT / "frontend" / "dist" / "index.html").exists():
        return
    npm = shutil.which("npm")
    if not npm:
        pytest.skip("frontend/dist is missing and npm is not installed")
    front = ROOT / "frontend"
    if not (front / "node_modules").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=front, check=True)
    subprocess.run([npm, "run", "build"], cwd=front, check=True)


@pytest.fixture(scope="session")
def gametree_server() -> Iterator[str]:
    """Start daphne with a fresh database holding the demo users; yield its base URL."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser tests: install Debian's chromium")
        pytest.skip("Debian's chromium is not installed")
    _ensure_frontend_built()
    tmp = tempfile.mkdtemp(prefix="gametree-browser-")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3",
        DJANGO_DEBUG="1",
        DJANGO_SETTINGS_MODULE="gametree.settings",
        # Every test signs in two or three users from 127.0.0.1; the production default
        # (20 a minute) would throttle the suite itself. Throttling has its own tests.
        LOGIN_THROTTLE_RATE="10000/min",
        API_WRITE_THROTTLE_RATE="100000/min",
    )
    SERVER_ENV.clear()
    SERVER_ENV.update(env)
    py = sys.executable
    for args in (["migrate", "--noinput", "-v0"], ["loaddemo"]):
        subprocess.run([py, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(Path(tmp) / "daphne.log", "wb")  # noqa: SIM115 - closed below
    daphne = shutil.which("daphne", path=str(Path(py).parent)) or "daphne"
    proc = subprocess.Popen(
        [daphne, "-b", "127.0.0.1", "-p", str(port), "gametree.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    # Generous: on a shared, loaded machine importing Django and daphne alone can take 30 s.
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()  # a server that did not come up must not outlive the run
                log.close()
                raise RuntimeError((Path(tmp) / "daphne.log").read_text()) from None
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _api(context: Any, base: str, method: str, path: str, data: Any) -> Any:
    """REST with a browser context's session cookie and CSRF token; the answer's JSON body
    (None if it has none). Fails the test on any status but 2xx."""
    token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    r = context.request.fetch(
        f"{base}{path}",
        method=method,
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
        data=json.dumps(data) if data is not None else None,
    )
    assert r.ok, f"{method} {path}: {r.status} {r.text()}"
    return r.json() if r.status != 204 and r.body() else None


class User:
    """One signed-in browser context, with its page and a REST helper sharing its session."""

    def __init__(
        self,
        browser: Any,
        base: str,
        username: str,
        viewport: dict[str, int],
        touch: bool = False,
    ) -> None:
        self.base = base
        self.username = username
        # touch: a phone (touch screen, mobile viewport: no hover, a coarse pointer).
        self.context = browser.new_context(viewport=viewport, has_touch=touch, is_mobile=touch)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.accept_confirms = False
        self.errors: list[str] = []
        # The browser console's errors and warnings from the first page on ("type: text url").
        self.console: list[str] = []
        self.page.on("dialog", self._on_dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", self._on_console)
        self.page.goto(f"{base}/")
        self.page.fill("#login-user", username)
        self.page.fill("#login-pass", PASSWORD)
        self.page.click("form.login button[type=submit]")
        self.page.wait_for_selector("text=My trees")

    def _on_console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text} {message.location.get('url')}")

    def _on_dialog(self, dialog: Any) -> None:
        if dialog.type == "beforeunload":
            # "Leave site?" with unsent edits: leave anyway, the hard case for keeping them.
            self.dialogs.append("beforeunload")
            dialog.accept()
            return
        if dialog.type == "confirm" and self.accept_confirms:
            dialog.accept()
            return
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def api(self, method: str, path: str, data: Any = None) -> Any:
        return _api(self.context, self.base, method, path, data)

    def open_tree(self, tree_id: int) -> None:
        self.page.goto(f"{self.base}/app/trees/{tree_id}")
        self.page.wait_for_selector("body[data-tree-ready]")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def users(browser: Any, gametree_server: str) -> Iterator[Any]:
    made: list[User] = []

    def make(username: str, viewport: dict[str, int] | None = None, touch: bool = False) -> User:
        u = User(
            browser, gametree_server, username, viewport or {"width": 1280, "height": 800}, touch
        )
        made.append(u)
        return u

    yield make
    for u in made:
        u.close()


@pytest.fixture
def shared_tree(users: Any) -> Any:
    """alice and bob signed in, with a new tree of alice's that bob can edit."""

    def make(kind: str = "game", title: str = "Browser test tree") -> tuple[User, User, int]:
        alice = users("alice")
        bob = users("bob")
        tree = alice.api("POST", "/api/trees/", {"kind": kind, "title": title})
        alice.api(
            "POST", f"/api/trees/{tree['id']}/members/", {"username": "bob", "role": "editor"}
        )
        return alice, bob, int(tree["id"])

    return make


PHONE = {"width": 390, "height": 844}


class Guest:
    """A signed-out phone in its own browser context (no account until it joins a workshop)."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def api(self, method: str, path: str, data: Any = None) -> Any:
        """REST with this phone's session (after it joined)."""
        return _api(self.context, self.base, method, path, data)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def guests(browser: Any, gametree_server: str) -> Iterator[Any]:
    """Signed-out phones (workshop participants before they join)."""
    made: list[Guest] = []

    def make() -> Guest:
        g = Guest(browser, gametree_server)
        made.append(g)
        return g

    yield make
    for g in made:
        g.close()


@pytest.fixture
def patient_expect() -> Iterator[None]:
    """Playwright's expect waits 15 s instead of 5 (many contexts on a loaded machine: a step
    that crosses the server and a websocket can take longer than 5 s there)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


# alice, bob, carol, the tree's id, the ids of its first nodes.
Three = tuple[User, User, User, int, list[str]]


@pytest.fixture
def three_on_one_tree(users: Any) -> Callable[[str, list[str]], Three]:
    """alice, bob and carol signed in, with a new game tree of alice's that the other two can
    edit, holding one top-level proposal per text in that order; returns them, the tree's id and
    the proposals' ids."""

    def make(title: str, texts: list[str]) -> Three:
        alice, bob, carol = users("alice"), users("bob"), users("carol")
        tree = int(alice.api("POST", "/api/trees/", {"kind": "game", "title": title})["id"])
        for name in ("bob", "carol"):
            alice.api("POST", f"/api/trees/{tree}/members/", {"username": name, "role": "editor"})
        ids = [str(uuid.uuid4()) for _ in texts]
        for n, (node_id, text) in enumerate(zip(ids, texts, strict=True), start=1):
            op = {
                "kind": "create",
                "id": node_id,
                "type": "proposal",
                "parent": None,
                "key": f"a{n}",
                "text": text,
            }
            alice.api("POST", f"/api/trees/{tree}/ops/", {"client_id": "seed", "n": n, "op": op})
        return alice, bob, carol, tree, ids

    return make
