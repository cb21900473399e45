"""Quality benchmark of the analysis layer on the fixed quality set.

Run: .venv/bin/python bench/quality_merge.py
Measures this install: with the optional ``[semantic]`` extra installed (and
``GAMETREE_SEMANTIC`` not ``0``) merge and ``recurring`` use its sentence-embedding model, as
they would in the app; the first line says which.
Prints precision and recall of automatic merges and of suggestions on three hand-drawn
problem trees (Markdown, OPML, JSON), and for each quality game tree the rank of every gold
failure mode among the ``recurring`` items and how well untagged critiques are clustered,
with the failure-mode vocabulary and without it (word similarity and tags only).
Game trees: ``main`` (game.json, the target), ``dev`` and ``dev2`` (used while writing the
vocabulary), ``heldout`` (written after it froze; reported, not a target yet).
Targets: auto precision >= 0.95; auto + top-3 recall >= 0.8; gold top failure mode of the
main game tree first.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "analysis" / "quality"))

from quality_eval import (
    GAME_SETS,
    failure_mode_quality,
    merge_quality,
    problem_trees,
    tag_agreement,
)

from trees.analysis import semantic


def main() -> int:
    labels = {(t, n["id"]): n["text"] for t, nodes in problem_trees() for n in nodes}
    embedder = semantic.load_embedder()
    if embedder is not None:
        model = "loaded ([semantic] extra)"
    elif semantic.switched_off():
        model = "switched off (GAMETREE_SEMANTIC=0)"
    elif semantic.available():
        model = "installed but did not load (see the warning above)"
    else:
        model = "not installed (default install)"
    print(f"Sentence-embedding model: {model}")
    q = merge_quality(embedder=embedder)
    print("Merge of ana.md + ben.opml + chen.json (root pairs excluded)")
    print(f"  gold pairs                        {q['gold_pairs']}")
    print(f"  automatic merge pairs             {q['auto_pairs']}")
    print(f"  automatic precision               {q['auto_precision']:.3f}  (target >= 0.95)")
    print(f"  automatic recall                  {q['auto_recall']:.3f}")
    print(f"  suggestions (review queue)        {q['suggestions']}")
    print(f"  suggestion top-1 precision        {q['suggestion_top1_precision']:.3f}")
    print(f"  recall auto + top-3 suggestions   {q['recall_auto_plus_top3']:.3f}  (target >= 0.8)")
    for a, b in q["wrong_auto"]:
        print(f"  wrong auto: {labels[a]!r} = {labels[b]!r}")
    for a, b in q["missed"]:
        print(f"  missed:     {labels[a]!r} ~ {labels[b]!r}")
    main_top = None
    for game_set in GAME_SETS:
        f = failure_mode_quality(game_set=game_set)
        b = failure_mode_quality(game_set=game_set, vocabulary=False)
        main_top = f["top_rank"] if game_set == "main" else main_top
        print(
            f"Failure modes of the {game_set} game tree (rank among recurring items, "
            "with vocabulary / without; None = no item)"
        )
        for mode, rank in sorted(f["ranks"].items(), key=lambda t: (t[1] is None, t[1] or 0)):
            star = "  <- gold top" if mode in f["top_modes"] else ""
            print(f"  {mode:20} {rank!s:>4} / {b['ranks'][mode]!s:<4}{star}")
        for key in ("cluster_precision", "cluster_recall"):
            print(f"  {key:20} {f[key]:.2f} / {b[key]:.2f}")
        print(
            "  items:",
            "; ".join(f"{label[:40]} ({score}, {n})" for label, score, n in f["items"][:6]),
        )
    t = tag_agreement()
    print(
        "Demo game tree (trees/demo_content.py, tagged by its authors): of "
        f"{t['tagged']} critiques whose tag names a vocabulary mode the vocabulary reads "
        f"{t['read']}, {t['right']} into the family of their tag (precision "
        f"{t['precision']:.2f}, recall {t['recall']:.2f})"
    )
    ok = q["auto_precision"] >= 0.95 and q["recall_auto_plus_top3"] >= 0.8 and main_top == 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
