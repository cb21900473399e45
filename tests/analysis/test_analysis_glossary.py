"""Analysis layer tests of the word glossary (trees/analysis/text/glossary.py): aliases, and
the acronyms it expands only where a text writes them in capitals, as concepts.yaml marks
them. Pure: no database, no model."""

from __future__ import annotations

from trees.analysis.text.concepts import alignment_concepts
from trees.analysis.text.glossary import Glossary


def test_an_ordinary_word_equal_to_a_marked_acronym_is_not_expanded() -> None:
    glossary = Glossary({"irl": "inverse reinforcement learning"})
    assert glossary.expand_text("fine in training then does smth weird irl") == (
        "fine in training then does smth weird irl"
    )
    assert glossary.expand("does smth weird irl") == "does smth weird irl"  # no capitals known
    assert glossary.expand_text("IRL: backing out a reward fn") == (
        "inverse reinforcement learning backing out a reward fn"
    )


def test_every_acronym_marked_in_the_concepts_file_expands_only_in_capitals() -> None:
    marked = alignment_concepts().capitals_only
    assert "irl" in marked
    for acronym in marked:
        glossary = Glossary({acronym: "the long form"})
        assert glossary.expand_text(f"this is {acronym}") == f"this is {acronym}"
        assert glossary.expand_text(f"this is {acronym.upper()}") == "this is the long form"


def test_an_acronym_learned_from_a_definition_expands_only_where_written_in_capitals() -> None:
    glossary = Glossary()
    assert glossary.harvest("Inverse reinforcement learning (IRL)")
    assert glossary.to_dict()["irl"] == "inverse reinforcement learning"
    assert glossary.expand_text("works fine irl") == "works fine irl"
    assert glossary.expand_text("IRL from demos") == "inverse reinforcement learning from demos"


def test_acronyms_not_marked_expand_whatever_their_case() -> None:
    glossary = Glossary()
    assert (
        glossary.expand_text("fails OOD")
        == glossary.expand_text("fails ood")
        == ("fails out of distribution")
    )
    assert glossary.expand_text("ELK") == "eliciting latent knowledge"


def test_the_seed_aliases_hold_no_marked_acronym() -> None:
    # a seed alias the glossary never expands in lower case would mislead its reader
    assert not set(Glossary().to_dict()) & alignment_concepts().capitals_only
