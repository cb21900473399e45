"""Analysis layer, text matching: normalising and comparing labels (no Django).

- `similarity.py`: normalisation, stems, char n-gram TF-IDF, word overlap.
- `glossary.py`: aliases a group taught by confirming matches.
- `wordpiece.py` + `semantic.py`: the shipped sentence-embedding model (static MiniLM).
"""
