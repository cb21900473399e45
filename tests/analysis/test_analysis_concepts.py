"""Analysis layer tests: the glossary of alignment concepts (trees/analysis/text/concepts.yaml)
and which concepts a label names. Pure: no database, no model."""

from __future__ import annotations

from pathlib import Path

import pytest

from trees.analysis.text.concepts import (
    Concept,
    Concepts,
    alignment_concepts,
    read_concepts,
    strip_citations,
)
from trees.domain.datafile import DataFileError


def named(label: str) -> list[str]:
    glossary = alignment_concepts()
    return [glossary.concepts[k].id for k in glossary.named(label)]


def test_the_shipped_glossary_has_distinct_concepts_each_with_terms_and_glosses() -> None:
    glossary = alignment_concepts()
    ids = [c.id for c in glossary.concepts]
    assert len(ids) >= 70
    assert len(set(ids)) == len(ids)
    assert all(c.terms and len(c.glosses) >= 1 for c in glossary.concepts)


def test_citations_are_stripped_and_other_brackets_kept() -> None:
    assert strip_citations("Superposition (Elhage et al. 2022)") == "Superposition"
    assert strip_citations("ELK (ARC, 2021)") == "ELK"
    assert strip_citations("Coups (Davidson, Finnveden & Hadshar 2025) in labs") == "Coups in labs"
    assert strip_citations("Outer alignment (reward hacking)") == "Outer alignment (reward hacking)"


def test_a_label_names_the_concept_of_its_term_whatever_its_citation() -> None:
    assert named("Superposition (Elhage et al. 2022)") == ["superposition"]
    assert named("Polysemantic neurons") == ["superposition"]
    assert named("ELK (ARC, 2021)") == ["elk"]
    assert named("Syco") == ["sycophancy"]
    assert named("Sycophantic answers rated highly") == ["sycophancy"]


def test_a_bracketed_gloss_names_its_concept() -> None:
    assert named("A system that underperforms on purpose [sandbagging]") == ["sandbagging"]


def test_an_abbreviation_of_several_words_matches_them_by_word_prefixes() -> None:
    assert named("Race dyn.") == ["race-dynamics"]
    assert named("Emergent caps") == ["emergent-capabilities"]
    assert named("DC evals") == ["dangerous-capability-evals"]
    # each abbreviated word keeps at least three letters: "ra d" is no one's abbreviation
    assert named("ra d") == []


def test_a_term_of_several_words_is_named_in_any_word_order() -> None:
    # "Gaming the specification" was read as outer alignment (its one-word term
    # "specification"), so merge kept it apart from "Specification gaming" as a near miss
    assert named("Gaming the specification") == named("Specification gaming")
    assert named("Seeking power") == named("Power seeking") != []
    assert named("Tampering with the reward") == named("Reward tampering") != []


def test_an_acronym_that_is_also_chat_slang_names_its_concept_only_in_capitals() -> None:
    assert named("IRL: backing out a reward fn from demos") == named("Value learning")
    assert named("IRL") == named("inverse RL") == named("Inverse reinforcement learning")
    assert named("IRL") == ["value-learning"]
    assert named("does smth weird irl") == []
    assert named("fine in training then does smth weird irl") == []


def test_acronyms_the_file_writes_in_capitals_count_only_in_capitals() -> None:
    marked = alignment_concepts().capitals_only
    assert {"irl", "da", "mi", "asl"} <= marked
    for acronym in sorted(marked):
        assert named(acronym.upper()) != [], acronym
        assert named(acronym) == [], acronym
        assert named(f"this is confusing {acronym}") == [], acronym
    # an acronym not marked counts whatever its case
    assert named("ood") == named("OOD") == ["distribution-shift"]


def test_a_term_in_capitals_marks_an_acronym_and_other_capitals_are_a_clear_error(
    tmp_path: Path,
) -> None:
    data = tmp_path / "concepts.yaml"
    data.write_text("concepts:\n  - {id: v, terms: [value learning, IRL], glosses: [learn it]}\n")
    concepts = read_concepts(data)
    assert concepts.capitals_only == {"irl"}
    assert concepts.named("IRL from demos") == concepts.named("value learning") == [0]
    assert concepts.named("weird irl") == []
    for term in ("Irl", "IRL paper", "GPT4"):
        data.write_text(f"concepts:\n  - {{id: v, terms: [{term}], glosses: [learn it]}}\n")
        with pytest.raises(DataFileError, match=r"terms\[0\]: .*write a term in lower case"):
            read_concepts(data)


def test_the_longest_term_at_a_word_wins() -> None:
    # "deceptive alignment" is one concept, not deception followed by alignment
    assert named("Deceptive alignment (DA)") == ["deceptive-alignment"]
    assert named("Strategic deception") == ["deception"]


