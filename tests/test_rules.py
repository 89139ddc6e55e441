"""The rule engine: visibility, option filtering, derived variables, required-ness. No app needed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from survey.questionnaire.loader import load_file
from survey.questionnaire.model import Question, Questionnaire
from survey.questionnaire.rules import (
    clean_answers,
    evaluate,
    is_required,
    option_label,
    question_visible,
    visible_options,
    with_derived,
)

from .helpers import FIXTURES, ROOT

TINY = load_file(FIXTURES / "tiny.yaml")
SHIPPED = [load_file(p) for p in sorted((ROOT / "questionnaires").glob("*.yaml"))]


@pytest.mark.parametrize(
    ("rule", "values", "expected"),
    [
        ({"equals": ["q", "a"]}, {"q": "a"}, True),
        ({"equals": ["q", "a"]}, {"q": "b"}, False),
        ({"equals": ["q", "a"]}, {}, False),
        ({"equals": ["q", "a"]}, {"q": ["b", "a"]}, True),
        ({"equals": ["q", 4]}, {"q": "4"}, True),
        ({"in": ["q", ["a", "b"]]}, {"q": "b"}, True),
        ({"in": ["q", ["a", "b"]]}, {"q": "c"}, False),
        ({"in": ["q", ["a", "b"]]}, {"q": ["c", "b"]}, True),
        ({"in": ["q", ["a", "b"]]}, {"q": []}, False),
        ({"answered": "q"}, {"q": "x"}, True),
        ({"answered": "q"}, {"q": ""}, False),
        ({"answered": "q"}, {"q": []}, False),
        ({"is": "flag"}, {"flag": "yes"}, True),
        ({"is": "flag"}, {"flag": "no"}, False),
        ({"is": "flag"}, {}, False),
        ({"all": [{"answered": "a"}, {"answered": "b"}]}, {"a": "1"}, False),
        ({"any": [{"answered": "a"}, {"answered": "b"}]}, {"a": "1"}, True),
        ({"not": {"answered": "a"}}, {}, True),
        (None, {}, True),
    ],
)
def test_operators(rule, values, expected):
    assert evaluate(rule, values) is expected


def test_dependent_option_lists_follow_the_earlier_answer():
    sector = TINY.question("sector")
    codes = lambda group: [o.code for o in visible_options(sector, with_derived(TINY, {"group": group}, "en"))]  # noqa: E731
    assert codes("health") == ["acute", "ambulance", "other"]
    assert codes("police_justice") == ["probation", "cafcass", "other"]
    assert codes("dk") == ["acute", "ambulance", "probation", "cafcass", "other"]


def test_option_shown_only_in_wales_or_in_welsh():
    monitoring = TINY.question("monitoring")
    offered = lambda answers, lang: [o.code for o in visible_options(monitoring, with_derived(TINY, answers, lang))]  # noqa: E731
    assert "welsh_tool" not in offered({"region": "eastern"}, "en")
    assert "welsh_tool" in offered({"region": "cymru_wales"}, "en")
    assert "welsh_tool" in offered({"region": "eastern"}, "cy")


def test_alternative_label_in_wales():
    option = TINY.question("ethnicity").options[0]
    assert option_label(option, with_derived(TINY, {"region": "eastern"}, "en"), "en") == "English or Welsh"
    assert option_label(option, with_derived(TINY, {"region": "cymru_wales"}, "en"), "en") == "Welsh or English"


def test_derived_variables():
    values = with_derived(TINY, {"region": "cymru_wales", "age": "a16_30"}, "en")
    assert (values["wales"], values["nation"], values["young"]) == ("yes", "wales", "yes")
    values = with_derived(TINY, {"region": "eastern", "age": "pnts"}, "en")
    assert (values["wales"], values["nation"], values["young"]) == ("no", "england", "pnts")
    values = with_derived(TINY, {}, "en")
    assert (values["wales"], values["nation"], values["young"]) == ("no", None, None)


def test_clean_answers_drops_hidden_questions_options_and_write_ins():
    answers = {
        "group": "health",
        "sector": "probation",  # not offered for health
        "monitoring": ["cctv", "welsh_tool"],  # welsh_tool only in Wales
        "uses_ai": "no",
        "ai_detail": "hidden now",
        "trust.a": "4",
        "trust.b": "7",  # not a code
        "team": "Blue",
        "ethnicity": "other_ethnic",
        "ethnicity.other_ethnic": "Cornish",
        "sector.other": "ignored: other not chosen",
    }
    kept = clean_answers(TINY, answers, "en")
    assert kept == {
        "group": "health",
        "monitoring": ["cctv"],
        "uses_ai": "no",
        "trust.a": "4",
        "team": "Blue",
        "ethnicity": "other_ethnic",
        "ethnicity.other_ethnic": "Cornish",
    }


def test_a_hidden_section_hides_its_questions():
    trust = TINY.question("trust")
    assert not question_visible(TINY, trust, with_derived(TINY, {}, "en"))
    assert question_visible(TINY, trust, with_derived(TINY, {"group": "dk"}, "en"))


def _answer_for(question: Question) -> st.SearchStrategy:
    codes = list(question.codes)
    junk = st.sampled_from(["", "nonsense", "<script>"])
    match question.type:
        case "multi":
            return st.lists(st.sampled_from(codes) | junk, max_size=4)
        case "number":
            return st.integers(-5, 200)
        case "text" | "long_text":
            return st.text(max_size=20)
        case _:
            return st.sampled_from(codes) | junk


@st.composite
def answers_for(draw, questionnaire: Questionnaire) -> dict:
    """Draw any combination of answers, valid or not, to some of a questionnaire's questions."""
    answers: dict = {}
    for question in questionnaire.questions:
        keys = [f"{question.id}.{i.code}" for i in question.items] if question.type == "grid" else [question.id]
        for key in keys:
            if draw(st.booleans()):
                answers[key] = draw(_answer_for(question))
        for option in question.options:
            if option.other and draw(st.booleans()):
                answers[f"{question.id}.{option.code}"] = draw(st.text(max_size=10))
    return answers


