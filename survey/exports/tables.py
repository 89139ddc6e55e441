"""Aggregate exports as rows: pure functions from a survey to header and rows, every number taken
from the results engine's public functions (its one protection), never from a snapshot.

Every count is already adjusted by the engine (consistent perturbation), so a file holds the same
numbers as the pages. Only a group too small to show is left out: it is written "not shown", never
as a number, and never as "fewer than k" (a group counted as 11 but published as 9 is not shown
either). The same functions serve staff downloads and, later, public exports of a published
survey: nothing here knows about HTTP or who is asking.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

from .. import results
from ..core import reviews, themes
from ..questionnaire.model import TEXT_TYPES, Question
from ..spreadsheets import Row, Sheet

EVERYONE = "Everyone"
RELEASED = {  # when answers reach the results (DESIGN.md §5), by survey.access
    "invitation": "Once, when the survey closes (an invitation survey shows participation only while open).",
    "open_link": "While the survey is open, in steps of at least max(50, 5 × k) responses, at most every few "
    "minutes; the last responses when it closes.",
}

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
THEME_HEADER = ("question", "question_text", "theme", "comments", "keywords", "quote", "note")


NOT_SHOWN = "not shown"  # how a group too small to show (and anything of it) reads in every export


def small_group_note(k: int) -> str:
    """Return the rule that left a group out, said without claiming its size."""
    return f"not shown: a group is shown only when it has at least {k} members"


def two_figures(p: float) -> float:
    """Return a p-value to two significant figures, as the pages print it."""
    return float(f"{p:.2g}")


def weighted_note(table: results.Table, group: results.Group | None) -> str:
    """Say that a row's percentage and interval are weighted (count and base are not), or ""."""
    found = table.weighting
    if found is None:
        return ""
    effective = f"; effective sample size {group.effective_n:,}" if group and group.effective_n else ""
    return (
        f"percent and interval weighted to the membership profile “{found.profile}” ({found.as_of}), "
        f"design effect {found.design_effect:.2f}{effective}; count and base unweighted"
    )


def _filter_text(filters: Mapping[str, str]) -> str:
    return ";".join(f"{dim}:{code}" for dim, code in filters.items())


# --- one question ------------------------------------------------------------------------------


def table_rows(table: results.Table) -> Iterator[Row]:
    """Yield the rows of one gated table (each statement of a grid in turn), in RESULT_HEADER order."""
    if table.ranked is not None and not table.refused:
        yield from ranked_rows(table.ranked)
        return
    if table.items:
        for item in table.items:
            yield from table_rows(item)
        return
    hidden = NOT_SHOWN
    start = (table.question, table.text, table.by or "", _filter_text(table.filters))
    if table.refused:
        yield (*start, "", "", "", NOT_SHOWN, "", "", "", "", "", "", "", "", table.refused)
        return
    rule = small_group_note(table.threshold)
    for group in table.groups:
        if group.suppressed or group.n is None:
            yield (*start, group.code or "", group.label, NOT_SHOWN, "", "", "", *(None,) * 6, rule)
            continue
        where = (*start, group.code or "", group.label, group.n)
        for cell in (c for c in table.cells if c.group == group.code):
            if cell.suppressed or cell.count is None:
                # Only an answer that says who people are (a sector, an ethnicity) is a group of its own.
                yield (*where, "answer", cell.option, cell.label, hidden, None, None, None, None, None, rule)
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
                    weighted_note(table, group),
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


def ranked_rows(ranked: results.Ranked) -> Iterator[Row]:
    """Yield a consultation question's rows in rank order, each group in turn.

    Statements: each statement is its own question ("D1.a"), with rows "answer" for Support,
    Oppose and Not sure (of the group's members who answered the statement) and "net_support"
    (value: % support − % oppose, in points, with its interval). Priorities ("D2"): rows "chosen"
    (picked, or ranked in the top N) and, when ranked, "first_choice", one per option, of the
    group's members who answered the question. Every count is the pages' published count.
    """
    filters = _filter_text(ranked.filters)
    rule = small_group_note(ranked.threshold)
    answers = {o.code: o.label for o in ranked.options}
    chosen_note = f"ranked in their top {ranked.rank}" if ranked.rank else f"one of the {ranked.choose} they chose"
    for row in ranked.rows:
        statement = ranked.type == "statements"
        start = (row.key, row.label if statement else ranked.text, ranked.by or "", filters)
        for group, cell in zip(ranked.groups, row.cells, strict=True):
            if cell.suppressed or cell.base is None:
                yield (*start, group.code or "", group.label, NOT_SHOWN, "", "", "", *(None,) * 6, rule)
                continue
            where = (*start, group.code or "", group.label, cell.base)
            if statement:
                for code in ("support", "oppose", "unsure"):
                    yield _share_row(where, "answer", code, answers.get(code, code), getattr(cell, code), "")
                yield (
                    *where,
                    "net_support",
                    "support-oppose",
                    f"{answers.get('support', 'Support')} minus {answers.get('oppose', 'Oppose')}",
                    None,
                    None,
                    cell.net_low,
                    cell.net_high,
                    cell.base,
                    cell.net,
                    "points: % support minus % oppose; 95% interval: Newcombe's hybrid score",
                )
            else:
                if ranked.rank:
                    yield _share_row(where, "first_choice", row.code, row.label, cell.first, "ranked first")
                yield _share_row(where, "chosen", row.code, row.label, cell.chosen, chosen_note)


def _share_row(where: tuple, measure: str, code: str, label: str, share: results.Share | None, note: str) -> Row:
    if share is None:  # never in a shown group (every answer of a shown group is published); said, not guessed
        return (*where, measure, code, label, NOT_SHOWN, None, None, None, None, None, "")
    return (
        *where,
        measure,
        code,
        label,
        share.count,
        share.percent,
        share.ci_low,
        share.ci_high,
        where[-1],
        None,
        note,
    )


