"""Analysis layer, text matching: normalising and comparing labels (no Django).

- `similarity.py`: normalisation, stems, char n-gram TF-IDF, word overlap.
- `glossary.py`: aliases a group taught by confirming matches.
- `wordpiece.py` + `semantic.py`: the shipped sentence-embedding model (static MiniLM), and
  which model an analysis uses (`load_embedder`).
- `contextual.py`: the MiniLM transformer itself, run in numpy (for analyses of few texts).
- `weights.py`: reading the shipped weights, verified by SHA-256.
- `cache.py`: the vectors each model already computed, per text (bounded, thread-safe).
- `concepts.py` + `concepts.yaml`: a glossary of alignment concepts, and which a label names.
"""
