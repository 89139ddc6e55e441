"""Turn a questionnaire page and a member's answers into what the templates show: the member
journey (survey/responses) and the organisers' preview of it (survey/organise/preview.py). No commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..questionnaire.answers import Problem, field_id, off_page, on_page
from ..questionnaire.model import ITEM_TYPES, Question, Questionnaire, Rule, Section
from ..questionnaire.rules import (
    evaluate,
    option_label,
    question_visible,
    references,
    section_visible,
    shown_keys,
    visible_options,
    with_derived,
)

MESSAGES = {
    "required_single": _l("Select an answer"),
    "required_scale": _l("Select an answer"),
    "required_multi": _l("Select at least one answer"),
    "required_grid": _l("Select an answer for this row"),
    "required_statements": _l("Select an answer for this statement"),
    "required_priorities": _l("Choose your priorities"),
    "choose_none": _l("Choose %(count)d priorities"),
    "choose_count": _l("Choose %(count)d priorities: you chose %(chosen)d"),
    "rank_none": _l("Choose your top %(count)d, 1st choice first"),
    "rank_missing": _l("Choose your %(place)s"),
    "rank_repeated": _l("Your %(place)s is '%(option)s' again: choose a different priority for each place"),
    "required_number": _l("Enter a number"),
    "required_text": _l("Enter an answer"),
    "required_long_text": _l("Enter an answer"),
    "only_one": _l("Select only one answer"),
    "not_an_option": _l("Select one of the answers shown"),
    "exclusive": _l("'%(option)s' cannot be selected with other answers"),
    "too_many": _l("Select no more than %(max)d answers"),
    "not_a_number": _l("Enter a whole number, like 12"),
    "out_of_range": _l("Enter a number between %(min)d and %(max)d"),
    "too_long": _l("Use %(limit)d characters or fewer (you used %(used)d)"),
    "bad_characters": _l("Remove the unusual characters from this answer"),
}


# The places of a ranking, as a member reads them ("1st choice"; Welsh "dewis cyntaf"). A
# questionnaire ranks at most 10 places (schema.json).
PLACES = (
    _l("1st choice"),
    _l("2nd choice"),
    _l("3rd choice"),
    _l("4th choice"),
    _l("5th choice"),
    _l("6th choice"),
    _l("7th choice"),
    _l("8th choice"),
    _l("9th choice"),
    _l("10th choice"),
)
# The same places, short, for the check-your-answers page ("1st: Fair pay").
PLACES_SHORT = (
    _l("1st"),
    _l("2nd"),
    _l("3rd"),
    _l("4th"),
    _l("5th"),
    _l("6th"),
    _l("7th"),
    _l("8th"),
    _l("9th"),
    _l("10th"),
)


def place_label(place: int) -> str:
    """Return the label of a ranking's place, 1 first: "1st choice" (Welsh "Dewis cyntaf")."""
    text = str(PLACES[place - 1])
    return text[:1].upper() + text[1:]


def message(problem: Problem, language: str, question: Question | None = None) -> str:
    """Return the plain message for a problem, in the member's language: for a required answer
    left out, the question's own words when it has them ("Select how your workload has changed")."""
    if question is not None and question.error and problem.code.startswith("required_"):
        return question.error[language]
    params = dict(problem.params)
    if isinstance(params.get("option"), dict):
        params["option"] = params["option"][language]
    if isinstance(params.get("place"), int):
        params["place"] = str(PLACES[params["place"] - 1])
    return str(MESSAGES[problem.code]) % params


@dataclass
class Choice:
    """One option as shown: code, label, whether it is selected, and its write-in."""

    code: str
    label: str
    exclusive: bool
    other: bool
    group: str | None
    checked: bool
    other_value: str = ""
    other_error: str | None = None


@dataclass
class Slot:
    """One place of a ranking, as shown: its label ("1st choice"), select box id and options."""

    label: str
    field_id: str
    choices: list[Choice]
    error: bool


