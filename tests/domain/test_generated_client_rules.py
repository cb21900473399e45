"""The web client's copy of the server's rules (frontend/src/generated/rules.ts) is generated
from the Python source by tools/gen_client_constants.py; a stale copy fails here."""

from __future__ import annotations

from tools.gen_client_constants import TARGET, main, render
from trees.domain import grammar, limits
from trees.domain.errors import CODES


def test_the_committed_client_rules_are_what_the_generator_writes_now() -> None:
    assert TARGET.read_text(encoding="utf-8") == render(), (
        "frontend/src/generated/rules.ts is stale: run "
        ".venv/bin/python tools/gen_client_constants.py (make frontend does) and commit it"
    )


def test_the_check_mode_passes_on_the_committed_file() -> None:
    assert main(["--check"]) == 0


def test_the_generated_rules_carry_the_server_grammar_limits_and_codes() -> None:
    text = render()
    assert f'"text": {limits.MAX_TEXT}' in text
    assert f'"tag": {limits.MAX_TAG_LEN}' in text
    for kind in grammar.TREE_KINDS:
        for child in grammar.node_types(kind):
            assert f'"{child}"' in text
    for code in CODES:
        assert f'"{code}"' in text, code
