"""Analysis layer: a starter vocabulary of well-known AI-alignment failure modes.

The data is in ``taxonomy.yaml`` beside this module; this module loads it once, checks it
(a malformed file raises :class:`~trees.domain.datafile.DataFileError` naming the place) and
exposes it as :data:`WORD_CLASSES`, :data:`FAMILIES` and :data:`STARTER_MODES`.

Every mode has a tag-style ``id``, a canonical ``label``, a one-line ``description``, the
``family`` it belongs to, its ``aliases`` (names of the failure mode: one of them is enough to
say a critique is about it) and ``cues`` (key phrases that point at it: indicative, not
decisive). Families are the coarser level that recurrence groups by ("deception and
scheming" holds deceptive alignment, sandbagging, evaluation gaming, collusion ...). The
matcher lives in :mod:`trees.analysis.vocabulary`.

Pattern syntax (one pattern = a phrase of slots separated by spaces):

- ``word`` matches the same word up to light stemming ("proxy" = "proxies");
- ``word*`` matches any word starting with ``word`` ("optimi*" = "optimise", "optimization");
- ``a|b*|c`` is one slot with alternatives; ``{name}`` is a slot from :data:`WORD_CLASSES`;
- slots match in order, with at most :data:`MAX_GAP` other words between two of them;
- a cue that starts with ``~`` is weak: it counts as a one-word cue whatever its length
  ("~on purpose" hints at intent but does not say which failure mode).

Texts are lower-cased, stripped of punctuation and markdown, contractions folded ("can't" =
"cannot", "don't" = "do not") and glossary aliases expanded ("ood" = "out of distribution")
before matching, so patterns are written in that form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from trees.domain.datafile import Reader, read_yaml

MAX_GAP = 3

DATA = Path(__file__).with_name("taxonomy.yaml")

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_CLASS_REF = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Family:
    """A group of related failure modes: the level recurrence groups critiques by."""

    id: str
    label: str
    description: str


@dataclass(frozen=True, slots=True)
class Mode:
    """One failure mode of the vocabulary."""

    id: str
    label: str
    description: str
    family: str
    aliases: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()


def load(
    path: Path = DATA,
) -> tuple[dict[str, str], tuple[Family, ...], tuple[Mode, ...]]:
    """The word classes, families and modes of the vocabulary file at `path`, checked: ids
    tag-style and unique, every mode in a known family, every ``{class}`` it names defined."""
    r = Reader(path)
    top = r.mapping(read_yaml(path), "top level", required={"word_classes", "families", "modes"})
    classes_in = r.mapping(top["word_classes"], "word_classes")
    classes = {str(k): r.text(v, f"word_classes.{k}") for k, v in classes_in.items()}

    families: list[Family] = []
    for i, raw in enumerate(r.items(top["families"], "families")):
        where = f"families[{i}]"
        f = r.mapping(raw, where, required={"id", "label", "description"})
        families.append(
            Family(
                _id(r, f["id"], where), r.text(f["label"], where), r.text(f["description"], where)
            )
        )
    _unique(r, [f.id for f in families], "families")
    known = {f.id for f in families}

    modes: list[Mode] = []
    for i, raw in enumerate(r.items(top["modes"], "modes")):
        where = f"modes[{i}]"
        m = r.mapping(
            raw,
            where,
            required={"id", "label", "description", "family"},
            optional={"aliases", "cues"},
        )
        mode = Mode(
            _id(r, m["id"], f"{where}.id"),
            r.text(m["label"], f"{where}.label"),
            r.text(m["description"], f"{where}.description"),
            r.text(m["family"], f"{where}.family"),
            aliases=tuple(r.texts(m.get("aliases", []), f"{where}.aliases")),
            cues=tuple(r.texts(m.get("cues", []), f"{where}.cues")),
        )
        if mode.family not in known:
            raise r.fail(f"{where}.family", f"no family {mode.family!r}")
        for pattern in (*mode.aliases, *mode.cues):
            for name in _CLASS_REF.findall(pattern):
                if name not in classes:
                    raise r.fail(where, f"{pattern!r} names no word class {{{name}}}")
        modes.append(mode)
    _unique(r, [m.id for m in modes], "modes")
    return classes, tuple(families), tuple(modes)


def _id(r: Reader, value: object, where: str) -> str:
    text = r.text(value, where)
    if not _ID.fullmatch(text):
        raise r.fail(where, f"{text!r} is not a tag-style id (lower case, digits, hyphens)")
    return text


def _unique(r: Reader, ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise r.fail(where, f"id {i!r} is used twice")
        seen.add(i)


# Words that play one role in many phrasings ("fool the raters", "fool the monitor"); the
# families recurrence groups by; the modes. Loaded once, at import.
WORD_CLASSES: dict[str, str]
FAMILIES: tuple[Family, ...]
STARTER_MODES: tuple[Mode, ...]
WORD_CLASSES, FAMILIES, STARTER_MODES = load()
