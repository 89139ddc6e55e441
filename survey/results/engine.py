"""The results engine: question tables, overview and dimension listings, all through the gate.

Public functions take a Survey (they read its snapshot); the `*_of` variants take a snapshot and
the survey's threshold directly, for tests and benchmarks. Nothing here knows about HTTP.

Two kinds of question:
- ordinary questions (opinions and experiences): the groups (everyone, the filter, the breakdown
  groups) come from the gate; within a shown group every answer is shown with its count, as any
  survey report does;
- questions that are themselves a dimension, or feed one (sex, sector, ethnicity ...): their
  answers say who people are, so every cell is itself a group of members and goes through the
  gate as one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..questionnaire.model import Question, Questionnaire
from . import units
from .cells import hide_cell, withhold_summary
from .dimensions import (
    MAX_FILTERS,
    NO_ANSWER,
    Dim,
    Structure,
    comment_threshold,
    structure,
    threshold_for,
)
from .gate import Crossing, GroupId, Universe, crossing, one_way, orientation, universe
from .snapshot import Snapshot, snapshot_for
from .stats import wilson
from .tables import (
    Breakdown,
    Cell,
    DimensionInfo,
    DimensionValue,
    FilterRules,
    Group,
    NumberSummary,
    OptionInfo,
    Overview,
    QueryOptions,
    ScaleSummary,
    Table,
)

EVERYONE = {"en": "Everyone", "cy": "Pawb"}
SUBSTANTIVE_EXCLUDED = frozenset({"dk", "na", "pnts", "other", "none", "not_sure"})


class UnknownQuestion(LookupError):
    """No question (or grid statement) has this id."""


# --- small helpers ---------------------------------------------------------------------------


def _percent(count: int, base: int) -> tuple[float, float, float]:
    low, high = wilson(count, base)
    return round(100 * count / base, 1), round(100 * low, 1), round(100 * high, 1)


def _cell(group: str | None, code: str, label: str, count: int | None, base: int | None) -> Cell:
    if count is None or base is None or base <= 0:
        return Cell(group, code, label, None, None, None, None, None, True)
    percent, low, high = _percent(count, base)
    return Cell(group, code, label, count, percent, low, high, base, False)


def _language(questionnaire: Questionnaire, language: str | None) -> str:
    return language if language in questionnaire.languages else questionnaire.languages[0]


def fixed_dimensions(survey_audience: Mapping[str, str] | None, questionnaire: Questionnaire) -> set[str]:
    """Return the dimensions a sector survey's audience fixes (everyone has the same answer)."""
    fixed = set()
    for key, code in (survey_audience or {}).items():
        if code and key in questionnaire.audience:
            fixed.add(questionnaire.audience[key])
    return fixed


def _answer_key(questionnaire: Questionnaire, question_id: str) -> tuple[Question, str | None]:
    """Return the question and grid item code for an answer key ("C2" or "C2.a")."""
    base, _, item = question_id.partition(".")
    try:
        question = questionnaire.question(base)
    except KeyError:
        raise UnknownQuestion(question_id) from None
    if item and (question.type != "grid" or item not in {i.code for i in question.items}):
        raise UnknownQuestion(question_id)
    return question, item or None


def _text(questionnaire: Questionnaire, question: Question, item: str | None, language: str) -> str:
    if item is None:
        return question.text[language]
    statement = next(i for i in question.items if i.code == item)
    return statement.text[language]


# --- which queries are allowed ---------------------------------------------------------------


