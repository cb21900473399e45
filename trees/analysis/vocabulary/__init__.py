"""Analysis layer, the vocabulary of failure modes (no Django).

- `modes.py`: :class:`Vocabulary`, the phrases that name each mode, matched in a text.
- `meaning.py`: a mode read from a text's meaning where no phrase matches.
- The data: `trees/analysis/taxonomy.py`.
"""

from trees.analysis.vocabulary.modes import ModeMatch, Vocabulary, starter_vocabulary

__all__ = ["ModeMatch", "Vocabulary", "starter_vocabulary"]
