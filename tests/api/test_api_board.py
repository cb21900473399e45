"""The facilitator board over REST: the board per role, the projector link (made, shown once,
replaced, revoked), the workshop export in its three formats, and before/after."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from markdown_it import MarkdownIt
from rest_framework.test import APIClient

from tests.board_helpers import (
    BoardWorkshop,
    create_op,
    group_merged,
    make_board_workshop,
    own_problem_trees,
)
from trees.actions import tree_apply_op
from trees.models import Workshop

pytestmark = pytest.mark.django_db


@pytest.fixture
def ws(alice: Any) -> BoardWorkshop:
    return make_board_workshop(alice)


def apply(tree: Any, user: Any, op: dict[str, Any], n: int) -> dict[str, Any]:
    tree_apply_op(tree_id=tree.pk, actor_id=user.pk, client_id=f"c{user.pk}", n=n, op=op)
    return op


def seed_game(ws: BoardWorkshop) -> None:
    """Group 1: a proposal broken by a reward-hacking critique, one standing proposal;
    group 2: a proposal broken by a reward-hacking critique."""
    a, b = ws.people[0][0], ws.people[1][0]
    p1 = apply(ws.trees[0], a, create_op("proposal", None, "Imitate a careful human"), 1)
    apply(
        ws.trees[0],
        a,
        create_op("critique", p1["id"], "It learns to please", ["reward-hacking"]),
        2,
    )
    apply(ws.trees[0], a, create_op("proposal", None, "=cmd|' /C calc'!A0 [x](javascript:1)"), 3)
    p2 = apply(ws.trees[1], b, create_op("proposal", None, "Train on feedback"), 1)
    apply(
        ws.trees[1],
        b,
        create_op("critique", p2["id"], "It games the reward", ["reward-hacking"]),
        2,
    )


def test_the_facilitator_sees_every_group_with_counts_and_the_ranking(
    ws: BoardWorkshop, client_for: Any
) -> None:
    seed_game(ws)
    response = client_for(ws.facilitator).get(f"/api/workshops/{ws.id}/board/")
    assert response.status_code == 200, response.content
    board = response.json()
    assert [g["name"] for g in board["groups"]] == ["Group 1", "Group 2"]
    one = board["groups"][0]
    assert one["totals"]["proposals"] == 2
    assert one["totals"]["broken"] == 1 and one["totals"]["surviving"] == 1
    assert one["trees"][0]["id"] == ws.trees[0].pk
    assert one["trees"][0]["edits_per_minute"] == 3.0
    assert [m["display_name"] for m in one["members"]] == ["Person 0.0", "Person 0.1"]
    # Person 0.0 edited a moment ago: present; 0.1 has done nothing.
    assert [m["present"] for m in one["members"]] == [True, False]
    ranking = board["exercises"][0]["ranking"]
    assert ranking["items"][0]["tag"] == "reward-hacking"
    assert ranking["items"][0]["groups"] == 2
    assert board["participants"] == 4 and board["present"] == 2
    assert board["projector"] is False


def test_with_one_group_each_problem_of_its_merged_tree_counts_one_group(
    alice: Any, client_for: Any
) -> None:
    # The browser test's workshop: one group of two, each with a problem tree, merged into
    # the group's tree at the round's end; the board ranks that lone merged tree.
    ws = make_board_workshop(alice, groups=1, kind="problem")
    own = own_problem_trees(
        ws,
        0,
        [["Goals are hard to specify", "Oversight does not scale"], ["Goals are hard to specify"]],
    )
    group_merged(ws, 0, own)
    board = client_for(ws.facilitator).get(f"/api/workshops/{ws.id}/board/").json()
    items = board["exercises"][0]["ranking"]["items"]
    assert {it["label"]: it["groups"] for it in items} == {
        "Goals are hard to specify": 1,
        "Oversight does not scale": 1,
    }


def test_a_group_of_one_beside_a_merged_group_is_ranked_by_its_own_tree(
    alice: Any, client_for: Any
) -> None:
    # Group 1's two trees were merged at the round's end; group 2 is one person (merge
    # status `single`: no merged tree), whose own tree stands for the group on the board.
    from trees.models import ExerciseTree

    ws = make_board_workshop(alice, groups=2, per_group=2, kind="problem")
    ExerciseTree.objects.filter(exercise=ws.exercise, kind="group").delete()
    ws.people[1], ws.seats[1] = ws.people[1][:1], ws.seats[1][:1]
    own = own_problem_trees(
        ws,
        0,
        [["Goals are hard to specify", "Oversight does not scale"], ["Goals are hard to specify"]],
    )
    group_merged(ws, 0, own)
    own_problem_trees(ws, 1, [["Goals are hard to specify", "Power seeking"]])
    board = client_for(ws.facilitator).get(f"/api/workshops/{ws.id}/board/").json()
    items = board["exercises"][0]["ranking"]["items"]
    assert {it["label"]: it["groups"] for it in items} == {
        "Goals are hard to specify": 2,
        "Oversight does not scale": 1,
        "Power seeking": 1,
    }


TICKETS = "Grade it by how many tickets it closes and it will close tickets, solved or not."
CLICKS = "If the score is clicks, it will find the cheapest way to get clicks."


def seed_untagged(ws: BoardWorkshop) -> str:
    """Two untagged critiques per group that no phrase of the vocabulary reads (the critique
    reader reads them as proxy gaming; the static model alone read the first otherwise).
    The id of group 1's first."""
    mine = ""
    for g, tree in enumerate(ws.trees):
        person = ws.people[g][0]
        p1 = apply(tree, person, create_op("proposal", None, "A sandboxed agent"), 1)
        crit = apply(tree, person, create_op("critique", p1["id"], TICKETS), 2)
        p2 = apply(tree, person, create_op("proposal", None, "A recommender"), 3)
        apply(tree, person, create_op("critique", p2["id"], CLICKS), 4)
        if g == 0:
            mine = crit["id"]
    return mine


