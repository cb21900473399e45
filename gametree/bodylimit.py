"""Project: request bodies are bounded before anything reads them (issue 17, item 3).

An anonymous 100 MB POST took daphne from 220 MB to 2.8 GB before Django answered 401: daphne
(through Twisted) receives the whole body, then hands all of it to the application at once,
and Django copies it again while parsing. The limit is `GAMETREE_MAX_REQUEST_BYTES`; past it
the answer is 413 with the JSON error `{"code": "too_large"}`, before authentication.

Two guards, because they sit at different depths:

- `BodyLimitMiddleware` (ASGI, in front of Django, whatever the server): refuses by
  Content-Length before the application starts, and, for a body without one (chunked), counts
  while Django reads and cuts it off at the limit. It also answers a non-multipart body over
  Django's `DATA_UPLOAD_MAX_MEMORY_SIZE` with the same JSON instead of Django's HTML 400.
- `limit_daphne_request_bodies()` in gametree/serving.py (the embedded default, daphne): the
  same limit inside the server, on Twisted's request, so that a refused body is never
  received past the limit at all: by Content-Length as soon as the headers are in, and chunk
  by chunk for a body without one; the 413 is written and the connection closed, and daphne
  never queues the body. It patches daphne, so it lives with the other patches of private
  internals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

# The shapes Django's ASGIHandler takes, so that it can be wrapped.
Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def limits() -> tuple[int, int]:
    """(any body, a body that is not multipart), in bytes, from the settings."""
    from django.conf import settings

    total = int(settings.GAMETREE_MAX_REQUEST_BYTES)
    plain = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return total, min(total, int(plain)) if plain is not None else total


def too_large_body(limit: int) -> bytes:
    message = f"Request bodies are at most {limit:,} bytes."
    return json.dumps({"code": "too_large", "message": message}).encode()


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def declared_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


class BodyLimitMiddleware:
    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        total, plain = limits()
        content_type = (_header(scope, b"content-type") or b"").lower()
        limit = total if content_type.startswith(b"multipart/") else plain
        length = declared_length(scope)
        if length is not None and length > limit:
            await _refuse(send, limit)
            return

        received = 0
        cut = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, cut
            if cut:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django stops reading at a disconnect and answers nothing; we answer.
                    cut = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, tracking_send)
        if cut and not started:
            await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = too_large_body(limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
