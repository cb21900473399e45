"""The data kept as YAML (the demo trees, the failure-mode vocabulary) loads to what the code
uses, and a mistake in such a file is a DataFileError that names the file and the place."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from trees import demo_content
from trees.analysis import taxonomy
from trees.domain.datafile import DataFileError

TAXONOMY_OK = {
    "word_classes": {"overseer": "rater* judg*"},
    "families": [{"id": "gaming", "label": "Gaming", "description": "Optimises the measure."}],
    "modes": [
        {
            "id": "proxy-gaming",
            "label": "Proxy gaming",
            "description": "A stand-in comes apart.",
            "family": "gaming",
            "aliases": ["goodhart*"],
            "cues": ["fool* {overseer}"],
        }
    ],
}

DEMO_OK = {
    "users": [{"username": "alice", "name": "Alice Chen"}],
    "game_tree": {
        "title": "G",
        "owner": "alice",
        "nodes": [
            {
                "type": "proposal",
                "text": "p",
                "author": "alice",
                "children": [
                    {"type": "critique", "text": "c", "tags": ["goodhart"], "author": "alice"}
                ],
            }
        ],
    },
    "problem_trees": [],
}


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_the_shipped_vocabulary_loads_every_family_and_mode() -> None:
    classes, families, modes = taxonomy.load()
    assert (classes, families, modes) == (
        taxonomy.WORD_CLASSES,
        taxonomy.FAMILIES,
        taxonomy.STARTER_MODES,
    )
    assert len(families) == 19 and len(modes) == 45
    assert {m.family for m in modes} == {f.id for f in families}
    goodhart = next(m for m in modes if m.id == "proxy-gaming")
    assert "goodhart*" in goodhart.aliases and isinstance(goodhart.cues, tuple)


def test_the_shipped_demo_fills_in_every_node_key() -> None:
    demo = demo_content.load_demo()
    assert [name for name, _ in demo["users"]] == ["alice", "bob", "carol"]
    first = demo["game_tree"]["nodes"][0]
    assert set(first) == {"type", "text", "note", "tags", "author", "children"}
    assert demo_content.count_nodes(demo["game_tree"]["nodes"]) == 99
    assert len(demo["problem_trees"]) == 2
    assert demo["game_tree"] == demo_content.GAME_TREE


def test_a_small_demo_file_loads_with_defaults(tmp_path: Path) -> None:
    demo = demo_content.load_demo(_write(tmp_path, "demo.yaml", DEMO_OK))
    critique = demo["game_tree"]["nodes"][0]["children"][0]
    assert critique == {
        "type": "critique",
        "text": "c",
        "note": "",
        "tags": ["goodhart"],
        "author": "alice",
        "children": [],
    }
    assert demo["users"] == [("alice", "Alice Chen")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["modes"][0].update(family="nope"), "modes[0].family: no family 'nope'"),
        (lambda d: d["modes"][0].update(cues=["x {missing}"]), "names no word class {missing}"),
        (lambda d: d["modes"][0].update(id="Proxy Gaming"), "is not a tag-style id"),
        (lambda d: d["modes"][0].update(alias=["x"]), "modes[0]: unknown key alias"),
        (lambda d: d["modes"][0].pop("label"), "modes[0]: missing label"),
        (lambda d: d["modes"][0].update(aliases=["ok", 3]), "modes[0].aliases[1]: expected text"),
        (
            lambda d: d["modes"].append(dict(d["modes"][0])),
            "modes: id 'proxy-gaming' is used twice",
        ),
    ],
)
def test_a_broken_vocabulary_file_names_the_place(
    tmp_path: Path, change: object, message: str
) -> None:
    data = yaml.safe_load(yaml.safe_dump(TAXONOMY_OK))
    change(data)  # type: ignore[operator]
    with pytest.raises(DataFileError) as caught:
        taxonomy.load(_write(tmp_path, "taxonomy.yaml", data))
    assert str(caught.value).startswith("taxonomy.yaml: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["game_tree"]["nodes"][0].update(type="problem"),
            "game_tree.nodes[0].type: 'problem' is not a type of game trees",
        ),
        (
            lambda d: d["game_tree"]["nodes"][0]["children"][0].update(author="mallory"),
            "game_tree.nodes[0].children[0].author: 'mallory' is not one of the users",
        ),
        (lambda d: d["game_tree"].pop("owner"), "game_tree: missing owner"),
        (lambda d: d["game_tree"]["nodes"][0].update(txt="typo"), "unknown key txt"),
        (lambda d: d["game_tree"]["nodes"][0].update(text=""), "nodes[0].text: must not be empty"),
    ],
)
def test_a_broken_demo_file_names_the_place(tmp_path: Path, change: object, message: str) -> None:
    data = yaml.safe_load(yaml.safe_dump(DEMO_OK))
    change(data)  # type: ignore[operator]
    with pytest.raises(DataFileError) as caught:
        demo_content.load_demo(_write(tmp_path, "demo.yaml", data))
    assert message in str(caught.value)


def test_a_file_that_is_not_yaml_or_not_there_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "taxonomy.yaml"
    bad.write_text("modes: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="not valid YAML"):
        taxonomy.load(bad)
    with pytest.raises(DataFileError, match="cannot read it"):
        taxonomy.load(tmp_path / "missing.yaml")
