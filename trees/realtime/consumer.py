"""The websocket consumer (thin): checks access, speaks docs/protocol.md, calls actions.

All ORM work goes through run_db (trees/realtime/dbthread.py). The consumer forwards broadcasts
strictly in seq order: a broadcast that skips a seq is preceded by the missing ops read from
the log.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from trees.actions.ops import OpRequest, check_client_id
from trees.domain.errors import ActionError
from trees.realtime import reads
from trees.realtime.batcher import batcher
from trees.realtime.broadcast import session_group, tree_group
from trees.realtime.dbthread import run_db
from trees.realtime.fanout import fanout, op_text
from trees.realtime.ratelimit import OpOrder, TokenBucket, user_buckets, user_sockets
from trees.realtime.sequencer import Offer, Sequencer

log = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_FLOOD = 4429
# The session this socket was opened with has signed out (docs/protocol.md).
CLOSE_SIGNED_OUT = 4401
# The user has GAMETREE_WS_MAX_SOCKETS_PER_USER sockets open in this process already.
CLOSE_TOO_MANY_SOCKETS = 4409
# The channel layer failed: reconnect and try again. (Daphne/autobahn let an application
# close only with 1000 or 3000-4999, so not 1011.)
CLOSE_LAYER_DOWN = 4503
# Daphne refuses websocket messages over 1 MiB in either direction; stay well under it.
MAX_OUTGOING_BYTES = 768 * 1024
_MAX_NODE_REF = 64


class TreeConsumer(AsyncWebsocketConsumer):
    tree_id: int
    user_id: int | None
    role: str | None
    # What was forwarded to the client, and what is held back (trees/realtime/sequencer.py).
    seq: Sequencer
    joined: bool
    client_id: str

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first hops into the ORM thread to close old connections, so
        # every broadcast to every socket queued behind the running write batch. This
        # consumer does all its ORM work through run_db (trees/realtime/dbthread.py), which manages
        # its own connection, so the hop is pure delay.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.tree_id = int(self.scope["url_route"]["kwargs"]["tree_id"])
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            self.user_id, self.username = user.pk, user.get_username()
        else:
            self.user_id, self.username = None, ""
        self.user_ref: dict[str, Any] = {"id": self.user_id, "username": self.username, "name": ""}
        # Ids past the database's bigint range cannot exist (and would overflow the query).
        if 0 < self.tree_id < 2**63:
            # How this tree names them (a workshop seat's name) is what presence shows.
            self.role, self.user_ref = await run_db(reads.opening, user, self.tree_id)
        else:
            self.role = None
        self.seq = Sequencer()
        self.joined = False
        self.presence: dict[str, Any] = {"node": None, "editing": False, "typing": False}
        self.bucket = TokenBucket(
            settings.GAMETREE_WS_RATE_PER_SECOND, settings.GAMETREE_WS_RATE_BURST
        )
        self.rejected = 0
        # Ops after one refused for rate wait for it (docs/protocol.md, "Limits").
        self.order = OpOrder()
        self.ended = False
        self.counted = False
        self.session_group: str | None = None
        await self.accept()
        if self.role is None:
            # Accept first so the client sees our close code; unknown tree and non-member
            # look the same so tree ids cannot be probed.
            await self._end(CLOSE_FORBIDDEN)
            return
        assert self.user_id is not None
        if not user_sockets.open(self.user_id, settings.GAMETREE_WS_MAX_SOCKETS_PER_USER):
            # One user's thousand sockets slowed everyone's round trips (issue 17).
            await self._end(CLOSE_TOO_MANY_SOCKETS)
            return
        self.counted = True
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key:
            # Logging out (of this session, anywhere) closes this socket: session_ended.
            self.session_group = session_group(session_key)
            try:
                await self.channel_layer.group_add(self.session_group, self.channel_name)
            except Exception:
                log.warning("tree %s: cannot join the session group; closing", self.tree_id)
                await self._end(CLOSE_LAYER_DOWN)

    async def _end(self, code: int) -> None:
        """Close with `code`; from now on nothing is received, sent or forwarded."""
        self.ended = True
        self.role = None
        await self.close(code=code)

    async def send(  # type: ignore[override]
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        if self.ended:
            return  # closed by us: a late broadcast or answer must not reach the client
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def disconnect(self, code: int) -> None:
        if self.counted and self.user_id is not None:
            self.counted = False
            user_sockets.close(self.user_id)
        if self.session_group is not None:
            group, self.session_group = self.session_group, None
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                log.warning("tree %s: could not leave the session group", self.tree_id)
        if self.joined:
            await fanout().leave(self.tree_id, self)
            await self.channel_layer.group_send(
                tree_group(self.tree_id), {"type": "presence.leave", "conn": self.channel_name}
            )
            await self.channel_layer.group_discard(tree_group(self.tree_id), self.channel_name)
            self.joined = False

    # ---- client messages -------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.role is None:
            return
        if not self.bucket.take() or not self._user_take():
            await self._reject_flood(text_data)
            return
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw.encode("utf-8")) > settings.GAMETREE_WS_MAX_MESSAGE_BYTES:
            await self._error("too_large", "Messages are at most 64 KiB.")
            return
        try:
            message = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than ~1,000
            await self._error("bad_json", "Messages must be JSON objects.")
            return
        if not isinstance(message, dict):
            await self._error("bad_json", "Messages must be JSON objects.")
            return
        kind = message.get("type")
        handler = {
            "hello": self._on_hello,
            "op": self._on_op,
            "sync": self._on_sync,
            "presence": self._on_presence,
            "ping": self._on_ping,
        }.get(kind if isinstance(kind, str) else "")
        if handler is None:
            await self._error("invalid", f"Unknown message type {kind!r}.")
            return
        if kind == "presence" and not self.joined:
            # A client may say where its cursor is before its hello is answered (a reconnect
            # with a node focused): keep it and announce it with the hello, no error to show.
            handler = self._keep_presence
        elif kind not in ("hello", "ping") and not self.joined:
            await self._error("not_ready", "Send hello first.")
            return
        try:
            await handler(message)
        except ActionError as exc:
            await self._error(exc.code, exc.message)
        except Exception:
            # A bug or a lost database must not kill the socket: the client can retry
            # (ops are idempotent by client_id and n) and resync from the log.
            log.exception("websocket message failed on tree %s", self.tree_id)
            n = message.get("n") if kind == "op" else None
            if isinstance(n, int):
                self.order.refused(n)  # resent by the client: later ops wait for it
                await self._send(
                    {"type": "nack", "n": n, "code": "internal", "message": "Try again."}
                )
            else:
                await self._error("internal", "The server could not handle that; try again.")

    def _actor_id(self) -> int:
        """The signed-in member behind this socket. Only a member's socket gets past connect,
        so a missing id here is a bug: refused rather than written as nobody's op."""
        if self.user_id is None:
            raise ActionError("not_authenticated", "Sign in first.")
        return self.user_id

    def _user_take(self) -> bool:
        # One budget for all of this user's sockets in this process (docs/protocol.md).
        return self.user_id is not None and user_buckets.take(
            self.user_id,
            settings.GAMETREE_WS_USER_RATE_PER_SECOND,
            settings.GAMETREE_WS_USER_RATE_BURST,
        )

    async def _reject_flood(self, text_data: str | None) -> None:
        self.rejected += 1
        if self.rejected >= settings.GAMETREE_WS_FLOOD_CLOSE_AFTER:
            await self.close(code=CLOSE_FLOOD)
            return
        n = _op_number(text_data)
        if n is not None:
            self.order.refused(n)
            await self._send(
                {"type": "nack", "n": n, "code": "rate_limited", "message": "Slow down."}
            )
        else:
            await self._error("rate_limited", "Slow down.")

    async def _on_hello(self, message: dict[str, Any]) -> None:
        since = _since(message)
        # The ops' own check: a client id they would refuse is refused here, not op by op.
        self.client_id = check_client_id(message.get("client_id"))
        if not self.joined:
            # Join before reading the log: an op committed in between arrives twice and the
            # duplicate is dropped, instead of being lost.
            try:
                await self.channel_layer.group_add(tree_group(self.tree_id), self.channel_name)
                await fanout().join(self.tree_id, self)
            except Exception:
                # The channel layer is down (Redis restarting). Unjoined, this socket would
                # never see a broadcast and the client could not tell: close it, the client
                # reconnects (rule 3) and joins once the layer is back.
                log.warning("tree %s: cannot join the group; closing the socket", self.tree_id)
                await self.close(code=CLOSE_LAYER_DOWN)
                return
            self.joined = True
        await self._send(
            {
                "type": "welcome",
                "user": self.user_ref,
                "role": self.role,
                "conn": self.channel_name,
            }
        )
        # Ops committed while we read the log are held instead of being dropped.
        self.seq.start_catch_up()
        try:
            await self._catch_up(since)
        finally:
            await self._forward_pending()
        # Everyone sees the newcomer at once (with where its cursor is, if it said so before
        # its hello), and tells it where they are.
        await self.channel_layer.group_send(
            tree_group(self.tree_id), {**self._presence_event(), "type": "presence.join"}
        )

    async def _on_sync(self, message: dict[str, Any]) -> None:
        since = _since(message)
        await self._catch_up(since)

    async def _catch_up(self, since: int | None) -> None:
        result = await run_db(reads.catch_up, self.tree_id, since)
        if result["type"] == "gone":
            await self.close(code=CLOSE_FORBIDDEN)
        elif result["type"] == "snapshot":
            text = _dumps(result)
            if len(text) > MAX_OUTGOING_BYTES:
                # Daphne caps a websocket message at 1 MiB; a big tree comes over HTTP.
                await self._error(
                    "resync_required",
                    f"The tree is too large for a socket snapshot: GET "
                    f"/api/trees/{self.tree_id}/snapshot/, then sync from its seq.",
                )
                return
            await self.send(text_data=text)
            self.seq.caught_up(result["seq"])
        else:
            await self._send_ops(result["ops"])
            self.seq.caught_up(result["head"])

    async def _send_ops(self, ops: list[dict[str, Any]]) -> None:
        """Send a log range as one or more `ops` messages, each under the size cap."""
        batch: list[dict[str, Any]] = []
        size = 0
        for op in ops:
            op_size = len(_dumps(op))
            if batch and size + op_size > MAX_OUTGOING_BYTES:
                await self._send({"type": "ops", "ops": batch})
                batch, size = [], 0
            batch.append(op)
            size += op_size + 1
        if batch or not ops:
            await self._send({"type": "ops", "ops": batch})

    async def _on_op(self, message: dict[str, Any]) -> None:
        n = message.get("n")
        if isinstance(n, bool) or not isinstance(n, int):
            raise ActionError("invalid", "op messages need an integer n.")
        request = OpRequest(
            tree_id=self.tree_id,
            actor_id=self._actor_id(),
            client_id=self.client_id,
            n=n,
            op=message.get("op"),
        )
        if not self.order.admit(n):
            # Within the rate, so not counted towards the flood close: it only waits for an
            # earlier op of this client that was refused for rate and is to be resent first.
            await self._send(
                {
                    "type": "nack",
                    "n": n,
                    "code": "rate_limited",
                    "message": "Slow down: an earlier op is to be resent first.",
                }
            )
            return
        try:
            result = await batcher().submit(request)
        except ActionError as exc:
            if exc.code == "rate_limited":
                self.rejected += 1
            if exc.code in ("rate_limited", "internal"):
                # Both are resent by the client (not refusals of the edit): later ops wait
                # for the resend, so none that needs this one is applied first or lost.
                self.order.refused(n)
            await self._send({"type": "nack", "n": n, "code": exc.code, "message": exc.message})
            return
        await self._send({"type": "ack", "n": n, "seq": result.seq, "dup": result.dup})

    async def _on_presence(self, message: dict[str, Any], *, announce: bool = True) -> None:
        node = message.get("node")
        editing = message.get("editing", False)
        typing = message.get("typing", False)
        if node is not None and (
            not isinstance(node, str) or len(node) > _MAX_NODE_REF or not _plain_text(node)
        ):
            raise ActionError("invalid", "node must be a node id or null.")
        if not isinstance(editing, bool):
            raise ActionError("invalid", "editing must be true or false.")
        if not isinstance(typing, bool):
            raise ActionError("invalid", "typing must be true or false.")
        self.presence = {"node": node, "editing": editing, "typing": typing and node is not None}
        if announce:
            await self.channel_layer.group_send(tree_group(self.tree_id), self._presence_event())

    async def _keep_presence(self, message: dict[str, Any]) -> None:
        await self._on_presence(message, announce=False)

    async def _on_ping(self, message: dict[str, Any]) -> None:
        await self._send({"type": "pong"})

    # ---- group events ------------------------------------------------------------------

    async def deliver_op(self, message: dict[str, Any], text: str) -> None:
        """Forward one committed op (from realtime/fanout.py), strictly in seq order.

        `text` is the op already serialised, shared by every socket of the tree.
        """
        offer = self.seq.offer(message)
        if offer is Offer.SEND:
            await self.send(text_data=text)
        elif offer is Offer.REPAIR:
            # Something was dropped or reordered on the way: fill the gap from the log, in a
            # task of our own so that the fan-out does not wait for our database read.
            asyncio.get_running_loop().create_task(self._forward_pending())

    async def _forward_pending(self) -> None:
        try:
            while (step := self.seq.next_step()) is not None:
                if step.gap is not None:
                    missing = await run_db(reads.ops_between, self.tree_id, *step.gap)
                    if missing:
                        await self._send_ops(missing)
                        self.seq.sent_up_to(missing[-1]["seq"])
                    if not self.seq.still_ahead(step.message):
                        continue
                await self.send(text_data=op_text(step.message))
                self.seq.sent_up_to(step.message["seq"])
        except Exception:
            # The next op finds the same gap and tries again; the client can also sync.
            log.exception("tree %s: filling a gap failed", self.tree_id)
        finally:
            self.seq.release()

    async def link_lost(self) -> None:
        """This process lost Redis: the socket may miss other processes' ops; reconnect."""
        self.joined = False
        await self.close(code=CLOSE_LAYER_DOWN)

    async def tree_review(self, event: dict[str, Any]) -> None:
        # A merge-review decision (docs/analysis.md); its ops came as `op` broadcasts first.
        if not self.seq.ready:
            return
        message = {key: value for key, value in event.items() if key != "type"}
        await self._send({"type": "review", **message})

    async def tree_tags(self, event: dict[str, Any]) -> None:
        # Tags renamed or merged (docs/analysis.md); the renames came as `op` broadcasts first.
        if not self.seq.ready:
            return
        message = {key: value for key, value in event.items() if key != "type"}
        await self._send({"type": "tags", **message})

    async def session_ended(self, event: dict[str, Any]) -> None:
        """The session this socket was opened with logged out (trees/realtime/broadcast.py)."""
        await self._end(CLOSE_SIGNED_OUT)

    async def tree_access(self, event: dict[str, Any]) -> None:
        self.role = await run_db(reads.role_in_tree, self.user_id, self.tree_id)
        if self.role is None:
            await self.close(code=CLOSE_FORBIDDEN)
        else:
            await self._send({"type": "role", "role": self.role})

    async def presence_join(self, event: dict[str, Any]) -> None:
        if event["conn"] == self.channel_name or self.ended:
            return
        # Show the newcomer to our client, then tell the newcomer where we are, directly; it
        # builds its roster from these replies.
        await self.presence_update(event)
        try:
            await self.channel_layer.send(event["conn"], self._presence_event())
        except Exception:
            # Best effort. `send` raises ChannelFull when the worker's inbox is full (where
            # group_send drops silently) and a raise here would kill this socket.
            log.warning("tree %s: presence reply not sent (channel layer)", self.tree_id)

    async def presence_ask(self, event: dict[str, Any]) -> None:
        """A workshop board (trees/realtime/board_presence.py) asks who is here: answer it as
        a newcomer is answered, without showing anyone to our client."""
        if self.ended or not self.joined:
            return
        try:
            await self.channel_layer.send(event["conn"], self._presence_event())
        except Exception:
            log.warning("tree %s: presence answer not sent (channel layer)", self.tree_id)

    async def presence_update(self, event: dict[str, Any]) -> None:
        if not self.seq.ready:
            return
        await self._send(
            {
                "type": "presence",
                "conn": event["conn"],
                "user": event["user"],
                "node": event["node"],
                "editing": event["editing"],
                "typing": event.get("typing", False),
            }
        )

    async def presence_leave(self, event: dict[str, Any]) -> None:
        if event["conn"] != self.channel_name:
            await self._send({"type": "presence_leave", "conn": event["conn"]})

    def _presence_event(self) -> dict[str, Any]:
        return {
            "type": "presence.update",
            "conn": self.channel_name,
            "tree": self.tree_id,
            "user": self.user_ref,
            **self.presence,
        }

    # ---- helpers -----------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=_dumps(message))

    async def _error(self, code: str, message: str) -> None:
        await self._send({"type": "error", "code": code, "message": message})


def _since(message: dict[str, Any]) -> int | None:
    since = message.get("since")
    if since is not None and (isinstance(since, bool) or not isinstance(since, int)):
        raise ActionError("invalid", "since must be an integer or null.")
    return since


def _plain_text(value: str) -> bool:
    """No lone surrogates (valid JSON, but the Redis layer cannot encode them) and no NUL."""
    return "\x00" not in value and value.encode("utf-8", "replace").decode() == value


def _dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def _op_number(text_data: str | None) -> int | None:
    """The `n` of a rate-limited op message, so the client can match the nack to its op."""
    if not text_data or len(text_data) > 65536:
        return None
    try:
        message = json.loads(text_data)
    except (ValueError, RecursionError):
        return None
    if isinstance(message, dict) and message.get("type") == "op":
        n = message.get("n")
        if isinstance(n, int) and not isinstance(n, bool):
            return n
    return None