def check_query(
    shape: Structure, question: Question, by: str | None, filters: Mapping[str, str], fixed: set[str]
) -> str | None:
    """Return a plain sentence saying why a query is refused, or None when it is allowed."""
    if question.type in ("text", "long_text"):
        return "Written answers are not counted; read them as comments, where they may be shown."
    if question.id in shape.sources and question.id not in shape.dims:
        family = shape.families[shape.sources[question.id]]
        names = ", ".join(shape.dims[d].label["en"] for d in family.dims)
        return f"This question is reported through the breakdowns made from it: {names}."
    if len(filters) > MAX_FILTERS:
        return f"Results can be filtered by one thing at a time (asked for {len(filters)})."
    for dim_id, code in filters.items():
        reason = _filter_problem(shape, dim_id, code, fixed)
        if reason:
            return reason
    if by is not None:
        if by not in shape.dims:
            return f"There is no breakdown called “{by}”."
        if by in fixed:
            return "Everyone in this survey is in the same group of this breakdown."
    own = shape.dims[question.id].family if question.id in shape.dims else None
    used = [d for d in [by, *filters] if d is not None]
    families = [shape.dims[d].family for d in used] + ([own] if own else [])
    if len(families) != len(set(families)):
        return "These two breakdowns are made from the same answers, so they cannot be combined."
    if len(families) > 2:
        return "A question about who people are can be broken down or filtered, not both at once."
    if len(families) == 2:
        rows_cols = orientation(shape, families[0], families[1])
        if rows_cols is None:
            return "Two protected characteristics are never combined: the groups would be too small to show safely."
        row_dim, col_family = rows_cols
        for dim_id in used + ([question.id] if own else []):
            if shape.dims[dim_id].family != col_family and dim_id != row_dim:
                crossing_dim = shape.dims[row_dim]
                return (
                    f"Combined with this, the breakdown has to be by “{crossing_dim.label['en']}”, "
                    "so that small groups stay protected."
                )
    return None


def _filter_problem(shape: Structure, dim_id: str, code: str, fixed: set[str]) -> str | None:
    dim = shape.dims.get(dim_id)
    if dim is None:
        return f"There is no filter called “{dim_id}”."
    if dim.protected:
        return "Results are never filtered by a protected characteristic; choose it as the breakdown instead."
    if dim_id in fixed:
        return "Everyone in this survey is in the same group of this filter."
    if dim_id not in shape.filter_dims:
        family = shape.families[dim.family]
        return f"Filter by “{shape.dims[family.crossing].label['en']}” instead."  # type: ignore[index]
    value = dim.value(code)
    if value is None or value.code == NO_ANSWER:
        return f"“{code}” is not a group of this filter."
    return None


# --- question tables -------------------------------------------------------------------------


def question_table(
    survey, question_id: str, by: str | None = None, filters: Mapping[str, str] | None = None, language: str = "en"
) -> Table:
    """Return a question's results, broken down `by` a dimension and filtered, through the gate."""
    snapshot = snapshot_for(survey)
    return table_of(snapshot, survey.threshold, question_id, by, filters, language, survey.audience)


def table_of(
    snapshot: Snapshot,
    k: int,
    question_id: str,
    by: str | None = None,
    filters: Mapping[str, str] | None = None,
    language: str = "en",
    audience: Mapping[str, str] | None = None,
) -> Table:
    """Return a question's results from a snapshot (see question_table).

    Tables are kept with the snapshot (results change only when a batch is released, and a new
    batch is a new snapshot): the same question, breakdown, filters and language are worked out
    once per batch. A returned table is shared: read it, never change it.
    """
    memo = snapshot.cache.setdefault("tables", OrderedDict())
    audience_key = tuple(sorted((audience or {}).items()))
    memo_key = (k, question_id, by, tuple(sorted((filters or {}).items())), language, audience_key)
    with _memo_lock:
        table = memo.get(memo_key)
        if table is not None:
            memo.move_to_end(memo_key)
            return table
    table = _table_of(snapshot, k, question_id, by, filters, language, audience)
    with _memo_lock:
        memo[memo_key] = table
        while len(memo) > TABLES_KEPT:
            memo.popitem(last=False)
    return table


TABLES_KEPT = 2_000  # tables kept per snapshot, the least recently read dropped first
_memo_lock = threading.Lock()