def test_the_export_and_the_analysis_board_read_an_untagged_critique_alike(
    ws: BoardWorkshop, client_for: Any
) -> None:
    mine = seed_untagged(ws)
    own = client_for(ws.people[0][0]).get(f"/api/analysis/recurring/?trees={ws.trees[0].pk}")
    assert own.status_code == 200, own.content
    cluster = next(it for it in own.json()["items"] if it["kind"] == "cluster")
    read = next(m for m in cluster["members"] if m["node"] == mine)
    assert read["mode"] == "proxy-gaming" and read["evidence"][0].startswith("examples")
    fac = client_for(ws.facilitator)
    board = fac.get(f"/api/workshops/{ws.id}/board/").json()
    ranking = board["exercises"][0]["ranking"]
    first = ranking["items"][0]
    assert ranking["clusters"] is True
    assert (first["kind"], first["label"], first["groups"]) == ("cluster", cluster["label"], 2)
    on_board = next(m for m in first["members"] if m["node"] == mine)
    assert (on_board["mode"], on_board["evidence"]) == (read["mode"], read["evidence"])
    report = fac.get(f"/api/workshops/{ws.id}/export/?format=md").content.decode()
    across = report.split("## Groups")[0]
    assert f"1. **{cluster['label']}**" in across.replace("\\", "")
    assert f"untagged, read as {cluster['label']}" in across.replace("\\", "")


def board_and_report(client: APIClient, workshop_id: int) -> tuple[dict[str, Any], str]:
    """The REST board (without the moment it was computed at) and the Markdown report
    (without the moment it was exported at)."""
    board = client.get(f"/api/workshops/{workshop_id}/board/")
    report = client.get(f"/api/workshops/{workshop_id}/export/?format=md")
    assert board.status_code == report.status_code == 200, (board.content, report.content)
    body = board.json()
    del body["computed_at"]
    lines = report.content.decode().splitlines()
    return body, "\n".join(line for line in lines if not line.startswith("Exported "))


def test_the_board_and_the_export_answer_the_same_from_the_worker_as_in_the_request(
    ws: BoardWorkshop, client_for: Any, settings: Any
) -> None:
    from trees.analysis.merge import in_process

    seed_untagged(ws)
    fac = client_for(ws.facilitator)
    settings.GAMETREE_ANALYSIS_IN_PROCESS = True
    there = board_and_report(fac, ws.id)
    assert in_process.ANALYSIS.worker_pids()  # computed by the Analysis's workers
    settings.GAMETREE_ANALYSIS_IN_PROCESS = False
    here = board_and_report(fac, ws.id)
    assert there == here
    ranking = there[0]["exercises"][0]["ranking"]
    assert ranking["clusters"] is True and ranking["items"][0]["kind"] == "cluster"
    assert f"1. **{ranking['items'][0]['label']}**" in there[1].replace("\\", "")


def test_problem_trees_are_ranked_the_same_from_the_worker_as_in_the_request(
    alice: Any, client_for: Any, settings: Any
) -> None:
    # Two groups' members' own trees, not merged yet: the ranking merges them (the costly
    # part for problem trees), in the worker as here.
    ws = make_board_workshop(alice, groups=2, kind="problem")
    own_problem_trees(ws, 0, [["Goals are hard to specify"], ["Oversight does not scale"]])
    own_problem_trees(ws, 1, [["Goals are hard to specify", "Power seeking"], []])
    fac = client_for(ws.facilitator)
    settings.GAMETREE_ANALYSIS_IN_PROCESS = True
    there = board_and_report(fac, ws.id)
    settings.GAMETREE_ANALYSIS_IN_PROCESS = False
    assert there == board_and_report(fac, ws.id)
    items = there[0]["exercises"][0]["ranking"]["items"]
    assert {it["label"]: it["groups"] for it in items}["Goals are hard to specify"] == 2


