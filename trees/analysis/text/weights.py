"""Analysis layer: reading the model weights shipped in trees/analysis/models/, verified.

Both sentence-embedding models (:mod:`~trees.analysis.text.semantic`, static, and
:mod:`~trees.analysis.text.contextual`, the transformer) refuse weights whose SHA-256 is not
the one their code records, so an altered or truncated file is an error, never a silent
change of results.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

MODEL_DIR = Path(__file__).resolve().parents[1] / "models"


class ModelError(RuntimeError):
    """A shipped model's weights are missing or not the ones its code was written for."""


def read_verified(path: Path, sha256: str) -> bytes:
    """The bytes of a shipped weights file, refused unless their SHA-256 is ``sha256``."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelError(
            f"the sentence-embedding model {path} cannot be read ({e.strerror}); it ships "
            "with the project: reinstall it, or set GAMETREE_SEMANTIC=0 to work without it"
        ) from e
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ModelError(
            f"the sentence-embedding model {path} has SHA-256 {digest}, expected {sha256}: "
            "refusing weights that are not the shipped ones (reinstall the project, or set "
            "GAMETREE_SEMANTIC=0 to work without it)"
        )
    return data
