"""REST API: importing a tree (file or pasted text), previewing an import, exporting a tree."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.api.api_helpers import assert_error, create, snapshot, tree_url
from trees.models import Tree

MARKDOWN = """# Outline

- Imitate a careful human
  - Humans err
    - Ask many humans
- Debate
"""


def _texts(snap: dict[str, Any]) -> list[tuple[str, str]]:
    return [(node["type"], node["text"]) for node in snap["nodes"] if not node["deleted"]]


def test_import_pasted_text_creates_a_tree_i_own(as_alice: APIClient, alice: Any) -> None:
    response = as_alice.post(
        "/api/trees/import/",
        {"kind": "game", "title": "Pasted", "format": "md", "text": MARKDOWN},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["title"], body["kind"], body["role"]) == ("Pasted", "game", "owner")
    assert body["owner"]["id"] == alice.pk
    assert _texts(snapshot(as_alice, body["id"])) == [
        ("proposal", "Imitate a careful human"),
        ("critique", "Humans err"),
        ("patch", "Ask many humans"),
        ("proposal", "Debate"),
    ]
    assert len(as_alice.get(tree_url(body["id"], "ops/")).json()["ops"]) == 4


def test_import_an_uploaded_file_detects_its_format(as_alice: APIClient) -> None:
    upload = SimpleUploadedFile("tree.md", MARKDOWN.encode(), content_type="text/markdown")
    response = as_alice.post(
        "/api/trees/import/", {"kind": "game", "file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["title"] == "Outline"
    assert len(snapshot(as_alice, response.json()["id"])["nodes"]) == 4


def test_import_preview_parses_but_creates_nothing(as_alice: APIClient) -> None:
    response = as_alice.post(
        "/api/trees/import/preview/", {"kind": "game", "text": MARKDOWN}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["kind"] == "game"
    assert body["format"] == "md"
    assert [node["text"] for node in body["nodes"]] == [
        "Imitate a careful human",
        "Humans err",
        "Ask many humans",
        "Debate",
    ]
    assert not Tree.objects.exists()


@pytest.mark.parametrize("url", ["/api/trees/import/", "/api/trees/import/preview/"])
def test_import_without_a_file_or_text_is_400_invalid(as_alice: APIClient, url: str) -> None:
    assert_error(as_alice.post(url, {"kind": "game"}, format="json"), 400, "invalid")
    assert_error(as_alice.post(url, {"text": MARKDOWN}, format="json"), 400, "invalid")
    assert not Tree.objects.exists()


def test_import_that_breaks_the_tree_grammar_creates_nothing(as_alice: APIClient) -> None:
    # A patch straight under a proposal is not a game tree.
    bad = {
        "kind": "game",
        "nodes": [
            {"id": "11111111-1111-4111-8111-111111111111", "type": "proposal", "parent": None},
            {
                "id": "22222222-2222-4222-8222-222222222222",
                "type": "patch",
                "parent": "11111111-1111-4111-8111-111111111111",
            },
        ],
    }
    response = as_alice.post(
        "/api/trees/import/",
        {"kind": "game", "format": "json", "text": json.dumps(bad)},
        format="json",
    )
    assert response.status_code in (400, 409), response.json()
    assert response.json()["code"] in ("bad_parent_type", "invalid", "invalid_format")
    assert not Tree.objects.exists()


def test_export_then_import_as_json_gives_the_same_tree(
    make_tree: Any, alice: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice, title="Round trip")
    p = create(as_alice, tree.pk, "proposal", text="P", tags=["deception"])
    c = create(as_alice, tree.pk, "critique", p, text="C", note="why")
    create(as_alice, tree.pk, "patch", c, text="Fix")

    exported = as_alice.get(tree_url(tree.pk, "export/"), {"format": "json"})
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/json"
    assert 'filename="round-trip.json"' in exported["Content-Disposition"]

    upload = SimpleUploadedFile("tree.json", exported.content, content_type="application/json")
    imported = as_alice.post(
        "/api/trees/import/", {"kind": "game", "file": upload}, format="multipart"
    )
    assert imported.status_code == 201, imported.json()
    copy = snapshot(as_alice, imported.json()["id"])
    original = snapshot(as_alice, tree.pk)

    def shape(snap: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(n["type"], n["text"], n["note"], n["tags"]) for n in snap["nodes"]]

    assert shape(copy) == shape(original)


@pytest.mark.parametrize("fmt", ["md", "txt", "opml", "json", "graphml", "argdown", "svg"])
def test_export_serves_each_format_as_an_attachment(
    make_tree: Any, alice: Any, as_alice: APIClient, fmt: str
) -> None:
    tree = make_tree(alice)
    create(as_alice, tree.pk, "proposal", text="Exported")
    response = as_alice.get(tree_url(tree.pk, "export/"), {"format": fmt})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert response.content


def test_export_in_an_unknown_format_is_400_invalid(
    make_tree: Any, alice: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice)
    assert_error(as_alice.get(tree_url(tree.pk, "export/"), {"format": "doc"}), 400, "invalid")
    assert_error(as_alice.get(tree_url(tree.pk, "export/")), 400, "invalid")


def test_export_is_404_for_a_non_member_and_401_for_anonymous(
    make_tree: Any, alice: Any, bob: Any, client_for: Callable[[Any], APIClient], anon: APIClient
) -> None:
    tree = make_tree(alice)
    url = tree_url(tree.pk, "export/")
    assert_error(client_for(bob).get(url, {"format": "json"}), 404, "not_found")
    assert_error(anon.get(url, {"format": "json"}), 401, "not_authenticated")
    assert_error(
        anon.post("/api/trees/import/", {"kind": "game", "text": MARKDOWN}, format="json"),
        401,
        "not_authenticated",
    )


def test_a_viewer_can_export(
    make_tree: Any, alice: Any, bob: Any, client_for: Callable[[Any], APIClient]
) -> None:
    tree = make_tree(alice, members={bob: "viewer"})
    response = client_for(bob).get(tree_url(tree.pk, "export/"), {"format": "md"})
    assert response.status_code == 200
