"""Start the real gametree server (migrate + daphne) in a subprocess, and talk to its REST API.

Used by the e2e and integration tests and by bench/. The embedded default is a fresh SQLite
file and the in-memory channel layer; given a PostgreSQL URL it creates a fresh database on that
server (and drops it afterwards), given a Redis URL it uses the Redis channel layer.
`running_servers(count, ...)` starts several daphne processes on the same database and Redis
(scale-out), each on its own port; `Server.kill()` / `Server.start()` restart one of them.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "e2e-password-123"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def fresh_postgres(url: str) -> Iterator[str]:
    """A new, empty database on the server of `url`; dropped (with its connections) at exit."""
    import psycopg

    parsed = urlparse(url)
    name = f"gametree_e2e_{os.getpid()}_{int(time.time() * 1000) % 1_000_000}"
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(parsed._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Server:
    base: str
    port: int
    env: dict[str, str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def manage(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            timeout=180,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {args} failed:\n{done.stderr.decode()[-3000:]}")
        return done.stdout.decode()

    def create_users(self, *names: str) -> None:
        script = (
            "from django.contrib.auth import get_user_model\n"
            "U = get_user_model()\n"
            f"for name in {list(names)!r}:\n"
            f"    U.objects.create_user(username=name, password={PASSWORD!r})\n"
        )
        self.manage("shell", "-c", script)

    def db_snapshot(self, tree_id: int) -> list[dict[str, Any]]:
        """The tree as stored in the node rows, read by a fresh process (no cached state)."""
        script = (
            "import json\n"
            "from trees.actions.state_cache import load_state\n"
            "from trees.models import Tree\n"
            f"t = Tree.objects.get(pk={tree_id})\n"
            "print(json.dumps(load_state(t.pk, t.kind, t.version).snapshot()))\n"
        )
        return list(json.loads(self.manage("shell", "-c", script).strip().splitlines()[-1]))

    # -- REST --------------------------------------------------------------------------------

    def api(
        self, method: str, path: str, body: Any = None, *, user: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if user is not None:
            headers["Authorization"] = f"Token {self.token(user)}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def token(self, user: str) -> str:
        if user not in self.tokens:
            status, body = self.api(
                "POST", "/api/auth/token/", {"username": user, "password": PASSWORD}
            )
            assert status == 200, body
            self.tokens[user] = body["token"]
        return self.tokens[user]

    def session_cookie(self, user: str) -> str:
        """Sign in like the web client: CSRF cookie first, then POST /api/auth/login/."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(self.base + "/api/auth/csrf/", timeout=30) as response:
            csrf = json.loads(response.read())["csrfToken"]
        request = urllib.request.Request(
            self.base + "/api/auth/login/",
            json.dumps({"username": user, "password": PASSWORD}).encode(),
            {
                "Content-Type": "application/json",
                "X-CSRFToken": csrf,
                "Origin": self.base,
                "Referer": self.base + "/",
            },
            method="POST",
        )
        with opener.open(request, timeout=30) as response:
            assert response.status == 200
        cookies = {c.name: c.value for c in jar}
        return f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}"

    def make_tree(self, owner: str, editors: list[str], kind: str = "game") -> int:
        status, tree = self.api("POST", "/api/trees/", {"kind": kind, "title": "e2e"}, user=owner)
        assert status == 201, tree
        for name in editors:
            status, body = self.api(
                "POST",
                f"/api/trees/{tree['id']}/members/",
                {"username": name, "role": "editor"},
                user=owner,
            )
            assert status == 201, body
        return int(tree["id"])

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        # Append: a restarted process keeps the log of its previous life.
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        # GAMETREE_BENCH_CPROFILE=FILE profiles the server's event loop (bench/RESULTS_live.md).
        profile = os.environ.get("GAMETREE_BENCH_CPROFILE")
        self.process = subprocess.Popen(
            ([str(BIN / "python"), "-m", "cProfile", "-o", profile] if profile else [])
            + [
                str(BIN / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "gametree.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"daphne did not become healthy:\n{self.log()[-3000:]}")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def pool_workers(self, pool: str) -> list[int]:
        """The process ids of this daphne process's worker processes of one pool (`merges`,
        `analysis`: the name its workers' command lines end with,
        trees/analysis/merge/in_process.py), sorted."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            last = cmdline.rstrip(b"\0").rsplit(b"\0", 1)[-1]
            if parent == self.pid and b"serve_fd" in cmdline and last == pool.encode():
                found.append(int(entry.name))
        return sorted(found)

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 15) -> None:
        """Send `sig` to the daphne process (group) and wait until it is gone (no restart)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    @property
    def log_path(self) -> Path:
        return self.workdir / f"daphne-{self.port}.log"

    def log(self) -> str:
        path = self.log_path
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def running_server(
    database_url: str | None = None,
    redis_url: str | None = None,
    *,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """migrate a fresh database, start daphne on a free port, stop it (always) at exit."""
    with running_servers(1, database_url, redis_url, extra_env=extra_env) as servers:
        yield servers[0]


@contextmanager
def running_servers(
    count: int,
    database_url: str | None = None,
    redis_url: str | None = None,
    *,
    extra_env: dict[str, str] | None = None,
) -> Iterator[list[Server]]:
    """`count` daphne processes on one fresh database (and Redis), each on its own port.

    More than one process needs PostgreSQL and Redis: the in-memory layer cannot reach
    another process. Every process is stopped (always) at exit, then the database dropped.
    """
    if count > 1 and not redis_url:
        raise ValueError("several processes need the Redis channel layer")
    workdir = Path(tempfile.mkdtemp(prefix="gametree-e2e-"))
    try:
        with _database(database_url, workdir) as url:
            env = {
                k: v
                for k, v in os.environ.items()
                if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY")
                and not k.startswith(("PYTEST_", "GAMETREE_WS_"))
            }
            env.update(
                DJANGO_SETTINGS_MODULE="gametree.settings",
                DJANGO_DEBUG="1",
                DATABASE_URL=url,
                PYTHONUNBUFFERED="1",
                LOG_LEVEL="WARNING",
                # Tests and benches sign in many clients from 127.0.0.1.
                LOGIN_THROTTLE_RATE="10000/min",
                API_WRITE_THROTTLE_RATE="100000/min",
            )
            if redis_url:
                env["REDIS_URL"] = redis_url
            env.update(extra_env or {})
            servers: list[Server] = []
            for _ in range(count):
                port = free_port()
                while any(s.port == port for s in servers):
                    port = free_port()
                servers.append(
                    Server(base=f"http://127.0.0.1:{port}", port=port, env=env, workdir=workdir)
                )
            servers[0].manage("migrate", "--noinput", "-v0")
            try:
                for server in servers:
                    server.start()
                yield servers
            finally:
                for server in servers:
                    server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def _database(database_url: str | None, workdir: Path) -> Iterator[str]:
    if database_url and database_url.startswith(("postgres://", "postgresql://")):
        with fresh_postgres(database_url) as url:
            yield url
    else:
        yield f"sqlite:///{workdir / 'e2e.sqlite3'}"
