"""The shipped AI-at-work questionnaire against its research outline (domain-ai-at-work.md §5, §5.N, §6.1).

Everything goes through the real loader and the pure rule engine; no app needed.
"""

from __future__ import annotations

from typing import Any

import pytest

from survey.questionnaire.loader import load_file
from survey.questionnaire.rules import (
    clean_answers,
    is_required,
    option_label,
    question_visible,
    visible_options,
    with_derived,
)

from .factories import complete_answers
from .helpers import ROOT

Q = load_file(ROOT / "questionnaires" / "ai-at-work.yaml")


# ---------------------------------------------------------------- helpers


def values(answers: dict | None = None, language: str = "en") -> dict[str, Any]:
    """Return the answers plus derived variables, as rules see them."""
    return with_derived(Q, answers or {}, language)


def shown(question_id: str, answers: dict | None = None, language: str = "en") -> bool:
    """Return whether a question is asked after these answers."""
    return question_visible(Q, Q.question(question_id), values(answers, language))


def offered(question_id: str, answers: dict | None = None, language: str = "en") -> list[str]:
    """Return the codes offered for a question after these answers."""
    return [o.code for o in visible_options(Q.question(question_id), values(answers, language))]


def derived(variable: str, answers: dict, language: str = "en") -> str | None:
    """Return a derived variable computed from the cleaned answers, as a stored response would give."""
    return values(clean_answers(Q, answers, language), language)[variable]


def route_length(answers: dict, language: str = "en") -> int:
    """Return how many questions are asked for these answers."""
    current = values(answers, language)
    return sum(question_visible(Q, q, current) for q in Q.questions)


# ---------------------------------------------------------------- 1. questions, types and codes

OUTLINE_TYPES = {
    **dict.fromkeys(["A1", "A2", "A3", "A4", "A5", "A6", "A7"], "single"),
    "A8": "multi",
    "B1": "single",
    "B2": "multi",
    "B3": "multi",
    "B4": "scale",
    "B5": "single",
    "C1": "scale",
    "C2": "grid",
    "C3": "scale",
    "D1": "multi",
    "D2": "grid",
    "D3": "single",
    "E1": "grid",
    "E2": "multi",
    "E3": "single",
    "F1": "single",
    "F2": "multi",
    "F3": "multi",
    "G1": "single",
    "G2": "scale",
    "H1": "single",
    "H2": "grid",
    "H3": "multi",
    "I1": "multi",
    "I2": "single",
    "I3": "text",
    "J1": "grid",
    "J2": "multi",
    "K1": "text",
    **{f"L{n}": "single" for n in range(1, 10)},
}

# Options whose codes the outline lists in full (§5, sections A–L), in the outline's order.
OUTLINE_CODES = {
    "A1": "health local_gov higher_ed police_justice community wet energy dk",
    "A3": "public_body private_contractor voluntary housing_assoc uni_college utility agency other",
    "A4": "frontline control_room casework admin care_clinical technical investigation facilities manager other",
    "A6": "ft pt variable bank_casual",
    "A7": "site hybrid home mobile",
    "A8": "steward hs_rep learning_rep branch_officer none",
    "B1": "use_me use_not_me planned no dk",
    "B2": "genai_assistant transcription call_triage risk_scoring rostering performance_analytics public_chatbot "
    "document_processing hr_screening biometric clinical_support other dk",
    "B3": "writing recording assessment prioritising scheduling public_contact checking monitoring_me none",
    "B5": "human_always human_usually rarely_reviewed automatic dk na",
    "D1": "email_msgs computer_activity keystroke_active call_recording location body_worn cctv webcam_home "
    "productivity_dash biometric_clockin wearables emotion none dk",
    "D3": "yes_me yes_colleague no dk",
    "E2": "posts_cut vacancies_unfilled restructure tasks_to_ai new_tasks hours_cut none dk",
    "E3": "supports mixed replaces too_early dk",
    "F1": "no_change changed_regraded_up changed_review_pending changed_no_review changed_deskilled dk",
    "F2": "pay time reinvest_services more_staff training lower_costs other",
    "F3": "reinvested cut_staff time_back more_work pay_improved no_savings dk",
    "G1": "yes_enough yes_not_enough no_needed no_not_needed",
    "H1": "early_meaningful after_decision told_at_launch not_informed dk",
    "H3": "duty_to_consult human_review limit_surveillance job_protection share_gains reinvest equality_assessment "
    "data_rights public_control training",
    "I1": "disabled ethnic_minority women older younger lgbt pregnant_carers part_time accents_language "
    "welsh_speakers none dk",
    "I2": "experienced witnessed both no not_sure",
    "J2": "private_ai_supplier private_data outsourced_tech outsourcing_planned none dk",
    "L1": "16_24 25_30 31_39 40_49 50_59 60_64 65_plus pnts",
    "L9": "fluent some no pnts",
}

