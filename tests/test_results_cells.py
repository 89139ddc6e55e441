"""Cells inside shown groups: small answer counts hidden, and none recoverable by subtraction."""

from __future__ import annotations

import random

import numpy as np
import pytest

from survey.results.cells import suppress_cells
from survey.results.tables import Cell, Group, ScaleSummary, Table

T = 10
OPTIONS = ["1", "2", "3", "4", "5", "dk"]
POSITIVE, NEGATIVE, OFF = ["4", "5"], ["1", "2"], ["dk"]


def make_table(rng: random.Random, groups: int) -> tuple[Table, dict]:
    """A scale question broken down into `groups` groups (all shown), with an "Everyone" column."""
    counts = {(g, o): rng.choice([0, 1, 2, 3, 5, 9, 10, 12, 30, 80]) for g in range(groups) for o in OPTIONS}
    table = Table("Q", "scale", "Q", "en", "by" if groups > 1 else None, {}, T, positive=POSITIVE, negative=NEGATIVE)
    codes: list[str | None] = [None, *[f"g{g}" for g in range(groups)]] if groups > 1 else [None]
    true = {}
    for code in codes:
        members = range(groups) if code is None else [int(code[1:])]
        row = {o: sum(counts[(g, o)] for g in members) for o in OPTIONS}
        n = sum(row.values())
        table.groups.append(Group(code, str(code), n, False))
        for option in OPTIONS:
            table.cells.append(Cell(code, option, option, row[option], 1.0, 0.0, 2.0, n, False))
            true[(code, option)] = row[option]
        positive, negative = sum(row[o] for o in POSITIVE), sum(row[o] for o in NEGATIVE)
        base = n - row["dk"]
        table.scale.append(ScaleSummary(code, base, positive, 1.0, 0.0, 2.0, negative, 1.0, 0.0, 2.0, False))
    return table, true


def published_equations(table: Table, true: dict) -> tuple[list[tuple[str | None, str]], np.ndarray]:
    """Every linear fact a reader can write down about the hidden cells, as rows of a matrix."""
    hidden = [(c.group, c.option) for c in table.cells if c.suppressed]
    index = {key: i for i, key in enumerate(hidden)}
    rows = []

    def fact(keys, minus=None):
        row = np.zeros(len(hidden))
        for key in keys:
            if key in index:
                row[index[key]] = 1
        if minus in index:
            row[index[minus]] = -1
        if row.any():
            rows.append(row)

    codes = [g.code for g in table.groups]
    for code in codes:
        fact([(code, o) for o in OPTIONS])  # the group's base
        summary = next(s for s in table.scale if s.group == code)
        if summary.positive_count is not None:
            fact([(code, o) for o in POSITIVE])
        if summary.negative_count is not None:
            fact([(code, o) for o in NEGATIVE])
        if summary.base is not None:
            fact([(code, o) for o in OFF])  # base minus the scale's base
    if len(codes) > 1 and not any(g.suppressed for g in table.groups):
        for option in OPTIONS:  # the parts add up to Everyone's cell, hidden or not
            fact([(c, option) for c in codes[1:]], minus=(None, option))
    return hidden, np.array(rows) if rows else np.zeros((0, len(hidden)))


def determined(matrix: np.ndarray, i: int) -> bool:
    unit = np.zeros(matrix.shape[1])
    unit[i] = 1
    if matrix.size == 0:
        return False
    return np.linalg.matrix_rank(np.vstack([matrix, unit])) == np.linalg.matrix_rank(matrix)


@pytest.mark.parametrize("seed", range(300))
def test_no_small_hidden_cell_can_be_worked_out(seed):
    rng = random.Random(seed)
    table, true = make_table(rng, rng.choice([1, 2, 3, 4]))
    suppress_cells(table, T, answers_add_up=True, off_scale=OFF)
    for cell in table.cells:
        if not cell.suppressed:
            assert cell.count == true[(cell.group, cell.option)] >= T
    hidden, matrix = published_equations(table, true)
    for i, key in enumerate(hidden):
        if true[key] < T:
            assert not determined(matrix, i), (seed, key, true[key])


def test_a_shown_group_of_200_still_hides_the_3_who_said_something():
    table, _ = make_table(random.Random(1), 1)
    table.cells[0].count = 3
    suppress_cells(table, T, answers_add_up=True, off_scale=OFF)
    assert table.cells[0].suppressed and table.cells[0].percent is None
    assert sum(c.suppressed for c in table.cells) >= 2
