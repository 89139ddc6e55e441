"""What a published page says, built from the results engine's public functions only.

Sentences are made here, in the reader's language (gettext), from the published (adjusted)
numbers: the engine's own summaries are English. Nothing here counts anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from .. import results
from ..models import Survey
from ..questionnaire.model import Question
from ..results.engine import SUBSTANTIVE_EXCLUDED  # answer codes only; numbers come from results
from .access import TEXT_TYPES, Release

HEADLINES = 5  # key results and equality flags shown first


@dataclass
class Finding:
    """One plain sentence with its number, for the headline, the screen and the briefing."""

    key: str  # "q:C2.a" (a key result) or "flag:D2.c:disabled:yes" (an equality flag)
    question: str  # the question to open for more, e.g. "C2"
    by: str | None  # the breakdown that shows it
    percent: float
    sentence: str
    base: int
    other_percent: float | None = None  # equality flags: everyone else's percentage
    answer: str | None = None  # single and multiple choice: the answer counted


def _answers(labels: list[str]) -> str:
    quoted = [f"“{label}”" for label in labels]
    if len(quoted) < 2:
        return "".join(quoted)
    return _("%(first)s or %(last)s", first=", ".join(quoted[:-1]), last=quoted[-1])


def number(value: int | None) -> str:
    """Format a count with thousands separators."""
    return "" if value is None else f"{value:,}"


def percent(value: float | None) -> str:
    """Format a percentage to a whole number, as the tables do."""
    return "" if value is None else f"{value:.0f}"


def key_result(
    table: results.Table, question: Question, group: str | None = None, answer: str | None = None
) -> Finding | None:
    """Return a table's key result for one group (default everyone): % positive on a scale, else
    the most chosen substantive answer (or the given answer); None when it is not shown."""
    if table.refused:
        return None
    labels = {o.code: o.label for o in table.options}
    if table.scale:
        summary = next((s for s in table.scale if s.group == group), None)
        if summary is None or summary.suppressed or summary.positive_percent is None or not summary.base:
            return None
        sentence = _(
            "%(percent)s%% answered %(answers)s to “%(question)s” (base %(base)s).",
            percent=percent(summary.positive_percent),
            answers=_answers([labels[c] for c in table.positive]),
            question=table.text,
            base=number(summary.base),
        )
        return Finding(f"q:{table.question}", question.id, None, summary.positive_percent, sentence, summary.base)
    if question.type not in ("single", "multi") or table.numbers:
        return None
    cells = [
        c
        for c in table.cells
        if c.group == group and not c.suppressed and c.option != results.NO_ANSWER and c.count is not None
    ]
    substantive = [c for c in cells if (c.option == answer if answer else not _excluded(question, c.option))]
    if not substantive:
        return None
    top = max(substantive, key=lambda c: c.count or 0)
    values = {
        "percent": percent(top.percent),
        "answer": labels.get(top.option, top.label),
        "question": table.text,
        "base": number(top.base),
    }
    if question.type == "multi":
        sentence = _("%(percent)s%% chose “%(answer)s” for “%(question)s” (base %(base)s).", **values)
    else:
        sentence = _("%(percent)s%% answered “%(answer)s” to “%(question)s” (base %(base)s).", **values)
    found = Finding(f"q:{table.question}", question.id, None, top.percent or 0.0, sentence, top.base or 0)
    found.answer = top.option
    return found


def _excluded(question: Question, code: str) -> bool:
    """Answers that are not a finding in themselves: don't know, prefer not to say, other."""
    option = next((o for o in question.choices if o.code == code), None)
    return code in SUBSTANTIVE_EXCLUDED or (option is not None and option.other)


def flag_finding(flag: results.Flag, survey: Survey, language: str) -> Finding:
    """Return an equality flag as a sentence in the reader's language."""
    question = survey.questionnaire.question(flag.question.split(".")[0])
    labels = {o.code: o.label[language] for o in question.choices}
    values = {
        "dimension": flag.dimension_label,
        "group": flag.group_label,
        "percent": percent(flag.percent),
        "answers": _answers([labels.get(c, c) for c in flag.outcome_codes]),
        "question": flag.question_text,
        "other": percent(flag.other_percent),
        "base": number(flag.base),
        "other_base": number(flag.other_base),
    }
    if question.type == "multi":
        sentence = _(
            "%(dimension)s – %(group)s: %(percent)s%% chose %(answers)s for “%(question)s”, "
            "compared with %(other)s%% of everyone else (bases %(base)s and %(other_base)s).",
            **values,
        )
    else:
        sentence = _(
            "%(dimension)s – %(group)s: %(percent)s%% answered %(answers)s to “%(question)s”, "
            "compared with %(other)s%% of everyone else (bases %(base)s and %(other_base)s).",
            **values,
        )
    return Finding(
        f"flag:{flag.question}:{flag.dimension}:{flag.group}",
        question.id,
        flag.dimension,
        flag.percent,
        sentence,
        flag.base,
        flag.other_percent,
    )


def published_flags(survey: Survey, release: Release, language: str) -> list[Finding]:
    """Return the equality flags about published questions and breakdowns, largest gap first."""
    flags = [
        f
        for f in results.equality_flags(survey, language)
        if release.has_question(f.question) and f.dimension in release.breakdowns
    ]
    flags.sort(key=lambda f: (-abs(f.gap), f.adjusted_p, f.question, f.dimension, f.group))
    return [flag_finding(f, survey, language) for f in flags]


@dataclass
class Shown:
    """One published question's overall results, as the page shows them."""

    question: Question
    table: results.Table | None  # None for free text
    findings: list[Finding]  # its key result (one per statement for a grid)


def overall(survey: Survey, release: Release, language: str, filters: dict[str, str] | None = None) -> list[Shown]:
    """Return every published question's table for everyone (or one filter group), with key results."""
    shown = []
    for question in survey.questionnaire.questions:
        if question.id not in release.questions:
            continue
        if question.type in TEXT_TYPES:
            shown.append(Shown(question, None, []))
            continue
        table = results.question_table(survey, question.id, None, filters or {}, language)
        parts = table.items or [table]
        found = [key_result(part, question) for part in parts]
        shown.append(Shown(question, table, [f for f in found if f is not None]))
    return shown


def about_members(survey: Survey) -> set[str]:
    """Return the questions that say who members are (dimensions, and the equality questions,
    which come last): their answers are breakdowns, not findings for the headline."""
    questionnaire = survey.questionnaire
    dimensions = {d.id: d for d in results.dimensions(survey)}
    out = {q.id for q in questionnaire.questions if q.id in dimensions}
    equality = False
    for section in questionnaire.sections:
        equality = equality or any(dimensions.get(q.id) and dimensions[q.id].protected for q in section.questions)
        if equality:
            out |= {q.id for q in section.questions}
    return out


def headline(
    shown: list[Shown], flags: list[Finding], exclude: set[str] = frozenset()
) -> tuple[list[Finding], list[Finding]]:
    """Return the headline: the largest key results, then the largest equality gaps."""
    found = [f for s in shown if s.question.id not in exclude for f in s.findings]
    found.sort(key=lambda f: (-f.percent, f.key))
    return found[:HEADLINES], flags[:HEADLINES]


def findings_by_key(shown: list[Shown], flags: list[Finding]) -> dict[str, Finding]:
    """Return every finding that can be put on the conference screen, by its key."""
    return {f.key: f for f in [*(f for s in shown for f in s.findings), *flags]}
