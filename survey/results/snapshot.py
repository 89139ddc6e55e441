"""A compact, columnar, in-memory copy of a survey's released responses.

One numpy array per answer key: option indexes for single choice, scales, grid items, derived
variables and the answering language (int8 or int16, -1 = no answer); bit sets for multiple
choice (one unsigned integer per response); floats for numbers (NaN = no answer); free text as
lists (a stored copy's left packed as bytes: PackedText). Derived variables are computed once,
at load, with a vectorised copy of the rules in questionnaire/rules.py (tests hold the two equal).

`snapshot_for(survey)` keeps one snapshot per survey in this process and, when a new release
batch has arrived, reads only the rows of the new batches (`response.batch`). Nothing here
knows about HTTP; nothing outside the results engine should read a snapshot directly, because
a snapshot holds true counts, which are never shown: the engine publishes them (protection.py).
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import math
import mmap
import os
import struct
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from sqlalchemy import func, select, text

from ..questionnaire.model import ITEM_TYPES, Questionnaire, Rule
from ..questionnaire.rules import LANGUAGE
from .protection import KEYS

NONE = -1  # the index that means "no answer" in a categorical column
# (answers, language, response id[, record key]): a record read from the database always has its
# key; records made without one (tests, the benchmark's references) take it from their random id.
Record = tuple


def parse_answers(raw: str | bytes | Mapping | None) -> Mapping[str, Any]:
    """Return a response's answers from the driver's value: JSON text (parsed with orjson, about
    twice as fast as the standard library), or a dict already parsed, or nothing.

    Text orjson refuses (a lone surrogate escape, NaN, a number beyond a double) goes to the
    standard library, which reads it as the app wrote it. One difference remains: orjson reads an
    integer beyond 64 bits as a float; number answers never are (the questionnaire's min and max
    bound them), and the snapshot turns numbers into floats anyway.
    """
    if isinstance(raw, str | bytes):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return json.loads(raw)
    return raw or {}


@dataclass(frozen=True)
class Layout:
    """Which columns a questionnaire gives, and the codes behind each index."""

    categorical: dict[str, tuple[str, ...]]  # key -> codes; includes grid items, derived, "language"
    multi: dict[str, tuple[str, ...]]
    numbers: tuple[str, ...]
    texts: tuple[str, ...]
    derived: tuple[str, ...]  # categorical keys computed from the others, in questionnaire order
    # A ranked priorities question's rank positions: key ("D2.1" = first choices) -> (question id,
    # position from 0), categorical columns read from the position in the stored list of codes.
    ranks: dict[str, tuple[str, int]] = field(default_factory=dict)


_memo: dict[tuple[str, str], Any] = {}
_memo_guard = threading.Lock()


def memo(questionnaire: Questionnaire, name: str, make: Callable[[Questionnaire], Any]) -> Any:
    """Return make(questionnaire), computed once per questionnaire text (questionnaires are immutable)."""
    key = (questionnaire.checksum or str(id(questionnaire)), name)
    with _memo_guard:
        if key in _memo:
            return _memo[key]
    value = make(questionnaire)
    with _memo_guard:
        return _memo.setdefault(key, value)


def layout(questionnaire: Questionnaire) -> Layout:
    """Return the column layout of a questionnaire (cached per questionnaire)."""
    return memo(questionnaire, "layout", _make_layout)


def _make_layout(questionnaire: Questionnaire) -> Layout:
    categorical: dict[str, tuple[str, ...]] = {}
    multi: dict[str, tuple[str, ...]] = {}
    numbers: list[str] = []
    texts: list[str] = []
    ranks: dict[str, tuple[str, int]] = {}
    for question in questionnaire.questions:
        if question.type in ("single", "scale"):
            categorical[question.id] = question.codes
        elif question.type in ITEM_TYPES:  # grids and statements: one column per row (statement)
            for key in question.answer_keys():
                categorical[key] = question.codes
        elif question.type in ("multi", "priorities"):
            if len(question.options) > 64:
                raise ValueError(f"question {question.id}: more than 64 options cannot be held as a bit set")
            multi[question.id] = tuple(o.code for o in question.options)  # priorities: chosen (in the top N)
            for position in range(question.rank or 0):  # ranked: who is first, second ... (D2.1, D2.2 ...)
                categorical[f"{question.id}.{position + 1}"] = multi[question.id]
                ranks[f"{question.id}.{position + 1}"] = (question.id, position)
        elif question.type == "number":
            numbers.append(question.id)
        else:
            texts.append(question.id)
    for variable in questionnaire.derived:
        categorical[variable.id] = tuple(v.code for v in variable.values)
    categorical[LANGUAGE] = tuple(questionnaire.languages)
    derived = tuple(v.id for v in questionnaire.derived)
    return Layout(categorical, multi, tuple(numbers), tuple(texts), derived, ranks)


def code_dtype(codes: Sequence[str]) -> type:
    """Return the smallest signed integer type that holds the indexes of these codes and -1."""
    return np.int8 if len(codes) < 127 else np.int16


def bits_dtype(codes: Sequence[str]) -> type:
    """Return the smallest unsigned integer type with a bit for each of these codes."""
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if len(codes) <= np.iinfo(dtype).bits:
            return dtype
    raise ValueError("more than 64 options")


@dataclass
class TextColumn:
    """Free-text answers: the row each came from, its response id (random) and its text."""

    rows: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    values: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class PackedText:
    """Free-text answers read from a stored copy, left packed: rows, 16-byte response ids and the
    texts' UTF-8 bytes, as views of the stored copy, each turned into a str only when read.

    As Python lists (TextColumn), the comments of a million responses (about 150,000) take 39 MB
    on top of their bytes, in every worker; most requests never read them. A new batch's texts
    are added to copies of the arrays (`extended`), so the column stays packed.
    """

    rows: np.ndarray  # int64
    ids: np.ndarray  # (m, 16) uint8
    ends: np.ndarray  # int64: where each text's bytes end in utf8
    utf8: np.ndarray  # uint8

    def __len__(self) -> int:
        return len(self.rows)

    def value(self, i: int) -> str:
        start = int(self.ends[i - 1]) if i else 0
        return str(self.utf8.data[start : int(self.ends[i])], "utf-8")

    def response_id(self, i: int) -> str:
        return str(uuid.UUID(bytes=self.ids[i].tobytes()))

    def head(self, count: int) -> PackedText:
        """Return the first `count` texts (views, no copies)."""
        return PackedText(self.rows[:count], self.ids[:count], self.ends[:count], self.utf8)

    def extended(self, column: TextColumn) -> PackedText:
        """Return this column with a batch's texts added, in new arrays (readers of this one see no change).

        Each batch copies the column's arrays (16 MB for a million responses' comments), which
        costs less than holding them as Python objects.
        """
        encoded = [value.encode() for value in column.values]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        used = int(self.ends[-1]) if len(self.ends) else 0
        return PackedText(
            np.concatenate([self.rows, np.asarray(column.rows, dtype=np.int64)]),
            np.concatenate([self.ids, id_bytes(column.ids)]),
            np.concatenate([self.ends, used + np.cumsum(lengths)]),
            np.concatenate([self.utf8[:used], np.frombuffer(b"".join(encoded), dtype=np.uint8)]),
        )


class Decoded(Sequence):
    """A read-only sequence whose items are made when read: a packed text column's ids or texts."""

    def __init__(self, count: int, item: Callable[[int], str]) -> None:
        self._count = count
        self._item = item

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._item(j) for j in range(*i.indices(self._count))]
        i = int(i)
        if i < 0:
            i += self._count
        if not 0 <= i < self._count:
            raise IndexError(i)
        return self._item(i)

    def __iter__(self) -> Iterator[str]:
        return map(self._item, range(self._count))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and not isinstance(other, str) and list(self) == list(other)

    def __repr__(self) -> str:
        return repr(list(self))


