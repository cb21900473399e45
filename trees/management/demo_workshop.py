"""The demo workshop of `loaddemo`: alice facilitates six participants in three groups, a game
tree exercise done (a bit of content per group) and a problem-tree exercise in its first,
blind round. Made through the same actions as the API."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from django.contrib.auth import get_user_model

from trees.actions import tree_apply_op
from trees.actions.workshop_groups import group_create, participant_move
from trees.actions.workshop_rounds import exercise_create, round_end, round_start
from trees.actions.workshops import workshop_create, workshop_join
from trees.models import ExerciseTree, Node, Workshop

TITLE = "Demo workshop: alignment day"
# (username, display name, group), made here: the demo users' own tree lists stay as they were.
PEOPLE = [
    ("dave", "Dave", 1),
    ("erin", "Erin", 1),
    ("fay", "Fay", 2),
    ("gus", "Gus", 2),
    ("hal", "Hal", 3),
    ("ivy", "Ivy", 3),
]
GAME = {
    1: [
        ("proposal", "Debate between two AIs, judged by a human"),
        ("critique", "The judge can be fooled by the more persuasive liar"),
    ],
    2: [
        ("proposal", "Interpretability: read the model's goals off its weights"),
        ("critique", "Features found may not be the ones the model uses"),
    ],
    3: [
        ("proposal", "Train on human feedback"),
        ("critique", "Rewards what looks good to raters, not what is good"),
    ],
}
PROBLEMS = {
    "dave": ["Reward hacking"],
    "erin": ["Deceptive alignment", "Reward hacking"],
    "fay": ["Goal misgeneralisation"],
    "gus": ["Specification gaming"],
    "hal": ["Power seeking"],
    "ivy": [],
}
_n = itertools.count(1)


def _add(tree_id: int, user_id: int, kind: str, text: str, parent: str | None) -> str:
    node = str(uuid.uuid4())
    op = {"kind": "create", "id": node, "type": kind, "parent": parent, "text": text}
    tree_apply_op(tree_id=tree_id, actor_id=user_id, client_id="demo", n=next(_n), op=op)
    return node


def load_demo_workshop(password: str) -> bool:
    """Make the demo workshop unless it exists; True when made."""
    users = get_user_model().objects
    alice = users.get(username="alice")
    if Workshop.objects.filter(title=TITLE, created_by=alice).exists():
        return False
    # alice sits under the name her trees show ("Alice Chen", DEMO_USERS): one person, one name
    workshop = workshop_create(user=alice, title=TITLE)
    seats: dict[str, Any] = {}
    for username, display, _ in PEOPLE:
        user, created = users.get_or_create(username=username, defaults={"first_name": display})
        if created:
            user.set_password(password)
            user.save()
        seats[username], _ = workshop_join(workshop=workshop, user=user, display_name=display)
    groups = {n: group_create(workshop=workshop, name=f"Group {n}") for n in (1, 2, 3)}
    for username, _, n in PEOPLE:
        participant_move(
            workshop=workshop, participant_id=seats[username].pk, group_id=groups[n].pk
        )
    [game] = exercise_create(
        workshop=workshop, actor_id=alice.pk, template="game_tree", title="Alignment game tree"
    )
    first = game.rounds.get()
    round_start(workshop=workshop, round_id=first.pk, actor_id=alice.pk)
    for link in ExerciseTree.objects.filter(exercise=game).select_related("group"):
        n = next(k for k, g in groups.items() if g.pk == link.group_id)
        writer = seats[next(u for u, _, g in PEOPLE if g == n)].user_id
        (pk, proposal), (ck, critique) = GAME[n]
        parent = _add(link.tree_id, writer, pk, proposal, None)
        _add(link.tree_id, writer, ck, critique, parent)
    round_end(workshop=workshop, round_id=first.pk)
    [problem] = exercise_create(
        workshop=workshop,
        actor_id=alice.pk,
        template="problem_tree",
        title="Problem tree",
        duration_seconds=20 * 60,
    )
    round_start(workshop=workshop, round_id=problem.rounds.get(number=1).pk, actor_id=alice.pk)
    for link in ExerciseTree.objects.filter(exercise=problem).select_related("participant"):
        assert link.participant is not None
        username = next(u for u, s in seats.items() if s.pk == link.participant_id)
        root = Node.objects.get(tree_id=link.tree_id, parent_id=None)
        for text in PROBLEMS[username]:
            _add(link.tree_id, link.participant.user_id, "problem", text, str(root.pk))
    return True
