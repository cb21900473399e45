"""Analysis quality set: three hand-drawn problem trees, game trees, and gold answers.

Game trees (``*game.json`` with ``*gold_failure_modes.json``): ``game.json`` is the original
set; ``dev_`` and ``dev2_`` were written later and used while building the failure-mode
vocabulary; ``heldout_`` was written after the vocabulary froze and is not used to change it.

Tiny local readers for the three formats (the formats package is developed separately), and
the measurements that ``bench/quality_merge.py`` prints and the quality test asserts.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from trees.analysis.merge import merge
from trees.analysis.recurrence import TreeInput, recurring
from trees.analysis.vocabulary.modes import Vocabulary

HERE = Path(__file__).resolve().parent


def _node(nid: str, parent: str | None, text: str, author: int) -> dict[str, Any]:
    return {
        "id": nid,
        "type": "problem",
        "parent": parent,
        "parents": [],
        "key": "a0",
        "text": text,
        "note": "",
        "tags": [],
        "author": author,
        "deleted": False,
        "meta": {},
    }


def read_markdown(path: Path, prefix: str, author: int) -> list[dict[str, Any]]:
    """Indented "- " bullets (two spaces per level); headings and blank lines are skipped."""
    nodes: list[dict[str, Any]] = []
    stack: list[tuple[int, str]] = []
    for line in path.read_text().splitlines():
        stripped = line.lstrip()
        if not stripped.startswith("- "):
            continue
        depth = (len(line) - len(stripped)) // 2
        while stack and stack[-1][0] >= depth:
            stack.pop()
        nid = f"{prefix}-{len(nodes) + 1:02d}"
        nodes.append(_node(nid, stack[-1][1] if stack else None, stripped[2:].strip(), author))
        stack.append((depth, nid))
    return nodes


def read_opml(path: Path, prefix: str, author: int) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    body = ElementTree.parse(path).getroot().find("body")

    def walk(el: Any, parent: str | None) -> None:
        for child in el.findall("outline"):
            nid = f"{prefix}-{len(nodes) + 1:02d}"
            nodes.append(_node(nid, parent, child.get("text", ""), author))
            walk(child, nid)

    walk(body, None)
    return nodes


def read_json(path: Path) -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads(path.read_text())
    nodes: list[dict[str, Any]] = data["nodes"]
    return nodes


def problem_trees() -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        ("ana", read_markdown(HERE / "ana.md", "ana", 1)),
        ("ben", read_opml(HERE / "ben.opml", "ben", 2)),
        ("chen", read_json(HERE / "chen.json")),
    ]


def gold_pairs(trees: list[tuple[str, list[dict[str, Any]]]]) -> set[frozenset[tuple[str, str]]]:
    by_label = {(t, n["text"]): (t, n["id"]) for t, nodes in trees for n in nodes}
    gold = json.loads((HERE / "gold_merge.json").read_text())
    pairs: set[frozenset[tuple[str, str]]] = set()
    for cluster in gold["clusters"]:
        refs = [by_label[(t, label)] for t, label in cluster.items()]  # KeyError = typo in gold
        pairs.update(frozenset(p) for p in itertools.combinations(refs, 2))
    return pairs


def merge_quality(**merge_kw: Any) -> dict[str, Any]:
    """Precision / recall of automatic merges, and recall of auto + top-3 suggestions.

    Root pairs (matched by definition) are left out of every count.
    """
    trees = problem_trees()
    gold = gold_pairs(trees)
    roots = {(t, n["id"]) for t, nodes in trees for n in nodes if n["parent"] is None}
    gold = {p for p in gold if not p <= roots}
    merge_kw.setdefault("embedder", "auto")  # as the app merges: with the shipped model
    result = merge(trees, **merge_kw)
    cluster: dict[tuple[str, str], int] = {}
    auto: set[frozenset[tuple[str, str]]] = set()
    for k, n in enumerate(result["nodes"]):
        refs = [(s["tree"], s["node"]) for s in n["meta"]["sources"]]
        for r in refs:
            cluster[r] = k
        auto.update(frozenset(p) for p in itertools.combinations(refs, 2) if not set(p) <= roots)
    linked: set[frozenset[int]] = set()
    top1_ok = 0
    for s in result["suggestions"]:
        a = cluster[(s["a"]["tree"], s["a"]["node"])]
        for c in s["candidates"]:
            linked.add(frozenset((a, cluster[(c["tree"], c["node"])])))
        if frozenset(((s["a"]["tree"], s["a"]["node"]), (s["b"]["tree"], s["b"]["node"]))) in gold:
            top1_ok += 1
    found = {
        p
        for p in gold
        if len({cluster[r] for r in p}) == 1 or frozenset(cluster[r] for r in p) in linked
    }
    correct_auto = auto & gold
    return {
        "gold_pairs": len(gold),
        "auto_pairs": len(auto),
        "auto_precision": len(correct_auto) / len(auto) if auto else 1.0,
        "auto_recall": len(correct_auto) / len(gold),
        "suggestions": len(result["suggestions"]),
        "suggestion_top1_precision": (
            top1_ok / len(result["suggestions"]) if result["suggestions"] else 1.0
        ),
        "recall_auto_plus_top3": len(found) / len(gold),
        "wrong_auto": sorted(tuple(sorted(p)) for p in auto - gold),
        "missed": sorted(tuple(sorted(p)) for p in gold - found),
    }


GAME_SETS = {"main": "", "dev": "dev_", "dev2": "dev2_", "heldout": "heldout_"}


def failure_mode_quality(
    top: int | None = None,
    *,
    game_set: str = "main",
    vocabulary: bool = True,
    semantic: bool = True,
) -> dict[str, Any]:
    """Rank (1-based) of each gold failure mode among the ``recurring`` items.

    An item stands for gold mode M when at least half of its members and at least two of
    them are critiques of mode M. ``vocabulary=False`` measures without the failure-mode
    vocabulary; ``semantic=False`` without the shipped sentence-embedding model (also off with
    ``GAMETREE_SEMANTIC=0``): both off, word similarity and people's tags only. Also reports
    how well untagged critiques are clustered: precision = clustered critiques whose cluster
    has at least half of its members in their gold mode / clustered critiques; recall = the
    same count / untagged critiques whose gold mode has at least two critiques.
    """
    prefix = GAME_SETS[game_set]
    data = json.loads((HERE / f"{prefix}game.json").read_text())
    gold = json.loads((HERE / f"{prefix}gold_failure_modes.json").read_text())
    kw: dict[str, Any] = {} if vocabulary else {"vocabulary": Vocabulary(())}
    items = recurring(
        [TreeInput("game", data["nodes"], kind="game")], top, semantic=semantic, **kw
    )["items"]
    ranks: dict[str, int | None] = {}
    for mode, members in gold["modes"].items():
        ms = set(members)
        ranks[mode] = next(
            (
                k
                for k, item in enumerate(items, start=1)
                if len(hit := {m["node"] for m in item["members"]} & ms) >= 2
                and len(hit) * 2 >= len(item["members"])
            ),
            None,
        )
    # clustering of untagged critiques: a critique is grouped right when its cluster has at
    # least two members and at least half of them share its gold mode
    mode_of = {n: m for m, ns in gold["modes"].items() for n in ns}
    untagged = {n["id"] for n in data["nodes"] if n["type"] == "critique" and not n["tags"]}
    groupable = {n for n in untagged if len(gold["modes"][mode_of[n]]) >= 2}
    grouped = right = 0
    for it in items:
        if it["kind"] != "cluster":
            continue
        modes = [mode_of.get(m["node"]) for m in it["members"]]
        for m in it["members"]:
            grouped += 1
            right += 2 * modes.count(mode_of[m["node"]]) >= len(modes)
    return {
        "top_modes": gold["top"],
        "ranks": ranks,
        "top_rank": min((ranks[m] or 10**9) for m in gold["top"]),
        "items": [(it["label"], it["score"], len(it["members"])) for it in items],
        "cluster_precision": right / grouped if grouped else 1.0,
        "cluster_recall": right / len(groupable) if groupable else 1.0,
        "grouped": grouped,
    }


def tag_agreement() -> dict[str, Any]:
    """How the vocabulary reads the tagged critiques of the demo game tree (written by the
    team before the vocabulary, tagged by its authors), ignoring their tags.

    Counts the critiques whose tag names a vocabulary mode (``tagged``), those the vocabulary
    reads as some mode (``read``) and those it reads into the family of their tag (``right``).
    """
    from trees.analysis.vocabulary.modes import starter_vocabulary
    from trees.demo_content import GAME_TREE

    vocab = starter_vocabulary()
    rows: list[tuple[str, list[str]]] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for n in nodes:
            if n["type"] == "critique":
                rows.append((n["text"], n["tags"]))
            walk(n.get("children") or [])

    walk(GAME_TREE["nodes"])
    tagged = read = right = 0
    for text, tags in rows:
        families = {m.family for t in tags if (m := vocab.mode_of_tag(t)) is not None}
        if not families:
            continue
        tagged += 1
        found = vocab.best(text)
        if found is not None:
            read += 1
            right += found.mode.family in families
    return {
        "tagged": tagged,
        "read": read,
        "right": right,
        "precision": right / read if read else 1.0,
        "recall": right / tagged if tagged else 1.0,
    }


# ---- the independent evaluation sets (sets/dev, sets/eval; formats in sets/README.md) -------

SETS = HERE / "sets"


def set_dirs(split: str, kind: str) -> list[Path]:
    """The sets of one split ("dev" or "eval") and kind ("pt" problem trees, "gt" game
    trees), in name order."""

    def number(p: Path) -> tuple[str, int]:  # pt_dev2 before pt_dev10
        tail = p.name[len(p.name.rstrip("0123456789")) :]
        return (p.name.rstrip("0123456789"), int(tail) if tail else -1)

    return sorted((p for p in (SETS / split).glob(f"{kind}_*") if p.is_dir()), key=number)


def problem_set(path: Path) -> tuple[list[tuple[str, list[dict[str, Any]]]], dict[str, Any]]:
    """The authors' trees of a problem-tree set (one per Markdown file, named by author) and
    its gold mapping."""
    trees = [
        (md.stem, read_markdown(md, md.stem, k))
        for k, md in enumerate(sorted(path.glob("*.md")), start=1)
    ]
    gold: dict[str, Any] = json.loads((path / "gold.json").read_text())
    return trees, gold


def merge_set_quality(path: Path, **merge_kw: Any) -> dict[str, Any]:
    """Merge quality on one problem-tree set: precision of automatic merges, recall of
    automatic + top-3 suggestions, mirror suggestions, and which of the gold hierarchy
    disagreements merge reports.

    A gold disagreement is reported when one disagreement of the result names an edge from
    a node holding the parent concept's label to one holding the child's, and an edge the
    other way round.
    """
    trees, gold = problem_set(path)
    ref_of = {(t, n["text"]): (t, n["id"]) for t, nodes in trees for n in nodes}
    roots = {(t, n["id"]) for t, nodes in trees for n in nodes if n["parent"] is None}
    pairs: set[frozenset[tuple[str, str]]] = set()
    concept_refs: dict[str, set[tuple[str, str]]] = {}
    for c in gold["concepts"]:
        refs = [ref_of[(author, label)] for author, label in c["members"].items()]
        concept_refs[c["id"]] = set(refs)
        pairs.update(frozenset(p) for p in itertools.combinations(refs, 2))
    merge_kw.setdefault("embedder", "auto")
    result = merge(trees, **merge_kw)
    q = _pair_quality(result, pairs, roots)
    sources = {
        n["id"]: {(s["tree"], s["node"]) for s in n["meta"]["sources"]} for n in result["nodes"]
    }
    reported = []
    for d in gold["hierarchy_disagreements"]:
        parent, child = concept_refs[d["parent_concept"]], concept_refs[d["child_concept"]]

        def edge(e: dict[str, Any], up: set[tuple[str, str]], down: set[tuple[str, str]]) -> bool:
            return bool(sources[e["parent"]["node"]] & up and sources[e["child"]["node"]] & down)

        reported.append(
            any(
                any(edge(e, parent, child) for e in found["cycle"])
                and any(edge(e, child, parent) for e in found["cycle"])
                for found in result["disagreements"]
            )
        )
    q["disagreements_gold"] = len(reported)
    q["disagreements_reported"] = sum(reported)
    q["disagreements_total"] = len(result["disagreements"])
    return q


def _pair_quality(
    result: dict[str, Any],
    gold: set[frozenset[tuple[Any, Any]]],
    roots: set[tuple[Any, Any]],
) -> dict[str, Any]:
    """Precision / recall of a merge result against gold pairs (root pairs left out)."""
    gold = {p for p in gold if not p <= roots}
    cluster: dict[tuple[Any, Any], int] = {}
    auto: set[frozenset[tuple[Any, Any]]] = set()
    for k, n in enumerate(result["nodes"]):
        refs = [(s["tree"], s["node"]) for s in n["meta"]["sources"]]
        for r in refs:
            cluster[r] = k
        auto.update(frozenset(p) for p in itertools.combinations(refs, 2) if not set(p) <= roots)
    linked: set[frozenset[int]] = set()
    heads: list[frozenset[tuple[Any, Any]]] = []
    top1_ok = 0
    for s in result["suggestions"]:
        a = cluster[(s["a"]["tree"], s["a"]["node"])]
        for c in s["candidates"]:
            linked.add(frozenset((a, cluster[(c["tree"], c["node"])])))
        head = frozenset(((s["a"]["tree"], s["a"]["node"]), (s["b"]["tree"], s["b"]["node"])))
        heads.append(head)
        top1_ok += head in gold
    found = {
        p
        for p in gold
        if len({cluster[r] for r in p}) == 1 or frozenset(cluster[r] for r in p) in linked
    }
    correct_auto = auto & gold
    return {
        "gold_pairs": len(gold),
        "auto_pairs": len(auto),
        "auto_precision": len(correct_auto) / len(auto) if auto else 1.0,
        "auto_recall": len(correct_auto) / len(gold) if gold else 1.0,
        "suggestions": len(result["suggestions"]),
        "mirror_suggestions": len(heads) - len(set(heads)),
        "suggestion_top1_precision": top1_ok / len(heads) if heads else 1.0,
        "recall_auto_plus_top3": len(found) / len(gold) if gold else 1.0,
        "wrong_auto": sorted(tuple(sorted(p)) for p in auto - gold),
        "missed": sorted(tuple(sorted(p)) for p in gold - found),
    }


def game_set(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The node dicts of a game-tree set (nested JSON; ids by position, one author: the
    sets name none) and its gold failure modes."""
    nodes: list[dict[str, Any]] = []

    def walk(items: list[dict[str, Any]], parent: str | None) -> None:
        for it in items:
            nid = f"g{len(nodes) + 1:03d}"
            node = _node(nid, parent, it["text"], 1)
            node["type"] = it["type"]
            nodes.append(node)
            walk(it.get("children") or [], nid)

    walk(json.loads((path / "game.json").read_text()), None)
    gold: dict[str, Any] = json.loads((path / "gold.json").read_text())
    return nodes, gold