@dataclass
class Snapshot:
    """Released responses of one survey as columns. Treat as read-only: extending returns a new one."""

    questionnaire: Questionnaire
    n: int
    batch: int  # the highest release batch included
    categorical: dict[str, np.ndarray]
    multi: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]
    texts: dict[str, TextColumn | PackedText]
    text_counts: dict[str, int]  # how many entries of each shared TextColumn belong to this snapshot
    ids: np.ndarray  # (n, 16) uint8: each row's response id, to drop withdrawn responses
    keys: np.ndarray  # (n,) uint16: each row's record key, for the published counts (protection.py)
    cache: dict = field(default_factory=dict, repr=False)  # results computed from this snapshot
    _store: _Store | None = field(default=None, repr=False)

    @property
    def layout(self) -> Layout:
        """Return the column layout."""
        return layout(self.questionnaire)

    def codes(self, key: str) -> tuple[str, ...]:
        """Return the codes of a categorical or multiple-choice column, in index order."""
        return self.layout.categorical.get(key) or self.layout.multi[key]

    def text(self, key: str) -> tuple[np.ndarray, Sequence[str], Sequence[str]]:
        """Return (rows, response ids, texts) of a free-text column (read them, never change them)."""
        column, count = self.texts[key], self.text_counts[key]
        if isinstance(column, PackedText):
            return column.rows[:count], Decoded(count, column.response_id), Decoded(count, column.value)
        return np.asarray(column.rows[:count], dtype=np.int64), column.ids[:count], column.values[:count]

    def extend(self, records: Sequence[Record], batch: int) -> Snapshot:
        """Return a snapshot with these records added (the old one stays valid for its readers)."""
        if not records:
            return self if batch == self.batch else _replace_batch(self, batch)
        part = _columns(self.questionnaire, records, offset=self.n)
        store = self._store if self._store is not None and self._store.length == self.n else None
        if store is None:
            store = _Store.from_snapshot(self)
        store.append(part)
        return store.snapshot(self.questionnaire, batch)


def _replace_batch(snapshot: Snapshot, batch: int) -> Snapshot:
    return Snapshot(
        snapshot.questionnaire,
        snapshot.n,
        batch,
        snapshot.categorical,
        snapshot.multi,
        snapshot.numbers,
        snapshot.texts,
        snapshot.text_counts,
        snapshot.ids,
        snapshot.keys,
        _store=snapshot._store,
    )


