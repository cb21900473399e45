"""Analysis layer tests of the contextual sentence model (all-MiniLM-L6-v2 run in numpy,
trees/analysis/text/contextual.py) against the original.

``contextual_reference.npz`` holds, for 43 varied texts (labels, long sentences, questions,
typos, other scripts, symbols, control and format characters, one text past the 128-token
limit), the token ids of the model's own BERT tokenizer and the sentence vectors
sentence-transformers computed with torch (tools/reference_minilm.py, run once in a
throwaway venv). The weights are the shipped ones, loaded once per process.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from analysis_helpers import altered_copy

from trees.analysis.text import contextual, semantic
from trees.analysis.text.cache import TextCache

REFERENCE = Path(__file__).resolve().parent / "contextual_reference.npz"


@pytest.fixture(scope="module")
def reference() -> list[tuple[str, list[int], np.ndarray]]:
    with np.load(REFERENCE, allow_pickle=False) as r:
        texts = [str(t) for t in r["texts"]]
        ends = np.cumsum(r["lengths"])
        ids = np.split(r["ids"], ends[:-1])
        return [
            (t, [int(i) for i in seq], v)
            for t, seq, v in zip(texts, ids, r["vectors"], strict=True)
        ]


@pytest.fixture(scope="module")
def model() -> contextual.ContextualModel:
    return contextual.model()


def test_the_tokenizer_gives_the_ids_of_the_models_own_bert_tokenizer(
    model: contextual.ContextualModel, reference: list[tuple[str, list[int], np.ndarray]]
) -> None:
    for text, ids, _ in reference:
        assert model.ids(text) == ids, text


def test_embeddings_match_sentence_transformers_to_cosine_0_99(
    model: contextual.ContextualModel, reference: list[tuple[str, list[int], np.ndarray]]
) -> None:
    got = model([t for t, _, _ in reference])
    for (text, _, want), vector in zip(reference, got, strict=True):
        assert float(np.dot(vector, want)) >= 0.99, text


def test_a_text_past_128_tokens_is_cut_as_the_reference_was(
    model: contextual.ContextualModel, reference: list[tuple[str, list[int], np.ndarray]]
) -> None:
    longest = max(reference, key=lambda r: len(r[0]))
    assert len(model.tokenizer.encode(longest[0])) > contextual.MAX_TOKENS
    assert len(model.ids(longest[0])) == contextual.MAX_TOKENS


def test_vectors_are_unit_and_an_empty_text_gives_a_zero_vector(
    model: contextual.ContextualModel,
) -> None:
    vectors = model(["Scalable oversight", "", "  \t", "Scalable oversight"])
    assert vectors.shape == (4, contextual.DIMS)
    assert abs(float(np.dot(vectors[0], vectors[0])) - 1.0) < 1e-5
    assert not vectors[1].any() and not vectors[2].any()
    assert np.array_equal(vectors[0], vectors[3])


def test_a_text_gets_the_same_vector_alone_or_batched_with_longer_texts(
    model: contextual.ContextualModel,
) -> None:
    text = "Reward hacking, batched or alone 41d2"
    fresh = contextual.ContextualModel()  # same weights, empty cache
    alone = fresh([text])[0]
    batched = fresh.forward([fresh.ids(t) for t in ("a much longer text " * 8, text, "x")])[1]
    assert float(np.dot(alone, batched)) > 0.99999


@pytest.mark.parametrize(
    ("text", "paraphrase", "other"),
    [
        ("Race dynamics", "Competitive pressure", "Reward hacking"),
        ("Resisting shutdown", "Off-switch problem", "Interpretability is immature"),
        ("Sharp left turn", "Treacherous turn", "Jailbreaks"),
    ],
)
def test_a_paraphrase_is_closer_in_meaning_than_another_problem(
    model: contextual.ContextualModel, text: str, paraphrase: str, other: str
) -> None:
    a, b, c = model([text, paraphrase, other])
    assert float(np.dot(a, b)) > float(np.dot(a, c)) + 0.1


def test_word_order_changes_the_vector_as_it_never_does_in_the_static_model(
    model: contextual.ContextualModel,
) -> None:
    texts = ["Capable, not aligned", "Aligned, not capable"]
    static = semantic.StaticModel()(texts)
    assert float(np.dot(static[0], static[1])) > 0.9999  # the same bag of word pieces
    a, b = model(texts)
    assert float(np.dot(a, b)) < 0.98


def test_embeddings_are_kept_per_text_and_the_oldest_go_first(
    model: contextual.ContextualModel,
) -> None:
    fresh = contextual.ContextualModel()
    fresh.cache = TextCache(2, contextual.DIMS)
    fresh(["first 9a1", "second 9a1"])
    fresh(["first 9a1"])  # used again: now the most recent
    fresh(["third 9a1"])
    assert fresh.cache.texts() == ["first 9a1", "third 9a1"]
    kept = fresh(["first 9a1"])[0]
    # kept as first computed (beside "second 9a1"), not computed again
    assert np.array_equal(kept, fresh.embed_uncached(["first 9a1", "second 9a1"])[0])
    # The same text's vector, whatever it was computed with: equal up to the last bits (on
    # some CPUs BLAS rounds a row differently by matrix shape: docs/analysis.md, Determinism)
    assert np.allclose(kept, model(["first 9a1"])[0], rtol=0, atol=1e-6)


def test_threads_embedding_at_once_get_the_same_vectors(
    model: contextual.ContextualModel,
) -> None:
    texts = [f"concurrent label {i} about oversight" for i in range(12)]
    want = contextual.ContextualModel().forward([model.ids(t) for t in texts])
    fresh = contextual.ContextualModel()
    got: list[np.ndarray] = []

    def run() -> None:
        got.append(fresh(texts))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 3
    for vectors in got:
        assert np.allclose(vectors, want, atol=1e-6)


def test_the_model_is_loaded_once_per_process() -> None:
    assert contextual.model() is contextual.model()
    assert contextual.MODEL_FILE.is_file()
    assert "minilm-l6.npz" in (contextual.MODEL_DIR / "LICENSE").read_text()


def test_weights_with_another_sha256_are_refused_with_a_clear_error(tmp_path: Path) -> None:
    altered = altered_copy(contextual.MODEL_FILE, tmp_path, 5000)
    with pytest.raises(contextual.ModelError, match=r"SHA-256 [0-9a-f]{64}, expected"):
        contextual.ContextualModel(altered)


def test_a_missing_weights_file_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(contextual.ModelError, match="cannot be read"):
        contextual.ContextualModel(tmp_path / "missing.npz")


def test_an_analysis_of_few_texts_gets_the_transformer_and_a_large_one_the_static_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GAMETREE_SEMANTIC", raising=False)
    small = semantic.load_embedder(texts=60)
    assert small is contextual.model()
    assert semantic.model_name(small) == "contextual"
    large = semantic.load_embedder(texts=semantic.CONTEXTUAL_MAX_TEXTS + 1)
    assert large is semantic.model()
    assert semantic.model_name(large) == "static"
    # callers that do not say how many texts keep the model they were calibrated on
    assert semantic.load_embedder() is semantic.model()


@pytest.mark.parametrize(("setting", "want"), [("static", "static"), ("0", None)])
def test_the_setting_keeps_the_static_model_or_switches_both_off(
    monkeypatch: pytest.MonkeyPatch, setting: str, want: str | None
) -> None:
    monkeypatch.setenv("GAMETREE_SEMANTIC", setting)
    got = semantic.load_embedder(texts=10)
    assert (None if got is None else semantic.model_name(got)) == want


def load_export_tool() -> Any:
    path = Path(__file__).resolve().parents[2] / "tools" / "export_minilm.py"
    spec = importlib.util.spec_from_file_location("export_minilm", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def safetensors_bytes(tensors: dict[str, np.ndarray]) -> bytes:
    """A safetensors file: header length, JSON header, raw little-endian tensors."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    body = b""
    for name, t in tensors.items():
        raw = np.ascontiguousarray(t, dtype="<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(t.shape),
            "data_offsets": [len(body), len(body) + len(raw)],
        }
        body += raw
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + body


