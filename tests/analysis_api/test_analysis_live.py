"""Live review: a decision made over REST reaches every socket on the merged tree as its `op`
broadcasts, then one `review` event; so does its undo."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from tests.analysis_api.conftest import build_problem_tree
from tests.ws.wshelpers import db_snapshot, db_version

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def setup() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from trees.actions.merges import merge_create
    from trees.models import MergeSuggestion, Node

    User = get_user_model()
    ann = User.objects.create_user("ann", password="pw-for-tests-123")
    ben = User.objects.create_user("ben", password="pw-for-tests-123")
    one = build_problem_tree(
        ann, "1", [("Alignment", [("Outer", [("Specification gaming", [("Proxy", [])])])])]
    )
    two = build_problem_tree(
        ben, "2", [("Alignment", [("Inner", [("Goal misgeneralisation", [])])])], {ann: "editor"}
    )
    outcome = merge_create(actor_id=ann.pk, trees=[one, two])
    src = {n.text: n for n in Node.objects.filter(tree__in=[one, two])}
    a, b = src["Goal misgeneralisation"], src["Specification gaming"]
    # the queue holds just the suggestion this test decides (whatever the merge suggested)
    MergeSuggestion.objects.filter(tree=outcome.tree).delete()
    s = MergeSuggestion.objects.create(
        tree=outcome.tree,
        position=1000,
        a_tree=two.pk,
        b_tree=one.pk,
        a={"tree": two.pk, "node": str(a.id), "label": a.text},
        b={"tree": one.pk, "node": str(b.id), "label": b.text},
        score=0.5,
        explanation="labels 0.50",
    )
    return {"ann": ann, "ben": ben, "tree": outcome.tree.pk, "sid": s.pk}


@database_sync_to_async
def post(user: Any, url: str, body: dict[str, Any] | None = None) -> Any:
    client = APIClient()
    client.force_login(user)
    response = client.post(url, body or {}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


async def test_both_clients_see_the_ops_and_the_review_event_of_accept_and_undo(
    connect: Any,
) -> None:
    ctx = await setup()
    tree_id = ctx["tree"]
    owner = await connect(ctx["ann"], tree_id, hello=True)
    other = await connect(ctx["ben"], tree_id, hello=True)
    start = await db_version(tree_id)

    answer = await post(
        ctx["ann"], f"/api/trees/{tree_id}/review/{ctx['sid']}/", {"decision": "accept"}
    )
    head = await db_version(tree_id)
    assert head > start
    for ws in (owner, other):
        event = await ws.expect("review")
        # The ops came first, in seq order, and the clients now hold the server's tree.
        assert ws.last_seq == head
        assert event["suggestion"] == answer["suggestion"]
        assert event["suggestion"]["status"] == "accepted"
        assert event["progress"] == answer["progress"] == {"done": 1, "total": 1}
    kinds = [m["op"]["kind"] for m in other.ops]
    assert {"move", "link", "set", "delete"} <= set(kinds)
    server = await db_snapshot(tree_id)
    assert owner.state.snapshot() == other.state.snapshot() == server["nodes"]

    await post(ctx["ann"], f"/api/trees/{tree_id}/review/{ctx['sid']}/undo/")
    after = await db_version(tree_id)
    for ws in (owner, other):
        event = await ws.expect("review")
        assert ws.last_seq == after
        assert event["suggestion"]["status"] == "pending"
        assert event["progress"] == {"done": 0, "total": 1}
    assert {"restore", "unlink"} <= {m["op"]["kind"] for m in other.ops}
    assert other.state.snapshot() == (await db_snapshot(tree_id))["nodes"]