@dataclass
class _Part:
    """Columns made from some records, before they are put into a store."""

    n: int
    categorical: dict[str, np.ndarray]
    multi: dict[str, np.ndarray]
    numbers: dict[str, np.ndarray]
    texts: dict[str, TextColumn | PackedText]
    ids: np.ndarray
    keys: np.ndarray


def _grown(n: int) -> int:
    """Return the capacity to grow n rows to: a quarter more (at least 1024 rows), so that a
    million-row snapshot carries 250,000 spare rows, not a million, and appends stay amortised O(1)."""
    return n + max(1024, n // 4)


class _Store:
    """Growable backing arrays, grown by a quarter when full, so new batches append in amortised O(batch)."""

    def __init__(
        self, columns: dict[str, dict[str, np.ndarray]], texts: dict[str, TextColumn | PackedText], length: int
    ):
        self.columns = columns  # kind -> key -> backing array
        self.texts = texts
        self.length = length

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> _Store:
        capacity = _grown(snapshot.n)
        columns: dict[str, dict[str, np.ndarray]] = {}
        for kind in ("categorical", "multi", "numbers"):
            columns[kind] = {}
            for key, values in getattr(snapshot, kind).items():
                backing = np.empty(capacity, dtype=values.dtype)
                backing[: snapshot.n] = values
                columns[kind][key] = backing
        ids = np.empty((capacity, 16), dtype=np.uint8)
        ids[: snapshot.n] = snapshot.ids
        keys = np.empty(capacity, dtype=KEY_TYPE)
        keys[: snapshot.n] = snapshot.keys
        columns["ids"] = {"": ids, "keys": keys}
        texts: dict[str, TextColumn | PackedText] = {}
        for key, column in snapshot.texts.items():
            if isinstance(column, PackedText):
                texts[key] = column.head(snapshot.text_counts[key])
            else:
                rows, ids, values = snapshot.text(key)
                texts[key] = TextColumn(rows.tolist(), list(ids), list(values))
        return cls(columns, texts, snapshot.n)

    def append(self, part: _Part) -> None:
        needed = self.length + part.n
        kinds = (
            ("categorical", part.categorical),
            ("multi", part.multi),
            ("numbers", part.numbers),
            ("ids", {"": part.ids, "keys": part.keys}),
        )
        for kind, fresh in kinds:
            for key, values in fresh.items():
                backing = self.columns[kind][key]
                if needed > len(backing):
                    grown = np.empty((max(needed, _grown(len(backing))), *backing.shape[1:]), dtype=backing.dtype)
                    grown[: self.length] = backing[: self.length]
                    self.columns[kind][key] = backing = grown
                backing[self.length : needed] = values
        for key, column in part.texts.items():
            target = self.texts[key]
            if isinstance(target, PackedText):  # a stored copy's column: kept packed
                self.texts[key] = target.extended(column)
                continue
            target.rows += column.rows
            target.ids += column.ids
            target.values += column.values
        self.length = needed

    def snapshot(self, questionnaire: Questionnaire, batch: int) -> Snapshot:
        n = self.length
        return Snapshot(
            questionnaire,
            n,
            batch,
            {key: a[:n] for key, a in self.columns["categorical"].items()},
            {key: a[:n] for key, a in self.columns["multi"].items()},
            {key: a[:n] for key, a in self.columns["numbers"].items()},
            self.texts,
            {key: len(column) for key, column in self.texts.items()},
            self.columns["ids"][""][:n],
            self.columns["ids"]["keys"][:n],
            _store=self,
        )


def build(questionnaire: Questionnaire, records: Sequence[Record], batch: int = 0) -> Snapshot:
    """Return a snapshot of these records: (answers, language, response id) each."""
    return _from_part(questionnaire, _columns(questionnaire, records, offset=0), batch)


def _from_part(questionnaire: Questionnaire, part: _Part, batch: int) -> Snapshot:
    store = _Store(
        {
            "categorical": part.categorical,
            "multi": part.multi,
            "numbers": part.numbers,
            "ids": {"": part.ids, "keys": part.keys},
        },
        dict(part.texts),
        part.n,
    )
    return store.snapshot(questionnaire, batch)


def without(snapshot: Snapshot, keep: np.ndarray) -> Snapshot:
    """Return the snapshot without the rows where `keep` is false (withdrawn responses)."""
    renumber = np.cumsum(keep) - 1  # a kept row's new number
    texts = {}
    for key in snapshot.texts:
        rows, ids, values = snapshot.text(key)
        kept = keep[rows] if len(rows) else np.zeros(0, dtype=bool)
        texts[key] = TextColumn(
            renumber[rows[kept]].tolist(),
            [i for i, k in zip(ids, kept, strict=True) if k],
            [v for v, k in zip(values, kept, strict=True) if k],
        )
    part = _Part(
        int(keep.sum()),
        {key: values[keep] for key, values in snapshot.categorical.items()},
        {key: values[keep] for key, values in snapshot.multi.items()},
        {key: values[keep] for key, values in snapshot.numbers.items()},
        texts,
        snapshot.ids[keep],
        snapshot.keys[keep],
    )
    return _from_part(snapshot.questionnaire, part, snapshot.batch)


def id_bytes(ids: Iterable[Any]) -> np.ndarray:
    """Return response ids (UUIDs, or their text) as an (n, 16) array of bytes."""
    raw = b"".join(i.bytes if isinstance(i, uuid.UUID) else bytes.fromhex(str(i).replace("-", "")) for i in ids)
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 16).copy()


