"""Action layer: the only code that writes. Each action is one transaction; events go out
after commit. REST views and the websocket consumer call these same functions."""

from trees.actions.ops import OpResult, tree_apply_op
from trees.actions.trees import (
    member_add,
    member_remove,
    member_set_role,
    tree_create,
    tree_delete,
    tree_leave,
    tree_update,
)

__all__ = [
    "OpResult",
    "member_add",
    "member_remove",
    "member_set_role",
    "tree_apply_op",
    "tree_create",
    "tree_delete",
    "tree_leave",
    "tree_update",
]
