"""Waves: a survey's results compared with the earlier survey it is a wave of (issue 19).

A question is compared only when both waves asked it with the same identity: the same answer key,
the same answer codes (and, for a scale, the same positive and negative answers) and the same
words in every language (the question's, a statement's and every answer's). A question whose
codes or wording changed is not compared, and says so.

Every number is read off the two waves' published tables (answers.question_table: the same
adjusted counts every page shows, and a weighted wave's weighted percentages at its effective
sample size, as its pages show them), never a true count: the change, its 95% interval (Newcombe's hybrid
score interval for the difference of two independent proportions, built from the two Wilson
intervals) and its test. A group hidden in either wave, or an answer hidden in either, is not
compared. A change is called clear when its interval leaves out 0 and a two-proportion test, with
the two counts first moved towards each other as far as the adjustment could have moved them,
holds after the Benjamini–Hochberg correction over every comparison made together (as the
equality flags are decided), so that neither chance over many answers nor the noise added to
protect members reads as a change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..models import SurveyStatus
from ..questionnaire.model import Question, Questionnaire
from .answers import question_table
from .cache import snapshot_for
from .dimensions import structure
from .overview import overview_of
from .protection import MAX_NOISE
from .queries import UnknownQuestion, answer_key, check_query, fixed_dimensions
from .slices import SurveySlice, is_slice
from .stats import benjamini_hochberg, significant, two_proportion_test, wilson
from .tables import Group, Table

ALPHA = 0.05  # false discovery rate over the changes worked out together
COMPARED_TYPES = ("single", "multi", "scale", "grid", "statements", "priorities")
POSITIVE = "positive"  # a scale's % positive (of the answers on the scale), compared like an answer
EARLIER_STATUSES = (SurveyStatus.CLOSED, SurveyStatus.PUBLISHED, SurveyStatus.ARCHIVED)

# Why a question is not compared (the pages say it in words).
NOT_ASKED = "not_asked"  # the earlier wave did not ask it
WORDING = "wording"  # the question's or an answer's words changed
ANSWERS = "answers"  # the answer codes (or what counts as positive) changed
NOT_COUNTED = "not_counted"  # number questions: no percentages to compare
HIDDEN = "hidden"  # too few answered in one of the waves (or the group is hidden in one)


@dataclass
class Change:
    """One answer (or a scale's % positive) in one group, earlier wave against this one."""

    group: str | None  # None: everyone (or the filter's group)
    option: str  # the answer code, or POSITIVE
    label: str
    earlier_count: int
    earlier_base: int
    earlier_percent: float
    count: int
    base: int
    percent: float
    points: float  # percent − earlier_percent, in percentage points (one decimal)
    ci_low: float  # the change's 95% interval, in points
    ci_high: float
    p_value: float  # the cautious two-proportion test (two significant figures)
    adjusted_p: float = 1.0  # after the correction for the many comparisons
    clear: bool = False

    @property
    def direction(self) -> str:
        """Return "up" or "down" for a clear change, else "same"."""
        if not self.clear:
            return "same"
        return "up" if self.points > 0 else "down"


@dataclass
class QuestionChange:
    """One answer key (a question, a grid's statement) compared between the waves, or why not."""

    question: str  # the answer key: "C1", "C2.a"
    text: str
    compared: bool
    reason: str | None = None  # NOT_ASKED, WORDING, ANSWERS, NOT_COUNTED or HIDDEN when not compared
    changes: list[Change] = field(default_factory=list)


@dataclass
class Waves:
    """A survey's results against its earlier wave: every countable question, compared or not."""

    earlier: str  # the earlier wave's slug
    earlier_name: str
    earlier_label: str  # how the pages name it: its year ("2025"), or its name when both share a year
    language: str
    filters: dict[str, str]
    by: str | None
    questions: list[QuestionChange] = field(default_factory=list)

    def question(self, key: str) -> QuestionChange | None:
        """Return the comparison of one answer key, if it was compared or said why not."""
        return next((q for q in self.questions if q.question == key), None)

    @property
    def clear(self) -> list[Change]:
        """Every clear change, largest first."""
        found = [c for q in self.questions for c in q.changes if c.clear]
        return sorted(found, key=lambda c: -abs(c.points))


def earlier_wave(survey):
    """Return the earlier wave a survey is compared with, when it has one with results; else None.
    Both waves have the same audience (core/waves.py), so a slice of one is a slice of the other."""
    earlier = getattr(survey, "previous_survey", None)
    if earlier is None or earlier.status not in EARLIER_STATUSES or earlier.id == survey.id:
        return None
    if is_slice(survey):  # a slice is compared with the same slice of the earlier wave, never its whole
        return SurveySlice(earlier, survey.slice_audience, survey.label, survey.index)
    return earlier


def wave_label(survey, earlier) -> str:
    """Return how the pages name the earlier wave: the year it closed, or its name in the same year."""
    moment = earlier.closed_at or earlier.closes_at or earlier.launched_at or earlier.created_at
    later = survey.closed_at or survey.closes_at or survey.launched_at or survey.created_at
    if moment is None or (later is not None and later.year == moment.year):
        return earlier.name or earlier.slug
    return str(moment.year)


# --- identity: what makes two waves' question the same question -------------------------------


def _words(question: Question, item: str | None) -> tuple:
    """Return every word a member read for an answer key: question, statement and answers."""
    found: list[object] = [sorted(question.text.items())]
    if item is not None and not item.isdigit():
        found.append(sorted(next(i for i in question.items if i.code == item).text.items()))
    found.extend(sorted(o.label.items()) for o in question.choices)
    return tuple(map(repr, found))


def _codes(question: Question, item: str | None) -> tuple:
    """Return the codes an answer key's percentages are of: type, answers, and a scale's sides."""
    scale = (tuple(sorted(question.scale.positive)), tuple(sorted(question.scale.negative))) if question.scale else ()
    return (question.type, item, tuple(o.code for o in question.choices), scale)


def identity_problem(later: Questionnaire, earlier: Questionnaire, key: str) -> str | None:
    """Return why an answer key cannot be compared between two questionnaires (None: it can)."""
    question, item = answer_key(later, key)
    if question.type not in COMPARED_TYPES:
        return NOT_COUNTED
    try:
        before, before_item = answer_key(earlier, key)
    except UnknownQuestion:
        return NOT_ASKED
    if _codes(question, item) != _codes(before, before_item):
        return ANSWERS
    if _words(question, item) != _words(before, before_item):
        return WORDING
    return None


def compared_keys(questionnaire: Questionnaire) -> list[str]:
    """Return the answer keys a wave comparison goes through: each statement of a grid on its own."""
    keys = []
    for question in questionnaire.questions:
        if question.type in ("grid", "statements"):
            keys.extend(question.answer_keys())
        elif question.type in (*COMPARED_TYPES, "number"):
            keys.append(question.id)
    return keys


# --- the change of one share ---------------------------------------------------------------------


def difference_interval(count: int, base: int, earlier_count: int, earlier_base: int) -> tuple[float, float]:
    """Return a 95% interval for p − p_earlier, two proportions of independent samples, as fractions.

    Newcombe's hybrid score interval (Newcombe 1998, method 10): from the two Wilson intervals,
    below = √((p − l)² + (u₀ − p₀)²), above = √((u − p)² + (p₀ − l₀)²). It stays inside [−1, 1] and,
    unlike the Wald interval, does not collapse when a share is 0% or 100%.
    """
    count, earlier_count = min(count, base), min(earlier_count, earlier_base)
    p, p0 = count / base, earlier_count / earlier_base
    low, high = wilson(count, base)
    low0, high0 = wilson(earlier_count, earlier_base)
    d = p - p0
    return max(-1.0, d - math.hypot(p - low, high0 - p0)), min(1.0, d + math.hypot(high - p, p0 - low0))


def cautious_p(count: int, base: int, earlier_count: int, earlier_base: int) -> float:
    """Return a two-proportion test's p-value with each wave's published count first moved towards
    the other's share by the most the adjustment could have moved it (MAX_NOISE), never past it."""
    count, earlier_count = min(count, base), min(earlier_count, earlier_base)
    p, p0 = count / base, earlier_count / earlier_base
    if p > p0:
        count = max(count - MAX_NOISE, round(p0 * base))
        earlier_count = min(earlier_count + MAX_NOISE, round(p * earlier_base))
    elif p < p0:
        count = min(count + MAX_NOISE, round(p0 * base))
        earlier_count = max(earlier_count - MAX_NOISE, round(p * earlier_base))
    return two_proportion_test(count, base, earlier_count, earlier_base)[1]


def change(
    group: str | None, option: str, label: str, shares: tuple[int, int, float], earlier: tuple[int, int, float]
) -> Change:
    """Return the change of one share from (published count, published base, percent shown) of each wave."""
    count, base, percent = shares
    earlier_count, earlier_base, earlier_percent = earlier
    low, high = difference_interval(count, base, earlier_count, earlier_base)
    return Change(
        group,
        option,
        label,
        earlier_count,
        earlier_base,
        earlier_percent,
        count,
        base,
        percent,
        round(percent - earlier_percent, 1),
        round(100 * low, 1),
        round(100 * high, 1),
        significant(cautious_p(count, base, earlier_count, earlier_base)),
    )


def decide(changes: list[Change], alpha: float = ALPHA) -> None:
    """Mark the clear changes among these, their p-values corrected together (Benjamini–Hochberg)."""
    adjusted = benjamini_hochberg([c.p_value for c in changes]) if changes else []
    for found, q in zip(changes, adjusted, strict=True):
        found.adjusted_p = significant(q)
        found.clear = q <= alpha and (found.ci_low > 0 or found.ci_high < 0)


# --- two tables -----------------------------------------------------------------------------------


def at_effective_size(count: int, base: int, percent: float, group: Group | None) -> tuple[int, int, float]:
    """Return a share as (count, base, percent) for the interval and the test: as published, or for
    a weighted table at its group's effective sample size (the base scaled by effective ÷ counted
    people), with the count the weighted percentage of it. Both are shown on the pages already."""
    if group is None or group.effective_n is None or not group.n:
        return count, base, percent
    effective = max(1, round(base * group.effective_n / group.n))
    return round(percent * effective / 100), effective, percent


def table_changes(later: Table, earlier: Table, groups: set[str | None] | None = None) -> list[Change]:
    """Return the changes between two waves' tables of one answer key: for each group shown in both
    (only `groups`, when given), each answer shown in both and, on a scale, its % positive. A
    weighted wave's percentages are its weighted ones, sized at its effective sample size."""
    later_groups, earlier_groups = {g.code: g for g in later.groups}, {g.code: g for g in earlier.groups}
    before_groups = {g.code for g in earlier.groups if not g.suppressed and g.n}
    shown = [g.code for g in later.groups if not g.suppressed and g.n and g.code in before_groups]
    labels = {o.code: o.label for o in later.options}
    before_cells = {(c.group, c.option): c for c in earlier.cells if not c.suppressed and c.base}
    before_scale = {s.group: s for s in earlier.scale if not s.suppressed and s.base}
    found = []
    for code in shown:
        if groups is not None and code not in groups:
            continue
        summary, before = next((s for s in later.scale if s.group == code), None), before_scale.get(code)
        if summary is not None and before is not None and not summary.suppressed and summary.base:
            found.append(
                change(
                    code,
                    POSITIVE,
                    ", ".join(labels[c] for c in later.positive),
                    at_effective_size(
                        summary.positive_count,  # type: ignore[arg-type]
                        summary.base,
                        summary.positive_percent,  # type: ignore[arg-type]
                        later_groups.get(code),
                    ),
                    at_effective_size(
                        before.positive_count,  # type: ignore[arg-type]
                        before.base,
                        before.positive_percent,  # type: ignore[arg-type]
                        earlier_groups.get(code),
                    ),
                )
            )
        for cell in later.cells:
            old = before_cells.get((code, cell.option))
            if cell.group != code or cell.suppressed or not cell.base or old is None:
                continue
            found.append(
                change(
                    code,
                    cell.option,
                    labels.get(cell.option, cell.label),
                    at_effective_size(cell.count, cell.base, cell.percent, later_groups.get(code)),  # type: ignore[arg-type]
                    at_effective_size(old.count, old.base, old.percent, earlier_groups.get(code)),  # type: ignore[arg-type]
                )
            )
    return found


def _key_changes(
    survey, earlier, key: str, by: str | None, filters: Mapping[str, str], language: str
) -> QuestionChange | None:
    """Compare one answer key between the waves (undecided: `decide` marks the clear changes); None
    when the results never show it on its own (a question reported through the breakdowns made
    from it, such as date of birth), so there is nothing to compare."""
    questionnaire = survey.questionnaire
    question, _item = answer_key(questionnaire, key)
    fixed = fixed_dimensions(survey.audience, questionnaire)
    if check_query(structure(questionnaire), question, None, {}, fixed) is not None:
        return None
    later_table = question_table(survey, key, by, filters, language)  # weighted when the survey is
    problem = identity_problem(questionnaire, earlier.questionnaire, key)
    if problem is not None:
        return QuestionChange(key, later_table.text, False, problem)
    before = question_table(earlier, key, by, filters, language)
    if later_table.refused or before.refused:
        return QuestionChange(key, later_table.text, False, HIDDEN)
    found = table_changes(later_table, before)
    return QuestionChange(key, later_table.text, bool(found), None if found else HIDDEN, found)


def wave_changes(survey, language: str = "en", filters: Mapping[str, str] | None = None) -> Waves | None:
    """Return every countable question of a survey against its earlier wave, for everyone (or the
    filter's group); None when it has no earlier wave, or either wave has too few responses to show.

    The changes of one call are decided together, so every page (dashboards, the published page,
    the briefing, the API) says the same of the same answer. Worked out once per pair of snapshots.
    """
    earlier = earlier_wave(survey)
    if earlier is None:
        return None
    later_snapshot, earlier_snapshot = snapshot_for(survey), snapshot_for(earlier)
    if overview_of(later_snapshot, survey.threshold).suppressed:
        return None
    if overview_of(earlier_snapshot, earlier.threshold).suppressed:
        return None
    filters = dict(filters or {})
    memo_key = ("waves", earlier.id, earlier_snapshot.batch, language, tuple(sorted(filters.items())))
    found = later_snapshot.cache.get(memo_key)
    if found is None:
        found = Waves(earlier.slug, earlier.name, wave_label(survey, earlier), language, filters, None)
        for key in compared_keys(survey.questionnaire):
            compared = _key_changes(survey, earlier, key, None, filters, language)
            if compared is not None:
                found.questions.append(compared)
        decide([c for q in found.questions for c in q.changes])
        later_snapshot.cache[memo_key] = found
    return found


def by_group(
    survey, key: str, by: str, language: str = "en", filters: Mapping[str, str] | None = None
) -> QuestionChange | None:
    """Return one answer key's changes in each group of a breakdown shown in both waves (everyone
    is left to `wave_changes`); decided among themselves. None when there is no earlier wave to compare."""
    earlier = earlier_wave(survey)
    if earlier is None:
        return None
    found = _key_changes(survey, earlier, key, by, dict(filters or {}), language)
    if found is None:
        return None
    found.changes = [c for c in found.changes if c.group is not None]
    found.compared = bool(found.changes)
    if not found.compared and found.reason is None:
        found.reason = HIDDEN
    decide(found.changes)
    return found