def _columns(questionnaire: Questionnaire, records: Sequence[Record], offset: int) -> _Part:
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
    columns = _Columns(questionnaire, categorical, multi, numbers, texts, n, offset)
    for variable in questionnaire.derived:
        categorical[variable.id] = derive(variable, columns)
    ids = id_bytes(r[2] for r in records)
    return _Part(n, categorical, multi, numbers, texts, ids, _record_keys(records, ids))


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


# --- derived variables, vectorised -----------------------------------------------------------


@dataclass
class _Columns:
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


def _equals(args: list, columns: _Columns) -> np.ndarray:
    ref, expected = str(args[0]), str(args[1])
    return _match(ref, [expected], columns)


def _in(args: list, columns: _Columns) -> np.ndarray:
    ref, expected = str(args[0]), [str(v) for v in args[1]]
    return _match(ref, expected, columns)


def _match(ref: str, expected: list[str], columns: _Columns) -> np.ndarray:
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


def _answered(ref: str, columns: _Columns) -> np.ndarray:
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


def _is(ref: str, columns: _Columns) -> np.ndarray:
    return _match(str(ref), ["yes"], columns)


def _all(rules: list, columns: _Columns) -> np.ndarray:
    out = np.ones(columns.n, dtype=bool)
    for rule in rules:
        out &= evaluate(rule, columns)
    return out


def _any(rules: list, columns: _Columns) -> np.ndarray:
    out = np.zeros(columns.n, dtype=bool)
    for rule in rules:
        out |= evaluate(rule, columns)
    return out


def _not(rule: Rule, columns: _Columns) -> np.ndarray:
    return ~evaluate(rule, columns)


OPERATORS: dict[str, Callable[[Any, _Columns], np.ndarray]] = {
    "equals": _equals,
    "in": _in,
    "answered": _answered,
    "is": _is,
    "all": _all,
    "any": _any,
    "not": _not,
}


def evaluate(rule: Rule | None, columns: _Columns) -> np.ndarray:
    """Return, for every response at once, whether a rule holds (as rules.evaluate does for one)."""
    if rule is None:
        return np.ones(columns.n, dtype=bool)
    ((operator, args),) = rule.items()
    return OPERATORS[operator](args, columns)


def derive(variable, columns: _Columns) -> np.ndarray:
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


# --- one snapshot per survey, kept in this process --------------------------------------------

