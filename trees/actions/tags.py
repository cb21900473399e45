"""Action layer: a user's failure modes (a tag pointed at the problem it shows, with a note),
renaming and merging tags across trees, and what the tag field offers while typing."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from trees.actions import state_cache
from trees.actions.review import apply_as
from trees.analysis.recurrence.failure_modes import norm_tag
from trees.analysis.taxonomy import STARTER_MODES
from trees.domain.errors import ActionError
from trees.domain.limits import MAX_TAG_LEN
from trees.domain.tags import norm_tag as norm_spelling
from trees.models import FailureMode, Node, Tree, TreeKind
from trees.realtime.broadcast import broadcast_tags
from trees.selectors import User, access_tree, user_id_of

MAX_RENAMED = 50

_DESCRIPTION_MAX = 5000


def failure_mode_set(
    *, user: User, tag: object, problem: object = None, description: object = None
) -> FailureMode:
    """Point `tag` at `problem` = `{"tree", "node"}` (a live node of a problem tree the user is
    a member of) or at nothing (`None`), and/or set its description."""
    clean = norm_tag(tag) if isinstance(tag, str) else ""
    if not clean or len(clean) > 64:
        raise ActionError("invalid", "A tag is 1-64 characters.")
    fields: dict[str, Any] = {}
    if problem is not None:
        if not isinstance(problem, dict) or "tree" not in problem or "node" not in problem:
            raise ActionError("invalid", 'problem must be {"tree": id, "node": id} or null.')
        tree: Tree = access_tree(user, problem["tree"])[0]
        if tree.kind != TreeKind.PROBLEM:
            raise ActionError("invalid", "A failure mode points at a node of a problem tree.")
        node = str(problem["node"])
        try:
            node_id = uuid.UUID(node)
        except ValueError:
            raise ActionError("not_found", "No such node in that problem tree.") from None
        if not Node.objects.filter(tree=tree, id=node_id, deleted=False).exists():
            raise ActionError("not_found", "No such node in that problem tree.")
        fields.update(problem_tree=tree, problem_node=node)
    else:
        fields.update(problem_tree=None, problem_node="")
    if description is not None:
        if not isinstance(description, str) or len(description) > _DESCRIPTION_MAX:
            raise ActionError("invalid", f"description is text of at most {_DESCRIPTION_MAX}.")
        fields["description"] = description
    mode, _ = FailureMode.objects.update_or_create(
        user_id=user_id_of(user), tag=clean, defaults=fields
    )
    return mode


# ---- renaming and merging tags ----------------------------------------------------------------


def tags_client_id(actor_id: int) -> str:
    return f"tags:{actor_id}"


def _tag_list(raw: object, name: str) -> list[str]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or len(items) > MAX_RENAMED:
        raise ActionError("invalid", f"{name} is a tag or a list of 1-{MAX_RENAMED} tags.")
    out = []
    for item in items:
        tag = norm_spelling(item) if isinstance(item, str) else ""
        if not tag or len(tag) > MAX_TAG_LEN:
            raise ActionError("invalid", f"{name}: a tag is 1-{MAX_TAG_LEN} characters.")
        out.append(tag)
    return list(dict.fromkeys(out))


def renamed_tags(tags: list[str], old: set[str], new: str) -> list[str]:
    """`tags` with every tag of `old` replaced by `new` in the place of the first one."""
    return list(dict.fromkeys(new if t in old else t for t in tags))


def tags_rename(*, user: User, trees: list[Tree], old: object, new: object) -> dict[str, Any]:
    """Rename tag(s) `old` to `new` in every live node of `trees` (merging several tags into
    one when `old` lists several, or when `new` is in use already), through ordinary `set
    tags` ops as client `tags:<user id>`, so every live client sees them; then a `tags` event
    (`{"renamed": {"from", "to"}}`) tells open pages to move their tag filter along. One
    transaction per tree. The user's own failure-mode row of an old tag moves to the new one
    when the new one has none. Answers `{"from", "to", "trees": [{"tree", "nodes"}]}`."""
    user_id = user_id_of(user)
    olds = _tag_list(old, "from")
    to = _tag_list(new, "to")
    if len(to) != 1:
        raise ActionError("invalid", "to is one tag.")
    target = to[0]
    renamed = set(olds) - {target}
    done: list[dict[str, int]] = []
    for tree in trees:
        with transaction.atomic():
            locked = Tree.objects.select_for_update().get(pk=tree.pk)
            state = state_cache.state_for(locked.pk, locked.kind, locked.version)
            ops = []
            for node in state.nodes.values():
                if node.deleted or not renamed.intersection(node.tags):
                    continue
                value = renamed_tags(node.tags, renamed, target)
                ops.append({"kind": "set", "id": node.id, "field": "tags", "value": value})
            apply_as(locked.pk, user_id, tags_client_id(user_id), ops)
            event = {"renamed": {"from": sorted(renamed), "to": target}, "by": user_id}
            if ops:
                transaction.on_commit(lambda t=locked.pk, e=event: broadcast_tags(t, e))  # type: ignore[misc]
        done.append({"tree": tree.pk, "nodes": len(ops)})
    have = set(FailureMode.objects.filter(user_id=user_id).values_list("tag", flat=True))
    target_mode = norm_tag(target)
    for tag in renamed:
        mode = norm_tag(tag)
        if mode in have and target_mode not in have and mode != target_mode:
            FailureMode.objects.filter(user_id=user_id, tag=mode).update(tag=target_mode)
            have = (have - {mode}) | {target_mode}
    return {"from": sorted(renamed), "to": target, "trees": done}


def tag_vocabulary(*, user: User, tree: Tree | None = None) -> list[dict[str, Any]]:
    """What the tag field offers while typing: the tags in use in the user's trees (`tree`'s
    first, then by use), then the failure-mode vocabulary's modes (their id as a tag, label,
    description and aliases). `[{"tag", "count", "source": "tree"|"group"|"vocabulary",
    "label", "description", "aliases"}]`."""
    counts: dict[str, int] = {}
    here: set[str] = set()
    rows = Node.objects.filter(tree__memberships__user_id=user_id_of(user), deleted=False)
    for tree_id, tags in rows.values_list("tree_id", "tags"):
        for tag in tags or ():
            counts[tag] = counts.get(tag, 0) + 1
            if tree is not None and tree_id == tree.pk:
                here.add(tag)
    out: list[dict[str, Any]] = [
        {
            "tag": tag,
            "count": counts[tag],
            "source": "tree" if tag in here else "group",
            "label": "",
            "description": "",
            "aliases": [],
        }
        for tag in sorted(counts, key=lambda t: (t not in here, -counts[t], t))
    ]
    used = set(counts)
    for mode in STARTER_MODES:
        tag = norm_spelling(mode.id)
        if tag in used:
            out[[r["tag"] for r in out].index(tag)].update(
                label=mode.label, description=mode.description, aliases=list(mode.aliases)
            )
            continue
        out.append(
            {
                "tag": tag,
                "count": 0,
                "source": "vocabulary",
                "label": mode.label,
                "description": mode.description,
                "aliases": list(mode.aliases),
            }
        )
    return out
