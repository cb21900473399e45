"""Events to live clients from synchronous code (REST views, actions). Called only after a commit.

Committed ops take the fan-out (trees/realtime/fanout.py), the websocket ops' own path, so an
op reaches the other sockets the same way whoever wrote it and however. Access changes and
review decisions are rare and go through the tree's channel-layer group.

Delivery is at most once and may drop messages; sockets repair gaps from the operation log,
so a failed send is logged and never undoes a committed write.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from trees.realtime.fanout import publish_from_thread

log = logging.getLogger(__name__)


def tree_group(tree_id: int) -> str:
    return f"tree.{tree_id}"


def session_group(session_key: str) -> str:
    """The sockets opened with one session; named by a hash, the key itself is a secret."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def _send(tree_id: int, event: dict[str, Any]) -> None:
    _group_send(tree_group(tree_id), event)


def _group_send(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        log.exception("broadcast to %s failed; clients will resync from the log", group)


def broadcast_session_ended(session_key: str) -> None:
    """A session logged out: its open sockets close with 4401."""
    _group_send(session_group(session_key), {"type": "session.ended"})


def on_user_logged_out(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """`user_logged_out` receiver (trees/apps.py); the session is flushed right after it."""
    session = getattr(request, "session", None)
    session_key = getattr(session, "session_key", None)
    if session_key:
        broadcast_session_ended(session_key)


def broadcast_ops(ops_by_tree: dict[int, list[dict[str, Any]]]) -> None:
    """Ops just committed, per tree in seq order: to every socket of their trees."""
    try:
        publish_from_thread(ops_by_tree)
    except Exception:
        log.exception("broadcast of committed ops failed; clients will resync from the log")


def broadcast_access_changed(tree_id: int) -> None:
    """Members or the tree itself changed: consumers re-check who may stay and edit."""
    _send(tree_id, {"type": "tree.access"})


def broadcast_tags(tree_id: int, message: dict[str, Any]) -> None:
    """Tags renamed or merged (docs/analysis.md): `{"renamed": {"from", "to"}, "by"}`, after
    the `op` broadcasts of the renames, so open pages move their tag filter along."""
    _send(tree_id, {"type": "tree.tags", **message})


def broadcast_review(tree_id: int, message: dict[str, Any]) -> None:
    """A merge-review decision or undo: `{"suggestion", "progress"}` for the review screen."""
    _send(tree_id, {"type": "tree.review", **message})


def workshop_group(workshop_id: int) -> str:
    """The channel-layer group of a workshop's live pages (ws/workshops/<id>/)."""
    return f"workshop-{workshop_id}"


def broadcast_workshop(workshop_id: int, event: dict[str, Any], *, audience: str = "all") -> None:
    """A workshop event (docs/protocol.md, "Workshop events": groups, round, merge, exercise,
    trees, participants) to the workshop's sockets; with `audience` "facilitators" only
    facilitators get it. Stamped with the server's time, for countdowns."""
    from django.utils import timezone

    event = {**event, "server_time": timezone.now().isoformat().replace("+00:00", "Z")}
    _group_send(
        workshop_group(workshop_id),
        {"type": "workshop.event", "event": event, "audience": audience},
    )


def broadcast_workshop_access(workshop_id: int) -> None:
    """Seats changed (someone removed): the workshop's sockets re-check theirs."""
    _group_send(workshop_group(workshop_id), {"type": "workshop.access"})


def board_group(workshop_id: int) -> str:
    """The sockets of a workshop's live board (trees/realtime/board_consumer.py)."""
    return f"workshop-{workshop_id}-board"


def broadcast_board_link_changed(workshop_id: int) -> None:
    """The projector link was made anew or revoked: boards opened with a key close (4403)."""
    _group_send(board_group(workshop_id), {"type": "board.link"})