# survey id -> (identity, snapshot, generation, when the database was last asked for new batches)
_snapshots: dict[int, tuple[tuple, Snapshot, str, float]] = {}
_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(survey_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(survey_id, threading.Lock())


def _identity(survey) -> tuple:
    # A deleted survey's id can be given to a new one (SQLite reuses ids): never serve its snapshot.
    # "keyed": stored copies made before record keys were kept are never read.
    return (survey.id, survey.slug, str(survey.created_at), survey.questionnaire.checksum, "keyed")


def snapshot_for(survey) -> Snapshot:
    """Return the survey's snapshot, reading only release batches newer than the one held.

    The database is asked for new batches at most every RESULTS_REFRESH_SECONDS (results then
    change at most that often, whatever the rate of batches). A process that holds none starts
    from the stored snapshot (if any), so that a new worker does not re-read every response;
    withdrawn responses are dropped by id; the stored copy is replaced as the snapshot grows, and
    whenever responses were dropped from it.
    """
    from flask import current_app

    from ..extensions import db
    from ..models import Response

    questionnaire = survey.questionnaire
    identity = _identity(survey)
    # Closing deletes withdrawn responses even when no batch follows: look again once it closed.
    generation = str(survey.closed_at)
    refresh = current_app.config.get("RESULTS_REFRESH_SECONDS", 0)
    with _lock(survey.id):
        held_identity, held, held_generation, asked = _snapshots.get(survey.id, (None, None, None, 0.0))
        if held_identity != identity:
            held = None
        now = time.monotonic()
        if held is not None and held_generation == generation and now - asked < refresh:
            return held
        latest = db.session.scalar(select(func.max(Response.batch)).where(Response.survey_id == survey.id)) or 0
        if held is not None and latest == held.batch and held_generation == generation:
            _snapshots[survey.id] = (identity, held, generation, now)
            return held
        stored_n = None
        if held is None:
            held = stored = _stored(survey.id, identity, questionnaire)
            stored_n = stored.n if stored is not None else 0
        dropped = False
        if held is None or latest < held.batch:
            fresh = build_from(questionnaire, _read(survey.id, None, latest), latest)
        else:
            fresh = build_from(questionnaire, _read(survey.id, held.batch, latest), latest, start=held)
            # A stored copy needs no recount (a full index scan: 0.17 s at a million): deleting
            # withdrawn responses deletes it in the same transaction, and batches commit in the
            # order of their numbers. A copy held in memory may have missed either.
            if stored_n is None:
                fresh, dropped = _reconcile(survey.id, fresh, latest)
            if fresh is None:  # a batch was numbered out of order: start again
                fresh = build_from(questionnaire, _read(survey.id, None, latest), latest)
        _snapshots[survey.id] = (identity, fresh, generation, now)
        _store_if_due(survey.id, identity, fresh, stored_n, dropped)
        return fresh


def _reconcile(survey_id: int, snapshot: Snapshot, latest: int) -> tuple[Snapshot | None, bool]:
    """Drop rows whose responses were deleted (withdrawn), and say whether any were.

    Returns None for the snapshot when the database holds rows it never saw.
    """
    from ..extensions import db
    from ..models import Response

    where = (Response.survey_id == survey_id, Response.batch <= latest)
    stored = db.session.scalar(select(func.count()).select_from(Response).where(*where))
    if stored == snapshot.n:
        return snapshot, False
    present = id_bytes(db.session.scalars(select(Response.id).where(*where)))
    as_keys = np.dtype((np.void, 16))
    keep = np.isin(snapshot.ids.view(as_keys).ravel(), present.view(as_keys).ravel())
    if int(keep.sum()) != stored:  # rows the snapshot never saw
        return None, False
    return without(snapshot, keep), True


# --- the stored copy --------------------------------------------------------------------------

STORE_FROM = 5_000  # responses: below this a snapshot is built faster than it is stored and read
STORE_GROWTH = 0.02  # rewrite once it has grown by this share (at least STORE_FROM responses)


def _identity_text(identity: tuple) -> str:
    return "|".join(str(part) for part in identity)[:255]


def _stored(survey_id: int, identity: tuple, questionnaire: Questionnaire) -> Snapshot | None:
    from ..extensions import db
    from ..models import StoredSnapshot

    where = (StoredSnapshot.survey_id == survey_id, StoredSnapshot.identity == _identity_text(identity))
    found = db.session.execute(select(StoredSnapshot.batch, StoredSnapshot.digest).where(*where)).first()
    if found is None:
        return None
    shared = _shared(questionnaire, found.batch, found.digest)
    if shared is not None:
        return shared
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        row = _postgresql_stored(connection.connection.driver_connection, survey_id, _identity_text(identity))
    elif connection.dialect.name == "sqlite":
        return _sqlite_stored(
            connection.connection.driver_connection, survey_id, _identity_text(identity), questionnaire
        )
    else:
        row = connection.execute(select(StoredSnapshot.batch, StoredSnapshot.data).where(*where)).first()
    return load(questionnaire, row[1], row[0]) if row is not None else None


# --- the stored copy shared as a file by this machine's processes -----------------------------


def _folder() -> Path | None:
    from flask import current_app

    folder = current_app.config.get("SNAPSHOT_DIR")
    return Path(folder) if folder else None


def _shared_path(digest: str | None) -> Path | None:
    """Return where the shared file of the copy with this digest lies (None: no folder, or no digest)."""
    folder = _folder()
    return folder / f"{digest}.npz" if folder is not None and digest is not None else None


def _shared(questionnaire: Questionnaire, batch: int, digest: str | None) -> Snapshot | None:
    """Return the stored copy mapped from its shared file, if this machine has it (None: read the database).

    The file is named by the SHA-256 of the copy's bytes, which the stored row names: a file of an
    older copy, or of another database, is never taken for this one. Its columns are read-only
    views of the mapped file, so taking in a release costs a worker a few milliseconds whatever
    its size, and the pages are held once for every process of the machine (in the page cache),
    not once per worker.
    """
    path = _shared_path(digest)
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        return load(questionnaire, mapped, batch)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # missing, empty or damaged: use the database
        return None


def _write_shared(digest: str, data: bytes) -> None:
    """Write a stored copy's bytes to its shared file (readable by this account only), whole or not at all."""
    path = _shared_path(digest)
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = path.with_name(f".{digest}.{os.getpid()}.{threading.get_ident()}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(partial, path)
    except OSError:  # a full or read-only disk: the database copy serves
        return


def sweep_shared() -> None:
    """Delete shared files that no stored copy names any more (replaced, or its responses deleted).

    The folder is listed before the stored copies are read: a file is written only after its row
    committed, so no file listed can belong to a row this query misses. A file in use stays
    readable by the processes that mapped it until they let it go.
    """
    from ..extensions import db
    from ..models import StoredSnapshot

    folder = _folder()
    if folder is None or not folder.is_dir():
        return
    files = list(folder.glob("*.npz"))
    kept = set(db.session.scalars(select(StoredSnapshot.digest).where(StoredSnapshot.digest.is_not(None))))
    for path in files:
        if path.stem not in kept:
            path.unlink(missing_ok=True)


# Bytes of a stored snapshot read at a time on SQLite, and on PostgreSQL: each piece is a
# temporary on top of the whole copy, so it adds to a worker's peak memory (a few more reads of a
# smaller piece cost nothing that can be measured).
BLOB_PIECE = 2**20
BYTEA_PIECE = 4 * 2**20


def _postgresql_stored(raw, survey_id: int, identity: str) -> tuple[int, bytearray] | None:
    """Read a stored copy from PostgreSQL a piece at a time into one buffer.

    Fetched whole, the bytea would sit in libpq's input buffer and its result, and then in a bytes
    object: three times its size at once. One statement (so one view of the row, whatever a worker
    stores meanwhile) returns it in pieces through a server-side cursor, in binary. The value is
    detoasted once (`data || ''`, kept by the materialised CTE); cutting each piece from the
    compressed column instead would decompress everything before it, again for every piece.
    """
    query = """
        WITH stored AS MATERIALIZED (
            SELECT batch, data || ''::bytea AS data FROM stored_snapshot
            WHERE survey_id = %(survey)s AND identity = %(identity)s
        )
        SELECT batch, octet_length(data), start, substring(data FROM start FOR %(piece)s)
        FROM stored, generate_series(1, octet_length(data), %(piece)s) AS start
    """  # no ORDER BY: each piece says where it goes, and sorting them would spill to disk
    data = None
    batch = None
    with raw.cursor(name="stored_snapshot", binary=True) as cursor:
        cursor.execute(query, {"survey": survey_id, "identity": identity, "piece": BYTEA_PIECE})
        while (found := cursor.fetchone()) is not None:
            batch, size, start, piece = found
            if data is None:
                data = bytearray(size)
            data[start - 1 : start - 1 + len(piece)] = piece
    return None if data is None else (batch, data)


def _sqlite_stored(raw, survey_id: int, identity: str, questionnaire: Questionnaire) -> Snapshot | None:
    """Read a stored copy from SQLite a piece at a time, each column into its own array (`_read_stored`).

    Fetched whole, the blob would be copied into SQLite's memory and then into a bytes object:
    twice its size at once. The row and its blob are read in one read transaction (begun here
    unless the session has one open), so a worker replacing the copy meanwhile is not seen half-way.
    A copy not as `dump` writes it is read whole into one buffer, for numpy's own reader.
    """
    began = not raw.in_transaction
    if began:
        raw.execute("BEGIN")
    try:
        found = raw.execute(
            "SELECT rowid, batch, length(data) FROM stored_snapshot WHERE survey_id = ? AND identity = ?",
            (survey_id, identity),
        ).fetchone()
        if found is None:
            return None
        rowid, batch, size = found
        with raw.blobopen("stored_snapshot", "data", rowid, readonly=True) as blob:
            snapshot = _read_stored(questionnaire, blob, batch)
            if snapshot is not None:
                return snapshot
            blob.seek(0)
            data = bytearray(size)
            for start in range(0, size, BLOB_PIECE):
                data[start : start + BLOB_PIECE] = blob.read(BLOB_PIECE)
        return load(questionnaire, data, batch)
    finally:
        if began:
            raw.rollback()  # it only read


def _store_if_due(survey_id: int, identity: tuple, snapshot: Snapshot, stored_n: int | None, dropped: bool) -> None:
    """Replace the stored copy when the snapshot has grown enough since it, or lost rows.

    `stored_n` is the size of the stored copy when this process read it (None: this process has
    stored or checked it before, and `_saved` remembers the size).
    """
    if stored_n is not None:
        _saved[survey_id] = stored_n
    grown = snapshot.n - _saved.get(survey_id, 0)
    if not dropped and (snapshot.n < STORE_FROM or grown < max(STORE_FROM, STORE_GROWTH * snapshot.n)):
        return
    if _save(survey_id, identity, snapshot):
        _saved[survey_id] = snapshot.n


_saved: dict[int, int] = {}  # survey id -> responses in its stored copy, as this process last knew


def prime(survey) -> Snapshot:
    """Bring the survey's snapshot up to date and store it now, whatever its size or growth.

    For after a bulk load (`flask demo --responses N`): the next process (a gunicorn worker, the
    benchmark) then loads the stored copy instead of parsing every response's JSON. Raises if the
    copy cannot be stored in five tries over ten seconds (each gives up on a lock held for 200 ms).
    """
    from ..extensions import db
    from ..models import StoredSnapshot

    snapshot = snapshot_for(survey)  # reads only new batches when a stored copy exists
    identity = _identity(survey)
    stored = db.session.execute(
        select(StoredSnapshot.identity, StoredSnapshot.batch, StoredSnapshot.n, StoredSnapshot.digest).where(
            StoredSnapshot.survey_id == survey.id
        )
    ).first()
    db.session.commit()  # nothing of ours open while _save writes on its own connection
    if stored is not None and tuple(stored[:3]) == (_identity_text(identity), snapshot.batch, snapshot.n):
        path = _shared_path(stored.digest)
        if _folder() is None or (path is not None and path.is_file()):  # no files kept, or it has its file
            return snapshot
    for wait in (1, 2, 3, 4, None):
        if _save(survey.id, identity, snapshot):
            _saved[survey.id] = snapshot.n
            return snapshot
        if wait:
            time.sleep(wait)
    raise RuntimeError(f"the results snapshot of survey {survey.id} could not be stored (the table stayed locked)")


def _save(survey_id: int, identity: tuple, snapshot: Snapshot) -> bool:
    """Store the snapshot in its own short transaction; give up at once if anything holds a lock.

    It is a copy: when it cannot be written now, the next read tries again.
    """
    from sqlalchemy import delete, insert
    from sqlalchemy.exc import DBAPIError

    from ..extensions import db
    from ..models import StoredSnapshot

    table = StoredSnapshot.__table__
    data = dump(snapshot)
    digest = hashlib.sha256(data).hexdigest()
    try:
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            elif connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA busy_timeout = 200")
            try:
                connection.execute(delete(table).where(table.c.survey_id == survey_id))
                connection.execute(
                    insert(table).values(
                        survey_id=survey_id,
                        identity=_identity_text(identity),
                        batch=snapshot.batch,
                        n=snapshot.n,
                        data=data,
                        digest=digest,
                    )
                )
            finally:
                if connection.dialect.name == "sqlite":
                    connection.exec_driver_sql("PRAGMA busy_timeout = 5000")
    except DBAPIError:  # locked, or another worker stored it first
        return False
    _write_shared(digest, data)
    sweep_shared()
    return True


def delete_stored(survey_id: int) -> None:
    """Delete a survey's stored snapshot in the current transaction (responses were deleted)."""
    from sqlalchemy import delete

    from ..extensions import db
    from ..models import StoredSnapshot

    db.session.execute(delete(StoredSnapshot).where(StoredSnapshot.survey_id == survey_id))
    _saved.pop(survey_id, None)
    sweep_shared()  # its file too (if this transaction is rolled back, the database copy serves)


def dump(snapshot: Snapshot) -> bytes:
    """Return the snapshot as bytes: numpy's .npz of every column, texts as UTF-8 (no pickles)."""
    arrays: dict[str, np.ndarray] = {"ids": snapshot.ids, "keys": snapshot.keys}
    for kind in ("categorical", "multi", "numbers"):
        for key, values in getattr(snapshot, kind).items():
            arrays[f"{kind}:{key}"] = values
    for key in snapshot.texts:
        rows, ids, values = snapshot.text(key)
        encoded = [value.encode() for value in values]
        arrays[f"texts:{key}:rows"] = rows
        arrays[f"texts:{key}:ids"] = id_bytes(ids)
        arrays[f"texts:{key}:lengths"] = np.array([len(e) for e in encoded], dtype=np.int64)
        arrays[f"texts:{key}:utf8"] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _views(data: bytes | bytearray) -> dict[str, np.ndarray]:
    """Return the arrays of an .npz made by `dump` as read-only views of its bytes, not copies.

    `np.savez` stores each array uncompressed (a .npy file in a ZIP), so each is read where it
    lies: a worker then holds the stored copy once, not the bytes and every array besides (at a
    million responses, 115 MB instead of 260 MB). Anything else (a compressed member) is copied
    by numpy's own reader. No pickles either way.
    """
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(_InPlace(data)) as archive:
        for info in archive.infolist():
            name = info.filename.removesuffix(".npy")
            found = _view(data, info) if info.compress_type == zipfile.ZIP_STORED else None
            if found is None:
                with archive.open(info) as member:
                    found = np.lib.format.read_array(member, allow_pickle=False)
            found.flags.writeable = False  # a stored copy is read, never written to
            arrays[name] = found
    return arrays


class _InPlace(io.RawIOBase):
    """A read-only file over bytes or a bytearray without copying them (io.BytesIO copies a bytearray)."""

    def __init__(self, data: bytes | bytearray) -> None:
        self._data = memoryview(data)
        self._at = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: len(self._data)}[whence]
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at

    def readinto(self, buffer) -> int:
        piece = self._data[self._at : self._at + len(buffer)]
        buffer[: len(piece)] = piece
        self._at += len(piece)
        return len(piece)


def _npy_header(stream) -> tuple[tuple[int, ...], bool, np.dtype] | None:
    """Read a .npy file's header from a stream: (shape, Fortran order, dtype), or None if its
    version is not one numpy writes. Refuses Python objects (a stored snapshot holds none)."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        return None
    if dtype.hasobject:
        raise ValueError("a stored snapshot holds no Python objects")
    return shape, fortran, dtype


def _view(data: bytes | bytearray, info: zipfile.ZipInfo) -> np.ndarray | None:
    """Return one uncompressed .npy member as a view of the archive's bytes (None: read it as numpy does)."""
    start = info.header_offset
    if data[start : start + 4] != b"PK\x03\x04":
        return None
    name_length, extra_length = struct.unpack("<HH", data[start + 26 : start + 30])
    offset = start + 30 + name_length + extra_length  # where the member's bytes, a .npy file, begin
    header = io.BytesIO(data[offset : offset + 65_536 + 16])
    found = _npy_header(header)
    if found is None:
        return None
    shape, fortran, dtype = found
    if header.tell() + dtype.itemsize * math.prod(shape) != info.file_size:
        return None  # not the .npy file it claims to be: let numpy's reader say what is wrong
    flat = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=offset + header.tell())
    return flat.reshape(shape, order="F" if fortran else "C")


