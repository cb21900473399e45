"""REST: survival, tags and failure modes, tag suggestions, recurring, merges; permissions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.analysis_api.conftest import build_problem_tree, merge_via_api
from tests.api.api_helpers import create
from trees.models import MergeSuggestion, Node


def error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response.json()["code"] == code
    assert response.json()["message"]


def test_survival_labels_every_live_node_with_a_reason(demo: Any, client_for: Any) -> None:
    response = client_for(demo.bob).get(f"/api/trees/{demo.game.pk}/survival/")
    assert response.status_code == 200
    body = response.json()
    demo.game.refresh_from_db()
    assert body["seq"] == demo.game.version
    assert len(body["nodes"]) == Node.objects.filter(tree=demo.game, deleted=False).count()
    for n in body["nodes"]:
        assert set(n) == {"id", "label", "type", "status", "reason", "by"}
    broken = [n for n in body["nodes"] if n["status"] == "broken"]
    assert broken and all(n["by"] for n in broken)


def test_survival_of_a_problem_tree_answers_invalid(demo: Any, client_for: Any) -> None:
    response = client_for(demo.bob).get(f"/api/trees/{demo.bobs.pk}/survival/")
    error(response, 400, "invalid")
    assert "game trees" in response.json()["message"]


def test_analysis_of_a_tree_i_am_not_a_member_of_is_not_found(
    demo: Any, client_for: Any, make_user: Any
) -> None:
    mallory = client_for(make_user("mallory"))
    game, problem = demo.game.pk, demo.bobs.pk
    error(mallory.get(f"/api/trees/{game}/survival/"), 404, "not_found")
    error(mallory.get(f"/api/trees/{game}/tag-suggestions/"), 404, "not_found")
    error(mallory.get(f"/api/trees/{problem}/review/"), 404, "not_found")
    error(mallory.get(f"/api/analysis/recurring/?trees={game}"), 404, "not_found")
    merge = {"trees": [demo.bobs.pk, demo.carols.pk]}
    error(mallory.post("/api/merges/", merge, format="json"), 404, "not_found")
    fork = {"people": ["mallory"]}
    error(mallory.post(f"/api/trees/{problem}/fork/", fork, format="json"), 404, "not_found")


def test_tags_count_critiques_across_my_game_trees(demo: Any, client_for: Any) -> None:
    body = client_for(demo.alice).get("/api/tags/").json()
    assert body and {"tag", "count", "trees", "problem", "description"} == set(body[0])
    counts = [row["count"] for row in body]
    assert counts == sorted(counts, reverse=True)
    assert body[0]["trees"] == [demo.game.pk] and body[0]["problem"] is None


def test_a_tag_points_at_a_problem_node_and_shows_its_label(demo: Any, client_for: Any) -> None:
    alice = client_for(demo.alice)
    tag = alice.get("/api/tags/").json()[0]["tag"]
    node = Node.objects.filter(tree=demo.bobs, deleted=False, parent_id__isnull=False).first()
    body = {"problem": {"tree": demo.bobs.pk, "node": str(node.id)}, "description": "why"}
    response = alice.put(f"/api/tags/{tag}/", body, format="json")
    assert response.status_code == 200, response.json()
    row = response.json()
    assert row["problem"] == {"tree": demo.bobs.pk, "node": str(node.id), "label": node.text}
    assert row["description"] == "why" and row["count"] > 0
    listed = {r["tag"]: r for r in alice.get("/api/tags/").json()}
    assert listed[tag]["problem"]["node"] == str(node.id)
    # Clearing it, and the errors.
    cleared = alice.put(f"/api/tags/{tag}/", {"problem": None}, format="json").json()
    assert cleared["problem"] is None
    bad = {"problem": {"tree": demo.bobs.pk, "node": "nope"}}
    error(alice.put(f"/api/tags/{tag}/", bad, format="json"), 404, "not_found")
    game_node = {"problem": {"tree": demo.game.pk, "node": str(node.id)}}
    error(alice.put(f"/api/tags/{tag}/", game_node, format="json"), 400, "invalid")


def test_a_removed_member_stops_reading_the_node_text_their_tag_points_at_at_once(
    demo: Any, client_for: Any
) -> None:
    # Alice points a tag at a node of Bob's problem tree, then Bob removes her: the tag list
    # must stop showing that node's (current) text on her very next request, and show it
    # again only if she is a member again.
    from trees.actions import member_add, member_remove
    from trees.models import Membership

    Membership.objects.filter(tree=demo.bobs, user=demo.alice).delete()
    member_add(tree=demo.bobs, username=demo.alice.username, role="viewer")
    alice = client_for(demo.alice)
    tag = alice.get("/api/tags/").json()[0]["tag"]
    node = Node.objects.filter(tree=demo.bobs, deleted=False, parent_id__isnull=False).first()
    body = {"problem": {"tree": demo.bobs.pk, "node": str(node.id)}}
    assert alice.put(f"/api/tags/{tag}/", body, format="json").status_code == 200
    Node.objects.filter(pk=node.pk).update(text="secret plan B")
    listed = {r["tag"]: r for r in alice.get("/api/tags/").json()}
    assert listed[tag]["problem"]["label"] == "secret plan B"

    member_remove(tree=demo.bobs, user_id=demo.alice.pk)
    Node.objects.filter(pk=node.pk).update(text="secret plan C")
    after = alice.get("/api/tags/")
    assert after.status_code == 200
    assert "secret plan" not in after.content.decode()
    assert {r["tag"]: r for r in after.json()}[tag]["problem"] is None

    member_add(tree=demo.bobs, username=demo.alice.username, role="viewer")
    back = {r["tag"]: r for r in alice.get("/api/tags/").json()}
    assert back[tag]["problem"]["label"] == "secret plan C"


def test_a_tag_cannot_point_into_a_tree_i_am_not_a_member_of(
    demo: Any, client_for: Any, make_user: Any
) -> None:
    mallory = client_for(make_user("mallory"))
    node = Node.objects.filter(tree=demo.bobs).first()
    body = {"problem": {"tree": demo.bobs.pk, "node": str(node.id)}}
    error(mallory.put("/api/tags/deception/", body, format="json"), 404, "not_found")


def test_tag_suggestions_cover_untagged_critiques_only(demo: Any, client_for: Any) -> None:
    response = client_for(demo.alice).get(f"/api/trees/{demo.game.pk}/tag-suggestions/")
    assert response.status_code == 200
    rows = response.json()
    untagged = {
        str(n.id)
        for n in Node.objects.filter(tree=demo.game, type="critique", deleted=False)
        if not n.tags
    }
    assert rows, "the demo leaves a few critiques untagged on purpose"
    for row in rows:
        assert set(row) == {"node", "label", "suggestions"}
        assert row["node"] in untagged
        for s in row["suggestions"]:
            assert {"tag", "score", "neighbours"} <= set(s)


def test_recurring_ranks_across_several_game_trees_of_different_groups(
    demo: Any, client_for: Any, make_user: Any
) -> None:
    from trees.actions.imports import tree_import

    # A second group's game tree with one tagged critique; alice facilitates both.
    p, c = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    other = tree_import(
        owner_id=demo.alice.pk,
        kind="game",
        title="Group 2",
        nodes=[
            {"id": p, "type": "proposal", "parent": None, "text": "Debate"},
            {"id": c, "type": "critique", "parent": p, "text": "Costly", "tags": ["goodhart"]},
        ],
    )
    alice = client_for(demo.alice)
    response = alice.get(f"/api/analysis/recurring/?trees={demo.game.pk},{other.pk}&top=5")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["kind"] == "game" and len(body["items"]) == 5
    for item in body["items"]:
        assert {"label", "score", "props", "stand", "authors", "re", "rescue"} <= set(item)
        assert {"explanation", "members"} <= set(item)
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)
    trees = {
        m["tree"]
        for i in alice.get(f"/api/analysis/recurring/?trees={demo.game.pk},{other.pk}").json()[
            "items"
        ]
        for m in i["members"]
    }
    assert trees == {demo.game.pk, other.pk}
    error(alice.get("/api/analysis/recurring/?trees=x"), 400, "invalid")
    error(alice.get(f"/api/analysis/recurring/?trees={other.pk}&top=0"), 400, "invalid")


@pytest.mark.parametrize(
    ("who", "path", "rows"),
    [
        ("alice", "/api/analysis/recurring/?trees={game}", "items"),
        ("bob", "/api/trees/{game}/tag-suggestions/", None),
    ],
    ids=["recurring", "tag-suggestions"],
)
def test_recurring_and_tag_suggestions_answer_the_same_from_the_worker_as_in_the_request(
    demo: Any, client_for: Any, settings: Any, who: str, path: str, rows: str | None
) -> None:
    client = client_for(getattr(demo, who))
    url = path.format(game=demo.game.pk)
    settings.GAMETREE_ANALYSIS_IN_PROCESS = True
    there = client.get(url)
    settings.GAMETREE_ANALYSIS_IN_PROCESS = False
    here = client.get(url)
    assert there.status_code == here.status_code == 200, there.content[:300]
    assert there.json() == here.json()
    # Something was compared: not two empty answers (`rows`: where a body keeps its list).
    assert there.json()[rows] if rows is not None else there.json()


def test_an_analysis_whose_worker_does_not_answer_in_time_is_unavailable_and_the_next_answers(
    demo: Any, client_for: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trees import analysis_service

    settings.GAMETREE_ANALYSIS_IN_PROCESS = True
    alice = client_for(demo.alice)
    url = f"/api/analysis/recurring/?trees={demo.game.pk}"
    monkeypatch.setattr(analysis_service, "ANALYSIS_TIMEOUT_SECONDS", 0.001)
    error(alice.get(url), 503, "analysis_unavailable")
    monkeypatch.setattr(analysis_service, "ANALYSIS_TIMEOUT_SECONDS", 120.0)
    assert alice.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)  # the merge thread must see the committed job
def test_merge_creates_the_merged_tree_with_its_review_queue(demo: Any, client_for: Any) -> None:
    carol = client_for(demo.carol)
    out = merge_via_api(carol, [demo.bobs, demo.carols], title="Big ASS Tree")
    assert out["tree"]["kind"] == "problem" and out["tree"]["role"] == "owner"
    assert out["tree"]["title"] == "Big ASS Tree"
    assert out["suggestions"] == MergeSuggestion.objects.filter(tree=out["tree"]["id"]).count()
    assert out["suggestions"] > 0 and out["status"] == "done"
    # no problem is ordered differently; some suggested matches would ("pending")
    assert all(d["pending"] for d in out["disagreements"])
    members = {
        m["user"]["username"]: m["role"]
        for m in carol.get(f"/api/trees/{out['tree']['id']}/members/").json()
    }
    assert members == {"carol": "owner", "alice": "editor", "bob": "editor"}

    review = carol.get(f"/api/trees/{out['tree']['id']}/review/").json()
    assert review["progress"] == {"done": 0, "total": out["suggestions"]}
    s = review["suggestions"][0]
    assert {"id", "status", "a", "b", "score", "explanation", "candidates"} <= set(s)
    assert {"decided_by", "decided_at"} <= set(s)
    assert s["status"] == "pending" and s["decided_by"] is None
    assert set(s["a"]) == {"node", "label", "sources"} and s["a"]["node"] and s["a"]["sources"]
    assert s["explanation"].startswith("labels ")
    assert 1 <= len(s["candidates"]) <= 3
    assert {"node", "label", "score", "explanation"} <= set(s["candidates"][0])


@pytest.mark.django_db(transaction=True)
def test_recurring_on_a_stored_merged_tree_counts_only_its_source_trees(
    client_for: Any, make_user: Any
) -> None:
    ann, ben = make_user("ann"), make_user("ben")
    goodhart = ("Outer alignment", [("Goodhart's law", [])])
    one = build_problem_tree(ann, "Ann", [("Alignment", [goodhart, ("Scalable oversight", [])])])
    two = build_problem_tree(
        ann, "Ben", [("Alignment", [goodhart, ("Interpretability", [])])], {ben: "editor"}
    )
    client = client_for(ann)
    merge = merge_via_api(client, [one, two])
    assert merge["status"] == "done", merge
    merged = merge["tree"]["id"]
    # A problem added to the merged tree after the merge: no provenance of its own.
    root = Node.objects.get(tree=merged, parent_id=None, deleted=False)
    new = create(client, merged, "problem", str(root.id), text="Nobody can verify the verifier")

    response = client.get(f"/api/analysis/recurring/?trees={merged}")
    assert response.status_code == 200, response.json()
    items = {i["label"]: i for i in response.json()["items"]}
    assert set(items) == {
        "Outer alignment",
        "Goodhart's law",
        "Scalable oversight",
        "Interpretability",
        "Nobody can verify the verifier",
    }
    assert items["Goodhart's law"]["support"] == 1.0
    assert items["Goodhart's law"]["explanation"].endswith("drawn by 2 of 2 trees")
    assert {m["tree"] for m in items["Goodhart's law"]["members"]} == {one.pk, two.pk}
    assert items["Interpretability"]["support"] == 0.5
    late = items["Nobody can verify the verifier"]
    assert late["contributors"] == 1 and late["support"] == 0.5 and late["node"] == new
    assert late["explanation"].endswith("added after the merge: 1 of 2")


def test_merge_refuses_a_game_tree_and_a_single_tree(demo: Any, client_for: Any) -> None:
    alice = client_for(demo.alice)
    body = {"trees": [demo.bobs.pk, demo.game.pk]}
    error(alice.post("/api/merges/", body, format="json"), 400, "invalid")
    error(alice.post("/api/merges/", {"trees": [demo.bobs.pk]}, format="json"), 400, "invalid")


@pytest.mark.django_db(transaction=True)
def test_merging_trees_that_order_two_problems_oppositely_reports_a_disagreement(
    client_for: Any, make_user: Any
) -> None:
    ann, ben = make_user("ann"), make_user("ben")
    one = build_problem_tree(
        ann, "Ann", [("Alignment", [("Deception", [("Situational awareness", [])])])]
    )
    two = build_problem_tree(
        ann,
        "Ben",
        [("Alignment", [("Situational awareness", [("Deception", [])])])],
        {ben: "editor"},
    )
    out = merge_via_api(client_for(ann), [one, two])
    assert out["status"] == "done", out
    assert len(out["disagreements"]) == 1
    d = out["disagreements"][0]
    assert "disagree" in d["message"] and d["cycle"] and d["dropped"]
    labels = {e["parent"]["label"] for e in d["cycle"]} | {e["child"]["label"] for e in d["cycle"]}
    assert labels == {"Deception", "Situational awareness"}
    nodes = {n.id for n in Node.objects.filter(tree=out["tree"]["id"])}
    assert all(e["parent"]["node"] in {str(i) for i in nodes} for e in d["cycle"])
    review = client_for(ben).get(f"/api/trees/{out['tree']['id']}/review/").json()
    assert review["disagreements"] == out["disagreements"]
