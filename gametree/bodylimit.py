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
- `limit_daphne_request_bodies()` (the embedded default, daphne): the same limit inside the
  server, on Twisted's request, so that a refused body is never received past the limit at
  all: by Content-Length as soon as the headers are in, and chunk by chunk for a body without
  one; the 413 is written and the connection closed, and daphne never queues the body.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import IO, Any

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


_installed = False


def limit_daphne_request_bodies() -> bool:
    """Make daphne's HTTP requests refuse bodies past the limit as they arrive (once)."""
    global _installed
    if _installed:
        return False
    try:
        from daphne.http_protocol import HTTPFactory, WebRequest
    except ImportError:  # served by something else: the ASGI middleware still applies
        return False

    class LimitedWebRequest(WebRequest):  # type: ignore[misc]
        _refused = False
        _received = 0
        content: IO[bytes] | None  # set by twisted's Request (untyped)

        def gotLength(self, length: int | None) -> None:
            total, _ = limits()
            if length is not None and length > total:
                self._refuse(total)
                return
            super().gotLength(length)

        def handleContentChunk(self, data: bytes) -> None:
            if self._refused:
                return
            self._received += len(data)
            total, _ = limits()
            if self._received > total:
                self._refuse(total)
                return
            super().handleContentChunk(data)

        def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
            if self._refused:
                return
            super().requestReceived(command, path, version)

        def _refuse(self, limit: int) -> None:
            self._refused = True
            body = too_large_body(limit)
            head = (
                b"HTTP/1.1 413 Request Entity Too Large\r\n"
                b"Content-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n"
                b"Connection: close\r\n\r\n"
            )
            transport = self.channel.transport
            transport.write(head + body)
            # Stops reading: the rest of the body is never received.
            transport.loseConnection()
            if self.content is not None:
                self.content.close()
                self.content = None

    original = HTTPFactory.buildProtocol

    def buildProtocol(self: Any, addr: Any) -> Any:
        protocol = original(self, addr)
        if protocol is not None:
            protocol.requestFactory = LimitedWebRequest
        return protocol

    HTTPFactory.buildProtocol = buildProtocol
    _installed = True
    return True
