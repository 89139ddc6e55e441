"""Evaluate declarative rules, derived variables and visibility against answers. Pure Python.

A rule is a one-key mapping such as ``{"equals": ["A1", "health"]}``; see
docs/questionnaire-format.md. Functions here take the questionnaire and a plain answers dict
(``{"A1": "health", "D1": ["cctv"], "C2.a": "1"}``) and never touch Flask or the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .model import ITEM_TYPES, Derived, Option, Question, Questionnaire, Rule, Section

LANGUAGE = "language"  # the reserved reference to the member's answering language

Values = Mapping[str, Any]


def _answer(values: Values, ref: str) -> Any:
    return values.get(ref)


def _equals(args: list, values: Values) -> bool:
    ref, expected = args
    answer = _answer(values, ref)
    if isinstance(answer, list):
        return str(expected) in answer
    return answer is not None and str(answer) == str(expected)


def _in(args: list, values: Values) -> bool:
    ref, expected = args
    wanted = {str(v) for v in expected}
    answer = _answer(values, ref)
    if isinstance(answer, list):
        return any(a in wanted for a in answer)
    return answer is not None and str(answer) in wanted


def _answered(ref: str, values: Values) -> bool:
    return _answer(values, ref) not in (None, "", [])


def _is(ref: str, values: Values) -> bool:
    return bool(_answer(values, ref) == "yes")


def _all(rules: list, values: Values) -> bool:
    return all(evaluate(r, values) for r in rules)


def _any(rules: list, values: Values) -> bool:
    return any(evaluate(r, values) for r in rules)


def _not(rule: Rule, values: Values) -> bool:
    return not evaluate(rule, values)


OPERATORS: dict[str, Callable[[Any, Values], bool]] = {
    "equals": _equals,
    "in": _in,
    "answered": _answered,
    "is": _is,
    "all": _all,
    "any": _any,
    "not": _not,
}


def evaluate(rule: Rule | None, values: Values) -> bool:
    """Return whether the rule holds for these values; no rule always holds."""
    if rule is None:
        return True
    ((operator, args),) = rule.items()
    return OPERATORS[operator](args, values)


def references(rule: Rule | None) -> Iterator[tuple[str, list[str]]]:
    """Yield (reference, values compared against it) for every leaf of a rule."""
    if rule is None:
        return
    ((operator, args),) = rule.items()
    if operator in ("all", "any"):
        for sub in args:
            yield from references(sub)
    elif operator == "not":
        yield from references(args)
    elif operator == "equals":
        yield str(args[0]), [str(args[1])]
    elif operator == "in":
        yield str(args[0]), [str(v) for v in args[1]]
    elif operator == "is":
        yield str(args), ["yes"]
    else:  # answered
        yield str(args), []


def derive_one(variable: Derived, values: Values) -> str | None:
    """Return the value of one derived variable, or None when it is unset."""
    if variable.mapping is not None:
        answer = values.get(variable.source or "")
        return variable.mapping.get(str(answer)) if answer is not None else None
    for case in variable.cases:
        if evaluate(case.when, values):
            return case.value
    return None


def with_derived(questionnaire: Questionnaire, answers: Values, language: str) -> dict[str, Any]:
    """Return the answers plus every derived variable and the language, ready for rules."""
    values: dict[str, Any] = {**answers, LANGUAGE: language}
    for variable in questionnaire.derived:
        values[variable.id] = derive_one(variable, values)
    return values


def section_visible(section: Section, values: Values) -> bool:
    """Return whether a page is shown at all."""
    return evaluate(section.show_if, values)


def question_visible(questionnaire: Questionnaire, question: Question, values: Values) -> bool:
    """Return whether a question is asked, given the answers so far."""
    section = questionnaire.section(question.section_id)
    return evaluate(section.show_if, values) and evaluate(question.show_if, values)


def option_visible(option: Option, values: Values) -> bool:
    """Return whether an option (and its group) is offered."""
    group_rule = option.group.show_if if option.group else None
    return evaluate(group_rule, values) and evaluate(option.show_if, values)


def visible_options(question: Question, values: Values) -> list[Option]:
    """Return the choices offered for a question, in order."""
    if not question.conditional_choices:  # most questions: every choice, always
        return list(question.choices)
    return [o for o in question.choices if option_visible(o, values)]


def option_label(option: Option, values: Values, language: str) -> str:
    """Return an option's label in a language, using the first alternative whose rule holds."""
    for when, label in option.alt_labels:
        if evaluate(when, values):
            return label[language]
    return option.label[language]


def shown_keys(question: Question, values: Values) -> list[str]:
    """Return the answer keys a shown question fills: one per shown grid or statement item, else its id."""
    if question.type not in ITEM_TYPES:
        return [question.id]
    return [f"{question.id}.{item.code}" for item in question.items if evaluate(item.show_if, values)]


