"""Analysis layer, recurring failure modes (no Django).

- `failure_modes.py`: each critique's failure mode (vocabulary phrases, meaning, tags) and
  the table of modes of one game tree.
- `recurring.py`: the modes and problems that recur across trees.
"""

from trees.analysis.recurrence.recurring import TreeInput, rank_problems, recurring

__all__ = ["TreeInput", "rank_problems", "recurring"]