def failure_set_quality(
    path: Path, *, vocabulary: bool = True, semantic: bool = True
) -> dict[str, Any]:
    """Rank (1-based) of the gold top failure mode among ``recurring``'s items, and whether
    it is one item: an item stands for a mode when at least two and at least half of its
    members are that mode's critiques; ``top_items`` counts the items that stand for the
    top mode, ``top_share`` the share of its critiques in the first of them.
    ``vocabulary=False`` / ``semantic=False``: without the vocabulary / the model."""
    nodes, gold = game_set(path)
    id_of: dict[str, str] = {}
    for n in nodes:
        if n["type"] == "critique":
            id_of.setdefault(n["text"], n["id"])
    modes = {m["id"]: {id_of[t] for t in m["critiques"]} for m in gold["failure_modes"]}
    kw: dict[str, Any] = {} if vocabulary else {"vocabulary": Vocabulary(())}
    items = recurring([TreeInput("game", nodes, kind="game")], semantic=semantic, **kw)["items"]

    def stands_for(item: dict[str, Any], ms: set[str]) -> bool:
        hit = {m["node"] for m in item["members"]} & ms
        return len(hit) >= 2 and len(hit) * 2 >= len(item["members"])

    ranks = {
        mode: next((k for k, it in enumerate(items, start=1) if stands_for(it, ms)), None)
        for mode, ms in modes.items()
    }
    top = modes[gold["top"]]
    top_hits = [it for it in items if stands_for(it, top)]
    first = top_hits[0] if top_hits else None
    return {
        "top": gold["top"],
        "top_name": next(m["name"] for m in gold["failure_modes"] if m["id"] == gold["top"]),
        "top_rank": ranks[gold["top"]],
        "top_items": len(top_hits),
        "top_share": (
            len({m["node"] for m in first["members"]} & top) / len(top) if first else 0.0
        ),
        "ranks": ranks,
        "items": [(it["label"], it["score"], len(it["members"])) for it in items],
    }