def test_the_export_tool_reads_safetensors_and_keeps_each_row_within_half_a_step() -> None:
    # a tiny BERT of the same layout (hidden 4, feed-forward 8, 5 tokens, 130 positions)
    tool = load_export_tool()
    rng = np.random.default_rng(3)
    shapes = {
        "embeddings.word_embeddings.weight": (5, 4),
        "embeddings.position_embeddings.weight": (130, 4),
        "embeddings.token_type_embeddings.weight": (2, 4),
        "embeddings.LayerNorm.weight": (4,),
        "embeddings.LayerNorm.bias": (4,),
    }
    for i in range(tool.LAYERS):
        p = f"encoder.layer.{i}."
        for part in ("query", "key", "value"):
            shapes[f"{p}attention.self.{part}.weight"] = (4, 4)
            shapes[f"{p}attention.self.{part}.bias"] = (4,)
        for name, shape in (
            ("attention.output.dense", (4, 4)),
            ("intermediate.dense", (8, 4)),
            ("output.dense", (4, 8)),
        ):
            shapes[f"{p}{name}.weight"] = shape
            shapes[f"{p}{name}.bias"] = (shape[0],)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[f"{p}{name}.weight"] = (4,)
            shapes[f"{p}{name}.bias"] = (4,)
    tensors = {k: rng.normal(size=s).astype(np.float32) for k, s in shapes.items()}
    read = tool.read_safetensors(safetensors_bytes(tensors))
    assert all(np.array_equal(read[k], tensors[k]) for k in tensors)
    out = tool.compact(read, ["[PAD]", "a", "b", "c", "d"])
    assert out["pos"].shape == (tool.MAX_POSITIONS, 4)
    assert str(out["vocab"].item()).split("\n")[1] == "a"
    qkv = np.concatenate(
        [tensors[f"encoder.layer.2.attention.self.{p}.weight"] for p in ("query", "key", "value")]
    )
    for got_q, got_s, want in (
        (out["l2.qkv.q"], out["l2.qkv.s"], qkv),
        (out["tok.q"], out["tok.s"], tensors["embeddings.word_embeddings.weight"]),
    ):
        assert got_q.dtype == np.int8
        error = np.abs(got_q.astype(np.float32) * got_s[:, None] - want)
        assert (error <= got_s[:, None] / 2 + 1e-7).all()


