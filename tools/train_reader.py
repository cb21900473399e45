"""Train the critique reader, trees/analysis/models/critique-reader.npz.

Run once, offline, with the project's own Python (numpy and the app's transformer; no torch)::

    .venv/bin/python tools/train_reader.py [--out PATH]

What it is: a linear classifier (multinomial logistic regression) from a critique's sentence
vector (the shipped transformer, :mod:`trees.analysis.text.contextual`) to the failure modes
of trees/analysis/taxonomy.yaml. It is how a critique is read "by example" when the
vocabulary's phrases say nothing or say little (trees/analysis/vocabulary/examples.py).

What it trains on: the critiques of tools/reader/critiques-*.jsonl (1,080, written for it by
two authors who saw only the list of mode ids and names: tools/reader/README.md) and the
critique rows of tools/finetune/corpus-*.jsonl (450); never a quality set
(tests/analysis/test_analysis_finetune_corpus.py checks that no text is shared).

How: full-batch gradient descent from zero weights (:data:`STEPS` steps, rate :data:`RATE`,
L2 penalty :data:`L2`), in float64, stored as float32: the same inputs give the same weights.
The choice of L2 and of the reading thresholds was made on the development game trees
(bench/RESULTS_analysis.md, round 17); trained on three of the four authors, it reads the
fourth's critiques into the right family 81% of the time (the vocabulary's phrases: 33%).
It prints the file's SHA-256, which goes into trees/analysis/vocabulary/examples.py
(READER_SHA256) and trees/analysis/models/LICENSE.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trees.analysis.taxonomy import STARTER_MODES as MODES  # noqa: E402
from trees.analysis.text import contextual  # noqa: E402

OUT = ROOT / "trees" / "analysis" / "models" / "critique-reader.npz"
CORPORA = sorted((ROOT / "tools" / "reader").glob("critiques-*.jsonl")) + sorted(
    (ROOT / "tools" / "finetune").glob("corpus-*.jsonl")
)
STEPS = 1500
RATE = 50.0
L2 = 1e-4


def examples() -> tuple[list[str], list[str]]:
    """Texts and mode ids of every critique row of the corpora."""
    known = {m.id for m in MODES}
    texts: list[str] = []
    ids: list[str] = []
    for path in CORPORA:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            if row["kind"] != "critique":
                continue
            if row["id"] not in known:
                sys.exit(f"{path.name}: unknown failure mode {row['id']!r}")
            texts.append(row["text"])
            ids.append(row["id"])
    return texts, ids


def train(x: np.ndarray, y: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases of a softmax regression, by full-batch gradient descent."""
    w = np.zeros((x.shape[1], classes))
    b = np.zeros(classes)
    rows = np.arange(len(y))
    for _ in range(STEPS):
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p[rows, y] -= 1.0  # gradient of the cross-entropy with respect to z
        w -= RATE * (x.T @ p / len(y) + L2 * w)
        b -= RATE * p.mean(axis=0)
    return w, b


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, default=OUT, help=f"where to write (default: {OUT})")
    args = ap.parse_args()
    texts, ids = examples()
    modes = [m.id for m in MODES]
    x = contextual.model().embed_uncached(texts).astype(np.float64)
    y = np.array([modes.index(i) for i in ids])
    w, b = train(x, y, len(modes))
    with args.out.open("wb") as f:
        np.savez(f, W=w.astype(np.float32), b=b.astype(np.float32), modes=np.array(modes))
    acc = float(np.mean((x @ w + b).argmax(axis=1) == y))
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"{len(texts)} critiques, {len(modes)} modes, training accuracy {acc:.3f}")
    print(f"wrote {args.out}\nsha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
