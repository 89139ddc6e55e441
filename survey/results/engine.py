"""The results engine: question tables, overview and dimension listings, every count published.

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
from .counts import Tally, answers_of, group_sizes, tally
from .dimensions import (
    MAX_FILTERS,
    NO_ANSWER,
    Dim,
    Structure,
    comment_threshold,
    structure,
    threshold_for,
)
from .gate import Universe, universe
from .protection import MAX_NOISE, published_count, shown
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
    Ranked,
    ScaleSummary,
    Table,
)

EVERYONE = {"en": "Everyone", "cy": "Pawb"}
SUBSTANTIVE_EXCLUDED = frozenset({"dk", "na", "pnts", "other", "none", "not_sure"})


class UnknownQuestion(LookupError):
    """No question (or grid statement, or rank position) has this id."""


# --- small helpers ---------------------------------------------------------------------------


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
    """Return the question and item for an answer key: "C2", a grid's or statements' row "C2.a", or
    a ranked priorities question's rank position "D2.1" (first choices)."""
    base, _, item = question_id.partition(".")
    try:
        question = questionnaire.question(base)
    except KeyError:
        raise UnknownQuestion(question_id) from None
    if item and not (
        (question.type in ITEM_TYPES and item in {i.code for i in question.items}) or _rank_position(question, item)
    ):
        raise UnknownQuestion(question_id)
    return question, item or None


def _rank_position(question: Question, item: str | None) -> int | None:
    """Return the rank position an item names ("1" = first choices) in a ranked priorities question."""
    if question.type != "priorities" or not question.rank or not item or not item.isdigit():
        return None
    return int(item) if 1 <= int(item) <= question.rank else None


RANK_POSITION = {"en": "choice {n}", "cy": "dewis {n}"}


def _text(questionnaire: Questionnaire, question: Question, item: str | None, language: str) -> str:
    if item is None:
        return question.text[language]
    position = _rank_position(question, item)
    if position is not None:
        return f"{question.text[language]} ({RANK_POSITION.get(language, RANK_POSITION['en']).format(n=position)})"
    statement = next(i for i in question.items if i.code == item)
    return statement.text[language]


ITEM_TABLE_TYPES = {"grid": "scale", "statements": "statement", "priorities": "rank"}  # a row's table


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
    if sum(shape.families[f].protected for f in families) > 1:
        return "Two protected characteristics are never combined: the groups would be too small to show safely."
    return None


def _filter_problem(shape: Structure, dim_id: str, code: str, fixed: set[str]) -> str | None:
    dim = shape.dims.get(dim_id)
    if dim is None:
        return f"There is no filter called “{dim_id}”."
    if dim.protected:
        return "Results are never filtered by a protected characteristic; choose it as the breakdown instead."
    if dim_id in fixed:
        return "Everyone in this survey is in the same group of this filter."
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
    language = _language(questionnaire, language)
    question, item = _answer_key(questionnaire, question_id)
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
    reason = check_query(shape, question, by, filters, fixed_dimensions(audience, questionnaire))
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
            table.summary = _grid_summary(table)
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


