#!/usr/bin/env python3
"""The server's cost of a note write: CPU per `set note` and bytes logged per write, for notes
of several lengths, written by one person (nothing to merge) and by two at once (every write
merged three-way with what the other wrote since its base).

Starts the real server (embedded default: SQLite, in-memory channel layer, one daphne process,
production settings). alice and bob open one tree over websockets. For each length a node is
made with a note of that many characters (paragraphs of words). Then, one write at a time
(the next after the ack and bob's receipt of the broadcast):

- `single`: alice writes the note with two more characters in its middle, `base` = her last
  write (the server's note: nothing to merge), as the web client does while she types;
- `merged`: alice (a third into the note) and bob (two thirds) take turns, each writing with
  `base` = their own last write, which lacks what the other wrote since: the server merges
  every write (trees/domain/textmerge.py).

Printed per length and mode: the daphne process's CPU per write (user + system, over the
measured writes, warm-up left out), send -> ack p50, and the op-log bytes per write (the
stored op's JSON, read from the database afterwards). In the same process, `merge_text` on the
same inputs is timed alone, the merge's share of a merged write. And the cost of the node's
history page then (200 entries, each a whole note): what a page showing the node's details
reloads at most every 3 s while someone writes in it. The op log's growth per
minute of typing is these bytes times the writes per minute of the web client's pace
(`bench/keystroke_latency.py --field note` counts them).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _harness import (  # noqa: E402
    LoadSampler,
    bench_parser,
    cpu_seconds,
    machine,
    machine_line,
    production_env,
    summary,
    write_json,
)
from _live import open_tree_socket  # noqa: E402

from tests.e2e.server import Server, running_server  # noqa: E402
from trees.domain.textmerge import merge_text  # noqa: E402

WORDS = ("the", "proposal", "assumes", "oversight", "scales", "with", "capability", "under")


def note_of(length: int) -> str:
    """A note of `length` characters: paragraphs of about 400 characters of words."""
    out: list[str] = []
    size = 0
    i = 0
    while size < length:
        word = WORDS[i % len(WORDS)]
        sep = "\n\n" if i % 70 == 69 else " "
        out.append(word + sep)
        size += len(word) + len(sep)
        i += 1
    return "".join(out)[:length]


class Socket:
    """One person's socket: sends one op at a time and waits for its ack."""

    def __init__(self, ws: Any, name: str) -> None:
        self.ws, self.name, self.n = ws, name, 0
        self.acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.seen: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message.get("type") in ("ack", "nack"):
                await self.acks.put(message)
            elif message.get("type") == "op":
                await self.seen.put(message)

    async def write(self, op: dict[str, Any]) -> dict[str, Any]:
        self.n += 1
        await self.ws.send(json.dumps({"type": "op", "n": self.n, "op": op}))
        while True:
            reply = await asyncio.wait_for(self.acks.get(), 30)
            if reply["n"] == self.n:
                if reply["type"] != "ack":
                    raise RuntimeError(f"{self.name}'s write refused: {reply}")
                return reply

    async def receipt(self, seq: int) -> dict[str, Any]:
        while True:
            message = await asyncio.wait_for(self.seen.get(), 30)
            if message["seq"] >= seq:
                return message

    async def close(self) -> None:
        self.reader.cancel()
        await self.ws.close()


async def open_socket(server: Server, tree_id: int, user: str) -> Socket:
    ws = await open_tree_socket(server, tree_id, user, client="notes", max_size=2**22)
    return Socket(ws, user)


def insert(text: str, at: int, chars: str) -> str:
    return text[:at] + chars + text[at:]


