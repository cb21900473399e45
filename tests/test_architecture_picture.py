"""The picture of the layers in docs/architecture.md is the import-linter contract that
`make lint` checks (.importlinter): the same layers, top to bottom, the same modules on each."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _contract_layers() -> list[set[str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    raw = config["importlinter:contract:layers"]["layers"]
    return [{m.strip() for m in line.split("|")} for line in raw.strip().splitlines()]


def _pictured_layers() -> list[set[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Layers", 1)[1]
    block = section.split("```", 2)[1]
    layers = []
    for line in block.strip().splitlines():
        if line.startswith(" "):  # the description of the line above, carried over
            continue
        names = re.split(r"\s{2,}", line.strip())[0]
        layers.append(
            {n if n.startswith(("trees", "gametree")) else f"trees.{n}" for n in names.split(" | ")}
        )
    return layers


def test_the_architecture_picture_shows_the_layers_the_contract_checks() -> None:
    contract = _contract_layers()
    assert len(contract) > 10
    assert _pictured_layers() == contract
