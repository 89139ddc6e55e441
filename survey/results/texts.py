"""A snapshot's free-text columns, and response ids as bytes.

Free text is held as lists (TextColumn) while a snapshot is built from responses, and left packed
as bytes (PackedText) when read from a stored copy; `Snapshot.text` reads either the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


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


def id_bytes(ids: Iterable[Any]) -> np.ndarray:
    """Return response ids (UUIDs, or their text) as an (n, 16) array of bytes."""
    raw = b"".join(i.bytes if isinstance(i, uuid.UUID) else bytes.fromhex(str(i).replace("-", "")) for i in ids)
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 16).copy()