ENGLISH_REGIONS = {
    "eastern",
    "east_midlands",
    "greater_london",
    "northern",
    "north_west",
    "south_east",
    "south_west",
    "west_midlands",
    "yorkshire_humberside",
}

# Which questions and scales each scale-based question uses, and the codes a member is offered.
OUTLINE_SCALES = {
    "B4": ("use6", "0 1 2 3 4 5"),
    "C1": ("change5", "-2 -1 0 1 2 dk"),
    "C2": ("change5", "-2 -1 0 1 2 dk"),
    "C3": ("freq5", "1 2 3 4 5"),
    "D2": ("agree5", "1 2 3 4 5 dk na"),
    "E1": ("worry4", "1 2 3 4 dk"),
    "G2": ("agree5", "1 2 3 4 5 dk"),
    "H2": ("agree5", "1 2 3 4 5 dk na"),
    "J1": ("agree5", "1 2 3 4 5 dk na"),
}

GRID_ITEMS = {"C2": "abcdefgh", "D2": "abcdef", "E1": "abcdef", "H2": "abcdef", "J1": "abcde"}

EXCLUSIVE = {
    "A8": {"none"},
    "B2": {"dk"},
    "B3": {"none"},
    "D1": {"none", "dk"},
    "E2": {"none", "dk"},
    "F3": {"dk"},
    "I1": {"none", "dk"},
    "J2": {"none", "dk"},
}

WRITE_INS = {
    "A2": {"other"},
    "A3": {"other"},
    "A4": {"other"},
    "B2": {"other"},
    "F2": {"other"},
    "L3": {"no"},
    "L4": {"other"},
    "L5": {"white_other", "mixed_other", "asian_other", "black_other", "other_ethnic"},
    "L8": {"other"},
}

REQUIRED = {"A1", "A2", "A3", "A4", "A5", "A6", "A7", "B1", "B2", "B4", "C1", "D1"}


# Moved up one place so that the grid before each has a page of its own (no page much longer than
# two and a half phone screens), and the GSS unpaid-carer question added after the disability pair.
MOVED_UP = {"C3": "C2", "D3": "D2", "H3": "H2"}
ADDED_AFTER = {"L10": "L7"}


def test_the_45_outline_questions_in_outline_order_and_the_carer_question():
    order = list(OUTLINE_TYPES)
    for moved, before in MOVED_UP.items():
        order.remove(moved)
        order.insert(order.index(before), moved)
    for added, after in ADDED_AFTER.items():
        order.insert(order.index(after) + 1, added)
    assert [q.id for q in Q.questions] == order
    assert len(Q.questions) == 46


@pytest.mark.parametrize(("question_id", "kind"), OUTLINE_TYPES.items())
def test_question_type(question_id, kind):
    question = Q.question(question_id)
    if kind == "text":
        assert question.type in ("text", "long_text")
    else:
        assert question.type == kind


@pytest.mark.parametrize(("question_id", "codes"), OUTLINE_CODES.items())
def test_outline_option_codes(question_id, codes):
    assert Q.question(question_id).codes == tuple(codes.split())


