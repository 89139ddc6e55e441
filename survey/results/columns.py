"""Turning responses into columns: one pass over the answers, then one numpy step per column.

A record is one released response as read from the database (read.py): its answers, answering
language, response id and record key. Derived variables are computed here, once (derive.py).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from ..questionnaire.model import Questionnaire
from ..questionnaire.rules import LANGUAGE
from .derive import RuleColumns, derive
from .layout import NONE, bits_dtype, code_dtype, layout
from .protection import KEYS
from .texts import PackedText, TextColumn, id_bytes

# (answers, language, response id[, record key]): a record read from the database always has its
# key; records made without one (tests, the benchmark's references) take it from their random id.
Record = tuple


@dataclass
class Part:
    """Columns made from some records, before they become a snapshot's backing arrays (snapshot.py)."""

    n: int
    categorical: dict[str, np.ndarray]
    multi: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]
    texts: dict[str, TextColumn | PackedText]
    ids: np.ndarray
    keys: np.ndarray


def columns_of(questionnaire: Questionnaire, records: Sequence[Record], offset: int) -> Part:
    """Turn records into columns: one pass over the answers, then one numpy step per column."""
    plan = layout(questionnaire)
    n = len(records)
    rows: dict[str, list[int]] = {}
    values: dict[str, list] = {}
    for i, record in enumerate(records):
        for key, value in record[0].items():  # an answers dict holds only what was answered
            try:
                rows[key].append(i)
                values[key].append(value)
            except KeyError:
                rows[key] = [i]
                values[key] = [value]
    derived = set(plan.derived)
    categorical = {
        key: _code_column(n, rows.get(key, []), values.get(key, []), codes)
        for key, codes in plan.categorical.items()
        if key not in derived and key != LANGUAGE and key not in plan.ranks
    }
    for key, (source, position) in plan.ranks.items():  # the code at this position of a ranked list
        ranked = [v[position] if isinstance(v, list) and len(v) > position else None for v in values.get(source, [])]
        categorical[key] = _code_column(n, rows.get(source, []), ranked, plan.categorical[key])
    languages = {code: i for i, code in enumerate(plan.categorical[LANGUAGE])}
    categorical[LANGUAGE] = np.array([languages.get(r[1], NONE) for r in records], dtype=np.int8)
    multi = {key: _bits_column(n, rows.get(key, []), values.get(key, []), codes) for key, codes in plan.multi.items()}
    numbers = {key: _number_column(n, rows.get(key, []), values.get(key, [])) for key in plan.numbers}
    texts = {}
    for key in plan.texts:
        column = TextColumn()
        for i, value in zip(rows.get(key, []), values.get(key, []), strict=True):
            if isinstance(value, str) and value.strip():
                column.rows.append(offset + i)
                column.ids.append(str(uuid.UUID(str(records[i][2]))))  # one spelling on every database
                column.values.append(value)
        texts[key] = column
    columns = RuleColumns(questionnaire, categorical, multi, numbers, texts, n, offset)
    for variable in questionnaire.derived:
        categorical[variable.id] = derive(variable, columns)
    ids = id_bytes(r[2] for r in records)
    return Part(n, categorical, multi, numbers, texts, ids, _record_keys(records, ids))


KEY_TYPE = np.uint16  # record keys lie in [0, protection.KEYS)


def _record_keys(records: Sequence[Record], ids: np.ndarray) -> np.ndarray:
    """Return the records' keys: their own, or (made without one) two bytes of their random id."""
    if records and len(records[0]) > 3:
        return np.fromiter((r[3] for r in records), dtype=KEY_TYPE, count=len(records))
    return (ids[:, 0].astype(KEY_TYPE) << 8 | ids[:, 1]) % KEYS


def _code_column(n: int, rows: list[int], values: list, codes: Sequence[str]) -> np.ndarray:
    out = np.full(n, NONE, dtype=code_dtype(codes))
    if rows:
        lookup = {code: i for i, code in enumerate(codes)}
        try:
            found = list(map(lookup.get, values, repeat(NONE)))
        except TypeError:  # an unhashable value where a code belongs: count it as no answer
            found = [lookup.get(v, NONE) if isinstance(v, str) else NONE for v in values]
        out[np.array(rows, dtype=np.int64)] = found
    return out


def _bits_column(n: int, rows: list[int], values: list, codes: Sequence[str]) -> np.ndarray:
    out = np.zeros(n, dtype=bits_dtype(codes))
    if rows:
        lookup = {code: 1 << i for i, code in enumerate(codes)}
        known: dict[tuple, int] = {}  # the same few combinations come back again and again

        def bits(value: Any) -> int:
            if not isinstance(value, list):
                return 0
            chosen = tuple(value)
            if chosen not in known:
                known[chosen] = sum({lookup[c] for c in chosen if isinstance(c, str) and c in lookup})
            return known[chosen]

        out[np.array(rows, dtype=np.int64)] = [bits(v) for v in values]
    return out


def _number_column(n: int, rows: list[int], values: list) -> np.ndarray:
    out = np.full(n, math.nan)
    if rows:
        out[np.array(rows, dtype=np.int64)] = [
            float(v) if isinstance(v, int | float) and not isinstance(v, bool) else math.nan for v in values
        ]
    return out