def load(questionnaire: Questionnaire, data: bytes | bytearray, batch: int) -> Snapshot:
    """Return a snapshot from `dump`'s bytes (its columns are read-only views of them)."""
    saved = _views(data)
    return _assemble(questionnaire, saved, len(saved["ids"]), batch)


def _read_stored(questionnaire: Questionnaire, file, batch: int) -> Snapshot | None:
    """Return a snapshot read from a file holding `dump`'s bytes (SQLite's blob), member by member.

    Each column is read straight into an array of its own with room to grow (a quarter more rows,
    as `_Store` grows; memory never written to is never resident), a piece at a time: the whole
    copy is never held besides. A worker that loaded the stored copy then adds new batches in
    place; with the copy's bytes as the columns (`load`), the first new batch copied every column
    while the bytes were still held (at a million responses, 143 MB more at that moment).
    None when the file is not as `dump` writes it (compressed members): read it whole instead.
    """
    saved: dict[str, np.ndarray] = {}
    n = None
    with zipfile.ZipFile(file) as archive:
        members = archive.infolist()
    for info in members:
        if info.compress_type != zipfile.ZIP_STORED:
            return None
        file.seek(info.header_offset)
        local = file.read(30)
        if local[:4] != b"PK\x03\x04":
            return None
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        file.seek(start)
        found = _npy_header(file)
        if found is None:
            return None
        shape, fortran, dtype = found
        size = dtype.itemsize * math.prod(shape)
        if (fortran and len(shape) > 1) or not shape or file.tell() - start + size != info.file_size:
            return None
        name = info.filename.removesuffix(".npy")
        rows = shape[0]
        array = np.empty((rows if name.startswith("texts:") else _grown(rows), *shape[1:]), dtype=dtype)
        target = array[:rows].reshape(-1).view(np.uint8)
        for at in range(0, size, BLOB_PIECE):
            piece = file.read(min(BLOB_PIECE, size - at))
            target[at : at + len(piece)] = np.frombuffer(piece, dtype=np.uint8)
        saved[name] = array
        if name == "ids":
            n = rows
    return None if n is None else _assemble(questionnaire, saved, n, batch)


