"""The inputs the fuzzers found, each pinned down: deep JSON, unhashable fields, deep or NUL
meta, a client id with a lone surrogate. Each used to end in a crashed socket or `internal`."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from trees.models import OpLog

pytestmark = pytest.mark.django_db(transaction=True)


def create(**fields: Any) -> dict[str, Any]:
    return {"kind": "create", "id": str(uuid.uuid4()), "type": "problem", "parent": None, **fields}


@pytest.fixture
def owner_and_tree(make_user: Any, make_tree: Any) -> tuple[Any, Any]:
    owner = make_user("olivia")
    return owner, make_tree(owner, kind="problem")


@database_sync_to_async
def log_count(tree: Any) -> int:
    return OpLog.objects.filter(tree=tree).count()


async def test_json_nested_past_the_parsers_limit_is_bad_json_and_the_socket_lives(
    owner_and_tree: tuple[Any, Any], connect: Any
) -> None:
    owner, tree = owner_and_tree
    ws = await connect(owner, tree.pk, hello=True)
    await ws.send_text("[" * 30_000 + "]" * 30_000)
    assert (await ws.expect("error"))["code"] == "bad_json"
    await ws.send({"type": "ping"})
    await ws.expect("pong")


@pytest.mark.parametrize(
    "op",
    [
        pytest.param(
            {"kind": "set", "id": str(uuid.uuid4()), "field": [], "value": ""}, id="list field"
        ),
        pytest.param(
            {"kind": "set", "id": str(uuid.uuid4()), "field": {}, "value": ""}, id="dict field"
        ),
        pytest.param(create(meta={"a": "\x00"}), id="NUL in meta"),
    ],
)
async def test_malformed_ops_are_nacked_invalid_not_internal(
    owner_and_tree: tuple[Any, Any], connect: Any, op: dict[str, Any]
) -> None:
    owner, tree = owner_and_tree
    ws = await connect(owner, tree.pk, hello=True)
    reply = await ws.op(op)
    assert reply["type"] == "nack" and reply["code"] == "invalid", reply
    assert await log_count(tree) == 0


async def test_meta_nested_too_deeply_is_refused_and_plain_nesting_is_fine(
    owner_and_tree: tuple[Any, Any], connect: Any
) -> None:
    owner, tree = owner_and_tree
    ws = await connect(owner, tree.pk, hello=True)
    depth = 3000  # past the parser: the whole message is bad JSON
    text = json.dumps({"type": "op", "n": 1, "op": create(meta="DEEP")})
    await ws.send_text(text.replace('"DEEP"', '{"a":' * depth + "1" + "}" * depth))
    assert (await ws.expect("error"))["code"] == "bad_json"
    reply = await ws.op(create(meta={"a": [[[[1]]]]}))
    assert reply["type"] == "ack"


def test_the_domain_refuses_meta_too_deep_to_encode_as_invalid() -> None:
    # A message parsed on a shallow stack can still be too deep to re-encode on a deeper one.
    from trees.domain import OpError
    from trees.domain.validate import meta_value

    value: Any = 1
    for _ in range(5000):
        value = {"a": value}
    with pytest.raises(OpError) as refused:
        meta_value(value)
    assert refused.value.code == "invalid"


async def test_a_client_id_with_a_lone_surrogate_gets_invalid_not_internal(
    owner_and_tree: tuple[Any, Any], connect: Any
) -> None:
    owner, tree = owner_and_tree
    ws = await connect(owner, tree.pk)
    await ws.send_text('{"type": "hello", "client_id": "\\udfff", "since": null}')
    # Refused at the hello itself (issue 17, item 15), not op by op afterwards.
    error = await ws.expect("error")
    assert error["code"] == "invalid", error
    assert not any(m["type"] == "welcome" for m in ws.messages)
    await ws.send({"type": "op", "n": 1, "op": create()})
    assert (await ws.expect("error"))["code"] == "not_ready"
    assert await log_count(tree) == 0


@pytest.mark.parametrize("client_id", ["\\udfff", "a\\u0000b"])
def test_rest_ops_with_an_unstorable_client_id_are_400_invalid(
    owner_and_tree: tuple[Any, Any], client_id: str
) -> None:
    owner, tree = owner_and_tree
    client = APIClient()
    client.force_login(owner)
    body = '{"client_id": "CID", "n": 1, "op": OP}'
    body = body.replace("CID", client_id).replace("OP", json.dumps(create()))
    response = client.post(f"/api/trees/{tree.pk}/ops/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid", response.content
    assert not OpLog.objects.filter(tree=tree).exists()


@pytest.mark.parametrize("path", ["/api/trees/abc/", "/api/trees/-3/snapshot/", "/api/nowhere/"])
def test_an_unmatched_api_url_answers_the_json_not_found_error(db: Any, path: str) -> None:
    response = APIClient().get(path)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Not found."}


def test_an_unmatched_url_outside_the_api_keeps_the_html_page(db: Any) -> None:
    response = APIClient().get("/nowhere")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
