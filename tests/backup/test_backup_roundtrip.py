"""Backups: dumptrees writes every tree with owner and members as one JSON document,
restoretrees recreates them all or nothing; dump -> delete -> restore -> dump gives the same
content."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.transfer.transfer_helpers import apply, build_problem_dag, create
from trees.actions.state_cache import load_state
from trees.models import Membership, Node, OpLog, Tree


@pytest.fixture
def team(make_user: Any) -> dict[str, Any]:
    return {name: make_user(name) for name in ("alice", "bob", "carol")}


@pytest.fixture
def trees(make_tree: Any, team: dict[str, Any]) -> list[Tree]:
    alice, bob, carol = team["alice"], team["bob"], team["carol"]
    problems = make_tree(alice, kind="problem", title="Problems", members={bob: "editor"})
    build_problem_dag(problems, alice)
    game = make_tree(bob, kind="game", title="Game", members={alice: "viewer", carol: "owner"})
    proposal = create(game, bob, "proposal", None, "Imitate a careful human", tags=["imitation"])
    critique = create(game, carol, "critique", proposal, "Humans err", note="Often.")
    create(game, bob, "patch", critique, "Debate")
    gone = create(game, bob, "critique", proposal, "Dropped")
    apply(game, bob, {"kind": "delete", "id": gone})
    apply(game, carol, {"kind": "set", "id": proposal, "field": "text", "value": "Imitate!"})
    Tree.objects.filter(pk=game.pk).update(description="A game", meta={"demo": "x"})
    make_tree(carol, kind="game", title="Empty")
    return list(Tree.objects.order_by("pk"))


def dump(tmp_path: Path, *args: str, name: str = "dump.json") -> dict[str, Any]:
    target = tmp_path / name
    call_command("dumptrees", "--output", str(target), *args)
    payload: dict[str, Any] = json.loads(target.read_text())
    return payload


def restore(path: Path, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("restoretrees", str(path), *args, stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def content(entry: dict[str, Any]) -> dict[str, Any]:
    """What a round trip must keep: everything but the tree id and the delete-group seqs
    (a restore replays the deletes at new seqs), which become a partition of the tombstones."""
    tree = {k: v for k, v in entry["tree"].items() if k != "id"}
    nodes = [{k: v for k, v in n.items() if k != "deleted_seq"} for n in entry["doc"]["nodes"]]
    groups: dict[Any, set[str]] = {}
    for node in entry["doc"]["nodes"]:
        if node.get("deleted"):
            groups.setdefault(node.get("deleted_seq"), set()).add(node["id"])
    doc = {k: v for k, v in entry["doc"].items() if k != "nodes"}
    return {
        "tree": tree,
        "doc": doc,
        "nodes": sorted(nodes, key=lambda n: n["id"]),
        "delete_groups": sorted(sorted(g) for g in groups.values()),
    }


def test_a_dump_holds_every_tree_with_owner_members_and_its_lossless_backup(
    trees: list[Tree], tmp_path: Path
) -> None:
    payload = dump(tmp_path)
    assert payload["format"] == "gametree-dump" and payload["version"] == 1
    assert [e["tree"]["id"] for e in payload["trees"]] == [t.pk for t in trees]
    game = payload["trees"][1]
    assert game["tree"]["owner"] == "bob" and game["tree"]["kind"] == "game"
    assert game["tree"]["description"] == "A game" and game["tree"]["meta"] == {"demo": "x"}
    assert sorted((m["username"], m["role"]) for m in game["tree"]["members"]) == [
        ("alice", "viewer"),
        ("bob", "owner"),
        ("carol", "owner"),
    ]
    assert game["doc"]["format"] == "gametree" and len(game["doc"]["nodes"]) == 4
    assert (tmp_path / ".dump.json.partial").exists() is False
    assert (tmp_path / "dump.json").stat().st_mode & 0o077 == 0  # the operator's eyes only


def test_dump_delete_restore_dump_gives_the_same_trees(trees: list[Tree], tmp_path: Path) -> None:
    before = dump(tmp_path, name="before.json")
    Tree.objects.all().delete()
    summary = restore(tmp_path / "before.json")
    assert [t["old_id"] for t in summary["trees"]] == [t.pk for t in trees]
    assert [t["nodes"] for t in summary["trees"]] == [
        len(e["doc"]["nodes"]) for e in before["trees"]
    ]
    after = dump(tmp_path, name="after.json")
    assert [content(e) for e in after["trees"]] == [content(e) for e in before["trees"]]
    # Node ids were free again, so they are kept; authors too (the users exist).
    restored = {str(n.id): n.author_id for n in Node.objects.all()}
    assert restored == {n["id"]: n["author"] for e in before["trees"] for n in e["doc"]["nodes"]}
    # The restored trees are valid and their logs replay to them.
    for tree in Tree.objects.all():
        load_state(tree.pk, tree.kind, tree.version).check_invariants()
        assert OpLog.objects.filter(tree=tree).count() == tree.version


def test_restoring_next_to_the_originals_gives_fresh_node_ids_and_the_same_structure(
    trees: list[Tree], tmp_path: Path
) -> None:
    before = dump(tmp_path)
    summary = restore(tmp_path / "dump.json")
    assert {t["id"] for t in summary["trees"]}.isdisjoint({t.pk for t in trees})
    copies = [Tree.objects.get(pk=t["id"]) for t in summary["trees"]]
    after = dump(tmp_path, *[arg for c in copies for arg in ("--tree", str(c.pk))], name="c.json")

    def shape(entry: dict[str, Any]) -> list[Any]:
        nodes = {n["id"]: n for n in entry["doc"]["nodes"]}

        def path(node_id: str | None) -> tuple[str, ...]:
            out: tuple[str, ...] = ()
            while node_id is not None:
                out = (nodes[node_id]["text"], *out)
                node_id = nodes[node_id]["parent"]
            return out

        return sorted(
            (path(n["id"]), n["type"], n["note"], n["tags"], n["deleted"], n["key"])
            for n in nodes.values()
        )

    assert [shape(e) for e in after["trees"]] == [shape(e) for e in before["trees"]]
    old_ids = {n["id"] for e in before["trees"] for n in e["doc"]["nodes"]}
    assert old_ids.isdisjoint({n["id"] for e in after["trees"] for n in e["doc"]["nodes"]})


def test_a_tree_whose_owner_is_not_a_user_here_goes_to_the_given_owner(
    trees: list[Tree], tmp_path: Path, make_user: Any
) -> None:
    dump(tmp_path, "--tree", str(trees[1].pk))
    Tree.objects.all().delete()
    payload = json.loads((tmp_path / "dump.json").read_text())
    payload["trees"][0]["tree"]["owner"] = "gone-user"
    payload["trees"][0]["tree"]["members"].append({"username": "nobody", "role": "editor"})
    (tmp_path / "dump.json").write_text(json.dumps(payload))
    with pytest.raises(CommandError, match="--owner"):
        restore(tmp_path / "dump.json")
    assert not Tree.objects.exists()
    make_user("operator")
    summary = restore(tmp_path / "dump.json", "--owner", "operator")
    tree = Tree.objects.get(pk=summary["trees"][0]["id"])
    assert tree.owner.username == "operator"
    roles = dict(Membership.objects.filter(tree=tree).values_list("user__username", "role"))
    assert roles == {"operator": "owner", "alice": "viewer", "bob": "owner", "carol": "owner"}


def test_a_restore_is_all_or_nothing(trees: list[Tree], tmp_path: Path) -> None:
    payload = dump(tmp_path)
    Tree.objects.all().delete()
    # The last tree is broken: a critique at the top of a game tree.
    payload["trees"][-1]["doc"]["nodes"] = [
        {
            "id": "3f2b1c4e-1111-4222-8333-944445555666",
            "type": "critique",
            "parent": None,
            "key": "a0",
            "text": "orphan",
        }
    ]
    (tmp_path / "broken.json").write_text(json.dumps(payload))
    with pytest.raises(CommandError, match="nothing was restored"):
        restore(tmp_path / "broken.json")
    assert not Tree.objects.exists() and not Node.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ('{"format": "gametree", "version": 1}', "not a gametree dump"),
        ('{"format": "gametree-dump", "version": 2, "trees": []}', "unsupported dump version"),
        ('{"format": "gametree-dump", "version": 1, "trees": [1]}', "not a dump entry"),
    ],
)
def test_a_file_that_is_not_a_dump_is_refused_clearly(
    db: Any, tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "x.json").write_text(text)
    with pytest.raises(CommandError, match=message):
        restore(tmp_path / "x.json")


def test_dumping_an_unknown_tree_id_is_an_error_and_stdout_gets_the_document(
    trees: list[Tree], tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="no tree with id 999"):
        call_command("dumptrees", "--tree", "999")
    out = io.StringIO()
    call_command("dumptrees", "--tree", str(trees[0].pk), stdout=out)
    payload = json.loads(out.getvalue())
    assert [e["tree"]["title"] for e in payload["trees"]] == ["Problems"]
