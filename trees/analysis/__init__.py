"""Analysis layer: pure functions over node dicts (no Django, no DB); networkx finds the
merged DAG's strongly connected components, the standard library's graphlib orders DAGs.

Public entry points:

- :func:`tree_graph` / :func:`graph_nodes` convert between node dicts and a DiGraph.
- :func:`survival` labels every node of a game tree survives / broken / contested.
- :func:`failure_mode_table` and :func:`recurring` rank failure modes (taut constraints).
- :func:`merge` and :func:`fork` merge individually drawn problem trees into one DAG.
"""

from __future__ import annotations

import os

# Before numpy loads (the semantic scorer's matrix products): one BLAS thread. Set
# OPENBLAS_NUM_THREADS to change it. A numpy loaded earlier has read the variable already:
# trees.analysis.blas sets the count on it too (results depend on it in their last bits).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import trees.analysis.blas  # noqa: F401  (pins the thread count, whoever loaded numpy)
from trees.analysis.graph import graph_nodes, tree_graph
from trees.analysis.merge import fork, merge
from trees.analysis.recurrence import TreeInput, recurring
from trees.analysis.recurrence.failure_modes import failure_mode_table, suggest_tags
from trees.analysis.survival import Status, survival
from trees.analysis.text.glossary import Glossary

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