def test_a_ranking_whose_worker_does_not_answer_in_time_is_unavailable_and_the_next_answers(
    ws: BoardWorkshop, client_for: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from trees import board_service
    from trees.analysis.merge import in_process

    seed_game(ws)
    settings.GAMETREE_ANALYSIS_IN_PROCESS = True
    fac = client_for(ws.facilitator)
    # No warm worker: a new one takes far longer than 1 ms to start (a warm one can rank two
    # tagged critiques within it), and one killed for its time is not reused.
    in_process.ANALYSIS.shutdown()
    monkeypatch.setattr(board_service, "RANKING_TIMEOUT_SECONDS", 0.001)
    for url in (f"/api/workshops/{ws.id}/board/", f"/api/workshops/{ws.id}/export/?format=md"):
        response = fac.get(url)
        assert response.status_code == 503, response.content
        assert response.json()["code"] == "analysis_unavailable"
    monkeypatch.setattr(board_service, "RANKING_TIMEOUT_SECONDS", 120.0)
    board, _ = board_and_report(fac, ws.id)
    assert board["exercises"][0]["ranking"]["items"][0]["tag"] == "reward-hacking"


def test_a_participant_is_refused_the_board_and_an_outsider_does_not_see_it(
    ws: BoardWorkshop, client_for: Any, carol: Any, anon: APIClient
) -> None:
    response = client_for(ws.people[0][0]).get(f"/api/workshops/{ws.id}/board/")
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    response = client_for(carol).get(f"/api/workshops/{ws.id}/board/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    response = anon.get(f"/api/workshops/{ws.id}/board/")
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_the_projector_link_opens_the_board_read_only_without_sign_in(
    ws: BoardWorkshop, client_for: Any, anon: APIClient
) -> None:
    seed_game(ws)
    made = client_for(ws.facilitator).post(f"/api/workshops/{ws.id}/board/link/")
    assert made.status_code == 201, made.content
    key = made.json()["key"]
    stored = Workshop.objects.get(pk=ws.id)
    assert stored.board_token_hash and key not in stored.board_token_hash
    response = anon.get(f"/api/workshops/{ws.id}/board/", HTTP_X_BOARD_KEY=key)
    assert response.status_code == 200, response.content
    board = response.json()
    assert board["projector"] is True
    assert board["groups"][0]["totals"]["proposals"] == 2
    # A projector shows; it opens no trees.
    assert all(t["id"] is None for g in board["groups"] for t in g["trees"])
    assert all(
        "tree" not in m
        for ex in board["exercises"]
        for it in ex["ranking"]["items"]
        for m in it["members"]
    )
    # The key opens this board only, and it is read-only.
    other = make_board_workshop(ws.facilitator, prefix="q")
    response = anon.get(f"/api/workshops/{other.id}/board/", HTTP_X_BOARD_KEY=key)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    response = anon.post(f"/api/workshops/{ws.id}/board/link/", HTTP_X_BOARD_KEY=key)
    assert response.status_code in (401, 403)


def test_a_new_projector_link_replaces_the_old_and_revoking_ends_it(
    ws: BoardWorkshop, client_for: Any, anon: APIClient
) -> None:
    fac = client_for(ws.facilitator)
    first = fac.post(f"/api/workshops/{ws.id}/board/link/").json()["key"]
    second = fac.post(f"/api/workshops/{ws.id}/board/link/").json()["key"]
    assert first != second
    assert anon.get(f"/api/workshops/{ws.id}/board/", HTTP_X_BOARD_KEY=first).status_code == 404
    assert anon.get(f"/api/workshops/{ws.id}/board/", HTTP_X_BOARD_KEY=second).status_code == 200
    shown = fac.get(f"/api/workshops/{ws.id}/board/link/").json()
    assert shown["active"] is True and "key" not in shown
    assert fac.delete(f"/api/workshops/{ws.id}/board/link/").status_code == 204
    assert anon.get(f"/api/workshops/{ws.id}/board/", HTTP_X_BOARD_KEY=second).status_code == 404
    assert fac.get(f"/api/workshops/{ws.id}/board/link/").json()["active"] is False


def test_only_facilitators_make_or_revoke_the_projector_link(
    ws: BoardWorkshop, client_for: Any
) -> None:
    participant = client_for(ws.people[0][0])
    assert participant.post(f"/api/workshops/{ws.id}/board/link/").status_code == 403
    assert participant.delete(f"/api/workshops/{ws.id}/board/link/").status_code == 403
    assert participant.get(f"/api/workshops/{ws.id}/board/link/").status_code == 403


def test_the_markdown_report_escapes_what_people_typed(ws: BoardWorkshop, client_for: Any) -> None:
    seed_game(ws)
    response = client_for(ws.facilitator).get(f"/api/workshops/{ws.id}/export/?format=md")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/markdown")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert "## Across groups: the taut constraints" in text
    assert "**reward\\-hacking**" in text or "**reward-hacking**" in text
    assert "Imitate a careful human" not in text.split("Surviving proposals:")[1].split("###")[0]
    # the surviving proposal's label, escaped: as a CommonMark viewer renders it, no link can
    # come from a participant, and the label reads as typed
    html = MarkdownIt("commonmark").render(text)
    assert "<a " not in html
    assert "=cmd|' /C calc'!A0 [x](javascript:1)" in html.replace("&quot;", '"').replace(
        "&#39;", "'"
    )


def test_the_csv_counts_failure_modes_per_tag(ws: BoardWorkshop, client_for: Any) -> None:
    seed_game(ws)
    apply(ws.trees[0], ws.people[0][0], create_op("proposal", None, "x"), 4)
    prop = apply(ws.trees[1], ws.people[1][0], create_op("proposal", None, "y"), 3)
    apply(
        ws.trees[1], ws.people[1][0], create_op("critique", prop["id"], "z", ["=HYPERLINK(1)"]), 4
    )
    response = client_for(ws.facilitator).get(f"/api/workshops/{ws.id}/export/?format=csv")
    assert response.status_code == 200, response.content
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["tag", "critiques", "trees", "groups", "broken_proposals"]
    assert rows[1] == ["reward-hacking", "2", "2", "2", "2"]
    # tags are normalised as they are stored: no formula survives to the spreadsheet
    assert rows[2] == ["hyperlink-1", "1", "1", "1", "1"]


def test_the_json_backup_holds_every_tree_in_the_per_tree_backup_format(
    ws: BoardWorkshop, client_for: Any
) -> None:
    seed_game(ws)
    fac = client_for(ws.facilitator)
    response = fac.get(f"/api/workshops/{ws.id}/export/?format=json")
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    assert body["format"] == "gametree-workshop"
    assert [t["id"] for t in body["trees"]] == [t.pk for t in ws.trees]
    backup = body["trees"][0]["backup"]
    assert backup["format"] == "gametree" and len(backup["nodes"]) == 3
    # each tree's backup imports back as it is
    restored = fac.post(
        "/api/trees/import/",
        {"kind": "game", "format": "json", "text": json.dumps(backup)},
        format="json",
    )
    assert restored.status_code == 201, restored.content


def test_an_unknown_export_format_is_refused_and_participants_cannot_export(
    ws: BoardWorkshop, client_for: Any
) -> None:
    response = client_for(ws.facilitator).get(f"/api/workshops/{ws.id}/export/?format=docx")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    response = client_for(ws.people[0][0]).get(f"/api/workshops/{ws.id}/export/?format=md")
    assert response.status_code == 403


def test_before_and_after_lists_what_a_person_added_dropped_and_reworded(
    client_for: Any, alice: Any, make_tree: Any, carol: Any
) -> None:
    before = make_tree(alice, kind="problem", title="Before")
    after = make_tree(alice, kind="problem", title="After")
    for n, (tree, labels) in enumerate(
        (
            (before, ["We cannot specify human values precisely", "Nobody funds safety research"]),
            (
                after,
                ["We cannot specify human values precisely enough", "Proxy goals get optimised"],
            ),
        ),
        start=1,
    ):
        root = apply(tree, alice, create_op("problem", None, "Alignment"), n * 10)
        for i, label in enumerate(labels):
            apply(tree, alice, create_op("problem", root["id"], label), n * 10 + i + 1)
    response = client_for(alice).get(f"/api/compare/?before={before.pk}&after={after.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [d["label"] for d in body["dropped"]] == ["Nobody funds safety research"]
    assert [a["label"] for a in body["added"]] == ["Proxy goals get optimised"]
    assert [r["after"]["label"] for r in body["reworded"]] == [
        "We cannot specify human values precisely enough"
    ]
    # someone who cannot read both trees learns nothing
    response = client_for(carol).get(f"/api/compare/?before={before.pk}&after={after.pk}")
    assert response.status_code == 404
    response = client_for(alice).get(f"/api/compare/?before={before.pk}&after=x")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_before_and_after_refuses_game_trees(client_for: Any, alice: Any, make_tree: Any) -> None:
    game = make_tree(alice)
    response = client_for(alice).get(f"/api/compare/?before={game.pk}&after={game.pk}")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
