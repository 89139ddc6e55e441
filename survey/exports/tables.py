"""Aggregate exports as rows: pure functions from a survey to header and rows, every number taken
from the results engine's public functions (its one disclosure gate), never from a snapshot.

A hidden number is written "fewer than k" (k the threshold of the table it comes from), never as
a number. The same functions serve staff downloads and, later, public exports of a published
survey: nothing here knows about HTTP or who is asking.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

from .. import results
from ..questionnaire.model import Question
from .files import Row, Sheet

TEXT_TYPES = ("text", "long_text")
EVERYONE = "Everyone"

RESULT_HEADER = (
    "question",
    "question_text",
    "breakdown",
    "filter",
    "group_code",
    "group",
    "group_n",
    "measure",
    "answer_code",
    "answer",
    "count",
    "percent",
    "ci_low",
    "ci_high",
    "base",
    "value",
    "note",
)
OVERVIEW_HEADER = ("breakdown", "breakdown_label", "group_code", "group", "responses")
FLAG_HEADER = (
    "question",
    "question_text",
    "outcome",
    "characteristic",
    "characteristic_label",
    "group_code",
    "group",
    "percent",
    "everyone_else_percent",
    "gap_points",
    "base",
    "everyone_else_base",
    "p",
    "adjusted_p",
    "sentence",
)
COMMENT_HEADER = ("question", "question_text", "filter", "comment", "note")


def fewer_than(k: int) -> str:
    """Return how a hidden number reads in every export."""
    return f"fewer than {k}"


def _filter_text(filters: Mapping[str, str]) -> str:
    return ";".join(f"{dim}:{code}" for dim, code in filters.items())


# --- one question ------------------------------------------------------------------------------


def table_rows(table: results.Table) -> Iterator[Row]:
    """Yield the rows of one gated table (each statement of a grid in turn), in RESULT_HEADER order."""
    if table.items:
        for item in table.items:
            yield from table_rows(item)
        return
    hidden = fewer_than(table.threshold)
    start = (table.question, table.text, table.by or "", _filter_text(table.filters))
    if table.refused:
        yield (*start, "", "", "", "not shown", "", "", "", "", "", "", "", "", table.refused)
        return
    for group in table.groups:
        n = hidden if group.suppressed or group.n is None else group.n
        where = (*start, group.code or "", group.label, n)
        for cell in (c for c in table.cells if c.group == group.code):
            if cell.suppressed or cell.count is None:
                yield (*where, "answer", cell.option, cell.label, hidden, None, None, None, None, None, "")
            else:
                yield (
                    *where,
                    "answer",
                    cell.option,
                    cell.label,
                    cell.count,
                    cell.percent,
                    cell.ci_low,
                    cell.ci_high,
                    cell.base,
                    None,
                    "",
                )
        for summary in (s for s in table.scale if s.group == group.code):
            yield from _scale_rows(table, where, summary, hidden)
        for numbers in (s for s in table.numbers if s.group == group.code):
            for measure in ("median", "q1", "q3"):
                value = getattr(numbers, measure)
                if numbers.suppressed or value is None:
                    yield (*where, measure, "", "", None, None, None, None, hidden, hidden, "")
                else:
                    yield (*where, measure, "", "", None, None, None, None, numbers.n, value, "")


def _scale_rows(table: results.Table, where: tuple, summary: results.ScaleSummary, hidden: str) -> Iterator[Row]:
    labels = {o.code: o.label for o in table.options}
    for side, codes in (("positive", table.positive), ("negative", table.negative)):
        answer = " or ".join(labels.get(c, c) for c in codes)
        count = getattr(summary, f"{side}_count")
        percent = getattr(summary, f"{side}_percent")
        low, high = getattr(summary, f"{side}_ci_low"), getattr(summary, f"{side}_ci_high")
        if summary.suppressed or percent is None:
            yield (*where, side, ",".join(codes), answer, hidden, None, None, None, None, None, "")
        elif count is None:
            note = "rounded to a whole percentage; the count and base are withheld so that no small count can be found"
            yield (*where, side, ",".join(codes), answer, None, percent, low, high, summary.base, None, note)
        else:
            yield (
                *where,
                side,
                ",".join(codes),
                answer,
                count,
                percent,
                low,
                high,
                summary.base,
                None,
                "base: answers on the scale only (Don't know and Not applicable left out)",
            )


def comment_rows(found: results.Comments) -> Iterator[Row]:
    """Yield the comments the gate shows for one question (a note instead when it shows none)."""
    filters = _filter_text(found.filters)
    if found.refused or found.suppressed:
        yield (found.question, found.text, filters, "", found.refused or found.summary or fewer_than(found.threshold))
        return
    for comment in found.comments:
        yield (found.question, found.text, filters, comment, "")
    if found.held_for_review:
        note = f"{found.held_for_review} comments held back because they may identify someone"
        yield (found.question, found.text, filters, "", note)


def question_export(
    survey, question: Question, by: str | None = None, filters: Mapping[str, str] | None = None
) -> list[Sheet]:
    """Return one question's export, as the dashboard shows it for the same breakdown and filter."""
    filters = dict(filters or {})
    if question.type in TEXT_TYPES:
        found = results.comments(survey, question.id, filters)
        return [Sheet("Comments", COMMENT_HEADER, comment_rows(found), (10, 40, 16, 80, 40)), about_sheet(survey)]
    table = results.question_table(survey, question.id, by, filters)
    return [Sheet("Results", RESULT_HEADER, table_rows(table), RESULT_WIDTHS), about_sheet(survey)]