async def measure(
    server: Server,
    sockets: dict[str, Socket],
    tree_id: int,
    length: int,
    mode: str,
    writes: int,
    warmup: int,
) -> dict[str, Any]:
    node = str(uuid.uuid4())
    start = note_of(length)
    alice, bob = sockets["alice"], sockets["bob"]
    created = await alice.write(
        {"kind": "create", "id": node, "type": "proposal", "parent": None, "note": start}
    )
    await bob.receipt(created["seq"])
    writers = [alice] if mode == "single" else [alice, bob]
    # Each writer's caret (a third / half / two thirds in) and their last write (`base`).
    carets = {
        w.name: length // 2 if mode == "single" else length * (k + 1) // 3
        for k, w in enumerate(writers)
    }
    last = {w.name: start for w in writers}
    server_note = start
    ack_ms: list[float] = []
    merge_s: list[float] = []
    cpu_start = 0.0
    for i in range(writes + warmup):
        if i == warmup:
            cpu_start = cpu_seconds(server.pid or 0)
        w = writers[i % len(writers)]
        other = bob if w is alice else alice
        mine = insert(last[w.name], carets[w.name], "ab"[i % 2] * 2)
        carets[w.name] += 2
        if mode == "merged":
            t0 = time.perf_counter()
            merged = merge_text(last[w.name], mine, server_note)
            if i >= warmup:
                merge_s.append(time.perf_counter() - t0)
        sent = time.perf_counter()
        op = {"kind": "set", "id": node, "field": "note", "value": mine, "base": last[w.name]}
        reply = await w.write(op)
        if i >= warmup:
            ack_ms.append((time.perf_counter() - sent) * 1000)
        got = await other.receipt(reply["seq"])
        server_note = merged if mode == "merged" else mine
        if got["op"]["value"] != server_note:
            raise RuntimeError("the server's note is not the merge this bench expected")
        last[w.name] = mine
    cpu = cpu_seconds(server.pid or 0) - cpu_start
    logged = await asyncio.to_thread(logged_bytes, server, node)
    history_cpu, history_kb = await asyncio.to_thread(history_cost, server, tree_id, node)
    return {
        "length": length,
        "mode": mode,
        "writes": writes,
        "cpu_ms_per_write": cpu * 1000 / writes,
        "ack_p50_ms": statistics.median(ack_ms),
        "ack": summary([x / 1000 for x in ack_ms]),
        "merge_text_ms": statistics.median(merge_s) * 1000 if merge_s else None,
        "logged_bytes_per_write": logged,
        "history_cpu_ms": history_cpu,
        "history_kb": history_kb,
    }


def history_cost(server: Server, tree_id: int, node: str, times: int = 5) -> tuple[float, float]:
    """The node's history page (what a page showing the node's details reloads, at most every
    3 s while the node changes): server CPU per request (ms) and its size (kB)."""
    path = f"/api/trees/{tree_id}/nodes/{node}/history/"
    server.api("GET", path, user="bob")  # the token, made outside the measurement
    start = cpu_seconds(server.pid or 0)
    for _ in range(times):
        status, body = server.api("GET", path, user="bob")
        assert status == 200, body
    cpu = cpu_seconds(server.pid or 0) - start
    return cpu * 1000 / times, len(json.dumps(body).encode()) / 1000


def logged_bytes(server: Server, node: str) -> float:
    """Mean size of the node's logged `set note` ops (their JSON as stored)."""
    script = (
        "import json\n"
        "from trees.models import OpLog\n"
        f"ops = [o.op for o in OpLog.objects.filter(op__id={node!r}, op__kind='set')]\n"
        "print('BYTES', sum(len(json.dumps(o).encode()) for o in ops) / max(1, len(ops)))\n"
    )
    out = server.manage("shell", "-c", script)
    return float(next(x for x in out.splitlines() if x.startswith("BYTES ")).split()[1])


async def run(args: Any) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": machine(), "rows": []}
    with running_server(extra_env=production_env()) as server:
        await asyncio.to_thread(server.create_users, "alice", "bob")
        tree_id = await asyncio.to_thread(server.make_tree, "alice", ["bob"])
        sockets = {u: await open_socket(server, tree_id, u) for u in ("alice", "bob")}
        with LoadSampler() as load:
            for _round in range(args.rounds):
                for length in args.lengths:
                    for mode in ("single", "merged"):
                        row = await measure(
                            server, sockets, tree_id, length, mode, args.writes, args.warmup
                        )
                        results["rows"].append(row)
                        merge = (
                            f", merge_text alone {row['merge_text_ms']:.2f} ms"
                            if row["merge_text_ms"] is not None
                            else ""
                        )
                        print(
                            f"note {length:>6,} chars, {mode:>6}: CPU {row['cpu_ms_per_write']:.2f}"
                            f" ms/write, ack p50 {row['ack_p50_ms']:.1f} ms, logged"
                            f" {row['logged_bytes_per_write']:,.0f} B/write{merge}; history page"
                            f" {row['history_kb']:,.0f} kB, CPU {row['history_cpu_ms']:.0f} ms",
                            flush=True,
                        )
        for s in sockets.values():
            await s.close()
    results["load"] = load.text()
    print(load.text())
    return results


def main() -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--lengths", default="200,2000,10000", help="note lengths (characters)")
    parser.add_argument("--writes", type=int, default=200, help="measured writes per case")
    parser.add_argument("--warmup", type=int, default=20, help="writes before measuring")
    parser.add_argument("--rounds", type=int, default=1, help="times to run every case")
    args = parser.parse_args()
    args.lengths = [int(x) for x in args.lengths.split(",")]
    print(machine_line(machine()))
    data = asyncio.run(run(args))
    write_json(args.json, data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
