"""The websocket of the live facilitator board, `ws/workshops/<id>/board/` (thin).

Read-only. The client sends `{"type": "hello"}` (a facilitator, signed in) or `{"type":
"hello", "key": "<projector key>"}` (anyone holding the projector link; the key travels in a
message, not in the URL, so that it is not written to access logs). The server answers with
`{"type": "board", "board": {...}}` at once and after every change (trees/realtime/board.py).
Anyone else is closed with 4403, as the tree socket does; a revoked or replaced projector key
closes the sockets opened with it (4403); signing out closes a facilitator's (4401).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from trees.realtime.board import BoardHub, hub_for, run_board
from trees.realtime.broadcast import board_group, session_group, workshop_group

log = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_SIGNED_OUT = 4401
_MAX_MESSAGE = 1024


def _access(workshop_id: int, user_id: int | None, key: object) -> str | None:
    """ "facilitator", "projector" or None (no access)."""
    from trees.models import Workshop, WorkshopParticipant, WorkshopRole
    from trees.selectors import board_key_matches

    if not 0 < workshop_id < 2**63:
        return None
    if key is None:
        if user_id is None:
            return None
        seated = WorkshopParticipant.objects.filter(
            workshop_id=workshop_id, user_id=user_id, role=WorkshopRole.FACILITATOR
        ).exists()
        return "facilitator" if seated else None
    workshop = Workshop.objects.filter(pk=workshop_id).first()
    if workshop is not None and board_key_matches(workshop, key):
        return "projector"
    return None


class BoardConsumer(AsyncWebsocketConsumer):
    workshop_id: int
    hub: BoardHub | None
    access: str | None

    async def connect(self) -> None:
        self.workshop_id = int(self.scope["url_route"]["kwargs"]["workshop_id"])
        user = self.scope.get("user")
        self.user_id = user.pk if user is not None and user.is_authenticated else None
        self.hub = None
        self.access = None
        self.groups_joined: list[str] = []
        self.ended = False
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.ended:
            return
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        try:
            message = json.loads(raw) if len(raw) <= _MAX_MESSAGE else None
        except (ValueError, RecursionError):
            message = None
        if not isinstance(message, dict):
            await self._send({"type": "error", "code": "bad_json", "message": "Send JSON."})
            return
        kind = message.get("type")
        if kind == "ping":
            await self._send({"type": "pong"})
        elif kind == "hello" and self.hub is None:
            await self._hello(message.get("key"))
        elif kind == "hello":
            await self._send({"type": "error", "code": "invalid", "message": "Already open."})
        else:
            await self._send(
                {"type": "error", "code": "invalid", "message": "The board is read-only."}
            )

    async def _hello(self, key: object) -> None:
        self.access = await run_board(_access, self.workshop_id, self.user_id, key)
        if self.access is None:
            await self._end(CLOSE_FORBIDDEN)
            return
        groups = [board_group(self.workshop_id), workshop_group(self.workshop_id)]
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if self.access == "facilitator" and session_key:
            groups.append(session_group(session_key))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        self.hub = hub_for(self.workshop_id)
        await self.hub.add(self, self.access == "facilitator")

    async def disconnect(self, code: int) -> None:
        if self.hub is not None:
            hub, self.hub = self.hub, None
            await hub.remove(self)
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                log.warning("workshop %s: could not leave %s", self.workshop_id, group)
        self.groups_joined = []

    async def _end(self, code: int) -> None:
        self.ended = True
        if self.hub is not None:
            hub, self.hub = self.hub, None
            await hub.remove(self)
        await self.close(code=code)

    async def _send(self, message: dict[str, Any]) -> None:
        if not self.ended:
            await self.send(text_data=json.dumps(message, separators=(",", ":")))

    # ---- from the hub and the channel layer ----------------------------------------------

    async def send_board(self, text: str) -> None:
        if not self.ended:
            await self.send(text_data=text)

    async def board_link(self, event: dict[str, Any]) -> None:
        """The projector link was replaced or revoked."""
        if self.access == "projector":
            await self._end(CLOSE_FORBIDDEN)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self._end(CLOSE_SIGNED_OUT)

    async def workshop_event(self, event: dict[str, Any]) -> None:
        """Groups, rounds, trees or participants changed (trees/realtime/broadcast.py,
        `broadcast_workshop`): refresh."""
        if self.hub is not None:
            self.hub.mark_dirty()

    async def workshop_access(self, event: dict[str, Any]) -> None:
        """Seats changed: the board's presence and members change with them. (A facilitator
        cannot be removed, so the board socket itself stays.)"""
        if self.hub is not None:
            self.hub.mark_dirty()
