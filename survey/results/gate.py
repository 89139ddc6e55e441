"""The people a published number can be about: universes, and the group rule.

A *universe* is the people a number can be about: those who answered the question in hand (each
question has its own; the overview uses everyone). Within it a *group* (a breakdown's group, a
filter's population, or an answer to a question that says who people are) is shown only when it
holds at least t members, both as counted and as published (protection.shown), where t is the
survey's k, or max(k, 10) when a protected characteristic is involved. Every count that is shown
is perturbed (protection.py); nothing inside a shown group is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .protection import published_count
from .snapshot import Snapshot


@dataclass(frozen=True)
class Universe:
    """The people a table can be about: everyone, or those who answered one answer key.

    Kept with the snapshot for every answer key asked about, so it holds no mask of its own where
    the snapshot has one: the mask of an answer key with a column is worked out from the column
    when read (faster than unpacking bits, and nothing kept: packed bits were 125 KB a key at a
    million responses, 7 MB for the equality flags' keys). Only a free-text key's is kept, packed.
    """

    key: str
    size: int
    n: int  # responses in the snapshot (the mask's length)
    kind: str  # "all", "categorical", "multi", "numbers" or "packed"
    source: np.ndarray | None  # the answer key's column, or (packed) np.packbits of the mask

    @property
    def mask(self) -> np.ndarray:
        """Return the boolean mask of the universe over the snapshot's rows (a new array each time)."""
        return _answered(self.kind, self.source, self.n)


def _answered(kind: str, source: np.ndarray | None, n: int) -> np.ndarray:
    if kind == "categorical":
        return source >= 0
    if kind == "multi":
        return source != 0
    if kind == "numbers":
        return ~np.isnan(source)
    if kind == "packed":
        return np.unpackbits(source, count=n).view(bool)
    return np.ones(n, dtype=bool)


def universe(snapshot: Snapshot, answer_key: str | None) -> Universe:
    """Return the universe of an answer key (None: every released response)."""
    key = ("universe", answer_key)
    if key not in snapshot.cache:
        columns = {"categorical": snapshot.categorical, "multi": snapshot.multi, "numbers": snapshot.numbers}
        found = [kind for kind, held in columns.items() if answer_key in held]
        if answer_key is None:
            kind, source = "all", None
        elif found:
            kind, source = found[0], columns[found[0]][answer_key]
        else:
            mask = np.zeros(snapshot.n, dtype=bool)
            mask[snapshot.text(answer_key)[0]] = True
            kind, source = "packed", np.packbits(mask)
        size = int(np.count_nonzero(_answered(kind, source, snapshot.n)))
        snapshot.cache[key] = Universe(answer_key or "_all", size, snapshot.n, kind, source)
    return snapshot.cache[key]


def everyone_count(snapshot: Snapshot, where: Universe) -> tuple[int, int]:
    """Return the members of a universe, true and published (once per snapshot)."""
    key = ("everyone", where.key)
    if key not in snapshot.cache:
        true = where.size
        snapshot.cache[key] = (true, published_count(true, int(snapshot.keys[where.mask].sum(dtype=np.int64))))
    return snapshot.cache[key]
