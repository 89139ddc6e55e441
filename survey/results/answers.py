"""Question tables: a question's results, broken down and filtered, with every count published.

Public functions take a Survey (they read its snapshot); the `*_of` variants take a snapshot and
the survey's threshold directly, for tests and benchmarks. Nothing here knows about HTTP.

Every count shown is a published count (protection.py: consistent perturbation), and everything
else (percentages, intervals, % positive, medians, summaries) is worked out from published counts
only. Only groups are ever left out (gate.py's rule):
- ordinary questions (opinions and experiences): everyone or the filter's group, and each
  breakdown group, is shown when it holds at least t members; inside a shown group every answer
  is shown with its published count;
- questions that are themselves a dimension (sex, sector, ethnicity ...): their answers say who
  people are, so each answer of each group is itself a group, and shown by the same rule.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ..questionnaire.model import ITEM_TYPES, Question, Questionnaire
from . import consultation
from .cache import snapshot_for
from .counts import Tally, answers_of, group_sizes, tally
from .dimensions import Structure, structure, threshold_for
from .gate import Universe, everyone_count, universe
from .protection import published_count, shown
from .queries import UnknownQuestion, answer_key, check_query, fixed_dimensions, language_for, rank_position
from .slices import sliced_by
from .snapshot import Snapshot
from .stats import wilson
from .summaries import answers_summary, grid_summary, who_summary, who_summary_by
from .tables import Cell, Group, NumberSummary, OptionInfo, Ranked, ScaleSummary, Table
from .weighted import weighted_table
from .weighting import survey_weights

EVERYONE = {"en": "Everyone", "cy": "Pawb"}


def _percent(count: int, base: int) -> tuple[float, float, float]:
    """Return a percentage and its 95% interval from published counts. A published count can
    exceed its published base by a little (each is adjusted on its own): it then reads 100%."""
    count = min(count, base)
    low, high = wilson(count, base)
    return round(100 * count / base, 1), round(100 * low, 1), round(100 * high, 1)


def _cell(group: str | None, code: str, label: str, count: int | None, base: int | None) -> Cell:
    if count is None or base is None or base <= 0:
        return Cell(group, code, label, None, None, None, None, None, True)
    percent, low, high = _percent(count, base)
    return Cell(group, code, label, count, percent, low, high, base, False)


RANK_POSITION = {"en": "choice {n}", "cy": "dewis {n}"}


def _text(questionnaire: Questionnaire, question: Question, item: str | None, language: str) -> str:
    if item is None:
        return question.text[language]
    position = rank_position(question, item)
    if position is not None:
        return f"{question.text[language]} ({RANK_POSITION.get(language, RANK_POSITION['en']).format(n=position)})"
    statement = next(i for i in question.items if i.code == item)
    return statement.text[language]


ITEM_TABLE_TYPES = {"grid": "scale", "statements": "statement", "priorities": "rank"}  # a row's table


# --- question tables -------------------------------------------------------------------------


def question_table(
    survey, question_id: str, by: str | None = None, filters: Mapping[str, str] | None = None, language: str = "en"
) -> Table:
    """Return a question's results, broken down `by` a dimension and filtered, through the gate;
    weighted to the membership profile when the survey's organisers have switched weighting on
    and a profile applies (weighted.py)."""
    snapshot = snapshot_for(survey)
    table = table_of(snapshot, survey.threshold, question_id, by, filters, language, survey.audience)
    weights = survey_weights(survey, snapshot)
    return weighted_table(snapshot, table, weights) if weights is not None else table


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


def ranked(
    survey, question_id: str, by: str | None = None, filters: Mapping[str, str] | None = None, language: str = "en"
) -> Ranked:
    """Return a consultation question's ranked results (statements by net support, priorities by
    how often chosen), broken down `by` a dimension and filtered, through the gate."""
    return ranked_of(snapshot_for(survey), survey.threshold, question_id, by, filters, language, survey.audience)


def ranked_of(
    snapshot: Snapshot,
    k: int,
    question_id: str,
    by: str | None = None,
    filters: Mapping[str, str] | None = None,
    language: str = "en",
    audience: Mapping[str, str] | None = None,
) -> Ranked:
    """Return a consultation question's ranked results from a snapshot (see ranked): the `ranked`
    part of its table, so every number is the one its table shows."""
    table = table_of(snapshot, k, question_id, by, filters, language, audience)
    if table.ranked is None:
        raise UnknownQuestion(f"{question_id} is not a statements or priorities question")
    return table.ranked


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
    language = language_for(questionnaire, language)
    question, item = answer_key(questionnaire, question_id)
    filters = dict(filters or {})
    shape = structure(questionnaire)
    table = Table(
        question=question_id,
        type=ITEM_TABLE_TYPES[question.type] if item else question.type,
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
    reason = check_query(shape, question, by, filters, fixed_dimensions(audience, questionnaire), sliced_by(snapshot))
    if reason:
        table.refused = table.summary = reason
        return table
    if question.type in ITEM_TYPES and item is None:
        table.items = [table_of(snapshot, k, key, by, filters, language, audience) for key in question.answer_keys()]
        table.hidden_groups = any(t.hidden_groups for t in table.items)
        if question.type == "statements":
            groups, t = _statement_groups(snapshot, shape, k, question, by, filters, language)
            table.ranked = consultation.statements(table, question, groups, t)
            table.summary = table.ranked.summary
        else:
            table.summary = grid_summary(table)
        return table
    key = question_id
    where = universe(snapshot, key)
    _answers_table(snapshot, shape, k, table, question, key, where, by, filters, language)
    if question.type == "priorities" and item is None:
        first = table_of(snapshot, k, f"{key}.1", by, filters, language, audience) if question.rank else None
        table.ranked = consultation.priorities(table, first, question)
        table.summary = table.ranked.summary
    return table


def _statement_groups(
    snapshot: Snapshot,
    shape: Structure,
    k: int,
    question: Question,
    by: str | None,
    filters: Mapping[str, str],
    language: str,
) -> tuple[list[Group], int]:
    """Return everyone (or the filter's group) and each group of the breakdown, counting the members
    who answered any statement of the question (published), by the group rule; and the threshold."""
    rows = np.zeros(snapshot.n, dtype=bool)
    for key in question.answer_keys():
        rows |= snapshot.categorical[key] >= 0
    label = EVERYONE.get(language, EVERYONE["en"])
    if filters:
        ((dim_id, code),) = filters.items()
        value = shape.dims[dim_id].value(code)
        rows &= snapshot.categorical[dim_id] == value.index  # type: ignore[union-attr]
        label = value.label[language]  # type: ignore[union-attr]
    true = int(np.count_nonzero(rows))
    public = published_count(true, int(snapshot.keys[rows].sum(dtype=np.int64)))
    if not shown(true, public, k):
        return [Group(None, label, None, True)], k
    groups = [Group(None, label, public, False)]
    t = _threshold(shape, k, [by] if by else [])
    if by:
        column = snapshot.categorical[by][rows].astype(np.intp)
        column += 1  # row 0 "no answer" (-1); row i + 1 group i
        sizes = group_sizes(snapshot, rows, column, len(snapshot.codes(by)) + 1)
        public_sizes = sizes.public
        for value in shape.dims[by].values:
            row = value.index + 1
            ok = shown(int(sizes.true[row]), int(public_sizes[row]), t)
            groups.append(Group(value.code, value.label[language], int(public_sizes[row]) if ok else None, not ok))
    return groups, t


@dataclass
class _Population:
    """A column of a table: everyone (or the filter's group), or one group of the breakdown."""

    code: str | None
    label: str
    shown: bool
    n: int | None  # published
    row: int = 0  # the row of the table's tallies: 0 for everyone, else 1 + the group's column index + 1


def _threshold(shape: Structure, k: int, dims: list[str]) -> int:
    """Return the smallest group a table's numbers may describe: max(k, 10) with a protected dimension."""
    return threshold_for(k, any(shape.families[shape.dims[d].family].protected for d in dims))


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
    """Fill a question's table: its populations by the group rule, then every published count."""
    rows, label, true, public = _asked(snapshot, shape, where, filters, language)
    if not shown(true, public, k):
        table.refused = table.summary = (
            _hidden_group(k) if filters else f"Results are shown once at least {k} people have answered this question."
        )
        return
    populations = [_Population(None, label, True, public)]
    own = [question.id] if question.id in shape.dims else []
    t = _threshold(shape, k, [*own, *([by] if by else [])])
    table.threshold = t
    groups, size = _tally_rows(snapshot, rows, by)
    found = None if question.type == "number" else tally(snapshot, answers_of(snapshot, key), rows, groups, size)
    if by:
        populations += _breakdown(snapshot, shape, by, key, rows, groups, size, found, t, language)
    for population in populations:
        table.groups.append(Group(population.code, population.label, population.n, not population.shown))
    if question.type == "number":
        _numbers(snapshot, table, question, key, rows, groups, size, populations)
    else:
        everyone = found.total()  # type: ignore[union-attr]
        true, public = found.true, found.public  # type: ignore[union-attr]
        true[0], public[0] = everyone.true, everyone.public  # row 0 held no one: it is everyone
        _fill(table, question, key, snapshot, populations, true, public, t, bool(own), language)
    _notes_and_summary(table, question, populations[0], t, bool(own), by, filters, language)


def _asked(
    snapshot: Snapshot, shape: Structure, where: Universe, filters: Mapping[str, str], language: str
) -> tuple[np.ndarray, str, int, int]:
    """Return whom a table is about (everyone who answered, or the filter's group of them): their
    rows, their label, and how many they are, true and published."""
    rows = where.mask
    label = EVERYONE[language] if language in EVERYONE else EVERYONE["en"]
    if filters:
        ((dim_id, code),) = filters.items()
        value = shape.dims[dim_id].value(code)
        rows &= snapshot.categorical[dim_id] == value.index  # type: ignore[union-attr]
        true = int(np.count_nonzero(rows))
        public = published_count(true, int(snapshot.keys[rows].sum(dtype=np.int64)))
        label = value.label[language]  # type: ignore[union-attr]
    else:
        true, public = everyone_count(snapshot, where)
    return rows, label, true, public


def _tally_rows(snapshot: Snapshot, rows: np.ndarray, by: str | None) -> tuple[np.ndarray, int]:
    """Return each asked member's row of the tallies, and how many rows there are."""
    if by:
        column = snapshot.categorical[by][rows]
        groups = column.astype(np.intp)
        groups += 2  # row 0 of the tallies is everyone; row 1 "no answer" (-1); row i + 2 group i
        return groups, len(snapshot.codes(by)) + 2
    return np.zeros(int(np.count_nonzero(rows)), dtype=np.intp), 1


def _breakdown(
    snapshot: Snapshot,
    shape: Structure,
    by: str,
    key: str,
    rows: np.ndarray,
    groups: np.ndarray,
    size: int,
    found: Tally | None,
    t: int,
    language: str,
) -> list[_Population]:
    """Return each group of the breakdown, shown or not by the group rule, with its published size."""
    # One answer per member (single choice, scales): a group's size is the sum of its answers.
    single = found is not None and key not in snapshot.multi
    sizes = (
        Tally(found.true.sum(axis=1), found.sums.sum(axis=1))  # type: ignore[union-attr]
        if single
        else group_sizes(snapshot, rows, groups, size)
    )
    public_sizes = sizes.public
    populations = []
    for value in shape.dims[by].values:
        row = value.index + 2
        ok = shown(int(sizes.true[row]), int(public_sizes[row]), t)
        populations.append(
            _Population(value.code, value.label[language], ok, int(public_sizes[row]) if ok else None, row)
        )
    return populations


def _notes_and_summary(
    table: Table,
    question: Question,
    everyone: _Population,
    t: int,
    answers_are_groups: bool,
    by: str | None,
    filters: Mapping[str, str],
    language: str,
) -> None:
    """Note the hidden groups of a filled table, and say in one sentence what it shows."""
    table.hidden_groups = any(g.suppressed for g in table.groups[1:])
    if table.hidden_groups:
        table.notes.append(f"A group is shown only when it has at least {t} members.")
    if answers_are_groups:
        table.summary = who_summary(table, filters, everyone.label, everyone.n) if not by else who_summary_by(table)
    else:
        table.summary = answers_summary(table, question, everyone.label, everyone.n, language)


def _hidden_group(t: int) -> str:
    return f"This group is too small to show: results are shown only for groups of at least {t} members."


def _fill(
    table: Table,
    question: Question,
    key: str,
    snapshot: Snapshot,
    populations: list[_Population],
    true: np.ndarray,
    public: np.ndarray,
    t: int,
    answers_are_groups: bool,
    language: str,
) -> None:
    """Add each shown population's cells (and a scale's summary) from the published counts."""
    codes = snapshot.codes(key)
    labels = {o.code: o.label[language] for o in question.choices}
    for population in populations:
        counts = public[population.row] if population.shown else None
        for i, code in enumerate(codes):
            count = int(counts[i]) if counts is not None else None
            if answers_are_groups and count is not None and not shown(int(true[population.row][i]), count, t):
                count = None  # an answer that says who people are is a group: too small to show
            table.cells.append(_cell(population.code, code, labels.get(code, code), count, population.n))
        if question.scale is not None and question.type != "statements":  # statements: net support instead
            table.scale.append(_scale_summary(question, population.code, codes, counts))
    if answers_are_groups and any(c.suppressed for c in _shown_cells(table)):
        table.notes.append(
            f"This question says who people are, so each answer is itself a group: an answer is shown only "
            f"when at least {t} members gave it."
        )


def _shown_cells(table: Table) -> list[Cell]:
    """Return the cells of the shown groups."""
    hidden = {g.code for g in table.groups if g.suppressed}
    return [c for c in table.cells if c.group not in hidden]


def _scale_summary(question: Question, group: str | None, codes, counts) -> ScaleSummary:
    """Return a group's % positive and % negative of the answers on the scale, from its published cells."""
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


NUMBER_BINS = 200  # a number question's answers are counted in at most this many bands for its quartiles


def _bands(question: Question, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each value's band and the bands' lower ends: whole numbers, or NUMBER_BINS equal bands."""
    low = float(question.min) if question.min is not None else float(np.nanmin(values, initial=0))
    high = float(question.max) if question.max is not None else float(np.nanmax(values, initial=0))
    width = max(1.0, (high - low) / NUMBER_BINS)
    edges = low + width * np.arange(int((high - low) // width) + 1)
    return np.clip(((values - low) // width).astype(np.intp), 0, len(edges) - 1), edges


def _numbers(
    snapshot: Snapshot,
    table: Table,
    question: Question,
    key: str,
    rows: np.ndarray,
    groups: np.ndarray,
    size: int,
    populations: list[_Population],
) -> None:
    """Add each shown population's median and quartiles, read off its published counts by band."""
    bands, edges = _bands(question, snapshot.numbers[key][rows])
    width = len(edges)
    joint = groups * width + bands
    counts = np.bincount(joint, minlength=size * width).reshape(size, width)
    sums = np.bincount(joint, weights=snapshot.keys[rows], minlength=size * width).reshape(size, width)
    found = Tally(counts, sums)
    public = found.public
    public[0] = found.total().public
    for population in populations:
        if not population.shown:
            table.numbers.append(NumberSummary(population.code, None, None, None, None, True))
            continue
        cumulative = np.cumsum(public[population.row])
        total = int(cumulative[-1])
        if total == 0:  # every band too small to publish as itself: no quartile can be read off
            table.numbers.append(NumberSummary(population.code, population.n, None, None, None, True))
            continue
        q1, median, q3 = (float(edges[np.searchsorted(cumulative, q * total)]) for q in (0.25, 0.5, 0.75))
        table.numbers.append(NumberSummary(population.code, population.n, median, q1, q3, False))
