"""Analysis layer: pure functions over node dicts and networkx graphs (no Django, no DB).

Public entry points:

- :func:`tree_graph` / :func:`graph_nodes` convert between node dicts and a DiGraph.
- :func:`survival` labels every node of a game tree survives / broken / contested.
- :func:`failure_mode_table` and :func:`recurring` rank failure modes (taut constraints).
- :func:`merge` and :func:`fork` merge individually drawn problem trees into one DAG.
"""

from __future__ import annotations

from trees.analysis.failure_modes import failure_mode_table, suggest_tags
from trees.analysis.glossary import Glossary
from trees.analysis.graph import graph_nodes, tree_graph
from trees.analysis.merge import fork, merge
from trees.analysis.recurrence import TreeInput, recurring
from trees.analysis.survival import Status, survival

__all__ = [
    "Glossary",
    "Status",
    "TreeInput",
    "failure_mode_table",
    "fork",
    "graph_nodes",
    "merge",
    "recurring",
    "suggest_tags",
    "survival",
    "tree_graph",
]
