"""A compact, columnar, in-memory copy of a survey's released responses: the snapshot.

Columns are laid out by layout.py and made from responses by columns.py; a new release batch is
appended to growable backing arrays, so the snapshot a reader holds never changes. Nothing here
knows about HTTP or the database (read.py reads responses, stored.py the stored copy, cache.py
keeps one snapshot per survey in this process); nothing outside the results engine should read
a snapshot directly, because a snapshot holds true counts, which are never shown: the engine
publishes them (protection.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..questionnaire.model import Questionnaire
from .columns import KEY_TYPE, Part, Record, columns_of
from .layout import Layout, layout
from .texts import Decoded, PackedText, TextColumn


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
            return self if batch == self.batch else with_batch(self, batch)
        part = columns_of(self.questionnaire, records, offset=self.n)
        store = self._store if self._store is not None and self._store.length == self.n else None
        if store is None:
            store = _Store.from_snapshot(self)
        store.append(part)
        return store.snapshot(self.questionnaire, batch)


def with_batch(snapshot: Snapshot, batch: int) -> Snapshot:
    """Return the same columns as a snapshot of another batch (a batch that brought no rows)."""
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


def capacity_for(n: int) -> int:
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
        capacity = capacity_for(snapshot.n)
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

    def append(self, part: Part) -> None:
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
                    grown = np.empty((max(needed, capacity_for(len(backing))), *backing.shape[1:]), dtype=backing.dtype)
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
    return from_part(questionnaire, columns_of(questionnaire, records, offset=0), batch)


def from_part(questionnaire: Questionnaire, part: Part, batch: int) -> Snapshot:
    """Return a snapshot of these columns (made from records, or read from a stored copy)."""
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
    part = Part(
        int(keep.sum()),
        {key: values[keep] for key, values in snapshot.categorical.items()},
        {key: values[keep] for key, values in snapshot.multi.items()},
        {key: values[keep] for key, values in snapshot.numbers.items()},
        texts,
        snapshot.ids[keep],
        snapshot.keys[keep],
    )
    return from_part(snapshot.questionnaire, part, snapshot.batch)
