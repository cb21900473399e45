"""One source of error codes: trees/domain/errors.py CODES. Every code the server code raises
or answers is in it, every code has exactly one HTTP status (trees/api/errors.py), and the
tree rules' codes are among them."""

from __future__ import annotations

import ast
from pathlib import Path

from trees.api.errors import HTTP_STATUS, http_status
from trees.domain.errors import CODES, OP_CODES, ActionError, FormatError, OpError

ROOT = Path(__file__).resolve().parents[2]
RAISERS = {"ActionError", "OpError", "FormatError"}


def _codes_in_source() -> dict[str, str]:
    """Every literal code given to an error or written as `"code": "..."`, with where."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "trees").rglob("*.py")) + sorted((ROOT / "gametree").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            literal = None
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in RAISERS and isinstance(node.args[0], ast.Constant):
                    literal = node.args[0].value
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "code"
                        and isinstance(value, ast.Constant)
                    ):
                        literal = value.value
            if isinstance(literal, str):
                found.setdefault(literal, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_code_the_server_raises_or_answers_is_defined_in_the_domain_errors() -> None:
    found = _codes_in_source()
    assert len(found) > 20  # the scan sees the raises
    unknown = {code: where for code, where in found.items() if code not in CODES}
    assert not unknown


def test_every_code_has_one_http_status_and_the_rest_layer_defines_no_code_of_its_own() -> None:
    assert set(HTTP_STATUS) == CODES
    assert http_status("internal") == 500 and http_status("not_found") == 404
    assert OP_CODES <= CODES


def test_the_three_errors_carry_their_code_and_message() -> None:
    assert ActionError("forbidden", "No.").as_dict() == {"code": "forbidden", "message": "No."}
    assert OpError("cycle", "A loop.").code == "cycle"
    assert FormatError("invalid_format", "Broken.", line=3).message == "line 3: Broken."
