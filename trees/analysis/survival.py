"""Analysis layer: does a proposal survive? Grounded labelling of a game tree.

A critique attacks its parent (a proposal or a patch); a patch attacks the critique it
answers. Extra parents (cross-links) are attacked too, which may create cycles. We compute
Dung's grounded labelling (IN / OUT / UNDEC, Modgil & Caminada 2009) with the linear-time
counting algorithm: a node is IN once every attacker is OUT, OUT once one attacker is IN, and
whatever is left is UNDEC ("contested"). On a tree this is exactly the AND/OR evaluation
"a proposal survives iff every critique is answered by a surviving patch".

Everything works on integer indices and plain lists because survival must label 100,000
nodes well under a second; building a networkx graph alone would cost half of that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trees.analysis.batch import batch
from trees.analysis.graph import live_nodes, parents_of

UNDEC = 0
IN = 1
OUT = 2

ATTACKING_TYPES = frozenset({"critique", "patch"})
STATUS_NAMES = {IN: "survives", OUT: "broken", UNDEC: "contested"}
# The reason an unattacked node survives, by type; the web client's copy of these and of
# STATUS_NAMES is generated from here (tools/gen_client_constants.py).
UNATTACKED_REASONS = {
    "proposal": "no critiques",
    "critique": "unanswered critique",
    "patch": "no critiques of this patch",
}
NOT_ATTACKED_REASON = "not attacked"


@dataclass(frozen=True, slots=True)
class Status:
    """Survival status of one node with a one-line, human-readable reason.

    ``by`` holds the ids of the nodes that decided it (the surviving attackers of a broken
    node, the undecided attackers of a contested one).
    """

    status: str
    reason: str
    by: tuple[Any, ...] = ()


def short(text: object, limit: int = 80) -> str:
    """First line of a node text, cut to ``limit`` characters for a one-line reason."""
    line = str(text or "").strip().splitlines()[0] if str(text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


class AttackFramework:
    """A game tree as an attack graph over integer indices.

    ``attacks[i]`` are the indices node ``i`` attacks (its parents, if it is a critique or a
    patch); ``attackers[i]`` the reverse. ``labels`` is the grounded labelling.
    """

    def __init__(self, nodes: Iterable[Mapping[str, Any]]) -> None:
        live = live_nodes(nodes)
        self.nodes: list[Mapping[str, Any]] = live
        self.ids: list[Any] = [n["id"] for n in live]
        self.index: dict[Any, int] = {v: i for i, v in enumerate(self.ids)}
        self.types: list[str] = [str(n.get("type") or "") for n in live]
        index = self.index
        attacks: list[tuple[int, ...]] = []
        attackers: list[list[int]] = [[] for _ in live]
        empty: tuple[int, ...] = ()
        for i, n in enumerate(live):
            if self.types[i] not in ATTACKING_TYPES:
                attacks.append(empty)
                continue
            # fast path: one primary parent and no cross-links (almost every node)
            extra = n.get("parents")
            if not extra:
                t = index.get(n.get("parent"), -1)
                if t < 0:
                    attacks.append(empty)
                    continue
                attackers[t].append(i)
                attacks.append((t,))
                continue
            ts = tuple(index[p] for p in parents_of(n) if p in index)
            for t in ts:
                attackers[t].append(i)
            attacks.append(ts)
        self.attacks = attacks
        self.attackers = attackers
        self.labels = grounded_labels(attacks, [len(a) for a in attackers])

    def counterfactual(self, answered: Iterable[int]) -> dict[int, int]:
        """Labels that change if every node in ``answered`` were OUT (answered by a patch).

        Grounded semantics is directional: a node's label depends only on the nodes that can
        reach it along attacks. So only the forward closure of ``answered`` is relabelled,
        with every label outside it fixed; the cost is the size of that closure, not of the
        tree. Returns ``{index: new label}`` for the closure.
        """
        forced = set(answered)
        attacks, attackers, base = self.attacks, self.attackers, self.labels
        closure = set(forced)
        stack = list(forced)
        while stack:
            for t in attacks[stack.pop()]:
                if t not in closure:
                    closure.add(t)
                    stack.append(t)
        lab: dict[int, int] = {}
        for v in closure:
            if v in forced or any(a not in closure and base[a] == IN for a in attackers[v]):
                lab[v] = OUT
        count: dict[int, int] = {}
        ready: list[int] = []
        for v in closure:
            if v in lab:
                continue
            c = 0
            for a in attackers[v]:
                if a in closure:
                    if lab.get(a) != OUT:
                        c += 1
                elif base[a] == UNDEC:
                    c += 1  # an undecided outside attacker never becomes OUT here
            count[v] = c
            if c == 0:
                ready.append(v)
        for v in ready:
            lab[v] = IN
        _propagate(ready, attacks, lab, count)
        for v in closure:
            lab.setdefault(v, UNDEC)
        return lab


def _propagate(
    ready: list[int],
    attacks: Sequence[Sequence[int]],
    lab: dict[int, int],
    count: dict[int, int],
) -> None:
    """Counting propagation over dict labels (used by the counterfactual re-run)."""
    stack = list(ready)
    while stack:
        a = stack.pop()
        for t in attacks[a]:
            if t in lab:
                continue
            lab[t] = OUT
            for u in attacks[t]:
                if u not in lab:
                    count[u] -= 1
                    if count[u] == 0:
                        lab[u] = IN
                        stack.append(u)


def grounded_labels(attacks: Sequence[Sequence[int]], n_attackers: Sequence[int]) -> bytearray:
    """Grounded labelling in O(V + E); ``n_attackers[i]`` = number of attackers of ``i``.

    Returns a bytearray of IN / OUT / UNDEC per index.
    """
    count = list(n_attackers)
    lab = bytearray(len(count))
    stack = [i for i, c in enumerate(count) if c == 0]
    for i in stack:
        lab[i] = IN
    while stack:
        a = stack.pop()
        for t in attacks[a]:
            if lab[t]:
                continue
            lab[t] = OUT
            for u in attacks[t]:
                if not lab[u]:
                    count[u] -= 1
                    if count[u] == 0:
                        lab[u] = IN
                        stack.append(u)
    return lab


def _reason(fw: AttackFramework, i: int) -> Status:
    label = fw.labels[i]
    kind = fw.types[i]
    atk = fw.attackers[i]
    nodes, labels, ids = fw.nodes, fw.labels, fw.ids
    if label == OUT:
        winners = [a for a in atk if labels[a] == IN]
        verb = "answered by" if kind == "critique" else "broken by"
        return Status(
            "broken", f"{verb}: {short(nodes[winners[0]].get('text'))}", _ids(ids, winners)
        )
    if label == UNDEC:
        open_ = [a for a in atk if labels[a] == UNDEC]
        text = short(nodes[open_[0]].get("text")) if open_ else ""
        return Status("contested", f"contested: circular attacks via: {text}", _ids(ids, open_))
    if not atk:
        return Status("survives", UNATTACKED_REASONS.get(kind, NOT_ATTACKED_REASON))
    if kind == "critique":
        if len(atk) == 1:
            return Status("survives", f"its patch is broken: {short(nodes[atk[0]].get('text'))}")
        return Status("survives", f"all {len(atk)} patches are broken")
    if len(atk) == 1:
        return Status("survives", f"its critique is answered: {short(nodes[atk[0]].get('text'))}")
    return Status("survives", f"all {len(atk)} critiques answered")


def _ids(ids: list[Any], idx: list[int]) -> tuple[Any, ...]:
    return tuple(ids[j] for j in idx)


_UNATTACKED = {kind: Status("survives", reason) for kind, reason in UNATTACKED_REASONS.items()}
_NOT_ATTACKED = Status("survives", NOT_ATTACKED_REASON)


@batch
def survival(nodes: Iterable[Mapping[str, Any]] | AttackFramework) -> dict[Any, Status]:
    """Survival status of every live node: ``{node id: Status}``.

    ``status`` is ``"survives"`` (grounded IN), ``"broken"`` (OUT) or ``"contested"`` (UNDEC,
    only possible with cross-links that form attack cycles).
    """
    fw = nodes if isinstance(nodes, AttackFramework) else AttackFramework(nodes)
    out: dict[Any, Status] = {}
    attackers, types, ids = fw.attackers, fw.types, fw.ids
    for i in range(len(ids)):
        # unattacked nodes (the leaves, about half of any tree) share one immutable Status
        out[ids[i]] = _reason(fw, i) if attackers[i] else _UNATTACKED.get(types[i], _NOT_ATTACKED)
    return out
