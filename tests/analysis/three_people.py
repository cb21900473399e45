"""Three people's 15-node problem trees on "what makes alignment hard", written separately in
their own words (the shape a workshop's first merge review has): shared for the pure and the
API tests of the review queue."""

from __future__ import annotations

from typing import Any

Outline = list[tuple[str, list[Any]]]

ANN: Outline = [
    (
        "Alignment is hard",
        [
            (
                "Race dynamics",
                [("Labs cut safety corners to ship first", []), ("No coordination", [])],
            ),
            (
                "Interpretability is immature",
                [("Features in superposition", []), ("Probes are unreliable", [])],
            ),
            (
                "Reward hacking",
                [("Goodhart's law", []), ("Reward tampering", [])],
            ),
            (
                "Resisting shutdown",
                [("Instrumental convergence", []), ("Power seeking", [])],
            ),
            ("Deceptive alignment", [("Evaluation awareness", [])]),
        ],
    )
]

BOB: Outline = [
    (
        "Why alignment is hard",
        [
            (
                "Competitive pressure",
                [("Labs racing to deploy", []), ("No international coordination", [])],
            ),
            (
                "We can't see inside neural networks",
                [("Polysemantic neurons", []), ("Probes are unreliable", [])],
            ),
            (
                "Reward hacking",
                [("Goodhart's law", []), ("Specification gaming", [])],
            ),
            (
                "Off-switch problem",
                [("Instrumental convergence", []), ("Power-seeking behaviour", [])],
            ),
            ("Deception", [("Models behave differently when tested", [])]),
        ],
    )
]

CAROL: Outline = [
    (
        "What makes alignment hard",
        [
            (
                "Race dynamics between labs",
                [("Safety corners cut to ship first", []), ("No coordination between labs", [])],
            ),
            (
                "Interpretability is too immature",
                [("Superposition", []), ("Unreliable probes", [])],
            ),
            (
                "Reward hacking",
                [("Goodhart", []), ("Gaming the specification", [])],
            ),
            (
                "Shutdown resistance",
                [("Instrumental convergence", []), ("Seeking power", [])],
            ),
            ("Deceptive alignment", [("Awareness of evaluation", [])]),
        ],
    )
]

PEOPLE = {"ann": ANN, "bob": BOB, "carol": CAROL}


def count(outline: Outline) -> int:
    return sum(1 + count(children) for _, children in outline)


def nodes(tree: int, outline: Outline, author: int) -> list[dict[str, Any]]:
    """Node dicts (ids `<tree>-<n>`) of one outline, as the pure merge reads them."""
    out: list[dict[str, Any]] = []

    def walk(items: Outline, parent: str | None) -> None:
        for text, children in items:
            node_id = f"{tree}-{len(out)}"
            out.append(
                {
                    "id": node_id,
                    "type": "problem",
                    "parent": parent,
                    "parents": [],
                    "key": "a0",
                    "text": text,
                    "note": "",
                    "tags": [],
                    "author": author,
                    "deleted": False,
                    "meta": {},
                }
            )
            walk(children, node_id)

    walk(outline, None)
    return out
