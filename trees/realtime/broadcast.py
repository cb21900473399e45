"""Events to live clients over the channel layer. Called only after a commit.

The channel layer delivers at most once and may drop messages; clients repair gaps from the
operation log, so a failed send is logged and never undoes a committed write.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def tree_group(tree_id: int) -> str:
    return f"tree.{tree_id}"


def _send(tree_id: int, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(tree_group(tree_id), event)
    except Exception:
        log.exception("broadcast to tree %s failed; clients will resync from the log", tree_id)


def op_event(message: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer event for one accepted op (consumers forward it as `op`)."""
    return {"type": "tree.op", **message}


def broadcast_op(tree_id: int, message: dict[str, Any]) -> None:
    _send(tree_id, op_event(message))


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
