"""Weighted tables: a question's percentages and intervals weighted to the membership profile.

A weighted table is the ordinary table (answers.table_of) with its percentages replaced, so every
page, chart, export and the API that shows a table shows the weighted figures, and the rules of
the ordinary table stand unchanged: a group or answer the ordinary table does not show is not
shown weighted either, and the counts and bases beside the percentages stay the published counts.

Every weighted number is worked out from PUBLISHED counts only (protection.published), through the
weights of weighting.py (raked from published class counts), counted by weight band b (the classes
whose weights lie within a factor of 1.2 of each other; weighting.bands_of), each band with its weight w_b:
- a weighted count of an answer in a group: Σ_b w_b × published(answer ∧ group ∧ band b);
- the group's weighted base: Σ_b w_b × published(group ∧ band b) (for a scale's % positive, the
  weighted answers on the scale);
- the group's effective sample size (Kish): (Σ_b w_b n_b)² / Σ_b w_b² n_b, n_b = published(group ∧ b);
- the weighted percentage: weighted count / weighted base; its 95% interval: Wilson's, at the
  effective sample size. Weighted counts themselves are never shown.
Number questions (medians) and consultation rankings are not weighted; their tables say so.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import numpy as np

from ..questionnaire.model import ITEM_TYPES, Question
from .counts import Tally, answers_of, group_sizes, tally
from .dimensions import structure
from .gate import universe
from .queries import answer_key
from .snapshot import Snapshot
from .stats import wilson
from .summaries import answers_summary, grid_summary
from .tables import Cell, ScaleSummary, Table
from .weighting import ClassWeights

NOT_WEIGHTED = {
    "number": "Medians are not weighted: they are read off the published counts as they stand.",
    "statements": "Support and net support are not weighted: they are the published counts as they stand.",
    "priorities": "How often each priority was chosen is not weighted: these are the published counts as they stand.",
}
KEPT = 2_000  # weighted tables kept per snapshot (as answers.TABLES_KEPT)


def weighted_table(snapshot: Snapshot, table: Table, weights: ClassWeights) -> Table:
    """Return a copy of a table with its percentages and intervals weighted (see the module)."""
    memo = snapshot.cache.setdefault(("weighted", id(weights)), {})
    key = id(table)
    found = memo.get(key)
    if found is not None and found[0] is table:
        return found[1]
    out = _copy(table)
    _weigh(snapshot, out, weights)
    if len(memo) >= KEPT:
        memo.clear()
    memo[key] = (table, out)  # the table is kept too, so its id is not reused while this is kept
    return out


def _copy(table: Table) -> Table:
    """Return a copy of a table whose groups, cells, scale summaries, notes and items can be changed
    without touching the shared table (its ranked results, numbers and options are only read)."""
    out = copy.copy(table)
    out.groups = [copy.copy(g) for g in table.groups]
    out.cells = [copy.copy(c) for c in table.cells]
    out.scale = [copy.copy(s) for s in table.scale]
    out.notes = list(table.notes)
    out.items = [_copy(t) for t in table.items]
    return out


def _weigh(snapshot: Snapshot, table: Table, weights: ClassWeights) -> None:
    table.weighting = weights.summary
    if table.refused:
        return
    question, item = answer_key(snapshot.questionnaire, table.question)
    if question.type in NOT_WEIGHTED:  # medians and consultation rankings: as published
        table.notes.append(NOT_WEIGHTED[question.type])
        return
    if question.type in ITEM_TYPES and item is None:
        for sub in table.items:
            _weigh(snapshot, sub, weights)
        table.summary = grid_summary(table)
        return
    _weigh_answers(snapshot, table, question, weights)


def _rows(snapshot: Snapshot, table: Table) -> tuple[np.ndarray, np.ndarray, int]:
    """Return the table's members (a mask), each one's tally row (0 everyone; with a breakdown,
    1 "no answer", i + 2 group i), and how many rows there are: as answers._table_of counts them."""
    rows = universe(snapshot, table.question).mask
    if table.filters:
        ((dim_id, code),) = table.filters.items()
        value = structure(snapshot.questionnaire).dims[dim_id].value(code)
        rows &= snapshot.categorical[dim_id] == value.index  # type: ignore[union-attr]
    if table.by:
        groups = snapshot.categorical[table.by][rows].astype(np.intp) + 2
        return rows, groups, len(snapshot.codes(table.by)) + 2
    return rows, np.zeros(int(np.count_nonzero(rows)), dtype=np.intp), 1


def _published_by_class(found: Tally, size: int, classes: int, by: bool) -> np.ndarray:
    """Return published counts as (rows, classes, ...), row 0 everyone: a breakdown's row 0 holds no
    one, so it is the groups' total, published as that set of responses (sums of keys add up)."""
    true = found.true.reshape(size, classes, *found.true.shape[1:])
    sums = found.sums.reshape(size, classes, *found.sums.shape[1:])
    public = Tally(true, sums).public.astype(float)
    if by:
        public[0] = Tally(true.sum(axis=0), sums.sum(axis=0)).public
    return public