@pytest.mark.parametrize(("question_id", "expected"), OUTLINE_SCALES.items())
def test_scale_questions_use_the_outline_scale(question_id, expected):
    scale, codes = expected
    question = Q.question(question_id)
    assert (question.scale.id, question.codes) == (scale, tuple(codes.split()))


@pytest.mark.parametrize(("question_id", "codes"), GRID_ITEMS.items())
def test_grid_items(question_id, codes):
    assert "".join(item.code for item in Q.question(question_id).items) == codes


def test_a2_police_and_justice_codes_and_an_other_write_in():
    codes = Q.question("A2").codes
    assert {"police_ew", "police_scotland", "probation", "cafcass", "pj_contractor", "pj_other"} <= set(codes)
    assert codes[-1] == "other"


def test_a5_offers_the_12_regions_and_not_sure():
    assert set(Q.question("A5").codes) == ENGLISH_REGIONS | {"cymru_wales", "scotland", "northern_ireland", "dk"}


def test_l5_has_the_19_census_categories_under_5_headings_plus_pnts():
    options = Q.question("L5").options
    assert [o.code for o in options if o.group is None] == ["pnts"]
    assert len([o for o in options if o.group]) == 19
    assert len({o.group.label["en"] for o in options if o.group}) == 5


@pytest.mark.parametrize("question", Q.questions, ids=lambda q: q.id)
def test_exclusive_options_write_ins_and_max_choices(question):
    assert {o.code for o in question.options if o.exclusive} == EXCLUSIVE.get(question.id, set())
    assert {o.code for o in question.options if o.other} == WRITE_INS.get(question.id, set())
    assert question.max_choices == (3 if question.id in ("F2", "H3") else None)


@pytest.mark.parametrize(("question_id", "limit"), [("I3", 1000), ("K1", 2000)])
def test_free_text_limits(question_id, limit):
    question = Q.question(question_id)
    assert (question.max_length, question.required) == (limit, False)


def test_required_questions_are_the_outlines():
    assert {q.id for q in Q.questions if q.required} == REQUIRED


def test_questions_that_filter_option_lists_or_pages_come_on_an_earlier_page():
    page = {s.id: n for n, s in enumerate(Q.sections)}
    page_of = lambda question_id: page[Q.question(question_id).section_id]  # noqa: E731
    assert page_of("A1") < page_of("A2")
    assert all(page_of("B1") < page_of(q) for q in ["B2", "B3", "B4", "B5", "C2", "E2", "E3", "F1", "G1", "H1"])
    assert page_of("A5") < min(page_of("I1"), page_of("L5"), page_of("L9"))


# ---------------------------------------------------------------- 2. skip logic (§5.N)

AI_USE_ONLY = ["B3", "B4", "B5", "C2", "E2", "F1", "F3", "G1"]
AI_ANY = ["B2", "E3", "H1"]
CONDITIONAL = {*AI_USE_ONLY, *AI_ANY, "I3", "L7", "L9"}
ALWAYS = [q.id for q in Q.questions if q.id not in CONDITIONAL]


@pytest.mark.parametrize("b1", ["no", "dk"])
@pytest.mark.parametrize("question_id", AI_USE_ONLY + AI_ANY)
def test_no_ai_skips_every_ai_experience_question(b1, question_id):
    assert not shown(question_id, {"B1": b1})
    assert not is_required(Q, Q.question(question_id), values({"B1": b1}))


@pytest.mark.parametrize("question_id", AI_USE_ONLY + AI_ANY)
def test_planned_ai_shows_only_the_ai_any_questions(question_id):
    assert shown(question_id, {"B1": "planned"}) is (question_id in AI_ANY)


@pytest.mark.parametrize("b1", ["use_me", "use_not_me"])
@pytest.mark.parametrize("question_id", AI_USE_ONLY + AI_ANY)
def test_ai_in_use_shows_every_ai_question(b1, question_id):
    assert shown(question_id, {"B1": b1})


@pytest.mark.parametrize("b1", Q.question("B1").codes)
def test_everything_else_is_always_asked(b1):
    assert [q for q in ALWAYS if not shown(q, {"B1": b1})] == []