def is_required(questionnaire: Questionnaire, question: Question, values: Values) -> bool:
    """Return whether a question must be answered; a hidden question never is."""
    return question.required and question_visible(questionnaire, question, values)


@dataclass(frozen=True)
class _DerivedPlan:
    """What each derived variable reads, and whether updating them one answer at a time gives
    exactly what `with_derived` gives."""

    reads: tuple[frozenset[str], ...]  # per derived variable, in order: the keys its rules read
    incremental: bool


def _plan(questionnaire: Questionnaire) -> _DerivedPlan:
    """Return (and keep on the questionnaire, which never changes) its derivation plan."""
    plan = questionnaire.__dict__.get("_derived_plan")
    if plan is None:
        reads = tuple(
            frozenset({variable.source or ""})
            if variable.mapping is not None
            else frozenset(ref for case in variable.cases for ref, _ in references(case.when))
            for variable in questionnaire.derived
        )
        ids = [variable.id for variable in questionnaire.derived]
        answer_keys = {key for question in questionnaire.questions for key in question.answer_keys()}
        # reference_checks.py already refuses a derived variable that reads a later one or shares an id
        # with a question or "language"; anything else falls back to the full computation.
        incremental = (
            LANGUAGE not in ids
            and not answer_keys & set(ids)
            and all(not reads[i] & set(ids[i:]) for i in range(len(ids)))
        )
        plan = _DerivedPlan(reads, incremental)
        object.__setattr__(questionnaire, "_derived_plan", plan)  # a cache on a frozen dataclass
    return plan


class Derivation:
    """`with_derived(questionnaire, answers, language)` kept up to date as answers are added.

    Adding answers recomputes only the derived variables that read a key that changed (or a
    derived variable that changed before them): the same values as the full computation, since a
    derived variable reads nothing but its rules' keys, and only earlier variables.
    """

    def __init__(self, questionnaire: Questionnaire, answers: Values, language: str) -> None:
        self.questionnaire, self.language, self.plan = questionnaire, language, _plan(questionnaire)
        self.answers = dict(answers)
        self.values = with_derived(questionnaire, self.answers, language)

    def add(self, found: Mapping[str, Any]) -> None:
        """Add answers (new keys, or new values for keys) and bring the derived variables up to date."""
        if not found:
            return
        self.answers.update(found)
        if not self.plan.incremental or LANGUAGE in found:
            self.values = with_derived(self.questionnaire, self.answers, self.language)
            return
        self.values.update(found)
        changed = set(found)
        for variable, reads in zip(self.questionnaire.derived, self.plan.reads, strict=True):
            if reads & changed or variable.id in changed:  # (an answer under its id is overwritten, as in full)
                value = derive_one(variable, self.values)
                if value != self.values[variable.id]:
                    self.values[variable.id] = value
                    changed.add(variable.id)


def clean_answers(questionnaire: Questionnaire, answers: Values, language: str) -> dict[str, Any]:
    """Return only the answers to questions, items and options that are still shown.

    Questions are walked in order, so an answer that hides a later question removes that
    later answer too. Rules only look backwards (reference_checks.py enforces it), so one pass is enough.
    Answers a sector survey fixes are always kept. The derived variables are brought up to
    date after each question, not recomputed from scratch (see Derivation).
    """
    derivation = Derivation(questionnaire, questionnaire.fixed, language)
    for question in questionnaire.questions:
        if not question_visible(questionnaire, question, derivation.values):
            continue
        derivation.add(_clean_question(question, answers, derivation.values))
    return derivation.answers


def _clean_question(question: Question, answers: Values, values: Values) -> dict[str, Any]:
    offered = {o.code: o for o in visible_options(question, values)}
    if question.type in ITEM_TYPES:
        return {key: answers[key] for key in shown_keys(question, values) if answers.get(key) in offered}
    answer = answers.get(question.id)
    if answer in (None, "", []):
        return {}
    if question.type == "priorities":  # all or nothing: a list missing a code would shift the ranks
        whole = isinstance(answer, list) and len(set(answer)) == len(answer) == (question.choose or question.rank)
        return {question.id: list(answer)} if whole and all(c in offered for c in answer) else {}
    if question.type == "multi":
        chosen = [c for c in answer if c in offered] if isinstance(answer, list) else []
        kept: dict[str, Any] = {question.id: chosen} if chosen else {}
    elif question.type in ("single", "scale"):
        kept = {question.id: answer} if answer in offered else {}
    else:
        return {question.id: answer}
    for code in kept.get(question.id, []) if question.type == "multi" else [kept.get(question.id)]:
        key = f"{question.id}.{code}"
        if code in offered and offered[code].other and answers.get(key):
            kept[key] = answers[key]
    return kept