def _weigh_answers(snapshot: Snapshot, table: Table, question: Question, weights: ClassWeights) -> None:
    """Weight a table of answers (single choice, multiple choice, scale, one grid row)."""
    rows, groups, size = _rows(snapshot, table)
    bands = weights.band_count
    joint = groups * bands + weights.bands[rows]
    answers = answers_of(snapshot, table.question)
    found = tally(snapshot, answers, rows, joint, size * bands)
    cells = _published_by_class(found, size, bands, bool(table.by))
    # One answer per member: a group ∧ class's size is the sum of its answers (the same responses).
    sizes = (
        Tally(found.true.sum(axis=1), found.sums.sum(axis=1))
        if answers.single
        else group_sizes(snapshot, rows, joint, size * bands)
    )
    bases = _published_by_class(sizes, size, bands, bool(table.by))
    w = weights.band_weights
    weighted = np.einsum("c,gcj->gj", w, cells)
    base = bases @ w
    effective = _effective(bases, w)
    codes = list(snapshot.codes(table.question))
    row_of = _row_of(snapshot, table)
    for group in table.groups:
        if not group.suppressed and group.code in row_of:
            group.effective_n = round(effective[row_of[group.code]])
    for cell in table.cells:
        row = row_of.get(cell.group)
        if cell.suppressed or cell.percent is None or row is None or base[row] <= 0:
            continue
        _set(cell, weighted[row, codes.index(cell.option)], base[row], effective[row])
    for summary in table.scale:
        row = row_of.get(summary.group)
        if not summary.suppressed and summary.positive_percent is not None and row is not None:
            _set_scale(summary, answers.positive, answers.negative, answers.on_scale, weighted[row], cells[row], w)
    if table.groups and not table.groups[0].suppressed:
        who = table.groups[0]
        if question.id not in structure(snapshot.questionnaire).dims:
            table.summary = answers_summary(table, question, who.label, who.n or 0, table.language)


def _row_of(snapshot: Snapshot, table: Table) -> Mapping[str | None, int]:
    """Return each group's row of the tallies: None (everyone) 0, a breakdown's group its index + 2."""
    found: dict[str | None, int] = {None: 0}
    if table.by:
        for value in structure(snapshot.questionnaire).dims[table.by].values:
            found[value.code] = value.index + 2
    return found


def _effective(counts: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Return Kish's effective sample size of each row of (rows, classes) published counts."""
    total = counts @ w
    squares = counts @ (w * w)
    return np.divide(total * total, squares, out=np.zeros_like(total), where=squares > 0)


def _interval(share: float, effective: float) -> tuple[float, float]:
    """Return the 95% Wilson interval of a weighted share at its effective sample size, in percent."""
    if effective <= 0:
        return 0.0, 100.0
    low, high = wilson(min(share, 1.0) * effective, effective)
    return round(100 * low, 1), round(100 * high, 1)


def _set(cell: Cell, weighted: float, base: float, effective: float) -> None:
    share = min(weighted / base, 1.0)
    cell.unweighted_percent = cell.percent
    cell.percent = round(100 * share, 1)
    cell.ci_low, cell.ci_high = _interval(share, effective)


def _set_scale(
    summary: ScaleSummary,
    positive: tuple[int, ...],
    negative: tuple[int, ...],
    on_scale: tuple[int, ...],
    weighted: np.ndarray,
    by_class: np.ndarray,
    w: np.ndarray,
) -> None:
    """Weight a group's % positive and % negative, of the weighted answers on the scale."""
    scale_base = float(weighted[list(on_scale)].sum())
    if scale_base <= 0:
        return
    effective = float(_effective(by_class[:, list(on_scale)].sum(axis=1)[None, :], w)[0])
    share_positive = float(weighted[list(positive)].sum()) / scale_base
    share_negative = float(weighted[list(negative)].sum()) / scale_base
    summary.unweighted_positive_percent = summary.positive_percent
    summary.unweighted_negative_percent = summary.negative_percent
    summary.positive_percent = round(100 * min(share_positive, 1.0), 1)
    summary.positive_ci_low, summary.positive_ci_high = _interval(share_positive, effective)
    summary.negative_percent = round(100 * min(share_negative, 1.0), 1)
    summary.negative_ci_low, summary.negative_ci_high = _interval(share_negative, effective)