def test_b2_is_required_only_when_shown():
    b2 = Q.question("B2")
    assert is_required(Q, b2, values({"B1": "planned"}))
    assert not is_required(Q, b2, values({"B1": "no"}))


def test_changing_b1_to_no_discards_the_ai_answers():
    answers = complete_answers({"B1": "use_me"})
    assert {"B3", "C2.a", "G1"} <= set(answers)
    kept = clean_answers(Q, {**answers, "B1": "no"}, "en")
    assert not any(key.split(".")[0] in AI_USE_ONLY + AI_ANY for key in kept)


@pytest.mark.parametrize("i2", Q.question("I2").codes)
def test_i3_only_after_a_yes_at_i2(i2):
    assert shown("I3", {"I2": i2}) is (i2 in ("experienced", "witnessed", "both"))


@pytest.mark.parametrize("l6", Q.question("L6").codes)
def test_l7_only_when_l6_is_yes(l6):
    assert shown("L7", {"L6": l6}) is (l6 == "yes")


WALES_CASES = [
    ("eastern", "en", False),
    ("scotland", "en", False),
    ("dk", "en", False),
    ("cymru_wales", "en", True),
    ("eastern", "cy", True),
    ("dk", "cy", True),
]


@pytest.mark.parametrize(("a5", "language", "in_wales"), WALES_CASES)
def test_welsh_items_only_in_wales_or_in_welsh(a5, language, in_wales):
    answers = {"A5": a5}
    assert shown("L9", answers, language) is in_wales
    assert ("welsh_speakers" in offered("I1", answers, language)) is in_wales
    assert derived("wales", answers, language) == ("yes" if in_wales else "no")


@pytest.mark.parametrize(("a5", "language", "in_wales"), WALES_CASES)
def test_first_white_option_is_welsh_first_in_wales(a5, language, in_wales):
    option = Q.question("L5").options[0]
    label = option_label(option, values({"A5": a5}, language), language)
    first_word = {("en", True): "Welsh", ("en", False): "English", ("cy", True): "Cymreig", ("cy", False): "Seisnig"}
    assert option.code == "white_british"
    assert label.split(",")[0] == first_word[language, in_wales]


# A few A2 codes from each service group's list (§1.1, §1.2).
A2_SAMPLES = {
    "health": {"acute_hospital", "ambulance", "mental_health"},
    "local_gov": {"adult_social_care", "schools", "childrens_services"},
    "higher_ed": {"university", "campus_contractor"},
    "police_justice": {"police_ew", "police_scotland", "probation", "cafcass"},
    "community": {"charity", "housing_association"},
    "wet": {"water", "environment_body", "transport"},
    "energy": {"electricity", "gas"},
}


@pytest.mark.parametrize("a1", [c for c in Q.question("A1").codes if c != "dk"])
def test_a2_offers_only_the_chosen_service_groups_list(a1):
    codes = offered("A2", {"A1": a1})
    groups = {o.group.label["en"] for o in visible_options(Q.question("A2"), values({"A1": a1})) if o.group}
    assert len(groups) == 1
    assert A2_SAMPLES[a1] <= set(codes)
    assert not any(set(codes) & samples for group, samples in A2_SAMPLES.items() if group != a1)
    assert codes[-1] == "other"


def test_a2_offers_every_list_when_the_service_group_is_not_sure():
    assert offered("A2", {"A1": "dk"}) == list(Q.question("A2").codes)


MINIMAL = {"A5": "eastern", "I2": "no", "L6": "no"}  # no I3, L7 or L9
MAXIMAL = {"A5": "cymru_wales", "I2": "both", "L6": "yes"}  # I3, L7 and L9 too


