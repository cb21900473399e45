"""The importtree and exporttree management commands, called in-process."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.transfer.transfer_helpers import backup_nodes, build_problem_dag
from trees.models import Node, Tree
from trees.transfer import export_bytes

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and os.environ.get("GAMETREE_INTEGRATION") != "1",
    reason="Graphviz dot is not installed",
)
TEXT_FORMATS = ["md", "txt", "opml", "json", "graphml", "argdown"]
PICTURES = [pytest.param("svg", marks=needs_dot), pytest.param("png", marks=needs_dot)]
MAGIC = {
    "md": b"# ",
    "txt": b"Scalable",
    "opml": b"<?xml",
    "json": b"{",
    "graphml": b"<graphml",
    "argdown": b"",
    "svg": b"<?xml",
    "png": b"\x89PNG",
}


def run_import(path: Path | str, **options: Any) -> dict[str, Any]:
    out, err = io.StringIO(), io.StringIO()
    call_command("importtree", str(path), stdout=out, stderr=err, **options)
    assert err.getvalue() == ""
    printed: dict[str, Any] = json.loads(out.getvalue())
    assert out.getvalue() == json.dumps(printed) + "\n"
    return printed


def by_text(tree_id: int) -> dict[str, Node]:
    return {node.text: node for node in Node.objects.filter(tree_id=tree_id)}


def test_importtree_reads_a_google_docs_markdown_game_tree_four_levels_deep(
    alice: Any, fixture_path: Callable[[str], Path]
) -> None:
    printed = run_import(fixture_path("google_docs_game.md"), kind="game", owner="alice")
    tree = Tree.objects.get(pk=printed["id"])
    assert printed == {"id": tree.pk, "nodes": 8}
    assert (tree.kind, tree.title, tree.owner) == ("game", "Game tree: scalable oversight", alice)
    assert tree.description == "Workshop round 2, table 3. Notes taken live."
    nodes = by_text(tree.pk)
    proposal = nodes["Train a model to imitate a careful human overseer"]
    critique = nodes["The careful human still makes systematic errors - imitating them copies them"]
    patch = nodes["use debate so the human only judges"]
    deepest = nodes["the judge can be fooled by the more persuasive debater"]
    assert (proposal.type, proposal.parent_id) == ("proposal", None)
    assert (critique.type, critique.parent_id) == ("critique", proposal.id)
    assert (patch.type, patch.parent_id) == ("patch", critique.id)
    assert (deepest.type, deepest.parent_id) == ("critique", patch.id)
    assert nodes["Ensemble several humans and take the majority"].type == "patch"
    assert nodes["Use interpretability to audit the model's goals"].type == "proposal"
    assert {node.author_id for node in nodes.values()} == {alice.pk}
    assert tree.meta == {"imported_from": "md"}


def test_importtree_reads_a_workflowy_opml_problem_tree(
    alice: Any, fixture_path: Callable[[str], Path]
) -> None:
    printed = run_import(
        fixture_path("workflowy.opml"), kind="problem", owner="alice", title="Workshop problems"
    )
    tree = Tree.objects.get(pk=printed["id"])
    assert printed["nodes"] == 7
    assert tree.title == "Workshop problems"
    nodes = by_text(tree.pk)
    assert {node.type for node in nodes.values()} == {"problem"}
    root = nodes["Alignment problems"]
    outer = nodes["Outer alignment"]
    assert root.parent_id is None and outer.parent_id == root.id
    assert outer.note == "Specifying what we want.\nSecond line of the note."
    assert nodes["Specification gaming in RL agents"].parent_id == outer.id
    assert nodes["Deceptive alignment"].note == "See Hubinger et al. 2019"


def test_importtree_reads_a_json_backup_with_an_explicit_format(
    make_tree: Any, alice: Any, bob: Any, tmp_path: Path
) -> None:
    original = make_tree(alice, kind="problem", title="Backup")
    build_problem_dag(original, alice)
    data = export_bytes(original, "json")
    path = tmp_path / "backup.txt"  # the extension says text; --format says JSON
    path.write_bytes(data)
    printed = run_import(path, kind="problem", owner="bob", format="json")
    tree = Tree.objects.get(pk=printed["id"])
    assert printed["nodes"] == len(backup_nodes(data))
    assert (tree.title, tree.owner) == ("Backup", bob)
    texts = [n["text"] for n in backup_nodes(export_bytes(tree, "json"))]
    assert texts == [n["text"] for n in backup_nodes(data)]
    # The authors are kept: alice is a user here.
    assert set(Node.objects.filter(tree=tree).values_list("author_id", flat=True)) == {alice.pk}


def test_importtree_reads_standard_input_for_a_dash(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"- Outer\n  - Reward hacking\n"))
    monkeypatch.setattr("sys.stdin", stdin)
    printed = run_import("-", kind="problem", owner="alice", title="Piped")
    assert printed["nodes"] == 2


@pytest.mark.parametrize(
    ("make_args", "expected"),
    [
        (lambda p: (p("workflowy.opml"), "nobody"), "nobody"),
        (lambda p: (p("missing.md"), "alice"), "missing.md"),
        (lambda p: (p("bad_indentation.md"), "alice"), "bad_indentation: "),
        (lambda p: (p("billion_laughs.opml"), "alice"), "unsafe_xml: "),
        (lambda p: (p("google_docs_game.md"), "alice"), None),  # --format json on Markdown
    ],
    ids=["unknown owner", "unreadable path", "bad indentation", "billion laughs", "wrong format"],
)
def test_importtree_refuses_with_a_command_error_and_creates_no_tree(
    alice: Any,
    fixture_path: Callable[[str], Path],
    make_args: Callable[[Any], tuple[Path, str]],
    expected: str | None,
) -> None:
    path, owner = make_args(fixture_path)
    count = Tree.objects.count()
    options: dict[str, Any] = {"kind": "problem", "owner": owner}
    if expected is None:
        options["format"] = "json"
        expected = "invalid_format: "
    out = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("importtree", str(path), stdout=out, **options)
    assert expected in str(info.value)
    assert out.getvalue() == ""
    assert Tree.objects.count() == count
    assert Node.objects.count() == 0


def test_importtree_names_the_line_of_bad_indentation(
    alice: Any, fixture_path: Callable[[str], Path]
) -> None:
    with pytest.raises(CommandError) as info:
        path = str(fixture_path("bad_indentation.md"))
        call_command("importtree", path, kind="game", owner="alice")
    assert str(info.value).startswith("bad_indentation: ")
    assert "line 5" in str(info.value)


def test_importtree_refuses_a_directory_as_unreadable(alice: Any, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("importtree", str(tmp_path), kind="game", owner="alice")
    assert Tree.objects.count() == 0


@pytest.fixture
def game_tree(alice: Any, fixture_path: Callable[[str], Path]) -> Tree:
    printed = run_import(
        fixture_path("google_docs_game.md"), kind="game", owner="alice", title="Scalable"
    )
    return Tree.objects.get(pk=printed["id"])


@pytest.mark.parametrize("fmt", [*TEXT_FORMATS, *PICTURES])
def test_exporttree_writes_every_format_to_standard_output(game_tree: Tree, fmt: str) -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    call_command("exporttree", game_tree.pk, format=fmt, stdout=out)
    out.flush()
    assert raw.getvalue() == export_bytes(game_tree, fmt) or fmt in ("svg", "png")
    assert raw.getvalue().startswith(MAGIC[fmt]) and len(raw.getvalue()) > 50


@pytest.mark.parametrize("fmt", [f for f in TEXT_FORMATS if f != "json"])
def test_exporttree_text_formats_go_to_a_text_stdout_too(game_tree: Tree, fmt: str) -> None:
    out = io.StringIO()
    call_command("exporttree", game_tree.pk, format=fmt, stdout=out)
    assert out.getvalue().encode() == export_bytes(game_tree, fmt)


@pytest.mark.parametrize("fmt", [*TEXT_FORMATS, *PICTURES])
def test_exporttree_writes_every_format_to_an_output_file(
    game_tree: Tree, fmt: str, tmp_path: Path
) -> None:
    path = tmp_path / f"tree.{fmt}"
    out = io.StringIO()
    call_command("exporttree", game_tree.pk, format=fmt, output=str(path), stdout=out)
    data = path.read_bytes()
    assert data.startswith(MAGIC[fmt]) and len(data) > 50
    assert out.getvalue() == ""
    if fmt not in ("svg", "png"):
        assert data == export_bytes(game_tree, fmt)


def test_exporttree_markdown_reimports_as_the_same_outline(game_tree: Tree, tmp_path: Path) -> None:
    path = tmp_path / "tree.md"
    call_command("exporttree", game_tree.pk, format="md", output=str(path))
    printed = run_import(path, kind="game", owner="alice")
    copy = {(n.type, n.text) for n in Node.objects.filter(tree_id=printed["id"])}
    assert copy == {(n.type, n.text) for n in Node.objects.filter(tree=game_tree)}


def test_exporttree_refuses_an_unknown_tree(db: Any) -> None:
    with pytest.raises(CommandError, match="no tree with id 999"):
        call_command("exporttree", 999, format="md")


def test_exporttree_refuses_argdown_for_a_problem_tree(make_tree: Any, alice: Any) -> None:
    tree = make_tree(alice, kind="problem", title="P")
    build_problem_dag(tree, alice)
    with pytest.raises(CommandError) as info:
        call_command("exporttree", tree.pk, format="argdown", stdout=io.StringIO())
    assert str(info.value).startswith("unsupported: ")


def test_exporttree_refuses_an_unwritable_output_path(game_tree: Tree, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot write"):
        call_command("exporttree", game_tree.pk, format="md", output=str(tmp_path / "no" / "x.md"))


@needs_dot
def test_exporttree_refuses_png_to_a_text_only_stdout(game_tree: Tree) -> None:
    with pytest.raises(CommandError, match="binary; use --output"):
        call_command("exporttree", game_tree.pk, format="png", stdout=io.StringIO())