def _table_of(
    snapshot: Snapshot,
    k: int,
    question_id: str,
    by: str | None,
    filters: Mapping[str, str] | None,
    language: str,
    audience: Mapping[str, str] | None,
) -> Table:
    questionnaire = snapshot.questionnaire
    language = _language(questionnaire, language)
    question, item = _answer_key(questionnaire, question_id)
    filters = dict(filters or {})
    shape = structure(questionnaire)
    table = Table(
        question=question_id,
        type="scale" if item else question.type,
        text=_text(questionnaire, question, item, language),
        language=language,
        by=by,
        filters=filters,
        threshold=k,
        options=[OptionInfo(o.code, o.label[language]) for o in question.choices],
    )
    if question.scale is not None:
        table.positive = sorted(question.scale.positive, key=question.codes.index)
        table.negative = sorted(question.scale.negative, key=question.codes.index)
    reason = check_query(shape, question, by, filters, fixed_dimensions(audience, questionnaire))
    if reason:
        table.refused = table.summary = reason
        return table
    if question.type == "grid" and item is None:
        table.items = [table_of(snapshot, k, key, by, filters, language, audience) for key in question.answer_keys()]
        table.hidden_groups = any(t.hidden_groups for t in table.items)
        table.summary = _grid_summary(table)
        return table
    key = question_id
    where = universe(snapshot, key)
    if question.id in shape.dims:
        _who_table(snapshot, shape, k, table, question, where, by, filters, language)
    else:
        _answers_table(snapshot, shape, k, table, question, key, where, by, filters, language)
    return table


@dataclass
class _Population:
    """A column of a table before its answers are counted."""

    code: str | None
    label: str
    shown: bool
    n: int | None
    index: int | None = None  # the breakdown group's column index (-1: no answer); None for everyone


def _populations(
    snapshot: Snapshot,
    shape: Structure,
    k: int,
    where: Universe,
    by: str | None,
    filters: Mapping[str, str],
    language: str,
) -> tuple[list[_Population], np.ndarray, int, str | None]:
    """Return everyone (or the filter's group) and the breakdown's groups, as the gate allows them.

    Returns (populations, the rows of everyone or the filter's group, threshold used, refusal or None).
    """
    t = k
    everyone_label = EVERYONE[language] if language in EVERYONE else EVERYONE["en"]
    base = where.mask
    if filters:
        ((dim_id, code),) = filters.items()
        dim = shape.dims[dim_id]
        value = dim.value(code)
        gate = one_way(snapshot, dim.family, where, k)
        gid = (dim_id, value.index)  # type: ignore[union-attr]
        if gid not in gate.published:
            return [], base, gate.threshold, _hidden_group(gate.threshold)
        base = where.mask & (snapshot.categorical[dim_id] == value.index)  # type: ignore[union-attr]
        everyone = _Population(None, value.label[language], True, gate.count(gid))  # type: ignore[union-attr]
    else:
        if where.size < k:
            return [], base, k, f"Fewer than {k} people have answered this question so far."
        everyone = _Population(None, everyone_label, True, where.size)
    populations = [everyone]
    if by is None:
        return populations, base, t, None
    dim = shape.dims[by]
    t = threshold_for(k, shape.families[dim.family].protected)
    if filters:
        ((filter_dim, code),) = filters.items()
        cross = crossing(snapshot, dim.family, shape.dims[filter_dim].family, where, k)
        assert cross is not None  # check_query allowed the combination
        t = cross.threshold
        filter_gid = (filter_dim, shape.dims[filter_dim].value(code).index)  # type: ignore[union-attr]
        for value in dim.values:
            count = _crossed(cross, (by, value.index), filter_gid)
            populations.append(_Population(value.code, value.label[language], count is not None, count, value.index))
    else:
        gate = one_way(snapshot, dim.family, where, k)
        for value in dim.values:
            gid = (by, value.index)
            shown = gid in gate.published
            count = gate.count(gid) if shown else None
            populations.append(_Population(value.code, value.label[language], shown, count, value.index))
    return populations, base, t, None


def _hidden_group(t: int) -> str:
    return (
        f"Fewer than {t} people in this group have answered, or the group is hidden so that a smaller "
        "group cannot be worked out by subtraction."
    )


def _crossed(cross: Crossing, a: GroupId, b: GroupId) -> int | None:
    """Return the people in the cell of groups a and b in a crossing, whichever is the row."""
    if a[0] == cross.rows:
        return cross.cell(a[1], b)
    return cross.cell(b[1], a)