def _everyone_count(snapshot: Snapshot, where: Universe) -> tuple[int, int]:
    """Return the members of a universe, true and published (once per snapshot)."""
    key = ("everyone", where.key)
    if key not in snapshot.cache:
        true = where.size
        snapshot.cache[key] = (true, published_count(true, int(snapshot.keys[where.mask].sum(dtype=np.int64))))
    return snapshot.cache[key]


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
        true, public = _everyone_count(snapshot, where)
    if not shown(true, public, k):
        table.refused = table.summary = (
            _hidden_group(k) if filters else f"Results are shown once at least {k} people have answered this question."
        )
        return
    populations = [_Population(None, label, True, public)]
    own = [question.id] if question.id in shape.dims else []
    t = _threshold(shape, k, [*own, *([by] if by else [])])
    table.threshold = t
    if by:
        column = snapshot.categorical[by][rows]
        groups = column.astype(np.intp)
        groups += 2  # row 0 of the tallies is everyone; row 1 "no answer" (-1); row i + 2 group i
        size = len(snapshot.codes(by)) + 2
    else:
        groups, size = np.zeros(int(np.count_nonzero(rows)), dtype=np.intp), 1
    found = None if question.type == "number" else tally(snapshot, answers_of(snapshot, key), rows, groups, size)
    if by:
        # One answer per member (single choice, scales): a group's size is the sum of its answers.
        single = found is not None and key not in snapshot.multi
        sizes = (
            Tally(found.true.sum(axis=1), found.sums.sum(axis=1))
            if single
            else group_sizes(snapshot, rows, groups, size)
        )
        public_sizes = sizes.public
        for value in shape.dims[by].values:
            row = value.index + 2
            ok = shown(int(sizes.true[row]), int(public_sizes[row]), t)
            populations.append(
                _Population(value.code, value.label[language], ok, int(public_sizes[row]) if ok else None, row)
            )
    for population in populations:
        table.groups.append(Group(population.code, population.label, population.n, not population.shown))
    if question.type == "number":
        _numbers(snapshot, table, question, key, rows, groups, size, populations)
    else:
        everyone = found.total()  # type: ignore[union-attr]
        true, public = found.true, found.public  # type: ignore[union-attr]
        true[0], public[0] = everyone.true, everyone.public  # row 0 held no one: it is everyone
        _fill(table, question, key, snapshot, populations, true, public, t, bool(own), language)
    table.hidden_groups = any(g.suppressed for g in table.groups[1:])
    if table.hidden_groups:
        table.notes.append(f"A group is shown only when it has at least {t} members.")
    if own:
        table.summary = _who_summary(table, filters, populations[0]) if not by else _who_summary_by(table)
    else:
        table.summary = _summary(table, question, populations[0], language)


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


# --- summaries -------------------------------------------------------------------------------
# Sentences are made from the published numbers only. Two published counts no further apart than
# twice the largest adjustment may be in either order in truth, so a sentence names both.

CLOSE = 2 * MAX_NOISE


def _quote(labels: list[str]) -> str:
    quoted = [f"“{label}”" for label in labels]
    return " or ".join(quoted) if len(quoted) < 3 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _leaders(cells: list[Cell]) -> list[Cell]:
    """Return the cell with the largest published count, and any too close to it to tell apart."""
    ordered = sorted(cells, key=lambda c: -(c.count or 0))
    return [c for c in ordered if (c.count or 0) >= (ordered[0].count or 0) - CLOSE][:3]


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _summary(table: Table, question: Question, everyone: _Population, language: str) -> str:
    who = "members" if not table.filters else f"members in “{everyone.label}”"
    if question.type == "number":
        summary = table.numbers[0]
        if summary.median is None:
            return f"{everyone.n:,} {who} answered; too few gave any one answer to read off a median."
        unit = f" {question.unit[language]}" if question.unit else ""
        return f"Half of {who} answered {summary.median:g}{unit} or less (base {everyone.n:,})."
    cells = [c for c in table.cells if c.group is None]
    if question.type == "statements":  # one statement: its answers, and net support
        shares = {c.option: c for c in cells}
        parts = [f"{shares[o.code].percent:g}% “{o.label}”" for o in table.options if o.code in shares]
        net = consultation.statements_net(shares.get("support"), shares.get("oppose"))
        return f"Of {everyone.n:,} {who} who answered, {_and(parts)}: net support {net}."
    if question.scale is not None:
        summary = table.scale[0]
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
    verb = "chose" if question.type in ("multi", "priorities") else "answered"
    leaders = _leaders(substantive)
    named = _and([f"{c.percent:g}% “{c.label}”" for c in leaders])
    if len(leaders) == 1:
        return f"{leaders[0].percent:g}% of {who} {verb} “{leaders[0].label}” (base {everyone.n:,})."
    return f"The answers {who} gave most were {named}, too close to tell apart (base {everyone.n:,})."