# One more than the outline's counts on every route: the unpaid-carer question L10 is always asked.
@pytest.mark.parametrize(
    ("b1", "extra", "length"),
    [
        ("no", MINIMAL, 32),
        ("dk", MINIMAL, 32),
        ("no", MAXIMAL, 35),
        ("planned", MINIMAL, 35),
        ("use_not_me", MINIMAL, 43),
        ("use_me", MINIMAL, 43),
        ("use_me", MAXIMAL, 46),
    ],
)
def test_route_length(b1, extra, length):
    answers = complete_answers({"B1": b1, **extra})
    assert route_length(answers) == length
    answered = {key.split(".")[0] for key in answers}
    assert len(answered) == length, "every question on the route has an answer"


# ---------------------------------------------------------------- 3. equality monitoring (section L)

EQUALITY = ["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L10", "L8", "L9"]  # in page order


@pytest.mark.parametrize("question_id", EQUALITY)
def test_equality_questions_are_optional_with_prefer_not_to_say(question_id):
    question = Q.question(question_id)
    assert not question.required
    assert "pnts" in question.codes


def test_equality_questions_fill_the_last_pages():
    pages = [s for s in Q.sections if any(q.id in EQUALITY for q in s.questions)]
    assert pages == list(Q.sections[-len(pages) :])
    assert [q.id for s in pages for q in s.questions] == EQUALITY


@pytest.mark.parametrize("language", ["en", "cy"])
def test_equality_intro_explains_in_both_languages(language):
    intro = Q.section_of("L1").intro
    pnts_label = Q.question("L1").options[-1].label[language]
    assert intro is not None
    assert pnts_label in intro[language], "the intro names the 'Prefer not to say' answer as worded"


# ---------------------------------------------------------------- 4. derived variables


NATION = {
    **dict.fromkeys(ENGLISH_REGIONS, "england"),
    "cymru_wales": "wales",
    "scotland": "scotland",
    "northern_ireland": "northern_ireland",
    "dk": None,
}


@pytest.mark.parametrize("region", Q.question("A5").codes)
def test_nation(region):
    assert derived("nation", {"A5": region}) == NATION[region]


@pytest.mark.parametrize(
    ("l6", "l7", "expected"),
    [
        ("yes", "a_lot", "yes"),
        ("yes", "a_little", "yes"),
        ("yes", "not_at_all", "no"),
        ("yes", "pnts", "pnts"),
        ("yes", None, None),
        ("no", None, "no"),
        ("no", "a_lot", "no"),  # L7 is discarded when L6 is no
        ("pnts", None, "pnts"),
        (None, None, None),
    ],
)
def test_disabled(l6, l7, expected):
    answers = {k: v for k, v in {"L6": l6, "L7": l7}.items() if v}
    assert derived("disabled", answers) == expected


def _ethnic_heading(code: str) -> str:
    """Return the first words of the L5 heading an option sits under ("White", "Asian" ...), or its code."""
    option = next(o for o in Q.question("L5").options if o.code == code)
    return option.group.label["en"].split(",")[0] if option.group else code


@pytest.mark.parametrize("code", Q.question("L5").codes)
def test_black_members_is_every_heading_but_white(code):
    heading = _ethnic_heading(code)
    expected = {"White": "no", "pnts": "pnts"}.get(heading, "yes")
    assert derived("black_members", {"L5": code}) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [("gypsy_traveller", "no"), ("roma", "no"), ("white_irish", "no"), ("white_other", "no"), ("arab", "yes")],
)
def test_black_members_edge_groups(code, expected):
    assert derived("black_members", {"L5": code}) == expected


@pytest.mark.parametrize("code", Q.question("L5").codes)
def test_ethnic_minority_is_everyone_but_white_british(code):
    expected = {"white_british": "white_british", "pnts": "pnts"}.get(code, "minority")
    assert derived("ethnic_minority", {"L5": code}) == expected


@pytest.mark.parametrize("code", Q.question("L5").codes)
def test_ethnic_group_follows_the_census_heading(code):
    groups = {
        "White": "white",
        "Mixed or Multiple ethnic groups": "mixed",
        "Asian": "asian",
        "Black": "black",
        "Other ethnic group": "other",
        "pnts": "pnts",
    }
    expected = groups[_ethnic_heading(code)]
    assert derived("ethnic_group", {"L5": code}) == expected


