"""Analysis layer, recurring failure modes (no Django).

- `failure_modes.py`: each critique's failure mode (vocabulary phrases, meaning, tags) and
  the table of modes of one game tree.
- `clusters.py`: untagged critiques grouped into failure modes (word and meaning edges,
  seeded by the vocabulary, one group per family).
- `recurring.py`: the modes and problems that recur across trees.
"""

from trees.analysis.recurrence.recurring import TreeInput, rank_problems, recurring

__all__ = ["TreeInput", "rank_problems", "recurring"]