def _answers_table(
    snapshot: Snapshot,
    shape: Structure,
    k: int,
    table: Table,
    question: Question,
    key: str,
    where: Universe,
    by: str | None,
    filters: Mapping[str, str],
    language: str,
) -> None:
    populations, base, t, refused = _populations(snapshot, shape, k, where, by, filters, language)
    table.threshold = t
    if refused:
        table.refused = table.summary = refused
        return
    codes = snapshot.codes(key) if question.type != "number" else ()
    labels = {o.code: o.label[language] for o in question.choices}
    grouped = _grouped_counts(snapshot, key, base, by) if question.type != "number" else None
    for population in populations:
        table.groups.append(Group(population.code, population.label, population.n, not population.shown))
        if question.type == "number":
            table.numbers.append(_number_summary(snapshot, key, base, by, population))
            continue
        counts = None
        if population.shown and grouped is not None:
            counts = grouped.sum(axis=0) if population.index is None else grouped[population.index + 1]
        for i, code in enumerate(codes):
            count = int(counts[i]) if counts is not None else None
            table.cells.append(_cell(population.code, code, labels.get(code, code), count, population.n))
        if question.scale is not None:
            table.scale.append(_scale_summary(question, population.code, codes, counts))
    if question.type != "number":
        _decide_cells(snapshot, shape, k, table, question, key, where, populations, by, filters, t)
    table.hidden_groups = any(g.suppressed for g in table.groups[1:])
    if table.hidden_groups:
        table.notes.append(
            f"Groups with fewer than {t} people who answered are not shown, nor any group that would let "
            "a hidden group be worked out by subtraction."
        )
    table.summary = _summary(table, question, populations[0], language)


def _population_key(shape: Structure, population: _Population, by: str | None, filters: Mapping[str, str]) -> tuple:
    """Return the population a table column shows, as units.py names it (the same in every table)."""
    filtered = None
    if filters:
        ((filter_dim, code),) = filters.items()
        filtered = (filter_dim, shape.dims[filter_dim].value(code).index)  # type: ignore[union-attr]
    if population.index is None:
        return () if filtered is None else (filtered,)
    group = (by, population.index)
    if filtered is None:
        return (group,)
    row_dim, _ = orientation(shape, shape.dims[by].family, shape.dims[filtered[0]].family)  # type: ignore[index, misc]
    return (group, filtered) if row_dim == by else (filtered, group)


def _decide_cells(
    snapshot: Snapshot,
    shape: Structure,
    k: int,
    table: Table,
    question: Question,
    key: str,
    where: Universe,
    populations: list[_Population],
    by: str | None,
    filters: Mapping[str, str],
    t: int,
) -> None:
    """Apply the cell statuses decided once per population and answer (units.py) to this table."""
    codes = {code: i for i, code in enumerate(snapshot.codes(key))}
    summaries = {s.group: s for s in table.scale}
    for population in populations:
        if not population.shown:
            continue
        pop = _population_key(shape, population, by, filters)
        hidden, withheld = units.statuses(snapshot, key, pop, where, k)
        for cell in table.cells:
            if cell.group == population.code and codes[cell.option] in hidden:
                hide_cell(cell)
        summary = summaries.get(population.code)
        if summary is not None and not summary.suppressed:
            withhold_summary(summary, withheld)


def _grouped_counts(snapshot: Snapshot, key: str, base: np.ndarray, by: str | None) -> np.ndarray:
    """Return answer counts for every group of `by` at once: row 0 no answer, row i+1 group i.

    The groups stay in the column's small type (widened once, in counts_by_key): at a million
    responses an int64 copy would be 8 MB more at the peak of every table.
    """
    groups = len(snapshot.codes(by)) + 1 if by else 1
    if by:
        group = snapshot.categorical[by][base]
        group += 1  # fits: a column's type holds one more than its largest index
    else:
        group = np.zeros(int(np.count_nonzero(base)), dtype=np.int8)
    return units.counts_by_key(snapshot, units.answers_of(snapshot, key), base, group, groups)


