"""The workshop websocket (thin): `ws/workshops/<id>/` forwards the workshop's live events
(rounds and their timers, groups, merges, new trees) to the people in it. Nothing is written
through it. docs/protocol.md, "Workshop events".

Closed with 4403 when the user is not in the workshop or their seat is removed (re-checked on
`workshop.access`), 4401 when the session it was opened with logs out.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from trees.realtime import reads
from trees.realtime.broadcast import session_group, workshop_group
from trees.realtime.consumer import (
    CLOSE_FORBIDDEN,
    CLOSE_LAYER_DOWN,
    CLOSE_SIGNED_OUT,
    CLOSE_TOO_MANY_SOCKETS,
)
from trees.realtime.dbthread import run_db
from trees.realtime.ratelimit import user_sockets

log = logging.getLogger(__name__)


def _now() -> str:
    return timezone.now().isoformat().replace("+00:00", "Z")


class WorkshopConsumer(AsyncWebsocketConsumer):
    workshop_id: int
    user_id: int | None
    seat: tuple[int, str] | None

    async def connect(self) -> None:
        self.workshop_id = int(self.scope["url_route"]["kwargs"]["workshop_id"])
        user = self.scope.get("user")
        self.user_id = user.pk if user is not None and user.is_authenticated else None
        self.groups_joined: list[str] = []
        self.counted = False
        self.ended = False
        in_range = 0 < self.workshop_id < 2**63
        self.seat = (
            await run_db(reads.workshop_seat, self.user_id, self.workshop_id) if in_range else None
        )
        await self.accept()
        if self.seat is None:
            await self._end(CLOSE_FORBIDDEN)
            return
        assert self.user_id is not None
        if not user_sockets.open(self.user_id, settings.GAMETREE_WS_MAX_SOCKETS_PER_USER):
            await self._end(CLOSE_TOO_MANY_SOCKETS)
            return
        self.counted = True
        names = [workshop_group(self.workshop_id)]
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key:
            names.append(session_group(session_key))
        try:
            for name in names:
                await self.channel_layer.group_add(name, self.channel_name)
                self.groups_joined.append(name)
        except Exception:
            log.warning("workshop %s: cannot join its channel group; closing", self.workshop_id)
            await self._end(CLOSE_LAYER_DOWN)
            return
        seat_id, role = self.seat
        await self._send(
            {"type": "welcome", "server_time": _now(), "role": role, "participant": seat_id}
        )

    async def _end(self, code: int) -> None:
        self.ended = True
        self.seat = None
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.counted:
            self.counted = False
            user_sockets.close(self.user_id or 0)
        for name in self.groups_joined:
            try:
                await self.channel_layer.group_discard(name, self.channel_name)
            except Exception:
                log.warning("workshop %s: could not leave %s", self.workshop_id, name)
        self.groups_joined = []

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.ended:
            return
        try:
            message = json.loads(text_data or "")
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("type") == "ping":
            await self._send({"type": "pong", "server_time": _now()})
            return
        await self._send(
            {
                "type": "error",
                "code": "invalid",
                "message": 'This socket only answers {"type": "ping"}.',
            }
        )

    # ---- channel-layer events ------------------------------------------------------------

    async def workshop_event(self, event: dict[str, Any]) -> None:
        if self.seat is None:
            return
        if event.get("audience") == "facilitators" and self.seat[1] != "facilitator":
            return
        await self._send(event["event"])

    async def workshop_access(self, event: dict[str, Any]) -> None:
        self.seat = await run_db(reads.workshop_seat, self.user_id, self.workshop_id)
        if self.seat is None:
            await self._end(CLOSE_FORBIDDEN)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self._end(CLOSE_SIGNED_OUT)

    async def _send(self, message: dict[str, Any]) -> None:
        if not self.ended:
            await self.send(text_data=json.dumps(message, separators=(",", ":")))
