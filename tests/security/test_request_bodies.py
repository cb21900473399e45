"""Request bodies: bounded before anything reads them, and always answered with the JSON error
(issue 17, items 3, 11 and 13).

- Deeply nested JSON is `400 bad_json` on every JSON endpoint, signed in or not (was 500).
- A body over Django's DATA_UPLOAD_MAX_MEMORY_SIZE is `413 too_large` JSON (was Django's HTML
  400 page).
- A body over GAMETREE_MAX_REQUEST_BYTES is refused before Django reads it, by Content-Length
  and while streaming, by the ASGI middleware in front of Django (tested here through the real
  ASGI application) and inside daphne (tests/e2e/test_e2e_body_limits.py, with memory).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from channels.testing import ApplicationCommunicator
from django.test import Client
from django.urls import URLPattern

from trees.api.parsers import MAX_BODY_DEPTH

pytestmark = pytest.mark.django_db(transaction=True)


def api_paths(tree_id: int) -> list[str]:
    from trees.api.urls import urlpatterns

    paths = []
    for pattern in urlpatterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        route = re.sub(r"<int:\w+>", str(tree_id), route)
        route = re.sub(r"<(str:)?\w+>", "x", route)
        paths.append("/api/" + route)
    return paths


DEEP_BODIES = [
    pytest.param("[" * 100_000 + "]" * 100_000, id="100k-nested-lists"),
    pytest.param('{"a":' * 5_000 + "1" + "}" * 5_000, id="5k-nested-objects"),
    pytest.param(
        json.dumps({"client_id": "c", "n": 1, "op": json.loads("[" * 300 + "]" * 300)}),
        id="300-levels-in-a-field",
    ),
]


@pytest.mark.parametrize("body", DEEP_BODIES)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_deeply_nested_json_is_a_json_error_on_every_endpoint_never_500(
    make_user: Any, make_tree: Any, body: str, signed_in: bool
) -> None:
    owner = make_user("owner")
    tree = make_tree(owner)
    client = Client()
    if signed_in:
        client.force_login(owner)
    bad_json = 0
    for path in api_paths(tree.pk):
        for method in ("post", "put", "patch"):
            response = getattr(client, method)(path, body, content_type="application/json")
            assert response.status_code != 500, (method, path)
            if response.status_code < 400:  # did not read the body (logout, csrf)
                continue
            assert response["Content-Type"].startswith("application/json"), (method, path)
            answer = response.json()
            assert isinstance(answer.get("code"), str), (method, path, answer)
            bad_json += answer["code"] == "bad_json"
    # Signed in, every endpoint that takes a body parses it, and refuses it.
    assert bad_json > 0 if signed_in else True


def test_json_nested_as_deep_as_the_limit_still_parses(make_user: Any, make_tree: Any) -> None:
    owner = make_user("owner")
    tree = make_tree(owner)
    client = Client()
    client.force_login(owner)
    value: Any = {}
    for _ in range(MAX_BODY_DEPTH - 3):  # body, op, then meta: MAX_BODY_DEPTH in all
        value = {"a": value}
    op = {"kind": "create", "id": "0" * 8 + "-0000-4000-8000-" + "0" * 12, "type": "proposal"}
    body = {"client_id": "c", "n": 1, "op": {**op, "parent": None, "meta": value}}
    response = client.post(f"/api/trees/{tree.pk}/ops/", body, content_type="application/json")
    # Parsed; refused by the op's own meta depth bound, with its own code.
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_a_json_body_over_djangos_upload_limit_is_the_json_413(
    make_user: Any, make_tree: Any, settings: Any
) -> None:
    owner = make_user("owner")
    tree = make_tree(owner)
    client = Client()
    client.force_login(owner)
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024
    body = json.dumps({"client_id": "c", "n": 1, "op": {"kind": "x", "pad": "x" * size}})
    response = client.post(f"/api/trees/{tree.pk}/ops/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


# ---- the ASGI middleware, through the real ASGI application --------------------------------


async def asgi_post(
    path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[int, dict[str, str], bytes, int]:
    """POST `chunks` as the body; (status, headers, body, chunks the application read)."""
    from gametree.asgi import application

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    comm = ApplicationCommunicator(application, scope)
    for i, chunk in enumerate(chunks):
        await comm.send_input(
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        )
    start = await comm.receive_output(10)
    assert start["type"] == "http.response.start", start
    body = b""
    while True:
        message = await comm.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    left = comm.input_queue.qsize()
    await comm.wait(2)
    response_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, body, len(chunks) - left


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    settings: Any,
) -> None:
    settings.GAMETREE_MAX_REQUEST_BYTES = 1024 * 1024
    headers = [
        (b"content-type", b"multipart/form-data; boundary=x"),
        (b"content-length", str(100 * 1024 * 1024).encode()),
    ]
    status, response_headers, body, read = await asgi_post(
        "/api/trees/import/", [b"x" * 1024] * 4, headers
    )
    assert status == 413 and response_headers["content-type"] == "application/json"
    assert json.loads(body)["code"] == "too_large"
    assert read == 0  # not one chunk of the body was taken from the server


async def test_a_body_without_length_is_cut_while_streaming_at_the_limit(
    settings: Any,
) -> None:
    settings.GAMETREE_MAX_REQUEST_BYTES = 1024 * 1024
    chunk = b"x" * (64 * 1024)
    chunks = [chunk] * 64  # 4 MiB offered, no Content-Length (chunked)
    headers = [(b"content-type", b"multipart/form-data; boundary=x")]
    status, _, body, read = await asgi_post("/api/trees/import/", chunks, headers)
    assert status == 413 and json.loads(body)["code"] == "too_large"
    # Read up to the limit and one chunk past it, no more.
    assert read <= 1024 * 1024 // len(chunk) + 1


async def test_an_anonymous_body_over_the_upload_limit_is_refused_before_authentication(
    settings: Any,
) -> None:
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    headers = [(b"content-type", b"application/json"), (b"content-length", str(size).encode())]
    status, _, body, read = await asgi_post("/api/trees/", [b"{}"], headers)
    assert (status, json.loads(body)["code"], read) == (413, "too_large", 0)


async def test_a_body_under_the_limits_reaches_django_as_before() -> None:
    body = json.dumps({"username": "nobody", "password": "wrong"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    status, _, answer, _ = await asgi_post("/api/auth/token/", [body], headers)
    assert status == 400 and json.loads(answer)["code"] == "invalid_credentials"
