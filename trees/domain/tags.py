"""Domain layer: a tag's one spelling.

Tags are a shared vocabulary (the failure modes a workshop names), so spellings that mean the
same tag are one tag: "#Goodhart" = "goodhart", "Scalable oversight" = "scalable-oversight" =
"scalable_oversight". Every write normalises (`validate.tags_value`), so the stored tags, the
op log and every client's filter agree; the web client applies the same rule
(`frontend/src/core/state.ts`, `normTag`) so its optimistic state matches the server's.
"""

from __future__ import annotations

import re

# Runs of whitespace, hyphens and underscores: one hyphen.
_SEPARATORS = re.compile(r"[\s_\-]+")


def norm_tag(raw: str) -> str:
    """Lower case, leading '#'s dropped, spaces / hyphens / underscores as one hyphen, none at
    either end. Other characters stay ("c++", "ai/ml"). "" when nothing is left."""
    tag = raw.strip().lstrip("#").lower()
    return _SEPARATORS.sub("-", tag).strip("-")


def norm_tags(raw: list[str]) -> list[str]:
    """Each tag normalised, empty ones dropped, the first of equal spellings kept."""
    return list(dict.fromkeys(t for t in map(norm_tag, raw) if t))