def _assemble(questionnaire: Questionnaire, saved: Mapping[str, np.ndarray], n: int, batch: int) -> Snapshot:
    """Return a snapshot of n rows from the arrays of a stored copy (columns may hold more rows: room to grow)."""
    plan = layout(questionnaire)
    ids = saved["ids"]
    columns = {
        kind: {key: saved[f"{kind}:{key}"] for key in keys}
        for kind, keys in (("categorical", plan.categorical), ("multi", plan.multi), ("numbers", plan.numbers))
    }
    texts = {
        key: PackedText(
            saved[f"texts:{key}:rows"],
            saved[f"texts:{key}:ids"],
            np.cumsum(saved[f"texts:{key}:lengths"]),
            saved[f"texts:{key}:utf8"],
        )
        for key in plan.texts
    }
    part = _Part(n, columns["categorical"], columns["multi"], columns["numbers"], texts, ids, saved["keys"])
    return _from_part(questionnaire, part, batch)


def forget(survey_id: int) -> None:
    """Drop a survey's snapshot (after its responses were deleted); the next read rebuilds it."""
    with _lock(survey_id):
        _snapshots.pop(survey_id, None)


READ_CHUNK = 5_000  # responses parsed at a time: ~40 MB of parsed answers, whatever the survey's size


def build_from(
    questionnaire: Questionnaire, chunks: Iterable[Sequence[Record]], batch: int, start: Snapshot | None = None
) -> Snapshot:
    """Return a snapshot of records arriving in chunks, added to `start` when given."""
    snapshot = start
    with collector_paused():  # chunks are usually read and parsed as this loop asks for them
        for chunk in chunks:
            snapshot = build(questionnaire, chunk, batch) if snapshot is None else snapshot.extend(chunk, batch)
    if snapshot is None:
        return build(questionnaire, [], batch)
    return snapshot if snapshot.batch == batch else _replace_batch(snapshot, batch)


