"""Imports of files written the way real tools write them (fixtures/)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from trees.formats import TreeDoc, detect_format, import_tree

Read = Callable[[str], bytes]


def _shape(doc: TreeDoc) -> list[tuple[int, str, str]]:
    """(depth, type, text) per node in document order."""
    depth: dict[str | None, int] = {None: -1}
    out = []
    for node in doc.nodes:
        depth[node["id"]] = depth[node["parent"]] + 1
        out.append((depth[node["id"]], node["type"], node["text"]))
    return out


def test_google_docs_markdown_game_tree_four_levels_deep_gets_the_right_types(
    fixture_bytes: Read,
) -> None:
    doc = import_tree(fixture_bytes("google_docs_game.md"), kind="game", filename="x.md")
    assert doc.title == "Game tree: scalable oversight"
    assert doc.description == "Workshop round 2, table 3. Notes taken live."
    assert _shape(doc) == [
        (0, "proposal", "Train a model to imitate a careful human overseer"),
        (
            1,
            "critique",
            "The careful human still makes systematic errors - imitating them copies them",
        ),
        (2, "patch", "use debate so the human only judges"),
        (3, "critique", "the judge can be fooled by the more persuasive debater"),
        (2, "patch", "Ensemble several humans and take the majority"),
        (1, "critique", "Imitation gives no guarantee off-distribution"),
        (0, "proposal", "Use interpretability to audit the model's goals"),
        (1, "critique", "We cannot yet read goals from weights (see Olah et al.)"),
    ]


def test_workflowy_opml_keeps_the_single_root_of_a_problem_tree_and_strips_html(
    fixture_bytes: Read,
) -> None:
    doc = import_tree(fixture_bytes("workflowy.opml"), kind="problem")
    assert doc.title == "Alignment problems"
    assert _shape(doc) == [
        (0, "problem", "Alignment problems"),
        (1, "problem", "Outer alignment"),
        (2, "problem", "Reward hacking"),
        (2, "problem", "Specification gaming in RL agents"),
        (1, "problem", "Inner alignment"),
        (2, "problem", "Goal misgeneralization (paper)"),
        (2, "problem", "Deceptive alignment"),
    ]
    assert doc.nodes[1]["note"] == "Specifying what we want.\nSecond line of the note."


def test_dynalist_opml_game_tree_takes_its_title_from_head_and_types_from_prefixes(
    fixture_bytes: Read,
) -> None:
    doc = import_tree(fixture_bytes("dynalist.opml"), kind="game")
    assert doc.title == "RLHF game tree"
    assert _shape(doc) == [
        (0, "proposal", "RLHF on human preference comparisons"),
        (1, "critique", "Raters reward what looks good, not what is good"),
        (2, "patch", "give raters AI assistance"),
        (3, "critique", "The assistant may be misaligned too"),
        (1, "critique", "reward model overoptimisation"),
    ]
    assert doc.nodes[1]["note"] == "Sycophancy results."


def test_logseq_markdown_with_tabs_uses_the_single_root_as_title_and_skips_properties(
    fixture_bytes: Read,
) -> None:
    doc = import_tree(fixture_bytes("logseq_game.md"), kind="game")
    assert doc.title == "Eliciting latent knowledge"
    assert _shape(doc) == [
        (0, "proposal", "train a reporter head"),
        (1, "critique", "The reporter learns to imitate the human"),
        (2, "patch", "penalise reporters that are fast to compute"),
        (3, "critique", "Some direct translators are slow too"),
        (0, "proposal", "ask the model directly"),
        (1, "critique", "It may lie"),
    ]
    assert all(node["note"] == "" for node in doc.nodes)


def test_obsidian_markdown_reads_front_matter_wiki_links_checkboxes_and_tags(
    fixture_bytes: Read,
) -> None:
    doc = import_tree(fixture_bytes("obsidian_problems.md"), kind="problem")
    assert doc.title == "Alignment problem tree"
    texts = [text for _, _, text in _shape(doc)]
    assert texts == [
        "Alignment",
        "Outer alignment",
        "Reward hacking",
        "Specification gaming",
        "Inner alignment",
        "Goal misgeneralisation",
        "Deceptive alignment",
        "Scalable oversight",
    ]
    assert doc.nodes[6]["note"] == "Models that behave well in training to be deployed."
    # Obsidian's trailing `#tag` is a tag, not text.
    assert doc.nodes[3]["tags"] == ["rl"]


def test_text_pasted_from_google_docs_nests_by_indentation_and_reads_prefixes(
    fixture_bytes: Read,
) -> None:
    data = fixture_bytes("google_docs_clipboard.txt")
    assert detect_format(data, None) == "txt"
    doc = import_tree(data, kind="game")
    assert doc.title == "Critique round: debate"
    assert _shape(doc) == [
        (0, "proposal", "AI safety via debate"),
        (1, "critique", "Honest strategies may be harder to argue than dishonest ones"),
        (2, "patch", "cross-examination lets the judge pin down a debater"),
        (3, "critique", "Debaters can coordinate to mislead"),
        (1, "critique", "A human judge tires long before the debate ends"),
        (0, "proposal", "Use amplification instead"),
    ]


def test_pasted_text_without_indentation_nests_by_the_google_docs_glyph_cycle() -> None:
    text = "● Outer\n○ Reward hacking\n■ Wireheading\n○ Spec gaming\n● Inner\n○ Deception\n"
    doc = import_tree(text, fmt="txt", kind="problem", title="Glyphs")
    assert _shape(doc) == [
        (0, "problem", "Outer"),
        (1, "problem", "Reward hacking"),
        (2, "problem", "Wireheading"),
        (1, "problem", "Spec gaming"),
        (0, "problem", "Inner"),
        (1, "problem", "Deception"),
    ]


def test_numbered_lists_with_dots_and_parentheses_nest_like_bullets(fixture_bytes: Read) -> None:
    doc = import_tree(fixture_bytes("numbered.md"), kind="problem")
    assert doc.title == "Problems"
    assert _shape(doc) == [
        (0, "problem", "Robustness"),
        (1, "problem", "Adversarial examples"),
        (1, "problem", "Distribution shift"),
        (0, "problem", "Monitoring"),
        (1, "problem", "Anomaly detection"),
    ]


def test_graphml_from_another_tool_becomes_a_dag_with_fresh_ids(fixture_bytes: Read) -> None:
    doc = import_tree(fixture_bytes("yed.graphml"), kind="problem", title="From yEd")
    assert doc.title == "From yEd"
    by_text = {node["text"]: node for node in doc.nodes}
    goal = by_text["Goal misgeneralisation"]
    assert goal["parent"] == by_text["Inner"]["id"]
    assert goal["parents"] == [by_text["Outer"]["id"]]
    assert by_text["Misalignment"]["parent"] is None


@pytest.mark.parametrize(
    ("markdown", "types"),
    [
        ("- **Critique:** x", None),
        (
            "# T\n- **Proposal:** P\n  - **Critique**: fix\n    - __patch:__ again",
            ["proposal", "critique", "patch"],
        ),
        ("# T\n- P\n  - C\n    - proposal: misplaced", "bad_parent_type"),
    ],
)
def test_type_prefixes_in_bold_set_the_type_and_misplaced_types_are_rejected(
    markdown: str, types: list[str] | str | None
) -> None:
    from trees.formats import FormatError

    if types is None or isinstance(types, str):
        with pytest.raises(FormatError) as info:
            import_tree(markdown, fmt="md", kind="game")
        assert info.value.code == (types or "bad_parent_type")
        assert info.value.line is not None
        return
    doc = import_tree(markdown, fmt="md", kind="game")
    assert [n["type"] for n in doc.nodes] == types
    assert [n["text"] for n in doc.nodes] == ["P", "fix", "again"]


def test_a_lone_proposal_in_a_game_tree_stays_a_node_when_it_says_so() -> None:
    doc = import_tree("- Proposal: only one\n  - a critique", fmt="md", kind="game", title="T")
    assert [(n["type"], n["text"]) for n in doc.nodes] == [
        ("proposal", "only one"),
        ("critique", "a critique"),
    ]


DEEP_SHAPE = [
    (0, "proposal", "Train a model to imitate a careful human overseer"),
    (1, "critique", "The careful human still makes systematic errors - imitating them copies them"),
    (2, "patch", "Use debate so the human only judges"),
    (3, "critique", "The judge can be fooled by the more persuasive debater"),
    (4, "patch", "Cross-examination lets the judge pin a debater down"),
    (5, "critique", "Debaters can coordinate to mislead the judge together"),
    (6, "patch", "Reward the debater who exposes collusion (a bounty)"),
    (2, "patch", "Ensemble several humans and take the majority"),
    (1, "critique", "Imitation gives no guarantee off-distribution"),
    (0, "proposal", "Use interpretability to audit the model's goals"),
    (1, "critique", "We cannot yet read goals from weights (see Olah et al.)"),
]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("google_docs_deep.md", "md"),  # Download as Markdown: `*`, 4 spaces, escapes
        ("google_docs_deep_tabs.txt", "txt"),  # copied as plain text: glyphs and tabs
        ("google_docs_deep_glyphs.txt", "txt"),  # copied as plain text: glyphs only
        ("workflowy.txt", "md"),  # Workflowy plain text: `- `, 2 spaces, one root
        ("dynalist.md", "md"),  # Dynalist: `- `, 4 spaces
        ("dynalist_tabs.md", "md"),  # Dynalist with tabs
    ],
)
def test_seven_level_lists_from_outliners_keep_every_level_and_type(
    fixture_bytes: Read, name: str, fmt: str
) -> None:
    data = fixture_bytes(name)
    assert detect_format(data, None) == fmt
    doc = import_tree(data, kind="game", filename=name)
    assert doc.title == "Game tree: imitation of a careful overseer"
    assert _shape(doc) == DEEP_SHAPE


def test_a_glyph_only_fourth_level_is_a_critique_under_the_patch_not_a_new_proposal() -> None:
    text = (
        "● Use debate\n○ Judges get fooled\n■ Train the judges\n"
        "● Training does not cover novel tricks\n● Proposal: Use amplification\n"
    )
    doc = import_tree(text, fmt="txt", kind="game", title="Glyphs")
    assert _shape(doc) == [
        (0, "proposal", "Use debate"),
        (1, "critique", "Judges get fooled"),
        (2, "patch", "Train the judges"),
        (3, "critique", "Training does not cover novel tricks"),
        (0, "proposal", "Use amplification"),
    ]


def test_a_glyph_only_type_prefix_picks_the_level_where_that_type_fits() -> None:
    text = "● A\n○ B\n■ C\n● D\n○ E\n■ Patch: back at level three\n● Proposal: a new top\n"
    doc = import_tree(text, fmt="txt", kind="game", title="Glyphs")
    assert [depth for depth, _, _ in _shape(doc)] == [0, 1, 2, 3, 4, 2, 0]


def test_a_misplaced_patch_prefix_deep_in_a_list_is_explained_in_a_sentence() -> None:
    from trees.formats import FormatError

    text = (
        "● Proposal: Use debate\n○ Judges get fooled\n■ Train the judges\n"
        "● Patch: cannot sit here\n"
    )
    with pytest.raises(FormatError) as info:
        import_tree(text, fmt="txt", kind="game", title="Glyphs")
    assert info.value.code == "bad_parent_type"
    assert info.value.line == 4
    assert "“cannot sit here” is marked as a patch" in info.value.message
    assert "a patch answers a critique" in info.value.message
    assert "bad_parent_type" not in info.value.message


def test_a_guessed_glyph_level_is_said_in_a_warning_and_a_decided_one_is_not(
    fixture_bytes: Read,
) -> None:
    guessed = import_tree(fixture_bytes("google_docs_deep_glyphs.txt"), kind="game")
    assert len(guessed.warnings) == 1
    assert guessed.warnings[0].startswith(
        "line 5: “The judge can be fooled by the more persuasive debater” was read as level 4, "
        "but its bullet could also mean level 1 (and "
    )
    assert "Google Docs repeats ●, ○, ■ every three levels" in guessed.warnings[0]
    for name in ("google_docs_deep_tabs.txt", "google_docs_deep.md"):
        assert import_tree(fixture_bytes(name), kind="game").warnings == []
    shallow = "● Outer\n○ Reward hacking\n■ Wireheading\n○ Spec gaming\n● Inner\n"
    assert import_tree(shallow, fmt="txt", kind="problem", title="T").warnings == []
