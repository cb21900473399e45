#!/usr/bin/env python3
"""Validate every set in this folder (stdlib only).

A subfolder holding game.json is a game-tree set; any other subfolder holding
gold.json is a problem-tree set. Usage: python3 check.py [folder]
Exit status 0 when every rule holds.
"""
import json, os, sys

ERRORS = []


# Where a blind reviewer's correction of the gold (never of the tree) left the runner-up mode
# past the brief's 4 proposals, and the set was kept: set name -> the runner-up's reach. The
# top mode must still reach strictly the most (checked above). See eval/README.md.
RUNNER_UP_AFTER_REVIEW = {"gt_eval24": 5}


def err(where, msg):
    ERRORS.append(f"{where}: {msg}")


# ---------------------------------------------------------------- problem trees
def parse_tree(path, where):
    """Return list of (depth, label, parent_label) or None on fatal error."""
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    nodes, stack = [], []
    for i, line in enumerate(lines, 1):
        w = f"{where} line {i}"
        if line.strip() == "":
            err(w, "blank line")
            continue
        if "\t" in line:
            err(w, "tab character")
        indent = len(line) - len(line.lstrip(" "))
        rest = line[indent:]
        if not rest.startswith("- "):
            err(w, "line does not start with '- ' after its indent")
            continue
        if indent % 2:
            err(w, "indent is not a multiple of 2")
            continue
        depth = indent // 2
        label = rest[2:]
        if label != label.strip() or not label:
            err(w, "empty label or stray whitespace")
        if i == 1:
            if depth != 0 or label != "Alignment":
                err(w, "first line must be '- Alignment' at depth 0")
        elif depth == 0:
            err(w, "second node at depth 0; everything must sit under the root")
            continue
        if depth > len(stack):
            err(w, f"indent jumps more than one level (depth {depth} after {len(stack) - 1})")
            continue
        stack = stack[:depth]
        parent = stack[-1] if stack else None
        stack.append(label)
        nodes.append((depth, label, parent))
    return nodes


def check_problem_set(d, name):
    gpath = os.path.join(d, "gold.json")
    try:
        gold = json.load(open(gpath, encoding="utf-8"))
    except Exception as e:
        err(name, f"gold.json does not parse: {e}")
        return
    authors = sorted(f[:-3] for f in os.listdir(d) if f.endswith(".md"))
    if not 3 <= len(authors) <= 4:
        err(name, f"{len(authors)} authors, need 3 or 4")
    trees, parent_of, count = {}, {}, {}
    for a in authors:
        nodes = parse_tree(os.path.join(d, a + ".md"), f"{name}/{a}.md")
        n = len(nodes)
        if not 18 <= n <= 25:
            err(f"{name}/{a}.md", f"{n} nodes (root included), need 18-25")
        labels = [l for _, l, _ in nodes]
        count[a] = {l: labels.count(l) for l in labels}
        for l, c in count[a].items():
            if c > 1:
                err(f"{name}/{a}.md", f"label repeated {c} times: {l!r}")
        parent_of[a] = {l: p for _, l, p in nodes}
        trees[a] = nodes
    if set(gold) != {"concepts", "hierarchy_disagreements"}:
        err(name, f"gold.json keys {sorted(gold)} != concepts, hierarchy_disagreements")
    concepts = gold.get("concepts", [])
    if not 18 <= len(concepts) <= 24:
        err(name, f"{len(concepts)} shared concepts, need 18-24")
    ids, used = set(), {}
    label_of = {}  # (concept, author) -> label
    for c in concepts:
        cid = c.get("id")
        if not isinstance(cid, str) or not isinstance(c.get("name"), str):
            err(name, f"concept without str id/name: {c}")
        if cid in ids:
            err(name, f"duplicate concept id {cid}")
        ids.add(cid)
        mem = c.get("members", {})
        if len(mem) < 2:
            err(name, f"concept {cid} has {len(mem)} authors, need >= 2")
        for a, lab in mem.items():
            if a not in trees:
                err(name, f"concept {cid}: unknown author {a}")
                continue
            k = count[a].get(lab, 0)
            if k != 1:
                err(name, f"concept {cid}: label occurs {k} times in {a}.md: {lab!r}")
            if lab == "Alignment":
                err(name, f"concept {cid}: uses the root")
            if (a, lab) in used:
                err(name, f"label {lab!r} of {a} in two concepts: {used[(a, lab)]} and {cid}")
            used[(a, lab)] = cid
            label_of[(cid, a)] = lab
    hds = gold.get("hierarchy_disagreements", [])
    if not 1 <= len(hds) <= 3:
        err(name, f"{len(hds)} hierarchy disagreements, need 1-3")
    listed = set()
    for h in hds:
        p, ch = h.get("parent_concept"), h.get("child_concept")
        apc, arv = h.get("authors_parent_child", []), h.get("authors_reversed", [])
        w = f"{name} disagreement {p}->{ch}"
        if p not in ids or ch not in ids or p == ch:
            err(w, "unknown or identical concept ids")
            continue
        listed.add(frozenset((p, ch)))
        if not apc or not arv:
            err(w, "both author lists must be non-empty")
        if set(apc) & set(arv):
            err(w, "an author is on both sides")
        for a, (up, down) in [(a, (p, ch)) for a in apc] + [(a, (ch, p)) for a in arv]:
            lu, ld = label_of.get((up, a)), label_of.get((down, a))
            if lu is None or ld is None:
                err(w, f"{a} lacks a label for {up} or {down}")
            elif parent_of[a].get(ld) != lu:
                err(w, f"in {a}.md {ld!r} is not directly under {lu!r}")
    # completeness: any direct parent/child reversal between authors must be listed
    edges = {}
    for (cid, a), lab in label_of.items():
        par = parent_of[a].get(lab)
        pc = used.get((a, par))
        if pc:
            edges.setdefault((pc, cid), set()).add(a)
    for (pc, cid) in edges:
        if pc < cid and (cid, pc) in edges and frozenset((pc, cid)) not in listed:
            err(name, f"unlisted hierarchy reversal between {pc} and {cid}")
    near = len([1 for a in trees for _, l, _ in trees[a][1:] if (a, l) not in used])
    if near == 0:
        err(name, "no label is unique to its author")