def _scale_summary(question: Question, group: str | None, codes, counts) -> ScaleSummary:
    if counts is None:
        return ScaleSummary(group, None, None, None, None, None, None, None, None, None, True)
    scale = question.scale
    points = {p.code for p in scale.points}  # type: ignore[union-attr]
    on_scale = int(sum(c for code, c in zip(codes, counts, strict=True) if code in points))
    positive = int(sum(c for code, c in zip(codes, counts, strict=True) if code in scale.positive))  # type: ignore[union-attr]
    negative = int(sum(c for code, c in zip(codes, counts, strict=True) if code in scale.negative))  # type: ignore[union-attr]
    if on_scale == 0:
        return ScaleSummary(group, 0, None, None, None, None, None, None, None, None, False)
    pos = _percent(positive, on_scale)
    neg = _percent(negative, on_scale)
    return ScaleSummary(group, on_scale, positive, *pos, negative, *neg, False)


def _number_summary(
    snapshot: Snapshot, key: str, base: np.ndarray, by: str | None, population: _Population
) -> NumberSummary:
    if not population.shown:
        return NumberSummary(population.code, None, None, None, None, True)
    mask = base if population.index is None else base & (snapshot.categorical[by] == population.index)  # type: ignore[index]
    values = snapshot.numbers[key][mask]
    q1, median, q3 = (float(x) for x in np.percentile(values, [25, 50, 75]))
    return NumberSummary(population.code, len(values), median, q1, q3, False)


def _who_table(
    snapshot: Snapshot,
    shape: Structure,
    k: int,
    table: Table,
    question: Question,
    where: Universe,
    by: str | None,
    filters: Mapping[str, str],
    language: str,
) -> None:
    """Fill the table of a question that is itself a dimension: every cell is a group of members."""
    dim = shape.dims[question.id]
    values = [v for v in dim.values if v.code != NO_ANSWER]
    other = by or (next(iter(filters)) if filters else None)
    if other is None:
        if where.size < k:
            table.refused = table.summary = f"Fewer than {k} people have answered this question so far."
            return
        gate = one_way(snapshot, dim.family, where, k)
        table.threshold = gate.threshold
        table.groups.append(Group(None, EVERYONE.get(language, "Everyone"), where.size, False))
        for value in values:
            gid = (dim.id, value.index)
            count = gate.count(gid) if gid in gate.published else None
            table.cells.append(_cell(None, value.code, value.label[language], count, where.size))
        table.summary = _who_summary(table, "members")
        _note_hidden_cells(table)
        return
    other_dim = shape.dims[other]
    cross = crossing(snapshot, dim.family, other_dim.family, where, k)
    assert cross is not None
    table.threshold = cross.threshold
    other_gate = one_way(snapshot, other_dim.family, where, k)
    groups = [
        v for v in other_dim.values if not filters or v.code == filters[other]
    ]  # a filter is one group of the other dimension
    for group in groups:
        gid = (other, group.index)
        n = other_gate.count(gid) if gid in other_gate.published else None
        code = None if filters else group.code
        table.groups.append(Group(code, group.label[language], n, n is None))
        for value in values:
            count = _crossed(cross, (dim.id, value.index), gid) if n is not None else None
            table.cells.append(_cell(code, value.code, value.label[language], count, n))
    if filters and table.groups[0].suppressed:
        table.refused = table.summary = _hidden_group(other_gate.threshold)
        table.groups, table.cells = [], []
        return
    table.hidden_groups = any(g.suppressed for g in table.groups) if not filters else False
    _note_hidden_cells(table)
    who = f"members in “{table.groups[0].label}”" if filters else "members"
    table.summary = _who_summary(table, who) if filters else _who_summary_by(table)


def _note_hidden_cells(table: Table) -> None:
    if any(c.suppressed for c in table.cells):
        table.notes.append(
            f"This question says who people are, so each answer is itself a group: answers given by fewer than "
            f"{table.threshold} people are not shown, nor any that would let a hidden one be worked out."
        )


# --- summaries -------------------------------------------------------------------------------