def test_a_label_can_name_several_concepts_in_order() -> None:
    assert named("Outer alignment (reward hacking)") == ["outer-alignment", "specification-gaming"]


def test_near_misses_are_different_concepts() -> None:
    assert named("Reward hacking") != named("Reward tampering")
    assert named("Sycophancy") != named("Deception")
    assert named("AI power-seeking") != named("Concentration of power")
    assert named("Goal misgeneralization") != named("Distribution shift")


def test_a_label_without_a_term_names_nothing() -> None:
    assert named("Will the cafeteria serve lunch on time?") == []
    assert named("") == []


def test_gloss_texts_cover_every_concept_in_order() -> None:
    glossary = Concepts(
        [Concept("a", ("alpha",), ("first", "second")), Concept("b", ("beta", "b2"), ("third",))]
    )
    texts, owner = glossary.gloss_texts()
    assert texts == ["first", "second", "alpha", "third", "beta, b2"]
    assert owner == [0, 0, 0, 1, 1]


def test_a_malformed_glossary_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "concepts.yaml"
    bad.write_text("concepts:\n  - id: x\n    terms: [x]\n")
    with pytest.raises(DataFileError, match=r"concepts\[0\]: missing glosses"):
        read_concepts(bad)
    bad.write_text(
        "concepts:\n"
        "  - {id: x, terms: [x], glosses: [an x]}\n"
        "  - {id: x, terms: [y], glosses: [a y]}\n"
    )
    with pytest.raises(DataFileError, match="listed twice"):
        read_concepts(bad)
    bad.write_text("concepts:\n  - {id: x, terms: [], glosses: [an x]}\n")
    with pytest.raises(DataFileError, match="at least one term"):
        read_concepts(bad)


def test_a_one_word_term_matches_that_word_or_its_plural_not_its_stem() -> None:
    # the light stemmer folds "fairly" into "fairness" and "scheme" into "scheming"
    assert named("Even a fairly honest model may know more than it says") == []
    assert named("A pupil who learns the mark scheme instead of the subject") == []
    assert named("Jailbreak") == named("jailbreaks") == ["jailbreaks"]
    assert named("Labs in an arms race") == ["race-dynamics"]


def test_every_term_names_its_own_concept_and_no_other() -> None:
    # a term listed under two concepts (or equal to another's after stemming and word order)
    # would name the concept listed first
    glossary = alignment_concepts()
    for k, concept in enumerate(glossary.concepts):
        for term in concept.terms:
            assert glossary.named(term) == [k], (concept.id, term)


def test_the_names_people_use_besides_the_textbook_name_name_their_concept() -> None:
    assert named("The monkey's paw problem") == ["outer-alignment"]
    assert named("Goodharted metrics") == ["goodhart"]
    assert named("CoinRun agent ignores the coin") == ["goal-misgeneralisation"]
    assert named("Moloch") == named("Multipolar trap") == ["race-dynamics"]
    assert named("Yes-man chatbots") == ["sycophancy"]
    assert named("Hawthorne effect") == ["situational-awareness"]
    assert named("Big red button") == ["corrigibility"]
    assert named("You can't fetch the coffee if you're dead") == ["instrumental-convergence"]
    assert named("Secret loyalties") == ["concentration-of-power"]
    assert named("Measurement tampering") == ["reward-tampering"]
    assert named("Mesa-optimisers") == named("Mesa optimizers") == ["inner-alignment"]


def test_the_new_names_keep_near_neighbours_apart() -> None:
    assert named("Measurement tampering") != named("Reward hacking")
    assert named("AI-enabled power grabs") != named("Power-seeking AI")
    assert named("Glazing") != named("Strategic deception") != named("Dishonesty")
    assert named("Dataset shift") != named("CoinRun")
    assert named("DAN prompts") != named("Bioweapons")
    assert named("Moloch") != named("Safety tax") != named("EU AI Act")


def test_common_phrases_that_share_word_prefixes_with_a_term_name_nothing() -> None:
    # each would name a concept by word prefixes through a term left out of the file:
    # "short timelines", "label shift", "value complexity", "preference model",
    # "human compatible", "goodhart effect", "alignment washing"
    assert named("In a short time the model learned it") == []
    assert named("Labs shift resources to product work") == []
    assert named("The value comes from the data") == []
    assert named("Users prefer models that agree with them") == []
    assert named("A human comes to check the answer") == []
    assert named("The fix had a good effect") == []
    assert named("Alignment was solved too early") == []


def test_every_concept_has_several_glosses_of_its_own() -> None:
    glossary = alignment_concepts()
    owner: dict[str, str] = {}
    for concept in glossary.concepts:
        assert len(concept.glosses) >= 6, concept.id
        assert len(set(concept.glosses)) == len(concept.glosses), concept.id
        for gloss in concept.glosses:
            assert owner.setdefault(gloss, concept.id) == concept.id, gloss
