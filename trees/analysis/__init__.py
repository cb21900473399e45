"""Analysis layer: pure functions over node dicts and networkx graphs (no Django, no DB).

Public entry points:

- :func:`tree_graph` / :func:`graph_nodes` convert between node dicts and a DiGraph.
- :func:`survival` labels every node of a game tree survives / broken / contested.
- :func:`failure_mode_table` and :func:`recurring` rank failure modes (taut constraints).
- :func:`merge` and :func:`fork` merge individually drawn problem trees into one DAG.
"""

from __future__ import annotations
