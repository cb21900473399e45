"""Post-deploy smoke test: health, the client and its static files, REST login, and one edit
broadcast across several websockets (behind the tree-pinning upstream they share a worker;
with least_conn they land on different ones and the broadcast crosses the Redis layer).

    .venv/bin/python deploy/smoke.py https://gametree.example.org --username alice \\
        --password '...' [--insecure] [--sockets 4]

Needs the dev dependencies (`websockets`). Creates a game tree called "smoke test", edits it
and deletes it again. Exits 0 when everything passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import re
import ssl
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any

import websockets


class Site:
    def __init__(self, base: str, insecure: bool) -> None:
        self.base = base.rstrip("/")
        self.context = ssl.create_default_context()
        if insecure:
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self.context),
            urllib.request.HTTPCookieProcessor(self.cookies),
        )

    def request(
        self, method: str, path: str, body: Any = None, csrf: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Accept": "application/json", "Referer": self.base + "/"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if csrf:
            headers["X-CSRFToken"] = self.cookie("csrftoken")
        req = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with self.opener.open(req, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.cookies if c.name == name), "")


def check(ok: bool, what: str) -> None:
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        raise SystemExit(1)


async def receive_until(ws: Any, wanted: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if message.get("type") == wanted:
            return message


async def live(site: Site, tree_id: int, sockets: int) -> None:
    scheme = "wss" if site.base.startswith("https") else "ws"
    url = f"{scheme}://{site.base.split('://', 1)[1]}/ws/trees/{tree_id}/"
    headers = {"Cookie": f"sessionid={site.cookie('sessionid')}"}
    ssl_arg = site.context if scheme == "wss" else None
    conns = [
        await websockets.connect(url, origin=site.base, additional_headers=headers, ssl=ssl_arg)
        for _ in range(sockets)
    ]
    try:
        for i, ws in enumerate(conns):
            await ws.send(json.dumps({"type": "hello", "client_id": f"smoke-{i}", "since": None}))
            await receive_until(ws, "snapshot")
        check(True, f"{sockets} websockets through the proxy: hello -> snapshot")
        node = str(uuid.uuid4())
        op = {"kind": "create", "id": node, "type": "proposal", "parent": None, "text": "smoke"}
        await conns[0].send(json.dumps({"type": "op", "n": 1, "op": op}))
        ack = await receive_until(conns[0], "ack")
        check(ack.get("n") == 1, f"op acknowledged as seq {ack.get('seq')}")
        for i, ws in enumerate(conns[1:], start=1):
            broadcast = await receive_until(ws, "op")
            check(broadcast.get("op", {}).get("id") == node, f"socket {i} received the broadcast")
    finally:
        for ws in conns:
            await ws.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="site root, e.g. https://gametree.example.org")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--insecure", action="store_true", help="accept any TLS certificate")
    parser.add_argument("--sockets", type=int, default=4)
    args = parser.parse_args()
    site = Site(args.base, args.insecure)

    status, _, body = site.request("GET", "/healthz")
    check(status == 200, f"/healthz {status} {body.decode(errors='replace').strip()}")

    status, _, body = site.request("GET", "/")
    check(status == 200, f"/ (web client) {status}")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', body.decode(errors="replace"))
    check(bool(assets), f"client references {len(assets)} static files")
    for asset in assets:
        status, headers, _ = site.request("GET", asset)
        cache = headers.get("Cache-Control", "")
        check(status == 200, f"{asset} {status} (Cache-Control: {cache or '-'})")

    site.request("GET", "/api/auth/csrf/")
    status, _, body = site.request(
        "POST", "/api/auth/login/", {"username": args.username, "password": args.password}, True
    )
    check(status == 200 and bool(site.cookie("sessionid")), f"session login {status}")

    status, _, body = site.request(
        "POST", "/api/trees/", {"kind": "game", "title": "smoke test"}, csrf=True
    )
    check(status == 201, f"create tree {status}")
    tree_id = json.loads(body)["id"]
    try:
        asyncio.run(live(site, tree_id, args.sockets))
    finally:
        status, _, _ = site.request("DELETE", f"/api/trees/{tree_id}/", csrf=True)
        check(status == 204, f"delete tree {tree_id}: {status}")
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
