"""Domain layer: the three-way merge of a plain text at character level (no Django).

A whole-text write made from an older text (`set text` or `set note` with `base`) is merged
into the text as it is now: `base` became the writer's `mine`, and meanwhile the server's text
became `theirs`. Both are diffed from `base` character by character and combined:

- a character of `base` stays unless either side deleted it;
- every character either side inserted is kept; where both inserted at one place, `mine`
  comes before `theirs`.

Why the writer's text first: it was typed right after the character of `base` before it (the
writer saw that character), while the other side's text at that place may have been put there
by an earlier merge of text typed further left. Yjs puts a keystroke right after the character
it was typed after, ahead of such text; so does this, and two people writing at one place at
once (the end of a note) each keep their words together instead of alternating write by write.

So edits in different places, even in the same word, all survive. A *true conflict* is both
sides replacing the same characters of `base` (two people rewriting one word differently):
then both rewrites stand, side by side, and the characters either removed are gone. Nothing
anyone typed is dropped, and the result is what Yjs gives two people typing there at once (a
node's text merges that way live): a person tidies it, instead of one person's words silently
disappearing.

This is the web client's `mergeText` (frontend/src/core/ytext.ts) line for line; the shared
vectors tests/vectors/merge_text.json hold both to the same results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# The longest-common-subsequence table of the part between the common prefix and suffix has
# (len(old) + 1) * (len(new) + 1) cells; past this (two 2,000-character texts, the text limit),
# whole lines are aligned first, and a run of changed lines still too long counts as one
# replaced run (the same caps as the client's). About 0.1 s at the cap.
MAX_DIFF_CELLS = 2001 * 2001


@dataclass
class _Run:
    same: bool
    old: list[str] = field(default_factory=list)
    now: list[str] = field(default_factory=list)


def _lcs_table(a: list[int], b: list[int]) -> np.ndarray:
    # table[i, j]: the length of a longest common subsequence of a[i:] and b[j:], row by row
    # from the end: table[i, j] = max(table[i, j + 1], table[i + 1, j], table[i + 1, j + 1] + 1
    # where a[i] == b[j]), the first term a running maximum from the right.
    table = np.zeros((len(a) + 1, len(b) + 1), dtype=np.int32)
    if not a or not b:
        return table
    codes = np.array(b, dtype=np.int64)
    for i in range(len(a) - 1, -1, -1):
        below = table[i + 1]
        step = np.maximum(below[:-1], np.where(codes == a[i], below[1:] + 1, 0))
        table[i, :-1] = np.maximum.accumulate(step[::-1])[::-1]
    return table


def _walk(a: list[int], b: list[int]) -> list[tuple[str, int]]:
    # One longest common subsequence as steps: ("=", i) a[i] kept, ("-", i) a[i] deleted,
    # ("+", j) b[j] inserted; b's insertions first where both orders are as long.
    table = _lcs_table(a, b)
    steps: list[tuple[str, int]] = []
    i = j = 0
    while i < len(a) or j < len(b):
        if i < len(a) and j < len(b) and a[i] == b[j]:
            steps.append(("=", i))
            i += 1
            j += 1
        elif j < len(b) and (i == len(a) or table[i, j + 1] >= table[i + 1, j]):
            steps.append(("+", j))
            j += 1
        else:
            steps.append(("-", i))
            i += 1
    return steps


def _lines(chars: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for c in chars:
        out[-1].append(c)
        if c == "\n":
            out.append([])
    return out if out[-1] else out[:-1]


Put = Callable[[bool, "str | None", "str | None"], None]


def _align(a: list[str], b: list[str], put: Put) -> None:
    """Emit how `b` came from `a` (no common prefix or suffix), character by character."""
    if (len(a) + 1) * (len(b) + 1) <= MAX_DIFF_CELLS:
        for kind, k in _walk([ord(c) for c in a], [ord(c) for c in b]):
            if kind == "+":
                put(False, None, b[k])
            else:
                put(kind == "=", a[k], None)
        return
    la, lb = _lines(a), _lines(b)
    ids: dict[str, int] = {}
    ka = [ids.setdefault("".join(line), len(ids)) for line in la]
    kb = [ids.setdefault("".join(line), len(ids)) for line in lb]
    steps = _walk(ka, kb) if (len(la) + 1) * (len(lb) + 1) <= MAX_DIFF_CELLS else []
    if any(kind == "=" for kind, _ in steps):
        # Too long to align character by character: align whole lines first, then the
        # characters of each run of changed lines (none of which is in the other run).
        gone: list[str] = []
        new: list[str] = []
        for kind, k in steps:
            if kind == "-":
                gone += la[k]
            elif kind == "+":
                new += lb[k]
            else:
                _align(gone, new, put)
                gone, new = [], []
                for c in la[k]:
                    put(True, c, None)
        _align(gone, new, put)
        return
    # Too long either way: one replaced run.
    for c in a:
        put(False, c, None)
    for c in b:
        put(False, None, c)


def _diff(old: list[str], now: list[str]) -> tuple[list[bool], list[str]]:
    """How `now` came from `old`: `gone[i]` says old[i] was deleted, `added[i]` is what was
    inserted before it (`added[len(old)]`: at the end).

    A longest common subsequence after the common prefix and suffix (characters, or lines first
    when the texts are too long for that), cleaned up as diff-match-patch's semantic cleanup
    does: a kept run no longer than the edits on both sides of it is a coincidence (a letter of
    a rewritten word) and counts as replaced too, so typing next to a rewritten word stays next
    to its rewrite.
    """
    pre = 0
    while pre < len(old) and pre < len(now) and old[pre] == now[pre]:
        pre += 1
    suf = 0
    while (
        suf < len(old) - pre
        and suf < len(now) - pre
        and old[len(old) - 1 - suf] == now[len(now) - 1 - suf]
    ):
        suf += 1
    runs = [_Run(True, old[:pre])]

    def put(same: bool, o: str | None, n: str | None) -> None:
        last = runs[-1]
        if last.same != same:
            last = _Run(same)
            runs.append(last)
        if o is not None:
            last.old.append(o)
        if n is not None and not same:
            last.now.append(n)

    _align(old[pre : len(old) - suf], now[pre : len(now) - suf], put)
    for c in old[len(old) - suf :]:
        put(True, c, None)
    k = 1
    while k < len(runs) - 1:
        r = runs[k]
        before, after = runs[k - 1], runs[k + 1]
        if (
            not r.same
            or len(r.old) > max(len(before.old), len(before.now))
            or len(r.old) > max(len(after.old), len(after.now))
        ):
            k += 1
            continue
        # A coincidence: the edits around it and it become one edit.
        merged = _Run(False, before.old + r.old + after.old, before.now + r.old + after.now)
        runs[k - 1 : k + 2] = [merged]
        k = max(0, k - 3) + 1
    gone = [False] * len(old)
    added = [""] * (len(old) + 1)
    at = 0
    for r in runs:
        if not r.same:
            added[at] += "".join(r.now)
            for m in range(len(r.old)):
                gone[at + m] = True
        at += len(r.old)
    return gone, added


def merge_text(base: str, mine: str, theirs: str) -> str:
    """`mine`, edited from `base`, on a text that became `theirs` meanwhile (see the module
    docstring for the rule)."""
    if theirs == base or mine == theirs:
        return mine
    if mine == base:
        return theirs
    b = list(base)
    m_gone, m_added = _diff(b, list(mine))
    t_gone, t_added = _diff(b, list(theirs))
    out: list[str] = []
    for i in range(len(b) + 1):
        out.append(m_added[i])
        out.append(t_added[i])
        if i < len(b) and not t_gone[i] and not m_gone[i]:
            out.append(b[i])
    return "".join(out)