@dataclass
class QuestionView:
    """A question as shown on a page, with its values and errors."""

    question: Question
    text: str
    hint: str | None
    choices: list[Choice]
    items: list[tuple[str, str, str, list[Choice], str | None]]  # key, text, field id, choices, error
    value: str
    error: str | None
    unit: str | None
    conditional: bool
    field_id: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field id, message) for the summary
    slots: list[Slot] = field(default_factory=list)  # a ranking's places, first choice first
    condition: str | None = None  # when a follow-up on the same page applies, in words
    reveal: dict[str, Any] | None = None  # its rule, and the answers from other pages it reads


def visible_sections(questionnaire: Questionnaire, answers: dict, language: str) -> list[Section]:
    """Return the pages a member will see, given their answers so far."""
    values = with_derived(questionnaire, answers, language)
    return [s for s in questionnaire.sections if section_visible(s, values)]


def _positions(questionnaire: Questionnaire) -> dict[str, int]:
    """Return each page's place in the questionnaire, by section id (ids are unique)."""
    return {s.id: i for i, s in enumerate(questionnaire.sections)}


def next_section(questionnaire: Questionnaire, current: Section, answers: dict, language: str) -> Section | None:
    """Return the page after this one, or None when the next step is checking answers."""
    place = _positions(questionnaire)
    later = [s for s in visible_sections(questionnaire, answers, language) if place[s.id] > place[current.id]]
    return later[0] if later else None


def previous_section(questionnaire: Questionnaire, current: Section, answers: dict, language: str) -> Section | None:
    """Return the page before this one, or None on the first page."""
    place = _positions(questionnaire)
    earlier = [s for s in visible_sections(questionnaire, answers, language) if place[s.id] < place[current.id]]
    return earlier[-1] if earlier else None


def answered_beyond(questionnaire: Questionnaire, section: Section, answers: dict) -> bool:
    """Return whether the member has answered anything on a page after this one."""
    place = _positions(questionnaire)
    later = [s for s in questionnaire.sections if place[s.id] > place[section.id]]
    return any(on_page(s, key) for s in later for key in answers)


def first_unanswered(questionnaire: Questionnaire, answers: dict, language: str) -> Section | None:
    """Return the first page with no answers yet, to resume at; None when every page has some."""
    for section in visible_sections(questionnaire, answers, language):
        if not any(on_page(section, key) for key in answers):
            return section
    return None


def page_view(
    questionnaire: Questionnaire,
    section: Section,
    answers: dict,
    form: dict[str, list[str]],
    problems: list[Problem],
    language: str,
) -> tuple[dict[str, Any], Section | None]:
    """Return what a question page shows (questions, errors, page number of total) and the
    page before it, for the member's page and the organisers' preview alike."""
    views = build_page(questionnaire, section, answers, form, problems, language)
    number, total = page_number(questionnaire, section)
    context = {
        "section": section,
        "questions": views,
        "errors": [e for v in views for e in v.errors],
        "number": number,
        "total": total,
    }
    return context, previous_section(questionnaire, section, answers, language)


def page_number(questionnaire: Questionnaire, section: Section) -> tuple[int, int]:
    """Return a page's number and the number of pages, counted over every page the member's
    survey has (its audience's questionnaire), whether or not their answers skip some.

    Counting only the pages shown so far made the total jump ("Page 3 of 15", then "Page 4 of
    16") when an answer revealed a page. Counted this way the total never changes during a
    journey and the number only goes up: a skipped page is a number passed over, as on paper.
    """
    return _positions(questionnaire)[section.id] + 1, len(questionnaire.sections)


