"""Action layer: a user's failure modes (a tag pointed at the problem it shows, with a note)."""

from __future__ import annotations

import uuid
from typing import Any

from trees.analysis.failure_modes import norm_tag
from trees.errors import ActionError
from trees.models import FailureMode, Node, Tree, TreeKind
from trees.selectors import User, access_tree

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
    mode, _ = FailureMode.objects.update_or_create(user_id=user.pk, tag=clean, defaults=fields)
    return mode
