"""Read one page of submitted form values into answers, checking every value. Pure Python.

The form arrives as a multi-dict (several values per name are possible, so a forged request can
send a list where one value is expected). Each question type has a reader in READERS; each
returns the answers it accepts and the problems it found, as codes that the web layer turns into
messages in the member's language. Nothing here raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Protocol

from .model import ITEM_TYPES, Question, Questionnaire, Section
from .rules import Derivation, evaluate, is_required, question_visible, shown_keys, visible_options

# Control characters other than tab, newline and carriage return; NUL included.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FormData(Protocol):
    """What a page reader needs from the submitted form (werkzeug's MultiDict has it)."""

    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class Problem:
    """Why one field was not accepted: a message code and its parameters."""

    field: str  # the form field to link to, e.g. "A1" or "C2.b"
    code: str  # e.g. "required", "not_an_option", "too_long"
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)  # `field` is the attribute above


@dataclass
class PageResult:
    """The answers accepted from one page, and the problems that stop it being saved."""

    answers: dict[str, Any]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        """Return whether the page can be saved and the member move on."""
        return not self.problems


def field_id(key: str) -> str:
    """Return the HTML id of the first input for an answer key (dots are not id-safe in CSS)."""
    return "q-" + key.replace(".", "-")


def _one(form: FormData, key: str, question_field: str) -> tuple[str | None, Problem | None]:
    values = [v for v in form.getlist(key) if v != ""]
    if len(values) > 1:
        return None, Problem(question_field, "only_one")
    return (values[0] if values else None), None


def _text_problem(key: str, value: str, limit: int) -> Problem | None:
    if CONTROL.search(value):
        return Problem(key, "bad_characters")
    if len(value) > limit:
        return Problem(key, "too_long", {"limit": limit, "used": len(value)})
    return None


def _write_ins(question: Question, form: FormData, chosen: list[str], offered: dict) -> tuple[dict, list[Problem]]:
    answers, problems = {}, []
    for code in chosen:
        option = offered.get(code)
        if option is None or not option.other:
            continue
        key = f"{question.id}.{code}"
        text = " ".join(form.getlist(key)).strip()
        problem = _text_problem(key, text, question.other_max_length)
        if problem:
            problems.append(problem)
        elif text:
            answers[key] = text
    return answers, problems


def read_single(question: Question, form: FormData, values: Mapping) -> PageResult:
    """Read a single-choice or scale question: one offered code."""
    offered = {o.code: o for o in visible_options(question, values)}
    value, problem = _one(form, question.id, question.id)
    if problem:
        return PageResult({}, [problem])
    if value is None:
        return PageResult({}, [])
    if value not in offered:
        return PageResult({}, [Problem(question.id, "not_an_option")])
    write_ins, problems = _write_ins(question, form, [value], offered)
    return PageResult({question.id: value, **write_ins}, problems)


def read_multi(question: Question, form: FormData, values: Mapping) -> PageResult:
    """Read a multiple-choice question: offered codes, exclusives alone, at most max_choices."""
    offered = {o.code: o for o in visible_options(question, values)}
    chosen = list(dict.fromkeys(v for v in form.getlist(question.id) if v != ""))
    if not chosen:
        return PageResult({}, [])
    if any(code not in offered for code in chosen):
        return PageResult({}, [Problem(question.id, "not_an_option")])
    exclusive = [code for code in chosen if offered[code].exclusive]
    if exclusive and len(chosen) > 1:
        return PageResult({}, [Problem(question.id, "exclusive", {"option": offered[exclusive[0]].label})])
    if question.max_choices and len(chosen) > question.max_choices:
        return PageResult({}, [Problem(question.id, "too_many", {"max": question.max_choices})])
    write_ins, problems = _write_ins(question, form, chosen, offered)
    return PageResult({question.id: chosen, **write_ins}, problems)


def read_grid(question: Question, form: FormData, values: Mapping) -> PageResult:
    """Read a grid or statements question: one scale code per shown item."""
    offered = {o.code for o in visible_options(question, values)}
    answers, problems = {}, []
    for item in question.items:
        if not evaluate(item.show_if, values):
            continue
        key = f"{question.id}.{item.code}"
        value, problem = _one(form, key, key)
        if problem:
            problems.append(problem)
        elif value is not None and value not in offered:
            problems.append(Problem(key, "not_an_option"))
        elif value is not None:
            answers[key] = value
    return PageResult(answers, problems)


def read_priorities(question: Question, form: FormData, values: Mapping) -> PageResult:
    """Read a priorities question: exactly `choose` options (kept in option order), or the top
    `rank` in order, one select box per place. Left wholly empty is no answer (a problem only
    when required); once started, it must be complete."""
    offered = {o.code: o for o in visible_options(question, values)}
    if question.rank:
        return _read_ranking(question, form, offered, question.rank)
    count = question.choose or 0
    chosen = {v for v in form.getlist(question.id) if v != ""}
    if any(code not in offered for code in chosen):
        return PageResult({}, [Problem(question.id, "not_an_option")])
    if not chosen and not question.required:
        return PageResult({}, [])
    if len(chosen) != count:
        code = "choose_count" if chosen else "choose_none"
        return PageResult({}, [Problem(question.id, code, {"count": count, "chosen": len(chosen)})])
    return PageResult({question.id: [code for code in offered if code in chosen]}, [])