def _grid_summary(table: Table) -> str:
    """Name the statement with the largest positive share, for a grid's one-line summary."""
    shown_items = [(t, t.scale[0]) for t in table.items if t.scale and t.scale[0].positive_percent is not None]
    if not shown_items:
        return "The results for these statements are not shown: too few people have answered them."
    ordered = sorted(shown_items, key=lambda pair: -(pair[1].positive_percent or 0))
    item, best = ordered[0]
    labels = {o.code: o.label for o in item.options}
    # Too close to tell apart: within what the adjustment of the two positive counts could move them.
    margin = 100 * CLOSE / max(1, min(s.base or 1 for _, s in ordered))
    close = [t for t, s in ordered[1:3] if (best.positive_percent or 0) - (s.positive_percent or 0) < margin]
    if close:
        names = _and([f"“{t.text}”" for t in [item, *close]])
        return (
            f"Of {len(table.items)} statements, {names} had the largest shares answering "
            f"{_quote([labels[c] for c in item.positive])}, too close to tell apart."
        )
    return (
        f"Of {len(table.items)} statements, “{item.text}” had the largest share answering "
        f"{_quote([labels[c] for c in item.positive])}: {best.positive_percent:g}% (base {best.base:,})."
    )


def _who_summary(table: Table, filters: Mapping[str, str], everyone: _Population) -> str:
    who = f"members in “{everyone.label}”" if filters else "members"
    shown_cells = [c for c in table.cells if not c.suppressed and c.option not in SUBSTANTIVE_EXCLUDED]
    if not shown_cells:
        return "The answers are not shown: every group is too small to show safely."
    leaders = _leaders(shown_cells)
    if len(leaders) == 1:
        return f"The largest group of {who} was “{leaders[0].label}”: {leaders[0].percent:g}% (base {everyone.n:,})."
    named = _and([f"“{c.label}” ({c.percent:g}%)" for c in leaders])
    return f"The largest groups of {who} were {named}, too close to tell apart (base {everyone.n:,})."


def _who_summary_by(table: Table) -> str:
    groups = table.groups[1:]
    shown_groups = [g for g in groups if not g.suppressed]
    text = f"Shown for {len(shown_groups)} of {len(groups)} groups"
    hidden = len(groups) - len(shown_groups)
    return text + (f"; {hidden} are too small to show." if hidden else ".")


# --- overview, dimensions, filter rules ------------------------------------------------------


def overview(survey, language: str = "en") -> Overview:
    """Return released responses in total and by each non-protected dimension, all published."""
    return overview_of(snapshot_for(survey), survey.threshold, language, survey.audience)


def overview_of(
    snapshot: Snapshot, k: int, language: str = "en", audience: Mapping[str, str] | None = None
) -> Overview:
    """Return the overview from a snapshot (see overview); worked out once per snapshot."""
    memo_key = ("overview", k, language, tuple(sorted((audience or {}).items())))
    if memo_key not in snapshot.cache:
        snapshot.cache[memo_key] = _overview_of(snapshot, k, language, audience)
    return snapshot.cache[memo_key]


def _overview_of(snapshot: Snapshot, k: int, language: str, audience: Mapping[str, str] | None) -> Overview:
    questionnaire = snapshot.questionnaire
    language = _language(questionnaire, language)
    shape = structure(questionnaire)
    true, public = _everyone_count(snapshot, universe(snapshot, None))
    if not shown(true, public, k):
        return Overview(None, True, k, snapshot.batch, [])
    fixed = fixed_dimensions(audience, questionnaire)
    rows = np.ones(snapshot.n, dtype=bool)
    breakdowns = []
    for dim in shape.dims.values():
        if dim.protected or dim.id in fixed:
            continue
        groups = snapshot.categorical[dim.id].astype(np.intp)
        groups += 1
        sizes = group_sizes(snapshot, rows, groups, len(snapshot.codes(dim.id)) + 1)
        public_sizes = sizes.public
        found = []
        for value in dim.values:
            n_true, n_public = int(sizes.true[value.index + 1]), int(public_sizes[value.index + 1])
            ok = shown(n_true, n_public, k)
            found.append(Group(value.code, value.label[language], n_public if ok else None, not ok))
        breakdowns.append(Breakdown(dim.id, dim.label[language], found, any(g.suppressed for g in found)))
    return Overview(public, False, k, snapshot.batch, breakdowns)


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
            "Results can be broken down by any one dimension, and filtered by one group of another "
            "(never a protected characteristic). Two dimensions made from the same answers are never "
            "combined, nor are two protected characteristics. A group is shown only when it has at least "
            "the threshold's number of members; every number is adjusted slightly to protect members."
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
    "ranked",
    "ranked_of",
    "table_of",
]
