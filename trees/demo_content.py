"""Demo data written by the gametree team: example trees for alignment workshops.

The data is in ``trees/data/demo_content.yaml`` (what the trees say and who wrote what); this
module loads it, checks it (a malformed file raises
:class:`~trees.domain.datafile.DataFileError` naming the place) and fills in the defaults, so
every node is a dict with the keys type, text, note, tags, author and children.

- :data:`DEMO_USERS`: ``[(username, display name)]``; passwords are set by ``loaddemo``.
- :data:`GAME_TREE`: a shared alignment game tree (proposals, critiques with failure-mode
  tags, patches, critiques of patches); some proposals survive and the rest are broken.
- :data:`PROBLEM_TREES`: two problem trees drawn separately by two demo users, covering many
  of the same problems in different words: a realistic input for assisted merging.

:func:`load_demo` reads any file of the same shape (``users``, ``game_tree``,
``problem_trees``, and optional further top-level sections returned as they are).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trees.domain.datafile import Reader, read_yaml
from trees.domain.grammar import node_types

Node = dict[str, Any]

DATA = Path(__file__).with_name("data") / "demo_content.yaml"

_TREE_KEYS = {"title", "owner", "nodes"}
_TREE_OPTIONAL = {"description", "members"}
_NODE_KEYS = {"type", "text", "author"}
_NODE_OPTIONAL = {"note", "tags", "children"}


def load_demo(path: Path = DATA) -> dict[str, Any]:
    """The demo file at `path`, checked, as ``{"users": [(username, name)], "game_tree": tree,
    "problem_trees": [tree], ...}``; a tree is ``{"title", "description"?, "owner", "members"?,
    "nodes"}`` and every node has all six keys. Authors, owners and members must be users."""
    r = Reader(path)
    raw = r.mapping(read_yaml(path), "top level", required={"users", "game_tree", "problem_trees"})
    users: list[tuple[str, str]] = []
    for i, row in enumerate(r.items(raw["users"], "users")):
        u = r.mapping(row, f"users[{i}]", required={"username", "name"})
        users.append(
            (r.text(u["username"], f"users[{i}].username"), r.text(u["name"], f"users[{i}].name"))
        )
    known = {name for name, _ in users}
    out = dict(raw)
    out["users"] = users
    out["game_tree"] = _tree(r, raw["game_tree"], "game_tree", "game", known)
    out["problem_trees"] = [
        _tree(r, t, f"problem_trees[{i}]", "problem", known)
        for i, t in enumerate(r.items(raw["problem_trees"], "problem_trees"))
    ]
    return out


def _tree(r: Reader, raw: object, where: str, kind: str, users: set[str]) -> dict[str, Any]:
    t = r.mapping(raw, where, required=_TREE_KEYS, optional=_TREE_OPTIONAL)
    members = r.mapping(t.get("members", {}), f"{where}.members")
    for name, role in members.items():
        _user(r, name, f"{where}.members", users)
        r.text(role, f"{where}.members.{name}")
    tree: dict[str, Any] = {"title": r.text(t["title"], f"{where}.title")}
    if "description" in t:
        tree["description"] = r.text(t["description"], f"{where}.description", blank=True)
    tree["owner"] = _user(r, t["owner"], f"{where}.owner", users)
    if "members" in t:
        tree["members"] = dict(members)
    tree["nodes"] = _nodes(r, t["nodes"], f"{where}.nodes", kind, users)
    return tree


def _nodes(r: Reader, raw: object, where: str, kind: str, users: set[str]) -> list[Node]:
    types = node_types(kind)
    out: list[Node] = []
    for i, item in enumerate(r.items(raw, where)):
        at = f"{where}[{i}]"
        n = r.mapping(item, at, required=_NODE_KEYS, optional=_NODE_OPTIONAL)
        node_type = r.text(n["type"], f"{at}.type")
        if node_type not in types:
            raise r.fail(f"{at}.type", f"{node_type!r} is not a type of {kind} trees")
        out.append(
            {
                "type": node_type,
                "text": r.text(n["text"], f"{at}.text"),
                "note": r.text(n.get("note", ""), f"{at}.note", blank=True),
                "tags": r.texts(n.get("tags", []), f"{at}.tags"),
                "author": _user(r, n["author"], f"{at}.author", users),
                "children": _nodes(r, n.get("children", []), f"{at}.children", kind, users),
            }
        )
    return out


def _user(r: Reader, value: object, where: str, users: set[str]) -> str:
    name = r.text(value, where)
    if name not in users:
        raise r.fail(where, f"{name!r} is not one of the users")
    return name


def count_nodes(nodes: list[Node]) -> int:
    """Return the number of nodes in a list of trees, counting every descendant."""
    return sum(1 + count_nodes(node.get("children", [])) for node in nodes)


_DEMO = load_demo()
DEMO_USERS: list[tuple[str, str]] = _DEMO["users"]
GAME_TREE: dict[str, Any] = _DEMO["game_tree"]
PROBLEM_TREES: list[dict[str, Any]] = _DEMO["problem_trees"]
