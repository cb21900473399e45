"""Analysis layer, merge: individually drawn problem trees into one DAG (no Django).

- `pipeline.py`: :func:`merge`, the phases in order.
- `scores.py`, `labels.py`, `matching.py`: candidate pairs and their explained scores.
- `clusters.py`: the union-find of matched nodes; `dag.py`: the merged DAG, its cycles.
- `lineage.py`: :func:`fork` and the diff3 of a second round; `review_queue.py`: one
  suggestion per pair; `worker.py`: the merge plus the merged tree built through the
  domain's ops, which `in_process.py` computes in the merge worker process.
"""

from trees.analysis.merge.lineage import fork
from trees.analysis.merge.pipeline import merge

__all__ = ["fork", "merge"]