def _read(survey_id: int, after: int | None, upto: int) -> Iterator[list[Record]]:
    """Read released responses of a survey, in batches (after, upto], a chunk of records at a time.

    Plain SQL on the driver's rows, the answers and the id as text on both databases (PostgreSQL
    would hand back each jsonb as a dict parsed by the standard library, and each id as a UUID),
    then parsed here with orjson (`parse_answers`).
    """
    from ..extensions import db

    query = (
        "SELECT CAST(answers AS TEXT), language, CAST(id AS TEXT), record_key FROM response "
        "WHERE survey_id = :survey AND batch <= :upto"
    )
    if after is not None:
        query += " AND batch > :after"
    parameters = {"survey": survey_id, "upto": upto, "after": after}
    # Stream this one statement only: options set on the connection would turn every later
    # statement in the transaction into a server-side cursor, which PostgreSQL refuses for INSERT.
    result = db.session.execute(text(query).execution_options(stream_results=True), parameters)
    for rows in result.partitions(READ_CHUNK):
        yield [(parse_answers(answers), language, str(rid), key) for answers, language, rid, key in rows]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while answers are read and turned into columns.

    Parsing makes thousands of dicts and lists that live on (each partition is held while it is
    turned into columns), so the collector runs again and again and rescans every object in the
    process each time: two thirds of the parsing time at 100,000 responses. Answers hold no
    reference cycles, so there is nothing for it to find; reference counting still frees each
    partition at once. The pause is process-wide: other threads' cyclic garbage waits for the end
    of the build (a few seconds; a minute for a million responses on a busy box, which only a
    process without a stored copy pays). Only a pause this block began is ended by it (another
    thread's pause, or a collector switched off for good, is left as it was).
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
