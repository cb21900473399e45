"""What imports refuse, with a stable code and the line where there is one. Nothing partial."""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import pytest

from trees.formats import FormatError, TreeDoc, export_tree, import_tree

Read = Callable[[str], bytes]


def _error(data: bytes | str, **kwargs: object) -> FormatError:
    kwargs.setdefault("kind", "problem")
    with pytest.raises(FormatError) as info:
        import_tree(data, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_billion_laughs_opml_is_rejected_as_unsafe_xml(fixture_bytes: Read) -> None:
    error = _error(fixture_bytes("billion_laughs.opml"))
    assert error.code == "unsafe_xml"


def test_external_entity_in_graphml_is_rejected_as_unsafe_xml(fixture_bytes: Read) -> None:
    error = _error(fixture_bytes("xxe.graphml"))
    assert error.code == "unsafe_xml"
    assert "root:" not in error.message


def test_broken_xml_names_the_line() -> None:
    error = _error(
        b'<?xml version="1.0"?>\n<opml version="2.0">\n<body>\n<outline text="a">\n</opml>'
    )
    assert (error.code, error.line) == ("invalid_format", 5)
    assert "line 5" in error.message


def test_inconsistent_indentation_names_the_line(fixture_bytes: Read) -> None:
    error = _error(fixture_bytes("bad_indentation.md"), filename="x.md")
    assert (error.code, error.line) == ("bad_indentation", 5)


def test_switching_between_tabs_and_spaces_is_rejected() -> None:
    error = _error("- a\n\t- b\n  - c\n", fmt="md")
    assert (error.code, error.line) == ("bad_indentation", 3)


def test_more_than_ten_thousand_nodes_is_too_large() -> None:
    text = "".join(f"- item {i}\n" for i in range(10_001))
    assert _error(text, fmt="md").code == "too_large"


def test_more_than_five_megabytes_is_too_large() -> None:
    assert _error(b"- x\n" * (5 * 1024 * 1024 // 4 + 1), fmt="md").code == "too_large"


def test_an_overlong_label_is_too_large_with_its_line() -> None:
    error = _error("- ok\n- " + "x" * 2001 + "\n", fmt="md")
    assert (error.code, error.line) == ("too_large", 2)


def test_an_overlong_note_is_too_large_with_its_line() -> None:
    note = "&#10;".join(["y" * 100] * 201)
    data = f'<opml version="2.0"><body>\n<outline text="a"/>\n<outline text="b" _note="{note}"/>'
    error = _error((data + "</body></opml>").encode())
    assert (error.code, error.line) == ("too_large", 3)


@pytest.mark.parametrize("fmt", ["auto", "md", "txt", "opml", "json", "graphml"])
def test_binary_junk_is_invalid_format_naming_what_was_expected(fmt: str) -> None:
    junk = os.urandom(64) + b"\x00\x01\x02" + os.urandom(512)
    error = _error(junk, fmt=fmt)
    assert error.code == "invalid_format"
    assert "expected" in error.message


def test_a_png_offered_for_import_is_refused_as_export_only() -> None:
    assert _error(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20).code == "unsupported"


@pytest.mark.parametrize(
    ("fmt", "data", "expected"),
    [
        ("json", "- a bullet", "gametree JSON"),
        ("opml", "- a bullet", "OPML"),
        ("graphml", '<opml version="2.0"><body/></opml>', "GraphML"),
        ("json", '{"format": "other"}', "gametree JSON"),
        ("md", "just a paragraph\n", "no outline items"),
    ],
)
def test_the_wrong_format_is_invalid_format(fmt: str, data: str, expected: str) -> None:
    error = _error(data, fmt=fmt)
    assert error.code == "invalid_format"
    assert expected in error.message


def test_json_with_a_broken_node_is_rejected_whole() -> None:
    doc = import_tree("- a\n  - b\n", fmt="md", kind="problem", title="T")
    payload = json.loads(export_tree(doc, fmt="json"))
    payload["nodes"][1]["parent"] = "00000000-0000-4000-8000-00000000dead"
    assert _error(json.dumps(payload), fmt="json").code == "invalid"
    payload = json.loads(export_tree(doc, fmt="json"))
    payload["nodes"][1]["tags"] = ["t"] * 2
    assert _error(json.dumps(payload), fmt="json").code == "invalid"


def test_json_of_another_kind_is_a_kind_mismatch() -> None:
    doc = import_tree("- a\n", fmt="md", kind="problem", title="T")
    assert _error(export_tree(doc, fmt="json"), kind="game").code == "kind_mismatch"


def test_a_graph_with_a_cycle_is_rejected() -> None:
    data = (
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed">'
        '<node id="a"/><node id="b"/><edge source="a" target="b"/><edge source="b" target="a"/>'
        "</graph></graphml>"
    )
    assert _error(data, fmt="graphml").code == "invalid"


def test_extra_parents_in_a_game_tree_are_rejected() -> None:
    data = (
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed">'
        '<node id="a"/><node id="b"/><node id="c"/><edge source="a" target="c"/>'
        '<edge source="b" target="c"/></graph></graphml>'
    )
    assert _error(data, fmt="graphml", kind="game").code in {"bad_parent_type", "invalid"}


def test_unknown_kind_and_unknown_format_have_their_own_codes() -> None:
    assert _error("- a", kind="forest").code == "invalid"
    assert _error("- a", fmt="docx").code == "unknown_format"
    doc = TreeDoc(kind="problem", title="T")
    with pytest.raises(FormatError) as info:
        export_tree(doc, fmt="docx")
    assert info.value.code == "unknown_format"
