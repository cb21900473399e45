"""REST API: who may do what on a tree. Non-members see 404 everywhere (ids cannot be probed),
viewers read, editors also edit content, owners also manage the tree and its members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.api_helpers import assert_error, create, new_id, snapshot, submit, tree_url
from trees.models import Membership, OpLog, Tree


def _every_tree_request(tree_id: int, member_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    op = {"kind": "create", "id": new_id(), "type": "proposal", "parent": None}
    return [
        ("get", tree_url(tree_id), {}),
        ("patch", tree_url(tree_id), {"title": "Mine now"}),
        ("delete", tree_url(tree_id), {}),
        ("get", tree_url(tree_id, "members/"), {}),
        ("post", tree_url(tree_id, "members/"), {"username": "carol", "role": "editor"}),
        ("patch", tree_url(tree_id, f"members/{member_id}/"), {"role": "viewer"}),
        ("delete", tree_url(tree_id, f"members/{member_id}/"), {}),
        ("get", tree_url(tree_id, "snapshot/"), {}),
        ("get", tree_url(tree_id, "ops/"), {}),
        ("post", tree_url(tree_id, "ops/"), {"client_id": "x", "n": 1, "op": op}),
        ("post", tree_url(tree_id, "leave/"), {}),
    ]


def _call(client: APIClient, method: str, url: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(url, body or None, format="json")


def test_a_non_member_gets_404_on_every_tree_endpoint(
    make_tree: Any, alice: Any, bob: Any, carol: Any, client_for: Callable[[Any], APIClient]
) -> None:
    tree = make_tree(alice, title="Private", members={bob: "editor"})
    stranger = client_for(carol)
    for method, url, body in _every_tree_request(tree.pk, bob.pk):
        assert_error(_call(stranger, method, url, body), 404, "not_found")
    tree.refresh_from_db()
    assert tree.title == "Private"
    assert Membership.objects.filter(tree=tree).count() == 2
    assert not OpLog.objects.filter(tree=tree).exists()


def test_an_anonymous_client_gets_401_on_every_tree_endpoint(
    make_tree: Any, alice: Any, bob: Any, anon: APIClient
) -> None:
    tree = make_tree(alice, members={bob: "editor"})
    requests = [
        ("get", "/api/trees/", {}),
        ("post", "/api/trees/", {"kind": "game", "title": "T"}),
        *_every_tree_request(tree.pk, bob.pk),
    ]
    for method, url, body in requests:
        assert_error(_call(anon, method, url, body), 401, "not_authenticated")
    assert Tree.objects.count() == 1


def test_a_viewer_can_read_everything(
    make_tree: Any, alice: Any, bob: Any, client_for: Callable[[Any], APIClient]
) -> None:
    tree = make_tree(alice, members={bob: "viewer"})
    create(client_for(alice), tree.pk, "proposal", text="P")
    viewer = client_for(bob)
    assert viewer.get(tree_url(tree.pk)).json()["role"] == "viewer"
    assert len(viewer.get(tree_url(tree.pk, "members/")).json()) == 2
    assert len(snapshot(viewer, tree.pk)["nodes"]) == 1
    assert len(viewer.get(tree_url(tree.pk, "ops/")).json()["ops"]) == 1


def test_a_viewer_gets_403_forbidden_on_every_write(
    make_tree: Any, alice: Any, bob: Any, carol: Any, client_for: Callable[[Any], APIClient]
) -> None:
    tree = make_tree(alice, title="Read only", members={bob: "viewer"})
    viewer = client_for(bob)
    assert_error(viewer.patch(tree_url(tree.pk), {"title": "x"}, format="json"), 403, "forbidden")
    assert_error(viewer.delete(tree_url(tree.pk)), 403, "forbidden")
    add = viewer.post(
        tree_url(tree.pk, "members/"), {"username": carol.username, "role": "viewer"}, format="json"
    )
    assert_error(add, 403, "forbidden")
    promote = viewer.patch(
        tree_url(tree.pk, f"members/{bob.pk}/"), {"role": "owner"}, format="json"
    )
    assert_error(promote, 403, "forbidden")
    assert_error(viewer.delete(tree_url(tree.pk, f"members/{alice.pk}/")), 403, "forbidden")
    op = {"kind": "create", "id": new_id(), "type": "proposal", "parent": None}
    assert_error(submit(viewer, tree.pk, op), 403, "forbidden")

    tree.refresh_from_db()
    assert (tree.title, tree.version) == ("Read only", 0)
    assert Membership.objects.get(tree=tree, user=bob).role == "viewer"
    assert not Membership.objects.filter(tree=tree, user=carol).exists()


def test_an_editor_can_edit_content_but_not_manage_members_or_delete(
    make_tree: Any, alice: Any, bob: Any, carol: Any, client_for: Callable[[Any], APIClient]
) -> None:
    tree = make_tree(alice, members={bob: "editor"})
    editor = client_for(bob)
    create(editor, tree.pk, "proposal", text="By the editor")
    renamed = editor.patch(tree_url(tree.pk), {"title": "Renamed"}, format="json")
    assert renamed.status_code == 200

    add = editor.post(
        tree_url(tree.pk, "members/"), {"username": carol.username, "role": "viewer"}, format="json"
    )
    assert_error(add, 403, "forbidden")
    promote = editor.patch(
        tree_url(tree.pk, f"members/{bob.pk}/"), {"role": "owner"}, format="json"
    )
    assert_error(promote, 403, "forbidden")
    assert_error(editor.delete(tree_url(tree.pk, f"members/{alice.pk}/")), 403, "forbidden")
    assert_error(editor.delete(tree_url(tree.pk)), 403, "forbidden")
    assert Tree.objects.filter(pk=tree.pk).exists()
    assert Membership.objects.get(tree=tree, user=bob).role == "editor"


def test_an_owner_can_do_everything(
    make_tree: Any, alice: Any, bob: Any, carol: Any, client_for: Callable[[Any], APIClient]
) -> None:
    tree = make_tree(alice, members={bob: "viewer"})
    owner = client_for(alice)
    create(owner, tree.pk, "proposal")
    assert owner.patch(tree_url(tree.pk), {"title": "T2"}, format="json").status_code == 200
    add = owner.post(
        tree_url(tree.pk, "members/"), {"username": carol.username, "role": "editor"}, format="json"
    )
    assert add.status_code == 201
    change = owner.patch(tree_url(tree.pk, f"members/{bob.pk}/"), {"role": "editor"}, format="json")
    assert change.status_code == 200
    assert owner.delete(tree_url(tree.pk, f"members/{carol.pk}/")).status_code == 204
    assert owner.delete(tree_url(tree.pk)).status_code == 204


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_a_demoted_or_removed_member_loses_access_at_once(
    make_tree: Any, alice: Any, bob: Any, client_for: Callable[[Any], APIClient], role: str
) -> None:
    tree = make_tree(alice, members={bob: role})
    owner, member = client_for(alice), client_for(bob)
    assert owner.delete(tree_url(tree.pk, f"members/{bob.pk}/")).status_code == 204
    assert_error(member.get(tree_url(tree.pk, "snapshot/")), 404, "not_found")
    op = {"kind": "create", "id": new_id(), "type": "proposal", "parent": None}
    assert_error(submit(member, tree.pk, op), 404, "not_found")
