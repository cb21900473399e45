"""REST: POST /api/trees/import/, POST /api/trees/import/preview/, GET /api/trees/<id>/export/."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from rest_framework.test import APIClient

from tests.api.api_helpers import assert_error
from tests.transfer.transfer_helpers import backup_nodes, build_problem_dag, kept
from trees.formats import FORMATS
from trees.models import Node, Tree
from trees.transfer import export_bytes

IMPORT = "/api/trees/import/"
PREVIEW = "/api/trees/import/preview/"
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and os.environ.get("GAMETREE_INTEGRATION") != "1",
    reason="Graphviz dot is not installed",
)
EXPORTS = [
    ("md", "text/markdown; charset=utf-8", ".md"),
    ("txt", "text/plain; charset=utf-8", ".txt"),
    ("opml", "text/x-opml; charset=utf-8", ".opml"),
    ("json", "application/json", ".json"),
    ("graphml", "application/graphml+xml", ".graphml"),
    ("argdown", "text/x-argdown; charset=utf-8", ".argdown"),
    pytest.param("svg", "image/svg+xml", ".svg", marks=needs_dot),
    pytest.param("png", "image/png", ".png", marks=needs_dot),
]
OUTLINE = "# Oversight\n\n- Debate\n  - Judges can be fooled\n    - Patch: train judges\n"


def export_url(tree_id: int, fmt: str) -> str:
    return f"/api/trees/{tree_id}/export/?format={fmt}"


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def refused(client: APIClient, body: dict[str, Any], status: int, code: str, **kw: Any) -> str:
    """The import is refused with `code`, and neither a tree nor a node was created."""
    trees, nodes = Tree.objects.count(), Node.objects.count()
    response = client.post(IMPORT, body, **kw)
    message: str = assert_error(response, status, code)["message"]
    assert (Tree.objects.count(), Node.objects.count()) == (trees, nodes)
    return message


# -- import ------------------------------------------------------------------------------------


def test_import_by_json_text_creates_the_tree_for_the_signed_in_user(
    as_alice: APIClient, alice: Any
) -> None:
    body = {"kind": "game", "format": "md", "text": OUTLINE, "title": "Debate tree"}
    response = as_alice.post(IMPORT, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    tree = Tree.objects.get(pk=data["id"])
    assert (data["title"], data["kind"], tree.owner) == ("Debate tree", "game", alice)
    nodes = {n.text: n.type for n in Node.objects.filter(tree=tree)}
    assert nodes == {
        "Debate": "proposal",
        "Judges can be fooled": "critique",
        "train judges": "patch",
    }


def test_import_takes_the_title_from_the_text_when_none_is_given(as_alice: APIClient) -> None:
    response = as_alice.post(IMPORT, {"kind": "game", "text": OUTLINE}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["title"] == "Oversight"


def test_import_by_multipart_file_detects_the_format_from_the_name(
    as_alice: APIClient, fixture_path: Callable[[str], Path]
) -> None:
    data = fixture_path("workflowy.opml").read_bytes()
    body = {"kind": "problem", "file": upload("export.opml", data)}
    response = as_alice.post(IMPORT, body, format="multipart")
    assert response.status_code == 201, response.json()
    tree = Tree.objects.get(pk=response.json()["id"])
    assert tree.title == "Alignment problems"
    assert tree.meta == {"imported_from": "opml"}
    assert Node.objects.filter(tree=tree).count() == 7


def test_import_of_a_json_backup_file_gives_back_the_same_nodes(
    as_alice: APIClient, make_tree: Any, alice: Any
) -> None:
    original = make_tree(alice, kind="problem", title="DAG")
    build_problem_dag(original, alice)
    data = export_bytes(original, "json")
    Tree.objects.filter(pk=original.pk).delete()
    body = {"kind": "problem", "file": upload("backup.json", data)}
    response = as_alice.post(IMPORT, body, format="multipart")
    assert response.status_code == 201, response.json()
    copy = Tree.objects.get(pk=response.json()["id"])
    assert kept(backup_nodes(export_bytes(copy, "json"))) == kept(backup_nodes(data))


def test_import_of_the_same_backup_twice_gives_two_trees(
    as_alice: APIClient, make_tree: Any, alice: Any
) -> None:
    original = make_tree(alice, kind="problem", title="DAG")
    build_problem_dag(original, alice)
    text = export_bytes(original, "json").decode()
    for _ in range(2):
        response = as_alice.post(IMPORT, {"kind": "problem", "text": text}, format="json")
        assert response.status_code == 201, response.json()
    assert Tree.objects.filter(title="DAG").count() == 3


def test_preview_returns_the_parsed_nodes_and_creates_nothing(
    as_alice: APIClient, fixture_path: Callable[[str], Path]
) -> None:
    data = fixture_path("google_docs_game.md").read_bytes()
    body = {"kind": "game", "file": upload("notes.md", data)}
    response = as_alice.post(PREVIEW, body, format="multipart")
    assert response.status_code == 200, response.json()
    preview = response.json()
    assert (preview["format"], preview["kind"]) == ("md", "game")
    assert preview["title"] == "Game tree: scalable oversight"
    assert len(preview["nodes"]) == 8
    assert [n["type"] for n in preview["nodes"]][:4] == [
        "proposal",
        "critique",
        "patch",
        "critique",
    ]
    assert Tree.objects.count() == 0 and Node.objects.count() == 0


def test_preview_of_pasted_text_uses_the_given_title(as_alice: APIClient) -> None:
    body = {"kind": "problem", "text": "- a\n  - b\n", "title": "Mine"}
    response = as_alice.post(PREVIEW, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Mine"
    assert [n["text"] for n in response.json()["nodes"]] == ["a", "b"]
    assert Tree.objects.count() == 0


def test_preview_refuses_bad_input_with_its_code(as_alice: APIClient) -> None:
    body = {"kind": "game", "format": "md", "text": "- a\n    - b\n  - c\n"}
    response = as_alice.post(PREVIEW, body, format="json")
    assert "line 3" in assert_error(response, 400, "bad_indentation")["message"]


# -- refusals ----------------------------------------------------------------------------------


def test_import_refuses_binary_junk_as_invalid_format(as_alice: APIClient) -> None:
    junk = bytes(range(256)) * 8
    body = {"kind": "game", "file": upload("junk.bin", junk)}
    refused(as_alice, body, 400, "invalid_format", format="multipart")


def test_import_refuses_bad_indentation_and_names_the_line(
    as_alice: APIClient, fixture_path: Callable[[str], Path]
) -> None:
    text = fixture_path("bad_indentation.md").read_text()
    message = refused(
        as_alice, {"kind": "game", "text": text}, 400, "bad_indentation", format="json"
    )
    assert "line 5" in message


def test_import_refuses_a_billion_laughs_opml_as_unsafe_xml(
    as_alice: APIClient, fixture_path: Callable[[str], Path]
) -> None:
    data = fixture_path("billion_laughs.opml").read_bytes()
    body = {"kind": "problem", "file": upload("lol.opml", data)}
    refused(as_alice, body, 400, "unsafe_xml", format="multipart")


def test_import_refuses_more_than_ten_thousand_nodes_as_too_large(as_alice: APIClient) -> None:
    text = "".join(f"- problem {i}\n" for i in range(10_001))
    message = refused(
        as_alice, {"kind": "problem", "format": "md", "text": text}, 413, "too_large", format="json"
    )
    assert "10,000" in message or "10000" in message


def test_import_refuses_pasted_text_over_five_megabytes_as_too_large(as_alice: APIClient) -> None:
    text = "- " + "x" * (5 * 1024 * 1024) + "\n"
    refused(as_alice, {"kind": "problem", "text": text}, 413, "too_large", format="json")


def test_import_refuses_a_file_over_five_megabytes_as_too_large(as_alice: APIClient) -> None:
    data = b"- a\n" * (5 * 1024 * 1024 // 4 + 10)
    body = {"kind": "problem", "file": upload("big.md", data)}
    refused(as_alice, body, 413, "too_large", format="multipart")


def test_import_refuses_a_file_over_six_megabytes_as_too_large(as_alice: APIClient) -> None:
    data = b"- a\n" * (7 * 1024 * 1024 // 4)
    body = {"kind": "problem", "file": upload("huge.md", data)}
    refused(as_alice, body, 413, "too_large", format="multipart")


def test_import_refuses_a_backup_of_the_other_kind(as_alice: APIClient) -> None:
    text = json.dumps({"format": "gametree", "version": 1, "tree": {"kind": "game"}, "nodes": []})
    refused(as_alice, {"kind": "problem", "text": text}, 400, "kind_mismatch", format="json")


def test_import_refuses_a_request_without_file_or_text(as_alice: APIClient) -> None:
    refused(as_alice, {"kind": "game"}, 400, "invalid", format="json")


def test_import_refuses_an_export_only_format(as_alice: APIClient) -> None:
    body = {"kind": "game", "format": "svg", "text": "<svg/>"}
    refused(as_alice, body, 400, "invalid", format="json")


def test_import_over_the_trees_per_user_limit_answers_limit_reached(
    as_alice: APIClient, make_tree: Any, alice: Any
) -> None:
    with override_settings(GAMETREE_MAX_TREES_PER_USER=2):
        make_tree(alice, title="one")
        body = {"kind": "game", "text": OUTLINE}
        assert as_alice.post(IMPORT, body, format="json").status_code == 201
        refused(as_alice, body, 409, "limit_reached", format="json")


def test_anonymous_import_and_preview_answer_401(anon: APIClient, db: Any) -> None:
    for url in (IMPORT, PREVIEW):
        response = anon.post(url, {"kind": "game", "text": OUTLINE}, format="json")
        assert_error(response, 401, "not_authenticated")
    assert Tree.objects.count() == 0


# -- export ------------------------------------------------------------------------------------


@pytest.fixture
def game_tree(as_alice: APIClient) -> Tree:
    response = as_alice.post(IMPORT, {"kind": "game", "text": OUTLINE}, format="json")
    assert response.status_code == 201, response.json()
    return Tree.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize(("fmt", "media_type", "extension"), EXPORTS)
def test_export_answers_every_format_with_its_content_type_and_file_name(
    as_alice: APIClient, game_tree: Tree, fmt: str, media_type: str, extension: str
) -> None:
    response = as_alice.get(export_url(game_tree.pk, fmt))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == media_type == FORMATS[fmt].media_type
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"oversight{extension}\"; filename*=UTF-8''Oversight{extension}"
    )
    if fmt in ("svg", "png"):
        assert response.content.startswith(b"\x89PNG" if fmt == "png" else b"<?xml")
    else:
        assert response.content == export_bytes(game_tree, fmt)


@pytest.mark.parametrize(
    ("title", "header"),
    [
        (
            "Débat: AI safety via debate?",
            'attachment; filename="debat-ai-safety-via-debate.png"; '
            "filename*=UTF-8''D%C3%A9bat%20AI%20safety%20via%20debate.png",
        ),
        (
            '../../etc/passwd"; x=<b>',
            'attachment; filename="etcpasswd-xb.png"; '
            "filename*=UTF-8''etc%20passwd%20%3B%20x%3D%20b.png",
        ),
        (
            "対話ゲーム",
            'attachment; filename="tree-{id}.png"; '
            "filename*=UTF-8''%E5%AF%BE%E8%A9%B1%E3%82%B2%E3%83%BC%E3%83%A0.png",
        ),
    ],
)
def test_downloads_are_named_after_the_tree_title_safely(
    as_alice: APIClient, make_tree: Any, alice: Any, title: str, header: str
) -> None:
    tree = make_tree(alice, kind="problem", title=title)
    response = as_alice.get(export_url(tree.pk, "png"))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Disposition"] == header.replace("{id}", str(tree.pk))


def test_an_export_over_the_size_bound_answers_too_large_as_json(
    as_alice: APIClient, game_tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trees.formats import registry

    monkeypatch.setattr(registry, "MAX_EXPORT_BYTES", 100)
    response = as_alice.get(export_url(game_tree.pk, "md"))
    assert_error(response, 413, "too_large")
    assert "MB" in response.json()["message"]


def test_export_to_json_then_import_gives_the_same_outline(
    as_alice: APIClient, game_tree: Tree
) -> None:
    data = as_alice.get(export_url(game_tree.pk, "md")).content
    body = {"kind": "game", "file": upload("again.md", data)}
    response = as_alice.post(IMPORT, body, format="multipart")
    assert response.status_code == 201, response.json()
    copy = Tree.objects.get(pk=response.json()["id"])
    assert export_bytes(copy, "md") == data


def test_export_is_open_to_viewers(
    client_for: Callable[[Any], APIClient], make_tree: Any, alice: Any, bob: Any
) -> None:
    tree = make_tree(alice, kind="problem", members={bob: "viewer"})
    response = client_for(bob).get(export_url(tree.pk, "opml"))
    assert response.status_code == 200


def test_export_of_a_tree_of_others_answers_404(
    client_for: Callable[[Any], APIClient], game_tree: Tree, bob: Any
) -> None:
    response = client_for(bob).get(export_url(game_tree.pk, "json"))
    assert_error(response, 404, "not_found")


def test_export_of_a_missing_tree_answers_404(as_alice: APIClient) -> None:
    assert_error(as_alice.get(export_url(987654, "md")), 404, "not_found")


def test_anonymous_export_answers_401(anon: APIClient, game_tree: Tree) -> None:
    assert_error(anon.get(export_url(game_tree.pk, "md")), 401, "not_authenticated")


@pytest.mark.parametrize("fmt", ["", "docx", "MD"])
def test_export_refuses_an_unknown_format(as_alice: APIClient, game_tree: Tree, fmt: str) -> None:
    assert_error(as_alice.get(export_url(game_tree.pk, fmt)), 400, "invalid")


def test_export_of_a_problem_tree_as_argdown_is_refused(
    as_alice: APIClient, make_tree: Any, alice: Any
) -> None:
    tree = make_tree(alice, kind="problem")
    assert_error(as_alice.get(export_url(tree.pk, "argdown")), 400, "unsupported")


def test_a_backup_imported_over_rest_credits_every_node_to_the_importer(
    client_for: Callable[[Any], APIClient], make_tree: Any, alice: Any, bob: Any
) -> None:
    original = make_tree(alice, kind="problem", title="Alice's")
    build_problem_dag(original, alice)
    text = export_bytes(original, "json").decode()
    response = client_for(bob).post(IMPORT, {"kind": "problem", "text": text}, format="json")
    assert response.status_code == 201, response.json()
    copy = Tree.objects.get(pk=response.json()["id"])
    assert set(Node.objects.filter(tree=copy).values_list("author_id", flat=True)) == {bob.pk}
    assert set(copy.ops.values_list("actor_id", flat=True)) == {bob.pk}


def test_a_10000_level_chain_imported_as_a_backup_exports_small_and_in_bounded_memory(
    as_alice: APIClient,
) -> None:
    """The 1.5 MB import that exported as 100 MB of Markdown and 200 MB of Argdown."""
    import tracemalloc

    from trees.domain.keys import keys_after
    from trees.formats import TreeDoc, export_tree
    from trees.formats.doc import new_node

    nodes, parent, key = [], None, keys_after(None, 1)[0]
    for level in range(10_000):
        node_type = "proposal" if level == 0 else ("critique", "patch")[(level - 1) % 2]
        nodes.append(new_node(node_type, parent, key, f"level {level}", note=f"note {level}"))
        parent = nodes[-1]["id"]
    backup = export_tree(TreeDoc("game", "Chain", "", nodes), fmt="json")
    response = as_alice.post(IMPORT, {"kind": "game", "file": upload("chain.json", backup)})
    assert response.status_code == 201, response.json()
    tree_id = response.json()["id"]
    for fmt in ("md", "txt", "argdown"):
        tracemalloc.start()
        try:
            exported = as_alice.get(export_url(tree_id, fmt))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert exported.status_code == 200
        assert len(exported.content) < 2_000_000, (fmt, len(exported.content))
        assert peak < 100 * 1024 * 1024, (fmt, peak)