def _quote(labels: list[str]) -> str:
    quoted = [f"“{label}”" for label in labels]
    return " or ".join(quoted) if len(quoted) < 3 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _summary(table: Table, question: Question, everyone: _Population, language: str) -> str:
    who = "members" if not table.filters else f"members in “{everyone.label}”"
    if not everyone.shown or everyone.n is None:
        return "The results for this group are hidden."
    if question.type == "number":
        summary = table.numbers[0]
        unit = f" {question.unit[language]}" if question.unit else ""
        return f"Half of {who} answered {summary.median:g}{unit} or less (base {everyone.n:,})."
    cells = [c for c in table.cells if c.group is None and not c.suppressed]
    if question.scale is not None:
        summary = table.scale[0]
        if summary.positive_percent is None or summary.negative_percent is None:
            return f"{everyone.n:,} {who} answered; the summary is withheld so that no small count can be worked out."
        if summary.base is None:
            labels = {o.code: o.label for o in table.options}
            return (
                f"About {summary.positive_percent:g}% of {who} answered {_quote([labels[c] for c in table.positive])} "
                f"and {summary.negative_percent:g}% {_quote([labels[c] for c in table.negative])} (rounded; the "
                "number answering off the scale is too small to show)."
            )
        if not summary.base:
            return f"None of the {everyone.n:,} {who} who answered gave an answer on the scale."
        labels = {o.code: o.label for o in table.options}
        positive = _quote([labels[c] for c in table.positive])
        negative = _quote([labels[c] for c in table.negative])
        return (
            f"{summary.positive_percent:g}% of {who} answered {positive} and {summary.negative_percent:g}% "
            f"{negative} (base {summary.base:,}, not counting answers off the scale)."
        )
    substantive = [c for c in cells if c.option not in SUBSTANTIVE_EXCLUDED] or cells
    if not substantive:
        return ""
    top = max(substantive, key=lambda c: c.count or 0)
    verb = "chose" if question.type == "multi" else "answered"
    return f"{top.percent:g}% of {who} {verb} “{top.label}” (base {everyone.n:,})."


def _grid_summary(table: Table) -> str:
    """Name the statement with the largest positive share, for a grid's one-line summary."""
    shown = [
        (t, t.scale[0])
        for t in table.items
        if t.scale and t.scale[0].positive_percent is not None and t.scale[0].base is not None
    ]
    if not shown:
        return "The results for these statements are hidden."
    item, best = max(shown, key=lambda pair: pair[1].positive_percent or 0)
    labels = {o.code: o.label for o in item.options}
    return (
        f"Of {len(table.items)} statements, “{item.text}” had the largest share answering "
        f"{_quote([labels[c] for c in item.positive])}: {best.positive_percent:g}% (base {best.base:,})."
    )


def _who_summary(table: Table, who: str) -> str:
    shown = [c for c in table.cells if not c.suppressed and c.option not in SUBSTANTIVE_EXCLUDED]
    if not shown or table.groups[0].n is None:
        return "The answers are hidden: every group is too small to show safely."
    top = max(shown, key=lambda c: c.count or 0)
    return f"The largest group of {who} was “{top.label}”: {top.percent:g}% (base {table.groups[0].n:,})."


def _who_summary_by(table: Table) -> str:
    shown = [g for g in table.groups if not g.suppressed]
    hidden = len(table.groups) - len(shown)
    text = f"Shown for {len(shown)} of {len(table.groups)} groups"
    return text + (f"; {hidden} are hidden to protect small groups." if hidden else ".")


# --- overview, dimensions, filter rules ------------------------------------------------------


def overview(survey, language: str = "en") -> Overview:
    """Return released responses in total and by each non-protected dimension, through the gate."""
    return overview_of(snapshot_for(survey), survey.threshold, language, survey.audience)


def overview_of(
    snapshot: Snapshot, k: int, language: str = "en", audience: Mapping[str, str] | None = None
) -> Overview:
    """Return the overview from a snapshot (see overview)."""
    questionnaire = snapshot.questionnaire
    language = _language(questionnaire, language)
    shape = structure(questionnaire)
    where = universe(snapshot, None)
    if snapshot.n < k:
        return Overview(None, True, k, snapshot.batch, [])
    fixed = fixed_dimensions(audience, questionnaire)
    breakdowns = []
    for dim in shape.dims.values():
        if dim.protected or dim.id in fixed:
            continue
        gate = one_way(snapshot, dim.family, where, k)
        groups = []
        for value in dim.values:
            gid = (dim.id, value.index)
            shown = gid in gate.published
            groups.append(Group(value.code, value.label[language], gate.count(gid) if shown else None, not shown))
        breakdowns.append(Breakdown(dim.id, dim.label[language], groups, any(g.suppressed for g in groups)))
    return Overview(snapshot.n, False, k, snapshot.batch, breakdowns)


