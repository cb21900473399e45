"""Export of a whole workshop (docs/guide.md, "Export the workshop"): the database and the
analysis layer give a `WorkshopDoc`, the formats layer (trees/formats/workshop/) writes it.

The caller checked that the user facilitates the workshop. Trees are read through
`tree_snapshot` (the backup is lossless: tombstones and all); the report's figures through
the board's pure functions, its ranking as the REST board's (`board_service.ranked`: critiques
read as on the tree page's Analysis board, computed in the Analysis's worker processes, not
in the serving process).
"""

from __future__ import annotations

from django.utils import timezone

from trees.analysis.workshop import (
    BoardTree,
    failure_mode_counts,
    ranking_trees,
    surviving_proposals,
    tree_counts,
)
from trees.board_service import MAX_BOARD_TREES, ranked
from trees.domain.errors import ActionError
from trees.formats import FormatError, TreeDoc
from trees.formats.workshop import WORKSHOP_FORMATS, WorkshopDoc, WorkshopTree, export_workshop
from trees.models import (
    Exercise,
    ExerciseTree,
    Workshop,
    WorkshopGroup,
    WorkshopParticipant,
    WorkshopRole,
)
from trees.selectors import tree_snapshot


def workshop_doc(workshop: Workshop) -> WorkshopDoc:
    links = list(
        ExerciseTree.objects.filter(exercise__workshop=workshop)
        .select_related("round", "participant", "tree")
        .order_by("exercise__position", "exercise_id", "round__number", "group_id", "id")[
            :MAX_BOARD_TREES
        ]
    )
    trees: list[WorkshopTree] = []
    board: list[BoardTree] = []
    for link in links:
        snap = tree_snapshot(tree_id=link.tree_id)
        tree = link.tree
        round_no = link.round.number if link.round is not None else None
        person = link.participant.display_name if link.participant is not None else None
        doc = TreeDoc(
            kind=tree.kind, title=tree.title, description=tree.description, nodes=snap["nodes"]
        )
        trees.append(
            WorkshopTree(
                link.tree_id, doc, link.group_id, link.exercise_id, round_no, person, link.kind
            )
        )
        board.append(
            BoardTree(
                id=link.tree_id,
                kind=tree.kind,
                title=tree.title,
                nodes=[n for n in snap["nodes"] if not n.get("deleted")],
                group=link.group_id,
                exercise=link.exercise_id,
                round=round_no,
                participant=person,
                link_kind=link.kind,
                meta=tree.meta or {},
            )
        )
    seats = WorkshopParticipant.objects.filter(
        workshop=workshop, role=WorkshopRole.PARTICIPANT
    ).order_by("joined_at", "id")
    groups = []
    for group in WorkshopGroup.objects.filter(workshop=workshop).order_by("position", "id"):
        mine = [t for t in board if t.group == group.pk]
        surviving = [
            {"tree": t.title, **p}
            for t in mine
            if t.kind == "game"
            for p in surviving_proposals(t.nodes)
        ]
        groups.append(
            {
                "id": group.pk,
                "name": group.name,
                "members": [s.display_name for s in seats if s.group_id == group.pk],
                "surviving": surviving,
                "failure_modes": failure_mode_counts(mine),
                "problems": sum(tree_counts(t.kind, t.nodes)["problems"] for t in mine),
            }
        )
    exercises = [
        {
            "id": ex.pk,
            "title": ex.title,
            "kind": ex.kind,
            "phase": ex.phase,
            "ranking": ranked(ranking_trees(board, ex.pk)),
        }
        for ex in Exercise.objects.filter(workshop=workshop).order_by("position", "id")
    ]
    modes = failure_mode_counts(board)
    return WorkshopDoc(
        title=workshop.title,
        exported_at=timezone.now().isoformat(),
        groups=groups,
        exercises=exercises,
        failure_modes=modes,
        trees=trees,
    )


def export_workshop_bytes(workshop: Workshop, fmt: str) -> bytes:
    if fmt not in WORKSHOP_FORMATS:
        raise ActionError(
            "invalid", f"format must be one of {', '.join(sorted(WORKSHOP_FORMATS))}."
        )
    try:
        return export_workshop(workshop_doc(workshop), fmt=fmt)
    except FormatError as exc:
        raise ActionError(exc.code, str(exc)) from None