def build_page(
    questionnaire: Questionnaire,
    section: Section,
    answers: dict,
    form: dict[str, list[str]],
    problems: list[Problem],
    language: str,
) -> list[QuestionView]:
    """Return the questions to show on a page, filled from the form values, with their errors."""
    values = with_derived(questionnaire, off_page(section, answers), language)
    page_ids = {q.id for q in section.questions}
    errors = {p.field: message(p, language, questionnaire.question(p.field.split(".")[0])) for p in problems}
    places = {p.field: p.params["place"] for p in problems if "place" in p.params}
    views = []
    for question in section.questions:
        # A follow-up to an answer on this same page is always sent: the member's browser shows
        # it when it applies (static/js/reveal.js), or, without JavaScript, says when it applies.
        conditional = any(ref.split(".")[0] in page_ids for ref, _codes in references(question.show_if))
        if not conditional and not question_visible(questionnaire, question, values):
            continue
        view = _question_view(question, values, form, errors, language, conditional)
        view.slots = _slots(question, values, form, places.get(question.id), language)
        if view.slots and places.get(question.id) and view.errors:  # link the summary to the place at fault
            view.errors[0] = (view.slots[places[question.id] - 1].field_id, view.errors[0][1])
        if conditional and question.show_if is not None:
            view.condition = _condition(questionnaire, question.show_if, page_ids, values, language)
            view.reveal = _reveal(question.show_if, page_ids, values)
        views.append(view)
    return views


def _slots(question: Question, values: dict, form: dict, error_place: int | None, language: str) -> list[Slot]:
    """Return a ranking's select boxes, each listing every option, filled from the form."""
    if question.type != "priorities" or not question.rank:
        return []
    given = form.get(question.id, [])
    options = visible_options(question, values)
    slots = []
    for place in range(1, question.rank + 1):
        chosen = given[place - 1] if place <= len(given) else ""
        choices = [
            Choice(o.code, option_label(o, values, language), False, False, None, o.code == chosen) for o in options
        ]
        slot_id = field_id(question.id) if place == 1 else f"{field_id(question.id)}--{place}"
        slots.append(Slot(place_label(place), slot_id, choices, error_place == place))
    return slots


def _either(rule: Rule) -> list[tuple[str, list[str]]] | None:
    """Return a rule's (reference, values) pairs when it is a plain "any of these answers", else None."""
    ((operator, args),) = rule.items()
    if operator == "equals":
        return [(str(args[0]), [str(args[1])])]
    if operator == "in":
        return [(str(args[0]), [str(v) for v in args[1]])]
    if operator == "any":
        parts = [_either(sub) for sub in args]
        return None if any(p is None for p in parts) else [pair for p in parts for pair in p or []]
    return None


def _condition(questionnaire: Questionnaire, rule: Rule, page_ids: set[str], values: dict, language: str) -> str:
    """Say when a follow-up applies: "Answer this only if you answered 'Oppose' above"."""
    pairs = _either(rule)
    labels: list[str] = []
    for ref, codes in pairs or []:
        if ref.split(".")[0] not in page_ids:
            pairs = None
            break
        choices = questionnaire.question(ref.split(".")[0]).choices
        by_code = {o.code: option_label(o, values, language) for o in choices}
        labels += [by_code[c] for c in codes if c in by_code and by_code[c] not in labels]
    if not pairs or not labels:
        return _("Answer this only if it applies, given your answer above.")
    quoted = [f"'{label}'" for label in labels]
    answers = quoted[0] if len(quoted) == 1 else _("%(some)s or %(last)s", some=", ".join(quoted[:-1]), last=quoted[-1])
    return _("Answer this only if you answered %(answers)s above.", answers=answers)


def _reveal(rule: Rule, page_ids: set[str], values: dict) -> dict[str, Any]:
    """Return what the page's script needs to decide whether the follow-up applies: the rule, and
    the values it reads that are not on this page (earlier answers, derived variables, language)."""
    known = {ref: values.get(ref) for ref, _codes in references(rule) if ref.split(".")[0] not in page_ids}
    return {"rule": rule, "known": known}


def _choices(question: Question, values: dict, form: dict, errors: dict, key: str, language: str) -> list[Choice]:
    selected = set(form.get(key, []))
    choices = []
    for option in visible_options(question, values):
        other_key = f"{question.id}.{option.code}"
        choices.append(
            Choice(
                code=option.code,
                label=option_label(option, values, language),
                exclusive=option.exclusive,
                other=option.other,
                group=option.group.label[language] if option.group else None,
                checked=option.code in selected,
                other_value=(form.get(other_key) or [""])[0],
                other_error=errors.get(other_key),
            )
        )
    return choices