RESULT_WIDTHS = (10, 40, 12, 16, 14, 24, 10, 10, 14, 30, 12, 9, 9, 9, 9, 9, 40)


# --- the whole survey --------------------------------------------------------------------------


def closed_questions(survey) -> list[Question]:
    """Return the questions with counted answers (not free text), in questionnaire order."""
    return [q for q in survey.questionnaire.questions if q.type not in TEXT_TYPES]


def survey_breakdowns(survey, question: Question) -> list[str | None]:
    """Return everyone (None) and each non-protected breakdown the engine allows for a question."""
    protected = {d.id for d in results.dimensions(survey) if d.protected}
    options = results.query_options(survey, question.id)
    if options.refused:
        return []
    return [None, *(d for d in options.by if d not in protected)]


def survey_result_rows(survey) -> Iterator[Row]:
    """Yield every closed question's rows, overall and by each non-protected breakdown allowed."""
    for question in closed_questions(survey):
        for by in survey_breakdowns(survey, question):
            yield from table_rows(results.question_table(survey, question.id, by))


def overview_rows(survey) -> Iterator[Row]:
    """Yield released responses in total and by each non-protected breakdown, as the overview shows."""
    found = results.overview(survey)
    hidden = fewer_than(found.threshold)
    yield ("", EVERYONE, "", EVERYONE, hidden if found.suppressed else found.responses)
    for breakdown in found.breakdowns:
        for group in breakdown.groups:
            n = hidden if group.suppressed or group.n is None else group.n
            yield (breakdown.dimension, breakdown.label, group.code or "", group.label, n)


def flag_rows(survey) -> Iterator[Row]:
    """Yield the equality-impact flags, strongest evidence first."""
    for flag in results.equality_flags(survey):
        yield (
            flag.question,
            flag.question_text,
            flag.outcome,
            flag.dimension,
            flag.dimension_label,
            flag.group,
            flag.group_label,
            flag.percent,
            flag.other_percent,
            flag.gap,
            flag.base,
            flag.other_base,
            flag.p,
            flag.adjusted_p,
            flag.sentence,
        )


def survey_comment_rows(survey) -> Iterator[Row]:
    """Yield the comments the gate shows for everyone, on every free-text question."""
    for question in survey.questionnaire.questions:
        if question.type in TEXT_TYPES:
            yield from comment_rows(results.comments(survey, question.id))


def about_rows(survey) -> Iterator[Row]:
    """Yield what a reader of the file needs to know: the survey, the threshold, the method."""
    found = results.overview(survey)
    questionnaire = survey.questionnaire
    yield ("Survey", survey.name or survey.slug)
    yield ("Questionnaire", f"{questionnaire.title['en']} (version {questionnaire.version})")
    yield ("Responses", fewer_than(found.threshold) if found.suppressed else found.responses)
    yield ("Results up to release batch", found.batch)
    yield ("Smallest group shown (k)", found.threshold)
    yield ("Made", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    yield (
        "Fewer than k",
        "A number from fewer than k people is never shown, nor any number from which one could be worked "
        "out by subtraction: such cells read “fewer than k” (for protected characteristics k is at least 10).",
    )
    yield (
        "Percentages",
        "Of the people in the group who answered the question, to one decimal, with a 95% Wilson interval "
        "(ci_low to ci_high). For scales, positive and negative shares leave out Don't know and Not applicable.",
    )
    yield (
        "Equality flags",
        "Each group of a protected characteristic against everyone else who answered: two-proportion z-test, "
        "Benjamini–Hochberg over all comparisons at 5%, and a gap of at least 5 points.",
    )


def about_sheet(survey) -> Sheet:
    return Sheet("About", ("item", "value"), about_rows(survey), (28, 100))


def survey_export(survey) -> list[Sheet]:
    """Return the whole survey's aggregate export: every sheet, each read lazily."""
    return [
        about_sheet(survey),
        Sheet("Responses", OVERVIEW_HEADER, overview_rows(survey), (12, 30, 16, 40, 12)),
        Sheet("Results", RESULT_HEADER, survey_result_rows(survey), RESULT_WIDTHS),
        Sheet("Equality flags", FLAG_HEADER, flag_rows(survey), (10, 40, 30, 14, 24, 14, 24) + (10,) * 7 + (80,)),
        Sheet("Comments", COMMENT_HEADER, survey_comment_rows(survey), (10, 40, 16, 80, 40)),
    ]