@pytest.mark.parametrize("band", Q.question("L1").codes)
def test_young_member_is_30_or_under(band):
    expected = "pnts" if band == "pnts" else "yes" if band in ("16_24", "25_30") else "no"
    assert derived("young_member", {"L1": band}) == expected


@pytest.mark.parametrize("b1", Q.question("B1").codes)
def test_ai_flags(b1):
    in_use = b1 in ("use_me", "use_not_me")
    flag = lambda holds: "yes" if holds else "no"  # noqa: E731
    assert derived("ai_use", {"B1": b1}) == flag(in_use)
    assert derived("ai_planned", {"B1": b1}) == flag(b1 == "planned")
    assert derived("ai_any", {"B1": b1}) == flag(in_use or b1 == "planned")


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"L4": "gay_lesbian"}, "yes"),
        ({"L4": "straight", "L3": "no"}, "yes"),
        ({"L4": "straight", "L3": "yes"}, "no"),
        ({"L4": "straight"}, None),
        ({"L4": "pnts", "L3": "yes"}, "pnts"),
    ],
)
def test_lgbt(answers, expected):
    assert derived("lgbt", answers) == expected


# ---------------------------------------------------------------- 5. dimensions (§6.1)

WORK_DIMENSIONS = ["A1", "A2", "A3", "A4", "A5", "nation", "A6", "A7", "B1"]
PROTECTED_DIMENSIONS = {
    "L1",  # age
    "age_group",
    "young_member",
    "L2",  # sex
    "L3",  # gender identity
    "L4",  # sexual orientation
    "sexual_orientation_group",
    "lgbt",
    "ethnic_group",
    "black_members",
    "ethnic_minority",
    "disabled",
    "L8",  # religion
}


@pytest.mark.parametrize("dimension_id", WORK_DIMENSIONS)
def test_work_dimensions_exist_and_are_not_protected(dimension_id):
    assert not Q.dimension(dimension_id).protected


def test_protected_dimensions_are_exactly_the_equality_ones():
    assert {d.id for d in Q.dimensions if d.protected} == PROTECTED_DIMENSIONS


def test_welsh_speaker_is_a_dimension():
    assert Q.dimension("L9").values


# ---------------------------------------------------------------- 6. translations


def member_texts():
    """Yield (where, text) for every text a member can read."""
    yield "title", Q.title
    yield "description", Q.description
    for scale in Q.scales.values():
        for point in scale.points + scale.off_scale:
            yield f"scale {scale.id} {point.code}", point.label
    for section in Q.sections:
        yield f"{section.id} title", section.title
        yield f"{section.id} intro", section.intro
        for question in section.questions:
            yield question.id, question.text
            yield f"{question.id} hint", question.hint
            for item in question.items:
                yield f"{question.id}.{item.code}", item.text
            for option in question.options:
                yield f"{question.id} {option.code}", option.label
                yield f"{question.id} {option.code} group", option.group.label if option.group else None
                for n, (_, label) in enumerate(option.alt_labels):
                    yield f"{question.id} {option.code} alt {n}", label


def test_every_member_text_is_in_english_and_welsh():
    missing = [
        where
        for where, text in member_texts()
        if text is not None and any(not text.get(language, "").strip() for language in ("en", "cy"))
    ]
    assert Q.languages == ("en", "cy")
    assert not missing


def test_welsh_question_texts_and_page_titles_are_translated():
    texts = [(s.id, s.title) for s in Q.sections]
    texts += [(q.id, q.text) for q in Q.questions]
    texts += [(f"{q.id}.{i.code}", i.text) for q in Q.questions for i in q.items]
    copied = [where for where, text in texts if text["cy"].strip().lower() == text["en"].strip().lower()]
    assert not copied


# ---------------------------------------------------------------- 7. metadata


def test_welsh_is_marked_as_awaiting_professional_review():
    assert "awaiting professional review" in Q.metadata["translation_status"]["cy"].lower()
