"""Domain layer: the tree-dependent rules of each operation, and their effect.

Each `_kind` function first checks everything (raising OpError with the state untouched) and
only then mutates, so a rejected op never leaves a half-applied state behind.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import ytext
from .errors import OpError
from .grammar import allowed_under
from .keys import KeyError_, is_valid_key, key_between
from .limits import MAX_NODES, MAX_NOTE, MAX_TEXT
from .node import FIELD_GROUPS, Applied, Node
from .textmerge import merge_text
from .validate import normalise

if TYPE_CHECKING:
    from .state import TreeState


def apply_op(
    state: TreeState,
    op: Mapping[str, Any],
    *,
    seq: int,
    actor: int | None,
    logged: bool = False,
) -> Applied:
    """Validate and apply one op to `state` (the caller bumps the version).

    `logged`: `op` comes from the log (a replay). A `set text` logged before text merging
    existed carries no `y`; it replaced the whole text, so it resets the node to plain text.
    """
    compact = op.get("compact") if logged and isinstance(op, Mapping) else None
    if compact is not None:
        op = {k: v for k, v in op.items() if k != "compact"}
    norm = normalise(op, state.kind)
    if "if_seq" in norm:
        _check_unchanged(state, norm)
    if norm["kind"] == "set" and norm["field"] == "text":
        applied = _set_text(state, norm, seq, logged)
    else:
        applied = _HANDLERS[norm["kind"]](state, norm, seq, actor)
    if norm["kind"] == "text" or (norm["kind"] == "set" and norm["field"] == "text"):
        _compact(state.nodes[norm["id"]], applied.op, seq, logged, compact)
    return applied


def _compact(node: Node, op: dict[str, Any], seq: int, logged: bool, compact: object) -> None:
    # A text state past ytext.COMPACT_AT is replaced by a fresh one of just the text, and the
    # op is logged with it (`compact`) so that every replica replaces its document alike. A
    # replay follows the log: it compacts exactly where the logged op says so.
    if logged:
        if compact is None:
            return
        if not isinstance(compact, str) or ytext.text_of(ytext.load(compact, "")) != node.text:
            raise OpError("invalid", "compact must be the node's text as a Y state")
        node.y = compact
        op["compact"] = compact
        return
    state = ytext.compacted(node.y, node.text, seq)
    if state is not None:
        node.y = state
        op["compact"] = state


def _check_unchanged(state: TreeState, op: dict[str, Any]) -> None:
    # An undo applies only to the sender's own last write: if anyone wrote the group since
    # (its seq moved on), undoing would revert *their* change, so the op is refused whole.
    node = _node(state, op["id"])
    for group, seq in op["if_seq"].items():
        now = node.field_seq.get(group, 0)
        if now != seq:
            raise OpError(
                "stale", f"node {node.id} was changed since seq {seq} (its {group} at seq {now})"
            )


# -- lookups that raise the protocol's codes ---------------------------------------------------


def _node(state: TreeState, node_id: str, what: str = "node") -> Node:
    node = state.nodes.get(node_id)
    if node is None:
        raise OpError("not_found", f"no {what} {node_id}")
    return node


def _live_node(state: TreeState, node_id: str) -> Node:
    node = _node(state, node_id)
    if node.deleted:
        raise OpError("deleted", f"node {node_id} is deleted")
    return node


def _live_parent(state: TreeState, parent_id: str | None) -> Node | None:
    if parent_id is None:
        return None
    parent = _node(state, parent_id, "parent")
    if parent.deleted:
        raise OpError("deleted", f"parent {parent_id} is deleted")
    return parent


def _check_grammar(state: TreeState, child_type: str, parent: Node | None) -> None:
    parent_type = parent.type if parent is not None else None
    if not allowed_under(state.kind, child_type, parent_type):
        where = f"under a {parent_type}" if parent_type else "at top level"
        raise OpError("bad_parent_type", f"a {child_type} cannot go {where}")


def _key_or_reject(make: Any, *args: str | None) -> str:
    # Keys grow by a digit per insertion at one spot; past MAX_KEY_LENGTH there is no room.
    try:
        key: str = make(*args)
    except KeyError_:
        key = ""
    if not is_valid_key(key):
        raise OpError("too_large", "no free sibling key at that position")
    return key


def _place(
    state: TreeState, parent: str | None, node_id: str, key: str | None, keep: str | None
) -> str:
    """The key `node_id` gets under `parent`: `key` unless a sibling holds it (then just after
    it), else `keep` if free, else after the last sibling. Deleted siblings count: a restore
    must find its key still free."""
    sibs = state.siblings(parent)
    if key is not None:
        owner = sibs.owner(key)
        if owner is None or owner == node_id:
            return key
        return _key_or_reject(key_between, key, sibs.next_key(key, node_id))
    if keep is not None and sibs.owner(keep) in (None, node_id):
        return keep
    return _key_or_reject(key_between, sibs.last_key(node_id), None)


def _stamp(node: Node, group: str, seq: int) -> None:
    node.field_seq[group] = seq


# -- the operations ----------------------------------------------------------------------------


def _create(state: TreeState, op: dict[str, Any], seq: int, actor: int | None) -> Applied:
    if op["id"] in state.nodes:
        raise OpError("conflict", f"node {op['id']} already exists")
    parent = _live_parent(state, op["parent"])
    _check_grammar(state, op["type"], parent)
    if len(state.nodes) >= MAX_NODES:
        raise OpError("too_large", f"a tree holds at most {MAX_NODES} nodes")
    op["key"] = _place(state, op["parent"], op["id"], op.get("key"), None)

    node = Node(id=op["id"], type=op["type"], parent=op["parent"], key=op["key"], author=actor)
    node.field_seq = dict.fromkeys(FIELD_GROUPS, 0)
    _stamp(node, "position", seq)
    # Only the fields the creator actually wrote count as written (for `overwrote`).
    for name in ("text", "note", "tags"):
        if name in op:
            setattr(node, name, list(op[name]) if name == "tags" else op[name])
            _stamp(node, name, seq)
    if "meta" in op:
        node.meta = copy.deepcopy(op["meta"])
    state.attach(node)
    return Applied(op=op, changed=[node.id])


def _set(state: TreeState, op: dict[str, Any], seq: int, actor: int | None) -> Applied:
    node = _live_node(state, op["id"])
    name = op["field"]
    overwrote = node.field_seq.get(name, 0)
    base = op.pop("base", None)
    if name == "note" and base is not None:
        # A note edited from `base`: apply the writer's edits of it to the note as it is now,
        # character by character (textmerge), so that two people writing in one note at once
        # both keep their sentences. It replaces nothing the writer did not see.
        if base != node.note:
            op["value"] = merge_text(base, op["value"], node.note)
            if len(op["value"]) > MAX_NOTE:
                raise OpError("too_large", f"note is longer than {MAX_NOTE} characters")
        overwrote = 0
    if name == "meta":
        node.meta = copy.deepcopy(op["value"])
    else:
        setattr(node, name, list(op["value"]) if name == "tags" else op["value"])
    _stamp(node, name, seq)
    return Applied(op=op, changed=[node.id], overwrote=overwrote)


def _set_text(state: TreeState, op: dict[str, Any], seq: int, logged: bool) -> Applied:
    # A whole-text write is logged with the Yjs update that turns the old text into the new
    # one (`y`), so replicas merge it with concurrent character edits like any other.
    node = _live_node(state, op["id"])
    overwrote = node.field_seq.get("text", 0)
    if "y" in op:
        y, text = ytext.apply_update(
            node.y, node.text, ytext.decode_b64(op["y"]), MAX_TEXT, server=True
        )
        if text != op["value"]:
            raise OpError("invalid", "y does not turn the text into value")
    elif logged:
        y, text = "", op["value"]
    else:
        base = op.pop("base", None)
        if base is not None and base != node.text:
            # Edited from an older text: apply the writer's edits of `base` (textmerge), not a
            # replacement of everything that changed since (concurrent typing stays).
            op["value"] = merge_text(base, op["value"], node.text)
            if len(op["value"]) > MAX_TEXT:
                raise OpError("too_large", f"text is longer than {MAX_TEXT} characters")
        y, update = ytext.diff_update(node.y, node.text, op["value"])
        text = op["value"]
        op["y"] = update
    node.y, node.text = y, text
    _stamp(node, "text", seq)
    return Applied(op=op, changed=[node.id], overwrote=overwrote)


def _text(state: TreeState, op: dict[str, Any], seq: int, actor: int | None) -> Applied:
    # A character-level edit: a Yjs update of the node's Y.Text, merged with every other.
    node = _live_node(state, op["id"])
    y, text = ytext.apply_update(node.y, node.text, ytext.decode_b64(op["update"]), MAX_TEXT)
    if "\x00" in text:
        raise OpError("invalid", "text must not contain NUL characters")
    node.y, node.text = y, text
    _stamp(node, "text", seq)
    return Applied(op=op, changed=[node.id])


def _move(state: TreeState, op: dict[str, Any], seq: int, actor: int | None) -> Applied:
    node = _live_node(state, op["id"])
    parent = _live_parent(state, op["parent"])
    if state.reaches(op["parent"], node.id):
        raise OpError("cycle", "a node cannot move under itself or its descendants")
    new_type = op.get("type", node.type)
    _check_grammar(state, new_type, parent)
    if new_type != node.type:
        # Deleted children count too: a later restore must not bring back a broken grammar.
        for child in state.children(node.id):
            if not allowed_under(state.kind, child.type, new_type):
                raise OpError("bad_parent_type", f"a {child.type} cannot go under a {new_type}")
    op["key"] = _place(state, op["parent"], node.id, op.get("key"), node.key)

    state.detach(node)
    node.parent, node.key, node.type = op["parent"], op["key"], new_type
    if node.parent in node.parents:
        # Moving under one of its extra parents promotes that link to the primary edge.
        node.parents.remove(node.parent)
    state.attach(node)
    _stamp(node, "position", seq)
    return Applied(op=op, changed=[node.id])


def _delete(state: TreeState, op: dict[str, Any], seq: int, actor: int | None) -> Applied:
    root = _live_node(state, op["id"])
    changed: list[str] = []
    stack = [root]
    # A live node never has a deleted primary parent, so skipping deleted children loses
    # nothing: their subtrees are already tombstoned (by an older delete that keeps its seq).
    while stack:
        node = stack.pop()
        node.deleted, node.deleted_seq = True, seq
        _stamp(node, "deleted", seq)
        changed.append(node.id)
        stack.extend(c for c in reversed(state.children(node.id)) if not c.deleted)
    return Applied(op=op, changed=changed)


def _restore(state: TreeState, op: dict[str, Any], seq: int, actor: int | None) -> Applied:
    root = _node(state, op["id"])
    if not root.deleted:
        raise OpError("invalid", f"node {root.id} is not deleted")
    _live_parent(state, root.parent)
    taken = root.deleted_seq
    changed: list[str] = []
    stack = [root]
    # The subtree of a deleted node is frozen (no edits, moves or creates under it), so the
    # nodes carrying this delete's seq are exactly the ones that delete took.
    while stack:
        node = stack.pop()
        node.deleted, node.deleted_seq = False, 0
        _stamp(node, "deleted", seq)
        changed.append(node.id)
        kids = state.children(node.id)
        stack.extend(c for c in reversed(kids) if c.deleted and c.deleted_seq == taken)
    return Applied(op=op, changed=changed)


def _link(state: TreeState, op: dict[str, Any], seq: int, actor: int | None) -> Applied:
    node = _live_node(state, op["id"])
    parent = _live_parent(state, op["parent"])
    assert parent is not None  # validate.normalise requires a parent id for link
    if parent.id == node.parent or parent.id in node.parents:
        raise OpError("conflict", f"node {node.id} is already under {parent.id}")
    if state.reaches(parent.id, node.id):
        raise OpError("cycle", "a node cannot be linked under itself or its descendants")
    _check_grammar(state, node.type, parent)
    node.parents.append(parent.id)
    _stamp(node, "position", seq)
    return Applied(op=op, changed=[node.id])


def _unlink(state: TreeState, op: dict[str, Any], seq: int, actor: int | None) -> Applied:
    node = _live_node(state, op["id"])
    if op["parent"] not in node.parents:
        raise OpError("not_found", f"node {node.id} is not linked under {op['parent']}")
    node.parents.remove(op["parent"])
    _stamp(node, "position", seq)
    return Applied(op=op, changed=[node.id])


_HANDLERS = {
    "create": _create,
    "set": _set,
    "text": _text,
    "move": _move,
    "delete": _delete,
    "restore": _restore,
    "link": _link,
    "unlink": _unlink,
}
