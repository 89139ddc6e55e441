"""Cell suppression inside ONE table whose groups already passed the gate (the per-table rule).

The engine no longer decides cells table by table: units.py decides each cell once per
population and answer, the same in every table (docs/decisions/0015). This module keeps the
per-table rule (its tests, and the counter-example the cell adversary must catch) and the helpers
that hide a cell or withhold a scale summary.

A group of 200 may be shown, but "3 of them said X" is still a number derived from three people.
So every answer count below the threshold (zero included, so that zero and "a few" look alike) is
hidden with its percentage and interval. Then enough else is hidden that no hidden count can be
worked out from what is shown. What a reader can add up:
- a group's cells make its base (single choice and scales: one answer each);
- a scale's positive cells make its % positive, its negative cells its % negative, and its
  off-scale cells ("Don't know") the base minus the scale's base;
- for each answer, the breakdown's groups make the "Everyone" cell.
Each of these is a published total over some cells. After the simple rule (if what is hidden in
a total adds up to fewer than the threshold, hide its smallest shown cell too), an audit solves
the published totals as a reader could — by linear algebra over every total at once — and while
any small hidden count is still pinned down, hides one more cell beside it, or, when nothing is
left beside it, withholds the total itself (a scale summary, or the "Everyone" cell).
Hidden values read "fewer than k": never a number.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from .tables import Cell, ScaleSummary, Table


@dataclass
class _Total:
    """A published total over some cells, and how to withhold it (None: it is always shown).

    `minus` is a cell the members add up to, when that cell is itself in the table: "Everyone"'s
    cell for an answer. The reader knows members − minus = 0, shown or not.
    """

    members: list[Cell]
    withhold: object = None  # a callable that hides the total, or None
    shown: bool = True
    minus: Cell | None = None
    group: str | None = None  # the group a scale summary's total belongs to


def suppress_cells(table: Table, t: int, answers_add_up: bool, off_scale: Collection[str] = ()) -> None:
    """Hide small answer counts in a gated table, and enough else that none can be recovered.

    `answers_add_up` is true when a group's cells sum to its base (one answer each); `off_scale`
    are a scale's "Don't know"-style codes, whose total is the base minus the scale's base.
    """
    shown_groups = {g.code for g in table.groups if not g.suppressed}
    cells = [c for c in table.cells if c.group in shown_groups]
    true = {id(c): c.count or 0 for c in cells}
    for cell in cells:
        if cell.count is not None and cell.count < t:
            _hide(cell)
    totals = _totals(table, cells, answers_add_up, set(off_scale))
    changed = True
    while changed:
        changed = any(_protect(total, true, t) for total in totals if total.shown)
        changed = changed or _audit(cells, totals, true, t)
    _hide_small_summaries(table, t)


def _totals(table: Table, cells: list[Cell], answers_add_up: bool, off_scale: set[str]) -> list[_Total]:
    by_group: dict[str | None, list[Cell]] = {}
    by_option: dict[str, list[Cell]] = {}
    for cell in cells:
        by_group.setdefault(cell.group, []).append(cell)
        by_option.setdefault(cell.option, []).append(cell)
    summaries = {s.group: s for s in table.scale}
    totals = []
    for group, members in by_group.items():
        if answers_add_up:
            totals.append(_Total(members))  # the group's base: shown while the group is
        summary = summaries.get(group)
        if summary is None or summary.suppressed:
            continue
        for side, codes in (("positive", table.positive), ("negative", table.negative)):
            if codes:
                part = [c for c in members if c.option in codes]
                totals.append(_Total(part, _side_hider(summary, side), group=group))
        if off_scale:
            part = [c for c in members if c.option in off_scale]
            totals.append(_Total(part, _summary_hider(summary), group=group))
    every_group_shown = not any(g.suppressed for g in table.groups)
    if len(by_group) > 1 and None in by_group and every_group_shown:  # answers' groups add up to Everyone
        for members in by_option.values():
            everyone = next(c for c in members if c.group is None)
            totals.append(_Total([c for c in members if c.group is not None], minus=everyone))
    return [total for total in totals if total.members]


def _hide(cell: Cell) -> None:
    cell.count = cell.percent = cell.ci_low = cell.ci_high = cell.base = None
    cell.suppressed = True


def hide_cell(cell: Cell) -> None:
    """Hide an answer count with its percentage, interval and base: it reads "fewer than k"."""
    _hide(cell)


def withhold_summary(summary: ScaleSummary, parts: Collection[str]) -> None:
    """Withhold parts of a scale summary: a side ("positive", "negative") or its "base"."""
    for side in ("positive", "negative"):
        if side in parts:
            _side_hider(summary, side)()
    if "base" in parts:
        _summary_hider(summary)()


def _side_hider(summary: ScaleSummary, side: str):
    def hide() -> None:
        for part in ("count", "percent", "ci_low", "ci_high"):
            setattr(summary, f"{side}_{part}", None)

    return hide


def _summary_hider(summary: ScaleSummary):
    """Withhold the scale's base, and with it every count and interval a reader could use to get
    back to it; the shares stay, rounded to whole percentages."""

    def hide() -> None:
        summary.base = summary.positive_count = summary.negative_count = None
        for side in ("positive", "negative"):
            for end in ("ci_low", "ci_high"):
                setattr(summary, f"{side}_{end}", None)
            percent = getattr(summary, f"{side}_percent")
            if percent is not None:
                setattr(summary, f"{side}_percent", float(round(percent)))

    return hide


def _protect(total: _Total, true: dict[int, int], t: int) -> bool:
    """If what is hidden under a shown total adds up to fewer than t, hide its smallest shown cell."""
    if total.minus is not None and total.minus.suppressed:
        return False  # the audit deals with totals that are themselves hidden
    hidden = [c for c in total.members if c.suppressed]
    shown = [c for c in total.members if not c.suppressed]
    if hidden and shown and sum(true[id(c)] for c in hidden) < t:
        _hide(min(shown, key=lambda c: (true[id(c)], c.option)))
        return True
    return False


def _audit(cells: list[Cell], totals: list[_Total], true: dict[int, int], t: int) -> bool:
    """If the shown totals pin down a small hidden cell, hide one more thing beside it."""
    hidden = [c for c in cells if c.suppressed]
    if not hidden:
        return False
    index = {id(c): i for i, c in enumerate(hidden)}
    facts, rows = [], []
    for total in totals:
        if not total.shown:
            continue
        row = np.zeros(len(hidden))
        for cell in total.members:
            if cell.suppressed:
                row[index[id(cell)]] = 1
        if total.minus is not None and total.minus.suppressed:
            row[index[id(total.minus)]] = -1
        if row.any():
            facts.append(total)
            rows.append(row)
    if not rows:
        return False
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    for cell in hidden:
        if true[id(cell)] >= t:
            continue
        unit = np.zeros(len(hidden))
        unit[index[id(cell)]] = 1
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) != rank:
            continue  # not determined
        around = [f for f in facts if cell is f.minus or any(c is cell for c in f.members)]
        beside = [c for f in around for c in [*f.members, f.minus] if c is not None and not c.suppressed]
        if beside:
            _hide(min(beside, key=lambda c: (true[id(c)], c.option, c.group or "")))
            return True
        withholdable = sorted(
            (f for f in facts if f.withhold is not None), key=lambda f: f.group != cell.group
        )  # its own group's summary first, then any other: one total fewer each time
        if withholdable:
            withholdable[0].withhold()
            withholdable[0].shown = False
            return True
    return False


def _hide_small_summaries(table: Table, t: int) -> None:
    """% positive and % negative are counts too: hide a side smaller than the threshold."""
    for summary in table.scale:
        if summary.suppressed:
            continue
        for side in ("positive", "negative"):
            count = getattr(summary, f"{side}_count")
            if count is not None and count < t:
                _side_hider(summary, side)()