def dimensions(survey) -> list[DimensionInfo]:
    """Return every breakdown dimension with its groups, labels in each language, and whether it filters."""
    questionnaire = survey.questionnaire
    return dimensions_of(questionnaire, fixed_dimensions(survey.audience, questionnaire))


def dimensions_of(questionnaire: Questionnaire, fixed: set[str] | None = None) -> list[DimensionInfo]:
    """Return the dimension listing of a questionnaire (see dimensions)."""
    shape = structure(questionnaire)
    fixed = fixed or set()
    return [
        DimensionInfo(
            id=dim.id,
            label=dict(dim.label),
            protected=dim.protected,
            values=[DimensionValue(v.code, dict(v.label)) for v in dim.values],
            family=dim.family,
            filter=dim.id in shape.filter_dims and dim.id not in fixed,
            fixed=dim.id in fixed,
        )
        for dim in shape.dims.values()
    ]


def filter_rules(survey) -> FilterRules:
    """Return the allowed filter family: which dimensions filter, how many at once, and the thresholds."""
    questionnaire = survey.questionnaire
    return filter_rules_of(questionnaire, survey.threshold, fixed_dimensions(survey.audience, questionnaire))


def filter_rules_of(questionnaire: Questionnaire, k: int, fixed: set[str] | None = None) -> FilterRules:
    """Return the filter rules of a questionnaire and threshold (see filter_rules)."""
    shape = structure(questionnaire)
    fixed = fixed or set()
    return FilterRules(
        max_filters=MAX_FILTERS,
        filter_dimensions=[d for d in shape.filter_dims if d not in fixed],
        comment_dimension=shape.comment_dim if shape.comment_dim not in fixed else None,
        threshold=k,
        protected_threshold=threshold_for(k, True),
        comment_threshold=comment_threshold(k),
        explanation=(
            "Results can be broken down by any one dimension, and filtered by one group of a filter "
            "dimension (never a protected characteristic). Two dimensions made from the same answers are "
            "never combined, nor are two protected characteristics. Groups smaller than the threshold, and "
            "groups that would let one be worked out by subtraction, are hidden."
        ),
    )


def query_options(survey, question_id: str) -> QueryOptions:
    """Return the breakdowns and filters a question allows, so that a page offers only those."""
    questionnaire = survey.questionnaire
    return query_options_of(questionnaire, question_id, fixed_dimensions(survey.audience, questionnaire))


def query_options_of(questionnaire: Questionnaire, question_id: str, fixed: set[str] | None = None) -> QueryOptions:
    """Return the query options of a question (see query_options)."""
    shape = structure(questionnaire)
    fixed = fixed or set()
    question, _ = _answer_key(questionnaire, question_id)
    refused = check_query(shape, question, None, {}, fixed)
    if refused:
        return QueryOptions(question_id, [], [], {}, refused)

    def allowed(by: str | None, filter_dim: str | None) -> bool:
        filters = {}
        if filter_dim:
            code = next(v.code for v in shape.dims[filter_dim].values if v.code != NO_ANSWER)
            filters = {filter_dim: code}
        return check_query(shape, question, by, filters, fixed) is None

    dims = [d for d in shape.dims if d not in fixed]
    filters = [d for d in shape.filter_dims if d not in fixed and allowed(None, d)]
    return QueryOptions(
        question=question_id,
        by=[d for d in dims if allowed(d, None)],
        filters=filters,
        by_with_filter={f: [d for d in dims if allowed(d, f)] for f in filters},
        refused=None,
    )


__all__ = [
    "Dim",
    "UnknownQuestion",
    "check_query",
    "dimensions",
    "filter_rules",
    "overview",
    "query_options",
    "question_table",
    "table_of",
]
