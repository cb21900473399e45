"""Limits, each with its stable code: websocket rate per connection and per user, message
size, text sizes, nodes per tree, trees per user, login throttling."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from tests.security.conftest import PASSWORD, Cast
from trees.models import Node, OpLog, Tree
from trees.realtime.ratelimit import user_buckets


def new_id() -> str:
    return str(uuid.uuid4())


def create_op(parent: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"kind": "create", "id": new_id(), "type": "problem", "parent": parent, **fields}


@pytest.fixture(autouse=True)
def _fresh_user_buckets() -> Iterator[None]:
    user_buckets.clear()
    yield
    user_buckets.clear()


def owner_client(cast: Cast) -> APIClient:
    client = APIClient()
    client.force_login(cast.owner)
    return client


def post_op(client: APIClient, tree_id: int, op: dict[str, Any], n: int) -> Any:
    return client.post(
        f"/api/trees/{tree_id}/ops/", {"client_id": "limits", "n": n, "op": op}, format="json"
    )


# ---- websocket rates ----------------------------------------------------------------------


async def _drain(ws: Any, count: int) -> list[dict[str, Any]]:
    replies = []
    while len(replies) < count:
        message = await ws.recv()
        if message["type"] not in ("presence", "presence_leave"):
            replies.append(message)
    return replies


@pytest.mark.django_db(transaction=True)
async def test_one_socket_past_its_rate_gets_rate_limited_and_a_flood_closes_it_with_4429(
    cast: Cast, connect: Any, settings: Any
) -> None:
    settings.GAMETREE_WS_RATE_PER_SECOND = 2
    settings.GAMETREE_WS_RATE_BURST = 5
    settings.GAMETREE_WS_FLOOD_CLOSE_AFTER = 20
    ws = await connect(cast.editor, cast.tree.pk, hello=True)
    for _ in range(8):
        await ws.send({"type": "ping"})
    await ws.send({"type": "op", "n": 7, "op": create_op()})
    replies = await _drain(ws, 9)
    assert {"type": "error", "code": "rate_limited", "message": "Slow down."} in replies
    assert replies[-1] == {"type": "nack", "n": 7, "code": "rate_limited", "message": "Slow down."}
    for _ in range(40):
        await ws.send({"type": "ping"})
    assert await ws.expect_close() == 4429
    assert await database_sync_to_async(OpLog.objects.filter(tree=cast.tree).count)() == 0


@pytest.mark.django_db(transaction=True)
async def test_many_sockets_of_one_user_share_one_rate_and_other_users_are_not_affected(
    cast: Cast, connect: Any, settings: Any
) -> None:
    # Each socket alone is far under its own limit; together they exceed the user's.
    settings.GAMETREE_WS_RATE_PER_SECOND = 1000
    settings.GAMETREE_WS_RATE_BURST = 1000
    settings.GAMETREE_WS_USER_RATE_PER_SECOND = 1
    settings.GAMETREE_WS_USER_RATE_BURST = 10
    sockets = [await connect(cast.editor, cast.tree.pk, hello=True) for _ in range(3)]
    for ws in sockets:  # 3 hellos took 3 of the 10 tokens
        for _ in range(4):
            await ws.send({"type": "ping"})
    replies = [m for ws in sockets for m in await _drain(ws, 4)]
    pongs = sum(m["type"] == "pong" for m in replies)
    limited = [m for m in replies if m.get("code") == "rate_limited"]
    assert 7 <= pongs <= 8, replies  # one more token may have trickled in
    assert len(limited) == 12 - pongs and all(m["type"] == "error" for m in limited)
    # An op past the user's rate is nacked with its n and not applied.
    await sockets[0].send({"type": "op", "n": 3, "op": create_op()})
    nack = (await _drain(sockets[0], 1))[0]
    assert nack == {"type": "nack", "n": 3, "code": "rate_limited", "message": "Slow down."}
    assert await database_sync_to_async(OpLog.objects.filter(tree=cast.tree).count)() == 0
    # Another user's socket has its own budget.
    other = await connect(cast.owner, cast.tree.pk, hello=True)
    for _ in range(5):
        await other.send({"type": "ping"})
    assert [m["type"] for m in await _drain(other, 5)] == ["pong"] * 5
    # And the limited user's budget refills.
    await asyncio.sleep(1.1)
    await sockets[1].send({"type": "ping"})
    assert (await _drain(sockets[1], 1))[0]["type"] == "pong"


# ---- sizes ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_websocket_message_over_64_kib_is_answered_too_large_and_ignored(
    cast: Cast, connect: Any
) -> None:
    ws = await connect(cast.editor, cast.tree.pk, hello=True)
    message = {"type": "op", "n": 1, "op": create_op(text="x" * (64 * 1024))}
    await ws.send_text(json.dumps(message))
    assert (await ws.expect("error"))["code"] == "too_large"
    assert await database_sync_to_async(OpLog.objects.filter(tree=cast.tree).count)() == 0
    await ws.send({"type": "ping"})
    await ws.expect("pong")


TOO_LARGE_FIELDS = [
    pytest.param({"text": "t" * 2001}, id="text over 2,000 characters"),
    pytest.param({"note": "n" * 20_001}, id="note over 20,000 characters"),
    pytest.param({"tags": [f"t{i}" for i in range(21)]}, id="more than 20 tags"),
    pytest.param({"tags": ["x" * 65]}, id="a tag over 64 characters"),
    pytest.param({"meta": {"m": "x" * (16 * 1024)}}, id="meta over 16 KiB"),
]


@pytest.mark.parametrize("fields", TOO_LARGE_FIELDS)
def test_oversized_node_fields_are_refused_too_large_over_rest(
    cast: Cast, fields: dict[str, Any]
) -> None:
    client = owner_client(cast)
    response = post_op(client, cast.tree.pk, create_op(**fields), n=1)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    node_id = new_id()
    assert post_op(client, cast.tree.pk, {**create_op(), "id": node_id}, n=2).status_code == 200
    for name, value in fields.items():
        if name == "meta":
            continue  # meta is set at creation only
        set_op = {"kind": "set", "id": node_id, "field": name, "value": value}
        response = post_op(client, cast.tree.pk, set_op, n=3)
        assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert Node.objects.get(pk=node_id).text == ""


@pytest.mark.django_db(transaction=True)
async def test_oversized_text_over_the_websocket_is_nacked_too_large(
    cast: Cast, connect: Any
) -> None:
    ws = await connect(cast.editor, cast.tree.pk, hello=True)
    reply = await ws.op(create_op(text="t" * 2001))
    assert reply["type"] == "nack" and reply["code"] == "too_large"


def test_a_tree_title_or_description_over_its_limit_is_refused(cast: Cast) -> None:
    client = owner_client(cast)
    long_title = client.post("/api/trees/", {"kind": "game", "title": "t" * 201}, format="json")
    assert long_title.status_code == 400 and long_title.json()["code"] == "invalid"
    long_text = client.patch(
        f"/api/trees/{cast.tree.pk}/", {"description": "d" * 5001}, format="json"
    )
    assert long_text.status_code == 400 and long_text.json()["code"] == "invalid"
    cast.tree.refresh_from_db()
    assert cast.tree.description == ""


# ---- nodes per tree -------------------------------------------------------------------------


@pytest.fixture
def five_nodes_max(monkeypatch: pytest.MonkeyPatch) -> int:
    # The real check in the domain's create (trees/domain/ops.py), with a small limit.
    import trees.domain.ops

    monkeypatch.setattr(trees.domain.ops, "MAX_NODES", 5)
    return 5


def test_a_create_past_the_nodes_per_tree_limit_is_refused_too_large_over_rest(
    cast: Cast, five_nodes_max: int
) -> None:
    client = owner_client(cast)
    for n in range(five_nodes_max):
        assert post_op(client, cast.tree.pk, create_op(), n=n).status_code == 200
    response = post_op(client, cast.tree.pk, create_op(), n=99)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert Node.objects.filter(tree=cast.tree).count() == five_nodes_max
    # Tombstones count: deleting does not make room.
    victim = Node.objects.filter(tree=cast.tree).first()
    assert post_op(client, cast.tree.pk, {"kind": "delete", "id": str(victim.pk)}, n=100)
    response = post_op(client, cast.tree.pk, create_op(), n=101)
    assert response.json()["code"] == "too_large"


@pytest.mark.django_db(transaction=True)
async def test_a_create_past_the_nodes_per_tree_limit_is_nacked_too_large_over_the_websocket(
    cast: Cast, connect: Any, five_nodes_max: int
) -> None:
    ws = await connect(cast.editor, cast.tree.pk, hello=True)
    for _ in range(five_nodes_max):
        await ws.ok(create_op())
    reply = await ws.op(create_op())
    assert reply["type"] == "nack" and reply["code"] == "too_large"


def test_an_import_past_the_nodes_per_tree_limit_is_refused_and_creates_nothing(
    cast: Cast, five_nodes_max: int
) -> None:
    client = owner_client(cast)
    text = "".join(f"- item {i}\n" for i in range(five_nodes_max + 1))
    trees_before = Tree.objects.count()
    response = client.post(
        "/api/trees/import/", {"kind": "problem", "format": "md", "text": text}, format="json"
    )
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert Tree.objects.count() == trees_before


# ---- trees per user -------------------------------------------------------------------------


def test_creating_or_importing_past_the_trees_per_user_limit_is_refused_limit_reached(
    cast: Cast,
) -> None:
    client = APIClient()
    client.force_login(cast.editor)  # a member of two trees, owner of none
    with override_settings(GAMETREE_MAX_TREES_PER_USER=2):
        for title in ("one", "two"):
            made = client.post("/api/trees/", {"kind": "game", "title": title}, format="json")
            assert made.status_code == 201
        refused = client.post("/api/trees/", {"kind": "game", "title": "3"}, format="json")
        assert refused.status_code == 409 and refused.json()["code"] == "limit_reached"
        body = {"kind": "problem", "format": "md", "text": "- a\n"}
        imported = client.post("/api/trees/import/", body, format="json")
        assert imported.status_code == 409 and imported.json()["code"] == "limit_reached"
    assert Tree.objects.filter(owner=cast.editor).count() == 2


def test_forking_for_someone_many_times_fills_the_forkers_quota_not_theirs(cast: Cast) -> None:
    # Forks are owned by the people they are made for, who never asked for them: they count
    # against the quota of the user who forks. Before, 463 forks in 5 s made the victim's
    # own next tree `limit_reached`.
    from trees.actions import member_add

    limit = 12
    mallory, victim = APIClient(), APIClient()
    mallory.force_login(cast.outsider)
    victim.force_login(cast.target)
    made = mallory.post("/api/trees/", {"kind": "problem", "title": "bait"}, format="json")
    bait = made.json()["id"]
    member_add(tree=Tree.objects.get(pk=bait), username=cast.target.username, role="viewer")
    with override_settings(GAMETREE_MAX_TREES_PER_USER=limit):
        forks = 0
        for _ in range(3 * limit):
            answer = mallory.post(f"/api/trees/{bait}/fork/", {"people": ["tess"]}, format="json")
            if answer.status_code != 201:
                assert answer.status_code == 409 and answer.json()["code"] == "limit_reached"
                assert "at most 12 trees" in answer.json()["message"]
                break
            forks += 1
        # Mallory's bait and her forks fill her quota; the next fork is refused.
        assert forks == limit - 1
        assert Tree.objects.filter(owner=cast.target).count() == forks
        # The victim owns every fork and can still make trees of their own, up to the limit.
        for i in range(limit):
            own = victim.post("/api/trees/", {"kind": "game", "title": f"mine {i}"}, format="json")
            assert own.status_code == 201, own.json()
        over = victim.post("/api/trees/", {"kind": "game", "title": "one more"}, format="json")
        assert over.status_code == 409 and over.json()["code"] == "limit_reached"


def test_being_made_an_owner_of_others_trees_does_not_fill_ones_quota(cast: Cast) -> None:
    from trees.actions import member_add

    member_add(tree=cast.other, username=cast.target.username, role="owner")
    client = APIClient()
    client.force_login(cast.target)  # owner of one tree now, maker of none
    with override_settings(GAMETREE_MAX_TREES_PER_USER=1):
        made = client.post("/api/trees/", {"kind": "game", "title": "mine"}, format="json")
        assert made.status_code == 201, made.json()
        over = client.post("/api/trees/", {"kind": "game", "title": "two"}, format="json")
        assert over.status_code == 409 and over.json()["code"] == "limit_reached"


# ---- login throttling -----------------------------------------------------------------------


@pytest.fixture
def tight_login_throttle(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from django.conf import settings

    from trees.api.views import LoginThrottle

    rates = {"login": "3/min"}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    ):
        # DRF copies the rates into the throttle class at import time.
        monkeypatch.setattr(LoginThrottle, "THROTTLE_RATES", rates)
        cache.clear()
        yield
    cache.clear()


@pytest.mark.parametrize("endpoint", ["/api/auth/login/", "/api/auth/token/"])
def test_password_guessing_past_the_login_rate_gets_429_rate_limited(
    cast: Cast, tight_login_throttle: None, endpoint: str
) -> None:
    client = APIClient()
    for guess in range(3):
        wrong = client.post(
            endpoint, {"username": "olivia", "password": f"g{guess}"}, format="json"
        )
        assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_credentials"
    # Even the right password is refused until the window passes.
    right = client.post(endpoint, {"username": "olivia", "password": PASSWORD}, format="json")
    assert right.status_code == 429 and right.json()["code"] == "rate_limited"
    assert "Retry-After" in right.headers


# ---- REST write rate per user -----------------------------------------------------------------


def test_rest_writes_past_the_per_user_rate_get_429_and_reads_stay_free(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trees.api.throttles import WriteThrottle

    # DRF copies the rates into the throttle class at import time.
    monkeypatch.setattr(WriteThrottle, "THROTTLE_RATES", {"write": "3/min"})
    cache.clear()
    try:
        client = APIClient()
        client.force_login(cast.editor)
        for title in ("a", "b", "c"):
            made = client.post("/api/trees/", {"kind": "game", "title": title}, format="json")
            assert made.status_code == 201
        refused = client.post("/api/trees/", {"kind": "game", "title": "d"}, format="json")
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
        assert "Retry-After" in refused.headers
        assert client.get("/api/trees/").status_code == 200
        # Another user has a budget of their own.
        other = APIClient()
        other.force_login(cast.owner)
        made = other.post("/api/trees/", {"kind": "game", "title": "e"}, format="json")
        assert made.status_code == 201
    finally:
        cache.clear()
    assert not Tree.objects.filter(title="d").exists()
