"""Quality benchmark of the analysis layer on the fixed quality set.

Run: .venv/bin/python bench/quality_merge.py
Prints precision and recall of automatic merges and of suggestions on three hand-drawn
problem trees (Markdown, OPML, JSON), and the rank of the gold top failure modes of the
quality game tree among the ``recurring`` items.
Targets: auto precision >= 0.95; auto + top-3 recall >= 0.8; gold top failure mode first.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "analysis" / "quality"))

from quality_eval import failure_mode_quality, merge_quality, problem_trees


def main() -> int:
    labels = {(t, n["id"]): n["text"] for t, nodes in problem_trees() for n in nodes}
    q = merge_quality()
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
    f = failure_mode_quality()
    print("Failure modes of game.json (rank among recurring items; None = no item)")
    for mode, rank in sorted(f["ranks"].items(), key=lambda t: (t[1] is None, t[1] or 0)):
        star = "  <- gold top" if mode in f["top_modes"] else ""
        print(f"  {mode:20} {rank}{star}")
    print(
        "  items:", "; ".join(f"{label[:40]} ({score}, {n})" for label, score, n in f["items"][:6])
    )
    ok = q["auto_precision"] >= 0.95 and q["recall_auto_plus_top3"] >= 0.8 and f["top_rank"] == 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
