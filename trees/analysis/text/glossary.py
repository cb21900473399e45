"""Analysis layer: a glossary of aliases that grows with every confirmed match.

Aliases are normalised phrases mapped to a canonical phrase ("elk" -> "eliciting latent
knowledge"). Expansion replaces the longest alias at each word position, so a label is
compared in its canonical words. An acronym that is also chat slang or an everyday word
(written in capitals in ``concepts.yaml``: "IRL", and "irl" is "in real life") is expanded
only where the text writes it in capitals: :meth:`Glossary.expand_text` sees the capitals,
:meth:`Glossary.expand` (of a text already lower-cased) never expands it. The glossary is
plain data (``to_dict`` / ``from_dict``) so the Django layer can store it per workshop.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from trees.analysis.text.concepts import alignment_concepts, capitals_in
from trees.analysis.text.similarity import normalise

# A few alignment acronyms every workshop uses; more are learned from confirmed matches.
SEED_ALIASES: dict[str, str] = {
    "elk": "eliciting latent knowledge",
    "rlhf": "reinforcement learning from human feedback",
    "rlaif": "reinforcement learning from ai feedback",
    "cirl": "cooperative inverse reinforcement learning",
    "rl": "reinforcement learning",
    "agi": "artificial general intelligence",
    "asi": "artificial superintelligence",
    "llm": "large language model",
    "llms": "large language models",
    "ida": "iterated distillation and amplification",
    "mech interp": "mechanistic interpretability",
    "interp": "interpretability",
    "ood": "out of distribution",
    "sgd": "stochastic gradient descent",
}

_PAREN_ACRONYM = re.compile(r"^(.*?)\s*\(([A-Za-z][A-Za-z0-9]{1,7})\)\s*$")


def _initials(phrase: str) -> str:
    return "".join(w[0] for w in phrase.split() if w)


class Glossary:
    """Alias phrase -> canonical phrase, both normalised."""

    def __init__(self, aliases: Mapping[str, str] | None = None, *, seed: bool = True) -> None:
        self.aliases: dict[str, str] = {}
        self._max_words = 1
        # acronyms expanded only where written in capitals (marked in concepts.yaml)
        self._capitals_only = alignment_concepts().capitals_only
        for a, c in (SEED_ALIASES if seed else {}).items():
            self.add(a, c)
        for a, c in (aliases or {}).items():
            self.add(a, c)

    def add(self, alias: str, canonical: str) -> bool:
        """Record ``alias`` = ``canonical``; returns False when it adds nothing."""
        a = normalise(alias)
        c = self.expand_text(canonical)
        if not a or not c or a == c or self.aliases.get(a) == c:
            return False
        self.aliases[a] = c
        self._max_words = max(self._max_words, len(a.split()))
        return True

    def expand_text(self, text: str) -> str:
        """A text normalised, its aliases expanded (a marked acronym only where the text
        writes it in capitals)."""
        return self.expand(normalise(text), capitals_in(text))

    def expand(self, norm: str, capitals: frozenset[str] = frozenset()) -> str:
        """Replace aliases (longest match first at each position) in a normalised text.

        ``capitals``: the words the original text wrote in capitals; an alias that is a
        marked acronym (:attr:`Concepts.capitals_only`) is expanded only when among them.
        """
        words = norm.split()
        if not self.aliases or not words:
            return norm
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self._max_words, len(words) - i), 0, -1):
                alias = " ".join(words[i : i + size])
                if alias in self._capitals_only and alias not in capitals:
                    continue
                canon = self.aliases.get(alias)
                if canon is not None:
                    out.append(canon)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)

    def harvest(self, label: str) -> bool:
        """Learn "Eliciting latent knowledge (ELK)" style definitions written in a label."""
        m = _PAREN_ACRONYM.match(label.strip())
        if not m:
            return False
        phrase, acro = normalise(m.group(1)), normalise(m.group(2))
        words = phrase.split()
        for start in range(len(words)):
            tail = " ".join(words[start:])
            if _initials(tail) == acro:
                return self.add(acro, tail)
        return False

    def learn(self, label_a: str, label_b: str) -> bool:
        """Grow the glossary from a match the group confirmed.

        An acronym of the other label becomes a word alias; otherwise the shorter whole
        label becomes an alias of the longer one, so the same wording matches at once next
        round.
        """
        a, b = self.expand_text(label_a), self.expand_text(label_b)
        if not a or not b or a == b:
            return False
        for short_, long_ in ((a, b), (b, a)):
            if " " not in short_ and _initials(long_) == short_:
                return self.add(short_, long_)
        short_, long_ = sorted((a, b), key=lambda s: (len(s), s))
        return self.add(short_, long_)

    def to_dict(self) -> dict[str, str]:
        return dict(self.aliases)

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> Glossary:
        return cls(data, seed=False)
