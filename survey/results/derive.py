"""Derived variables over a snapshot's columns: a vectorised copy of the rules in questionnaire/rules.py.

A derived variable (an age band from an age, a nation from a region ...) is worked out once, when
responses become columns, for every response at once; `evaluate` holds a rule as rules.evaluate
does for one response (tests hold the two equal).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..questionnaire.model import Questionnaire, Rule
from .layout import NONE, code_dtype, layout
from .texts import TextColumn


@dataclass
class RuleColumns:
    """The columns rules can refer to, while derived variables are being computed."""

    questionnaire: Questionnaire
    categorical: dict[str, np.ndarray]
    multi: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]
    texts: dict[str, TextColumn]
    n: int
    offset: int = 0

    def codes(self, key: str) -> tuple[str, ...]:
        plan = layout(self.questionnaire)
        return plan.categorical.get(key) or plan.multi.get(key) or ()

    def as_text(self, key: str) -> np.ndarray:
        """Return an object array of str(answer) (None where unanswered), for the rare text comparisons."""
        out = np.full(self.n, None, dtype=object)
        if key in self.categorical:
            codes = self.codes(key)
            idx = self.categorical[key]
            for i in np.flatnonzero(idx >= 0):
                out[i] = codes[idx[i]]
        elif key in self.numbers:
            values = self.numbers[key]
            for i in np.flatnonzero(~np.isnan(values)):
                out[i] = str(int(values[i])) if values[i].is_integer() else str(values[i])
        elif key in self.texts:
            column = self.texts[key]
            for row, value in zip(column.rows, column.values, strict=True):
                out[row - self.offset] = value  # text rows count from the start of the snapshot
        return out


def _equals(args: list, columns: RuleColumns) -> np.ndarray:
    ref, expected = str(args[0]), str(args[1])
    return _match(ref, [expected], columns)


def _in(args: list, columns: RuleColumns) -> np.ndarray:
    ref, expected = str(args[0]), [str(v) for v in args[1]]
    return _match(ref, expected, columns)


def _match(ref: str, expected: list[str], columns: RuleColumns) -> np.ndarray:
    """Return where an answer equals one of the expected values (a list answer: contains one)."""
    if ref in columns.categorical:
        codes = columns.codes(ref)
        wanted = [codes.index(e) for e in expected if e in codes]
        return np.isin(columns.categorical[ref], wanted) if wanted else np.zeros(columns.n, dtype=bool)
    if ref in columns.multi:
        codes = columns.codes(ref)
        mask = sum(1 << codes.index(e) for e in set(expected) if e in codes)
        return (columns.multi[ref] & np.array(mask).astype(columns.multi[ref].dtype)) != 0
    if ref in columns.numbers or ref in columns.texts:
        text = columns.as_text(ref)
        return np.array([value in expected for value in text], dtype=bool)
    return np.zeros(columns.n, dtype=bool)  # an unknown reference never matches, as in rules.py


def _answered(ref: str, columns: RuleColumns) -> np.ndarray:
    ref = str(ref)
    if ref in columns.categorical:
        return columns.categorical[ref] != NONE
    if ref in columns.multi:
        return columns.multi[ref] != 0
    if ref in columns.numbers:
        return ~np.isnan(columns.numbers[ref])
    if ref in columns.texts:
        return np.array([value is not None for value in columns.as_text(ref)], dtype=bool)
    return np.zeros(columns.n, dtype=bool)


def _is(ref: str, columns: RuleColumns) -> np.ndarray:
    return _match(str(ref), ["yes"], columns)


def _all(rules: list, columns: RuleColumns) -> np.ndarray:
    out = np.ones(columns.n, dtype=bool)
    for rule in rules:
        out &= evaluate(rule, columns)
    return out


def _any(rules: list, columns: RuleColumns) -> np.ndarray:
    out = np.zeros(columns.n, dtype=bool)
    for rule in rules:
        out |= evaluate(rule, columns)
    return out


def _not(rule: Rule, columns: RuleColumns) -> np.ndarray:
    return ~evaluate(rule, columns)


OPERATORS: dict[str, Callable[[Any, RuleColumns], np.ndarray]] = {
    "equals": _equals,
    "in": _in,
    "answered": _answered,
    "is": _is,
    "all": _all,
    "any": _any,
    "not": _not,
}


def evaluate(rule: Rule | None, columns: RuleColumns) -> np.ndarray:
    """Return, for every response at once, whether a rule holds (as rules.evaluate does for one)."""
    if rule is None:
        return np.ones(columns.n, dtype=bool)
    ((operator, args),) = rule.items()
    return OPERATORS[operator](args, columns)


def derive(variable, columns: RuleColumns) -> np.ndarray:
    """Return the index column of one derived variable (as rules.derive_one does for one response)."""
    codes = tuple(v.code for v in variable.values)
    dtype = code_dtype(codes)
    if variable.mapping is not None:
        source = variable.source or ""
        if source in columns.categorical:
            source_codes = columns.codes(source)
            table = np.array(
                [codes.index(variable.mapping[c]) if variable.mapping.get(c) in codes else NONE for c in source_codes]
                + [NONE],  # index -1 (no answer) reads the last entry
                dtype=dtype,
            )
            return table[columns.categorical[source]]
        mapped = (variable.mapping.get(v) if v is not None else None for v in columns.as_text(source))
        return np.array([codes.index(m) if m in codes else NONE for m in mapped], dtype=dtype)
    out = np.full(columns.n, NONE, dtype=dtype)
    unset = np.ones(columns.n, dtype=bool)
    for case in variable.cases:
        if case.value not in codes:
            continue
        hit = unset & evaluate(case.when, columns)
        out[hit] = codes.index(case.value)
        unset &= ~hit
    return out