ALL = [TINY, *SHIPPED]


@pytest.mark.parametrize("questionnaire", ALL, ids=lambda q: q.id)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), language=st.sampled_from(["en", "cy"]))
def test_a_hidden_question_is_never_required(questionnaire, data, language):
    answers = data.draw(answers_for(questionnaire))
    kept = clean_answers(questionnaire, answers, language)
    values = with_derived(questionnaire, kept, language)
    for question in questionnaire.questions:
        if not question_visible(questionnaire, question, values):
            assert not is_required(questionnaire, question, values)
            assert not any(key in kept for key in question.answer_keys())


@pytest.mark.parametrize("questionnaire", ALL, ids=lambda q: q.id)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), language=st.sampled_from(["en", "cy"]))
def test_derived_variables_are_defined_for_every_combination_of_answers(questionnaire, data, language):
    answers = data.draw(answers_for(questionnaire))
    for source in (answers, clean_answers(questionnaire, answers, language)):
        values = with_derived(questionnaire, source, language)
        for variable in questionnaire.derived:
            assert values[variable.id] is None or values[variable.id] in {v.code for v in variable.values}


@pytest.mark.parametrize("questionnaire", ALL, ids=lambda q: q.id)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), language=st.sampled_from(["en", "cy"]))
def test_cleaning_is_idempotent_and_keeps_only_offered_codes(questionnaire, data, language):
    answers = data.draw(answers_for(questionnaire))
    kept = clean_answers(questionnaire, answers, language)
    assert clean_answers(questionnaire, kept, language) == kept
    values = with_derived(questionnaire, kept, language)
    for question in questionnaire.questions:
        if question.type in ("single", "scale") and question.id in kept:
            assert kept[question.id] in {o.code for o in visible_options(question, values)}
        if question.type == "multi" and question.id in kept:
            assert set(kept[question.id]) <= {o.code for o in visible_options(question, values)}
