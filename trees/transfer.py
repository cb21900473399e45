"""Import and export between the database and the pure formats layer (trees/formats).

The formats layer turns bytes into a `TreeDoc` and back; this module turns a `TreeDoc` into a
tree (through the import action) and a tree into a `TreeDoc` (through a snapshot).
"""

from __future__ import annotations

from trees.actions.imports import tree_import
from trees.domain.errors import ActionError
from trees.formats import FormatError, TreeDoc, detect_format, export_tree, import_tree
from trees.models import Tree
from trees.selectors import tree_snapshot


def import_bytes(
    *,
    owner_id: int,
    data: bytes | str,
    fmt: str,
    kind: str,
    title: str | None,
    filename: str | None = None,
    keep_authors: bool = False,
) -> Tree:
    """Parse `data` and create the tree; nothing is created when anything is wrong.

    `keep_authors` keeps the author ids of a JSON backup (for operators restoring a backup
    on the same server); imports by users credit every node to the importer, so that nobody
    can make the log say someone else wrote something.
    """
    try:
        name = detect_format(data, filename) if fmt == "auto" else fmt
        doc = import_tree(data, fmt=name, kind=kind, title=title, filename=filename)
    except FormatError as exc:
        raise ActionError(exc.code, str(exc)) from None
    return tree_import(
        owner_id=owner_id,
        kind=doc.kind,
        title=doc.title or "Imported tree",
        description=doc.description,
        nodes=doc.nodes,
        keep_authors=keep_authors and name == "json",
        meta={"imported_from": name},
    )


def tree_doc(tree: Tree) -> TreeDoc:
    snapshot = tree_snapshot(tree_id=tree.pk)
    return TreeDoc(
        kind=tree.kind, title=tree.title, description=tree.description, nodes=snapshot["nodes"]
    )


def export_bytes(tree: Tree, fmt: str) -> bytes:
    try:
        return export_tree(tree_doc(tree), fmt=fmt)
    except FormatError as exc:
        raise ActionError(exc.code, str(exc)) from None