def _question_view(
    question: Question, values: dict, form: dict, errors: dict, language: str, conditional: bool
) -> QuestionView:
    items = []
    for item in question.items:
        if evaluate(item.show_if, values):
            key = f"{question.id}.{item.code}"
            choices = _choices(question, values, form, errors, key, language)
            items.append((key, item.text[language], field_id(key), choices, errors.get(key)))
    choices = [] if question.type in ITEM_TYPES else _choices(question, values, form, errors, question.id, language)
    # The error summary names the question too, since one page asks several, unless the message
    # already does (a question's own `error` text).
    text = question.text[language]
    own = question.error is not None and errors.get(question.id) == question.error[language]
    named = errors[question.id] if own else f"{text} – {errors.get(question.id)}"
    summary = [(field_id(question.id), named)] if question.id in errors else []
    summary += [(i[2], f"{i[1]} – {i[4]}") for i in items if i[4]]
    summary += [(field_id(f"{question.id}.{c.code}"), f"{c.label} – {c.other_error}") for c in choices if c.other_error]
    return QuestionView(
        question=question,
        text=question.text[language],
        hint=question.hint[language] if question.hint else None,
        choices=choices,
        items=items,
        value=(form.get(question.id) or [""])[0],
        error=errors.get(question.id),
        unit=question.unit[language] if question.unit else None,
        conditional=conditional,
        field_id=field_id(question.id),
        errors=summary,
    )


@dataclass
class SummaryRow:
    """One line of the check-your-answers page."""

    question: str
    answer: list[str]
    section_id: str
    anchor: str


def summary(questionnaire: Questionnaire, answers: dict, language: str) -> list[tuple[Section, list[SummaryRow]]]:
    """Return every shown page with its questions and the member's answers, for checking."""
    not_answered = str(_l("Not answered"))
    values = with_derived(questionnaire, answers, language)
    pages = []
    for section in visible_sections(questionnaire, answers, language):
        rows = []
        for question in section.questions:
            if not question_visible(questionnaire, question, values):
                continue
            shown = _answer_text(question, answers, values, language) or [not_answered]
            rows.append(SummaryRow(question.text[language], shown, section.id, field_id(question.id)))
        pages.append((section, rows))
    return pages


def _answer_text(question: Question, answers: dict, values: dict, language: str) -> list[str]:
    labels = {o.code: option_label(o, values, language) for o in question.choices}
    if question.type == "statements":  # long sentences: the answer first, where the eye scans
        return [
            f"{labels[answers[key]]}: {item.text[language]}"
            for item in question.items
            if (key := f"{question.id}.{item.code}") in answers
        ]
    if question.type in ITEM_TYPES:
        return [
            f"{item.text[language]}: {labels[answers[key]]}"
            for item in question.items
            if (key := f"{question.id}.{item.code}") in answers
        ]
    answer: Any = answers.get(question.id)
    if answer is None:
        return []
    if question.type == "priorities" and question.rank:
        return [f"{PLACES_SHORT[i]}: {labels.get(code, code)}" for i, code in enumerate(answer)]
    if question.type in ("single", "scale", "multi", "priorities"):
        codes = answer if isinstance(answer, list) else [answer]
        shown = []
        for code in codes:
            write_in = answers.get(f"{question.id}.{code}")
            shown.append(f"{labels.get(code, code)}: {write_in}" if write_in else labels.get(code, code))
        return shown
    unit = f" {question.unit[language]}" if question.unit else ""
    return [f"{answer}{unit}"]


def first_incomplete(questionnaire: Questionnaire, answers: dict, language: str) -> Section | None:
    """Return the first page with a required question left unanswered, or None."""
    values = with_derived(questionnaire, answers, language)
    for section in visible_sections(questionnaire, answers, language):
        for question in section.questions:
            if not (question.required and question_visible(questionnaire, question, values)):
                continue
            if not all(key in answers for key in shown_keys(question, values)):
                return section
    return None
