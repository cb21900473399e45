"""Helpers for REST API tests: URLs, op submission and snapshot comparison."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from rest_framework.response import Response
from rest_framework.test import APIClient

_counter = itertools.count(1)


def tree_url(tree_id: int, suffix: str = "") -> str:
    return f"/api/trees/{tree_id}/{suffix}"


def new_id() -> str:
    return str(uuid.uuid4())


def submit(
    client: APIClient, tree_id: int, op: dict[str, Any], *, n: int | None = None, cid: str = "t"
) -> Response:
    """POST one op; `n` defaults to a fresh counter value so ops are never taken as re-sends."""
    body = {"client_id": cid, "n": next(_counter) if n is None else n, "op": op}
    return client.post(tree_url(tree_id, "ops/"), body, format="json")


def accepted(client: APIClient, tree_id: int, op: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = submit(client, tree_id, op, **kwargs)
    assert response.status_code == 200, response.json()
    return response.json()


def create(
    client: APIClient, tree_id: int, type_: str, parent: str | None = None, **fields: Any
) -> str:
    node_id = new_id()
    op = {"kind": "create", "id": node_id, "type": type_, "parent": parent, **fields}
    accepted(client, tree_id, op)
    return node_id


def snapshot(client: APIClient, tree_id: int) -> dict[str, Any]:
    response = client.get(tree_url(tree_id, "snapshot/"))
    assert response.status_code == 200, response.json()
    return response.json()


def assert_error(response: Response, status: int, code: str) -> dict[str, Any]:
    """The response is the documented JSON error `{code, message}` with this status."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    return body