def _read_ranking(question: Question, form: FormData, offered: dict, places: int) -> PageResult:
    given = form.getlist(question.id)
    if any(v != "" for v in given[places:]) or any(v not in offered for v in given if v != ""):
        return PageResult({}, [Problem(question.id, "not_an_option")])
    ranked = [*given[:places], *[""] * (places - len(given))]
    if all(v == "" for v in ranked):
        return PageResult({}, [Problem(question.id, "rank_none", {"count": places})] if question.required else [])
    seen: set[str] = set()
    for place, code in enumerate(ranked, 1):
        if code == "":
            return PageResult({}, [Problem(question.id, "rank_missing", {"place": place})])
        if code in seen:
            problem = Problem(question.id, "rank_repeated", {"place": place, "option": offered[code].label})
            return PageResult({}, [problem])
        seen.add(code)
    return PageResult({question.id: ranked}, [])


def read_number(question: Question, form: FormData, values: Mapping) -> PageResult:
    """Read a whole number within the question's range."""
    value, problem = _one(form, question.id, question.id)
    if problem:
        return PageResult({}, [problem])
    if value is None or not value.strip():
        return PageResult({}, [])
    text = value.strip().replace(",", "")
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        return PageResult({}, [Problem(question.id, "not_a_number")])
    number = int(text)
    if not question.min <= number <= question.max:  # type: ignore[operator]
        return PageResult({}, [Problem(question.id, "out_of_range", {"min": question.min, "max": question.max})])
    return PageResult({question.id: number}, [])


def read_text(question: Question, form: FormData, values: Mapping) -> PageResult:
    """Read free text within the question's length limit, with no control characters."""
    value, problem = _one(form, question.id, question.id)
    if problem:
        return PageResult({}, [problem])
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        return PageResult({}, [])
    problem = _text_problem(question.id, text, question.max_length or 0)
    return PageResult({}, [problem]) if problem else PageResult({question.id: text}, [])


READERS: dict[str, Callable[[Question, FormData, Mapping], PageResult]] = {
    "single": read_single,
    "scale": read_single,
    "multi": read_multi,
    "grid": read_grid,
    "statements": read_grid,
    "priorities": read_priorities,
    "number": read_number,
    "text": read_text,
    "long_text": read_text,
}


def read_page(
    questionnaire: Questionnaire, section: Section, form: FormData, saved: Mapping[str, Any], language: str
) -> PageResult:
    """Read a page's form against the saved answers: accepted answers, and every problem.

    Questions are read in order, each seeing the answers before it (saved ones, and earlier ones
    on this page), so a question revealed by an earlier answer on the same page is checked, and
    one hidden by it is ignored. A required question left empty is a problem only if it is shown.
    """
    derivation = Derivation(questionnaire, off_page(section, saved), language)  # the values rules see
    answers: dict[str, Any] = {}
    problems: list[Problem] = []
    for question in section.questions:
        values = derivation.values
        if not question_visible(questionnaire, question, values):
            continue
        result = READERS[question.type](question, form, values)
        answers.update(result.answers)
        problems += result.problems
        missing = is_required(questionnaire, question, values) and not _answered(question, result, values)
        if missing:  # every row of a grid left empty, not one at a time; a row already at fault once
            at_fault = {p.field for p in result.problems}
            keys = _missing(question, result, values, at_fault)
            problems += [Problem(key, "required_" + question.type) for key in keys]
        derivation.add(result.answers)  # after this question's checks, which see the answers before it
    return PageResult(answers, problems)


def on_page(section: Section, key: str) -> bool:
    """Return whether an answer key (``A1``, ``C2.a``, ``A2.other``) belongs to a page's questions."""
    return key.split(".")[0] in {q.id for q in section.questions}


def off_page(section: Section, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Return the answers that belong to other pages."""
    return {k: v for k, v in answers.items() if not on_page(section, k)}


def _answered(question: Question, result: PageResult, values: Mapping) -> bool:
    return all(key in result.answers for key in shown_keys(question, values))


def _missing(question: Question, result: PageResult, values: Mapping, at_fault: set[str]) -> list[str]:
    """Return the answer keys still to give: every shown row of a grid or statements question not
    already at fault, or the question itself when nothing about it is."""
    if question.type not in ITEM_TYPES:
        return [] if any(field.split(".")[0] == question.id for field in at_fault) else [question.id]
    return [key for key in shown_keys(question, values) if key not in result.answers and key not in at_fault]


def page_values(section: Section, answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Return saved answers for a page as form values (lists of strings), to fill the form."""
    filled: dict[str, list[str]] = {}
    for key, value in answers.items():
        if on_page(section, key):
            filled[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return filled