# Written for this test (in no training text and no quality set): a field's term and a plain
# way to say it. Ranked among the eight plain texts, the partners came at 1, 5, 1, 5, 2, 5, 3, 1
# with the original all-MiniLM-L6-v2 (23 in all) and at 1, 3, 1, 4, 1, 5, 2, 1 (18) with the
# fine-tuned weights (tools/finetune_minilm.py).
TERM_AND_PLAIN = [
    ("Sycophancy", "It just tells you whatever you want to hear"),
    (
        "Instrumental convergence",
        "Whatever it wants, more money and compute would help it get there",
    ),
    ("Reward hacking", "It finds a cheap trick that gets the points without doing the job"),
    ("Deceptive alignment", "Acts nice while we're watching, different once deployed"),
    ("Race dynamics between labs", "Nobody wants to slow down because the other company won't"),
    ("Corrigibility", "Will it let us correct it or switch it off?"),
    ("Mechanistic interpretability", "We can't see what's going on inside the network"),
    ("Goal misgeneralisation", "It learned a different goal that happened to work in training"),
]


def test_the_shipped_model_ranks_the_plain_words_for_a_term_nearer_than_the_original_did(
    model: contextual.ContextualModel,
) -> None:
    terms = model([t for t, _ in TERM_AND_PLAIN])
    plain = model([p for _, p in TERM_AND_PLAIN])
    cosines = terms @ plain.T
    ranks = [int((row > row[i]).sum()) + 1 for i, row in enumerate(cosines)]
    assert sum(ranks) <= 20, ranks
