"""REST API: a node's history, the trash and the tree at an earlier version, for every role."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.api.api_helpers import accepted, assert_error, create, new_id, snapshot, tree_url


@pytest.fixture
def team(make_user: Any, make_tree: Any, client_for: Any) -> dict[str, Any]:
    """A game tree with a short history written by alice (owner) and bob (editor)."""
    alice, bob, vic, mal = (make_user(n) for n in ("alice", "bob", "victor", "mallory"))
    tree = make_tree(alice, members={bob: "editor", vic: "viewer"})
    clients = {
        "owner": client_for(alice),
        "editor": client_for(bob),
        "viewer": client_for(vic),
        "outsider": client_for(mal),
    }
    a, b = clients["owner"], clients["editor"]
    p1 = create(a, tree.pk, "proposal", text="Debate")  # seq 1
    c1 = create(b, tree.pk, "critique", p1, text="Judges can be fooled")  # 2
    create(a, tree.pk, "patch", c1, text="Train judges")  # 3
    accepted(b, tree.pk, {"kind": "set", "id": p1, "field": "text", "value": "AI debate"})  # 4
    accepted(a, tree.pk, {"kind": "delete", "id": c1})  # 5
    return {"tree": tree.pk, "clients": clients, "p1": p1, "c1": c1, "alice": alice, "bob": bob}


READERS = ["owner", "editor", "viewer"]


@pytest.mark.parametrize("role", READERS)
def test_every_member_reads_who_changed_a_node_and_when(team: dict[str, Any], role: str) -> None:
    client: APIClient = team["clients"][role]
    body = client.get(tree_url(team["tree"], f"nodes/{team['p1']}/history/")).json()
    assert body["node"] == team["p1"] and body["more"] is False
    assert [(e["seq"], e["op"]["kind"], e["actor"]["username"]) for e in body["entries"]] == [
        (4, "set", "bob"),
        (1, "create", "alice"),
    ]
    assert body["entries"][0]["op"]["value"] == "AI debate"
    assert all(e["at"] for e in body["entries"])
    # The deleted critique keeps its history, its delete included.
    body = client.get(tree_url(team["tree"], f"nodes/{team['c1']}/history/")).json()
    assert [(e["seq"], e["actor"]["username"]) for e in body["entries"]] == [
        (5, "alice"),
        (2, "bob"),
    ]
    # Paging: before=<seq>.
    body = client.get(tree_url(team["tree"], f"nodes/{team['p1']}/history/?before=4")).json()
    assert [e["seq"] for e in body["entries"]] == [1]


@pytest.mark.parametrize("role", READERS)
def test_every_member_reads_the_trash(team: dict[str, Any], role: str) -> None:
    body = team["clients"][role].get(tree_url(team["tree"], "trash/")).json()
    assert body["seq"] == 5
    [entry] = body["entries"]
    assert {
        k: entry[k] for k in ("id", "type", "text", "parent", "seq", "count", "restorable")
    } == {
        "id": team["c1"],
        "type": "critique",
        "text": "Judges can be fooled",
        "parent": team["p1"],
        "seq": 5,
        "count": 2,
        "restorable": True,
    }
    assert entry["actor"]["username"] == "alice" and entry["at"]


def test_an_editor_restores_from_the_trash_through_the_op_path_and_the_trash_empties(
    team: dict[str, Any],
) -> None:
    editor = team["clients"]["editor"]
    accepted(editor, team["tree"], {"kind": "restore", "id": team["c1"]})
    assert editor.get(tree_url(team["tree"], "trash/")).json()["entries"] == []
    live = [n["text"] for n in snapshot(editor, team["tree"])["nodes"] if not n["deleted"]]
    assert live == ["AI debate", "Judges can be fooled", "Train judges"]
    # A viewer sees the trash but cannot restore.
    accepted(team["clients"]["owner"], team["tree"], {"kind": "delete", "id": team["c1"]})
    response = team["clients"]["viewer"].post(
        tree_url(team["tree"], "ops/"),
        {"client_id": "v", "n": 1, "op": {"kind": "restore", "id": team["c1"]}},
        format="json",
    )
    assert_error(response, 403, "forbidden")


@pytest.mark.parametrize("role", READERS)
def test_every_member_views_the_tree_as_it_was_at_an_earlier_version(
    team: dict[str, Any], role: str
) -> None:
    client: APIClient = team["clients"][role]
    at3 = client.get(tree_url(team["tree"], "versions/3/")).json()
    assert at3["seq"] == 3 and at3["kind"] == "game"
    assert [(n["type"], n["text"], n["deleted"]) for n in at3["nodes"]] == [
        ("proposal", "Debate", False),
        ("critique", "Judges can be fooled", False),
        ("patch", "Train judges", False),
    ]
    assert client.get(tree_url(team["tree"], "versions/0/")).json()["nodes"] == []
    # The latest version is the snapshot.
    now = client.get(tree_url(team["tree"], "versions/5/")).json()
    assert now["nodes"] == snapshot(client, team["tree"])["nodes"]
    assert_error(client.get(tree_url(team["tree"], "versions/6/")), 404, "not_found")
    # The list of versions, newest first, with who and when.
    listed = client.get(tree_url(team["tree"], "versions/")).json()
    assert listed["seq"] == 5 and listed["more"] is False
    assert [(e["seq"], e["actor"]["username"]) for e in listed["entries"]] == [
        (5, "alice"),
        (4, "bob"),
        (3, "alice"),
        (2, "bob"),
        (1, "alice"),
    ]
    page = client.get(tree_url(team["tree"], "versions/?before=3")).json()
    assert [e["seq"] for e in page["entries"]] == [2, 1]


@pytest.mark.parametrize("suffix", ["nodes/{p1}/history/", "trash/", "versions/", "versions/1/"])
def test_a_non_member_and_a_stranger_get_not_found_and_no_session_gets_401(
    team: dict[str, Any], anon: APIClient, suffix: str
) -> None:
    url = tree_url(team["tree"], suffix.format(p1=team["p1"]))
    assert_error(team["clients"]["outsider"].get(url), 404, "not_found")
    assert_error(anon.get(url), 401, "not_authenticated")


def test_bad_node_ids_and_pages_get_clear_errors(team: dict[str, Any]) -> None:
    owner = team["clients"]["owner"]
    assert_error(owner.get(tree_url(team["tree"], "nodes/not-a-uuid/history/")), 404, "not_found")
    assert_error(owner.get(tree_url(team["tree"], f"nodes/{new_id()}/history/")), 404, "not_found")
    url = tree_url(team["tree"], f"nodes/{team['p1']}/history/?before=x")
    assert_error(owner.get(url), 400, "invalid")
    assert_error(owner.get(tree_url(team["tree"], "versions/?before=-1")), 400, "invalid")


def test_history_trash_and_versions_read_without_locking_the_tree(team: dict[str, Any]) -> None:
    owner = team["clients"]["owner"]
    for suffix in (f"nodes/{team['p1']}/history/", "trash/", "versions/", "versions/4/"):
        with CaptureQueriesContext(connection) as queries:
            assert owner.get(tree_url(team["tree"], suffix)).status_code == 200
        assert not [q["sql"] for q in queries if "FOR UPDATE" in q["sql"].upper()], suffix