def _scale_rows(table: results.Table, where: tuple, summary: results.ScaleSummary, hidden: str) -> Iterator[Row]:
    labels = {o.code: o.label for o in table.options}
    for side, codes in (("positive", table.positive), ("negative", table.negative)):
        answer = " or ".join(labels.get(c, c) for c in codes)
        count = getattr(summary, f"{side}_count")
        percent = getattr(summary, f"{side}_percent")
        low, high = getattr(summary, f"{side}_ci_low"), getattr(summary, f"{side}_ci_high")
        if summary.suppressed or percent is None:
            yield (*where, side, ",".join(codes), answer, hidden, None, None, None, None, None, "")
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
                "base: answers on the scale only (Don't know and Not applicable left out)"
                + ("; " + weighted_note(table, None) if table.weighting else ""),
            )


def comment_rows(found: results.Comments) -> Iterator[Row]:
    """Yield the comments the gate shows for one question (a note instead when it shows none)."""
    filters = _filter_text(found.filters)
    if found.refused or found.suppressed:
        rule = f"not shown: comments are shown only when there are at least {found.threshold}"
        yield (found.question, found.text, filters, "", found.refused or found.summary or rule)
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
        found = results.comments(survey, question.id, filters, decisions=reviews.decisions(survey, question.id))
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
    """Yield responses in the results, in total and by each non-protected breakdown, as the overview shows."""
    found = results.overview(survey)
    yield ("", EVERYONE, "", EVERYONE, NOT_SHOWN if found.suppressed else found.responses)
    for breakdown in found.breakdowns:
        for group in breakdown.groups:
            n = NOT_SHOWN if group.suppressed or group.n is None else group.n
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
            two_figures(flag.p),
            two_figures(flag.adjusted_p),
            flag.sentence,
        )


def survey_comment_rows(survey) -> Iterator[Row]:
    """Yield the comments the gate shows for everyone, on every free-text question."""
    for question in survey.questionnaire.questions:
        if question.type in TEXT_TYPES:
            decisions = reviews.decisions(survey, question.id)
            yield from comment_rows(results.comments(survey, question.id, decisions=decisions))


def about_rows(survey) -> Iterator[Row]:
    """Yield what a reader of the file needs to know: the survey, the threshold, the method."""
    found = results.overview(survey)
    questionnaire = survey.questionnaire
    yield ("Survey", survey.name or survey.slug)
    if results.is_slice(survey):
        yield ("Slice", f"{survey.label}: only members who answered as its members are counted")
    yield ("Questionnaire", f"{questionnaire.title['en']} (version {questionnaire.version})")
    yield ("Responses", NOT_SHOWN if found.suppressed else found.responses)
    yield ("Smallest group shown (k)", found.threshold)
    yield ("Results released", RELEASED.get(str(survey.access), ""))
    yield ("Made", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    yield (
        "Adjusted",
        "Every count (answers, group sizes, everyone, bases) is the true count adjusted slightly by a fixed "
        "random method (the cell key method of ONS and ABS): by at most 3 either way and by nothing on "
        "average, and the same set of responses always gets the same number, in every file and on every "
        "page. Counts of 1 or 2 are never shown as themselves (a count of 0 stays 0). So no one's answers "
        "can be worked out, and numbers may not add up exactly.",
    )
    yield (
        "Not shown",
        "A group (a breakdown's group, a filter's group, or an answer to a question that says who people "
        "are, such as sector) is shown only when it has at least k members, counted and after adjustment "
        "(for protected characteristics k is at least 10); otherwise it reads “not shown”. Nothing inside "
        "a shown group is hidden.",
    )
    yield (
        "Percentages",
        "Of the people in the group who answered the question, worked out from the adjusted counts, to one "
        "decimal, with a 95% Wilson interval (ci_low to ci_high). For scales, positive and negative shares "
        "leave out Don't know and Not applicable.",
    )
    yield (
        "Consultations",
        "Draft statements: % support, % oppose and % not sure of the people in the group who answered the "
        "statement, and net support (% support minus % oppose, in points) with a 95% interval (Newcombe's "
        "hybrid score, for two shares of the same answers); ranked by net support. Priorities: the share who "
        "chose each option (ranked it in their top N) and, when ranked, who ranked it first, of the people "
        "who answered; ranked by how often chosen.",
    )
    yield (
        "Equality flags",
        "Each group of a protected characteristic against everyone else who answered, on the adjusted "
        "counts: two-proportion z-test (chi-square over the answers for single choice), Benjamini–Hochberg "
        "over all comparisons at 5%, a gap of at least 5 points, p-values to two significant figures.",
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
        Sheet("Themes", THEME_HEADER, theme_rows(survey), (10, 40, 30, 10, 40, 80, 40)),
    ]


def theme_rows(survey) -> Iterator[Row]:
    """Yield each free-text question's themes: published sizes (a theme under k is in Other),
    keywords written in at least k comments, and one comment that may be shown as its quote."""
    for question_id in themes.text_questions(survey):
        found = themes.themes(survey, question_id, quotes=1)
        if found.refused or not found.themed:
            yield (found.question, found.text, "", "", "", "", found.refused or found.summary)
            continue
        for theme in found.themes:
            quote = theme.quotes[0] if theme.quotes else ""
            yield (found.question, found.text, theme.name, theme.size, ", ".join(theme.keywords), quote, "")
        if found.other:
            note = "smaller themes together"
            yield (found.question, found.text, "Other", found.other.size, ", ".join(found.other.keywords), "", note)