# ---------------------------------------------------------------- game trees
def check_game_set(d, name):
    try:
        game = json.load(open(os.path.join(d, "game.json"), encoding="utf-8"))
        gold = json.load(open(os.path.join(d, "gold.json"), encoding="utf-8"))
    except Exception as e:
        err(name, f"JSON does not parse: {e}")
        return
    if not isinstance(game, list):
        err(name, "game.json is not a list")
        return
    if not 10 <= len(game) <= 14:
        err(name, f"{len(game)} proposals, need 10-14")
    texts, crit_props = [], {}
    allowed = {None: "proposal", "proposal": "critique", "critique": "patch", "patch": "critique"}

    def walk(node, parent_type, prop_idx):
        if not isinstance(node, dict) or set(node) != {"type", "text", "children"}:
            err(name, f"node must have exactly type, text, children: {str(node)[:80]}")
            return
        t = node["type"]
        if parent_type is None and t != "proposal":
            err(name, f"top-level node is {t}, not proposal")
        elif parent_type is not None and t != allowed[parent_type]:
            err(name, f"{t} under {parent_type}: {node['text'][:60]!r}")
        if not isinstance(node["text"], str) or not node["text"].strip():
            err(name, "empty text")
        texts.append(node["text"])
        if t == "critique":
            crit_props.setdefault(node["text"], set()).add(prop_idx)
        if not isinstance(node["children"], list):
            err(name, "children is not a list")
            return
        for c in node["children"]:
            walk(c, t, prop_idx)

    for i, p in enumerate(game):
        walk(p, None, i)
    if not 40 <= len(texts) <= 60:
        err(name, f"{len(texts)} nodes, need 40-60")
    if len(set(texts)) != len(texts):
        err(name, "texts are not unique")
    modes = gold.get("failure_modes", [])
    if not 4 <= len(modes) <= 7:
        err(name, f"{len(modes)} failure modes, need 4-7")
    seen, reach = {}, {}
    for m in modes:
        mid = m.get("id")
        if mid in reach:
            err(name, f"duplicate mode id {mid}")
        cr = m.get("critiques", [])
        if len(cr) < 2:
            err(name, f"mode {mid} has {len(cr)} critiques, need >= 2")
        props = set()
        for c in cr:
            if c not in crit_props:
                err(name, f"mode {mid}: not a critique text: {c[:60]!r}")
                continue
            if c in seen:
                err(name, f"critique in two modes ({seen[c]}, {mid}): {c[:60]!r}")
            seen[c] = mid
            props |= crit_props[c]
        reach[mid] = len(props)
    if not any(c not in seen for c in crit_props):
        err(name, "no one-off critique outside every mode")
    top = gold.get("top")
    if top not in reach:
        err(name, f"top {top!r} is not a mode id")
    else:
        others = [v for k, v in reach.items() if k != top]
        if reach[top] < 6:
            err(name, f"top mode reaches {reach[top]} proposals, need >= 6")
        if others and max(others) >= reach[top]:
            err(name, "top mode does not strictly reach the most proposals")
        if others and max(others) > 4 and RUNNER_UP_AFTER_REVIEW.get(name) != max(others):
            err(name, f"runner-up mode reaches {max(others)} proposals, max 4")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    sets = 0
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        if not os.path.isdir(d):
            continue
        if os.path.exists(os.path.join(d, "game.json")):
            check_game_set(d, name); sets += 1
        elif os.path.exists(os.path.join(d, "gold.json")):
            check_problem_set(d, name); sets += 1
    if sets == 0:
        err(root, "no sets found")
    for e in ERRORS:
        print("FAIL", e)
    print(f"{sets} set(s) checked, {len(ERRORS)} error(s)")
    return 1 if ERRORS else 0


if __name__ == "__main__":
    sys.exit(main())
