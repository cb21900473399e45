"""Rate limits never reorder or lose a client's ops.

An op refused for rate is resent by the client a second later (frontend/src/core/sync.ts,
`onNack`). If a later op of the same connection were accepted in between (the bucket refills
while a burst is being written), an op that depends on the refused one (a child of a node
being created, typing in it) would be refused for good, or applied out of order. So once an
op is refused for rate, the connection refuses every later op as `rate_limited` too, until
the refused op comes back and passes (docs/protocol.md, "Limits").
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest

from tests.ws.wshelpers import Ws, db_log, db_snapshot, new_id
from trees.realtime.ratelimit import user_buckets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_user_buckets() -> Iterator[None]:
    # The per-user budget lives in the process: an earlier test's user may share an id.
    user_buckets.clear()
    yield
    user_buckets.clear()


def chain(length: int) -> list[dict[str, Any]]:
    """A pasted outline as the client sends it: each line a child of the line before."""
    ops: list[dict[str, Any]] = []
    parent: str | None = None
    for i in range(length):
        node = new_id()
        kind = "proposal" if parent is None else ("critique" if i % 2 else "patch")
        ops.append(
            {"kind": "create", "id": node, "type": kind, "parent": parent, "text": f"line {i}"}
        )
        parent = node
    return ops


async def answers(ws: Ws, ns: set[int]) -> dict[int, dict[str, Any]]:
    """Read until every op number in `ns` has its ack or nack."""
    got: dict[int, dict[str, Any]] = {}
    while not ns <= got.keys():
        message = await ws.recv(10.0)
        if message["type"] in ("ack", "nack") and message["n"] in ns:
            got[message["n"]] = message
    return got


async def test_an_op_after_one_refused_for_rate_waits_for_it_instead_of_being_lost(
    team: Any, connect: Any, settings: Any
) -> None:
    # A token every half second and 3 at once: hello and the first two ops take them all.
    settings.GAMETREE_WS_RATE_PER_SECOND = 2
    settings.GAMETREE_WS_RATE_BURST = 3
    settings.GAMETREE_WS_FLOOD_CLOSE_AFTER = 1000
    ws = await connect(team.bob, team.tree_id)
    await ws.hello(None)
    first, second, parent, child = chain(2) + chain(2)
    assert (await ws.op(first, 1))["type"] == "ack"
    assert (await ws.op(second, 2))["type"] == "ack"
    refused = await ws.op(parent, 3)
    assert (refused["type"], refused["code"]) == ("nack", "rate_limited")

    # A token has come back by the time the child (typed a moment later) arrives: it must
    # not be applied, or refused for good, before its parent.
    await asyncio.sleep(0.6)
    waiting = await ws.op(child, 4)
    assert (waiting["type"], waiting["code"]) == ("nack", "rate_limited"), waiting

    # The client resends both, in order, a second later: both are applied, parent first.
    await asyncio.sleep(1.1)
    await ws.send({"type": "op", "n": 3, "op": parent})
    await ws.send({"type": "op", "n": 4, "op": child})
    got = await answers(ws, {3, 4})
    assert [got[3]["type"], got[4]["type"]] == ["ack", "ack"], got
    assert got[3]["seq"] < got[4]["seq"]
    nodes = {node["id"]: node for node in (await db_snapshot(team.tree_id))["nodes"]}
    assert nodes[child["id"]]["parent"] == parent["id"]


async def test_an_op_after_one_that_failed_inside_the_server_waits_for_its_resend(
    team: Any, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `internal` (a bug or a lost database while the op applied, rolled back) is resent by the
    # client like a rate refusal, so the same order rule holds for it.
    from trees.domain import TreeState

    real_apply = TreeState.apply
    failures = [1]

    def apply(self: TreeState, op: Any, **kwargs: Any) -> Any:
        if isinstance(op, dict) and op.get("text") == "line 0" and failures:
            failures.pop()
            raise RuntimeError("the database went away for a moment")
        return real_apply(self, op, **kwargs)

    monkeypatch.setattr(TreeState, "apply", apply)
    ws = await connect(team.bob, team.tree_id)
    await ws.hello(None)
    parent, child = chain(2)
    failed = await ws.op(parent, 1)
    assert (failed["type"], failed["code"]) == ("nack", "internal"), failed
    waiting = await ws.op(child, 2)
    assert (waiting["type"], waiting["code"]) == ("nack", "rate_limited"), waiting

    await ws.send({"type": "op", "n": 1, "op": parent})
    await ws.send({"type": "op", "n": 2, "op": child})
    got = await answers(ws, {1, 2})
    assert [got[1]["type"], got[2]["type"]] == ["ack", "ack"], got
    assert got[1]["seq"] < got[2]["seq"]
    nodes = {node["id"]: node for node in (await db_snapshot(team.tree_id))["nodes"]}
    assert nodes[child["id"]]["parent"] == parent["id"]


async def test_a_pasted_outline_longer_than_the_burst_arrives_whole_and_in_order(
    team: Any, connect: Any, settings: Any
) -> None:
    # The production limits scaled down (100/s, bursts of 200) so that a paste of 60 lines
    # outruns the burst while the bucket refills during the writes.
    settings.GAMETREE_WS_RATE_PER_SECOND = 100
    settings.GAMETREE_WS_RATE_BURST = 8
    settings.GAMETREE_WS_FLOOD_CLOSE_AFTER = 1000
    ws = await connect(team.bob, team.tree_id)
    await ws.hello(None)
    ops = chain(60)
    by_n = {n: op for n, op in enumerate(ops, start=1)}

    # As the web client does: send everything at once, then resend what was refused for
    # rate, in n order, a moment after its nack; anything else is a refusal for good.
    for n, op in by_n.items():
        await ws.send({"type": "op", "n": n, "op": op})
    acked: dict[int, int] = {}
    lost: dict[int, str] = {}
    refusals = 0
    waiting = set(by_n)
    for _round in range(40):
        got = await answers(ws, waiting)
        again = sorted(n for n, m in got.items() if m.get("code") == "rate_limited")
        refusals += len(again)
        for n, message in got.items():
            if message["type"] == "ack":
                acked[n] = message["seq"]
            elif message["code"] != "rate_limited":
                lost[n] = message["code"]
        if not again:
            break
        await asyncio.sleep(0.1)
        for n in again:
            await ws.send({"type": "op", "n": n, "op": by_n[n]})
        waiting = set(again)
    assert refusals > 0, "the paste did not outrun the burst"
    assert lost == {}, f"refused for good: {lost}"
    assert sorted(acked) == list(by_n)
    assert [acked[n] for n in sorted(acked)] == sorted(acked.values()), "applied out of order"
    logged = [
        row["client_n"] for row in await db_log(team.tree_id) if row["client_id"] == ws.client_id
    ]
    assert logged == sorted(logged) and set(logged) == set(by_n)
    nodes = {node["id"]: node for node in (await db_snapshot(team.tree_id))["nodes"]}
    for earlier, later in pairwise(ops):
        assert nodes[later["id"]]["parent"] == earlier["id"]
