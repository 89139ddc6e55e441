"""Counting answers by group, with the published (perturbed) count of each cell.

A cell is "members of group g who gave answer o" within a question's universe. Each is counted
with the sum of its members' record keys, and published through protection.published: the same
set of responses gives the same number whichever table, page or export counts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .protection import published
from .snapshot import Snapshot


@dataclass(frozen=True)
class Answers:
    """An answer key's options and how its answers are held."""

    key: str
    codes: tuple[str, ...]
    single: bool  # one answer per response (single choice, scales, grid items, a rank position); else a bit set
    positive: tuple[int, ...] = ()  # a scale's positive side, as option indexes
    negative: tuple[int, ...] = ()
    on_scale: tuple[int, ...] = ()  # every scale point (not "Don't know" and the like)


def answers_of(snapshot: Snapshot, key: str) -> Answers:
    """Return the answer structure of an answer key ("C1", "C2.a")."""
    question = snapshot.questionnaire.question(key.partition(".")[0])
    codes = tuple(snapshot.codes(key))
    if question.scale is None:  # multiple choice and priorities' "chosen" are bit sets
        return Answers(key, codes, key not in snapshot.multi)
    index = {c: i for i, c in enumerate(codes)}
    points = {p.code for p in question.scale.points}
    return Answers(
        key,
        codes,
        True,
        tuple(index[c] for c in question.scale.positive if c in index),
        tuple(index[c] for c in question.scale.negative if c in index),
        tuple(i for i, c in enumerate(codes) if c in points),
    )


@dataclass(frozen=True)
class Tally:
    """Counts by group (and answer): the true counts and the sums of their record keys.

    Sums of keys add up like the counts, so a total over groups is tallied by adding rows and
    publishes exactly as the same set counted on its own would.
    """

    true: np.ndarray
    sums: np.ndarray

    @property
    def public(self) -> np.ndarray:
        """Return the published counts."""
        return published(self.true, self.sums)

    def total(self) -> Tally:
        """Return the tally of all groups together."""
        return Tally(self.true.sum(axis=0), self.sums.sum(axis=0))


def tally(snapshot: Snapshot, answers: Answers, rows: np.ndarray, groups: np.ndarray, size: int) -> Tally:
    """Count the answers of the given rows (a mask) by group (`groups`: a number in [0, size) per
    selected row), with the sum of each count's record keys (`Tally.public` publishes them)."""
    width = len(answers.codes)
    keys = snapshot.keys[rows]
    if answers.single:
        joint = np.multiply(groups, width, dtype=np.intp)
        joint += snapshot.categorical[answers.key][rows]
        counts = np.bincount(joint, minlength=size * width)
        sums = np.bincount(joint, weights=keys, minlength=size * width)  # exact: below 2**53
        counts, sums = counts.reshape(size, width), sums.reshape(size, width)
    else:
        # Each option's selections as 0/1 weights: no row selection per option.
        bits = snapshot.multi[answers.key][rows]
        one = bits.dtype.type(1)
        weights = keys.astype(np.float64)
        counts = np.empty((size, width), dtype=np.int64)
        sums = np.empty((size, width))
        for j in range(width):
            chosen = ((bits >> j) & one).astype(np.float64)
            counts[:, j] = np.bincount(groups, weights=chosen, minlength=size)
            sums[:, j] = np.bincount(groups, weights=chosen * weights, minlength=size)
    return Tally(counts.astype(np.int64), sums)


def group_sizes(snapshot: Snapshot, rows: np.ndarray, groups: np.ndarray, size: int) -> Tally:
    """Count the members of each group among the given rows, with their record keys' sums, (size,) each."""
    counts = np.bincount(groups, minlength=size)
    sums = np.bincount(groups, weights=snapshot.keys[rows], minlength=size)
    return Tally(counts.astype(np.int64), sums)
