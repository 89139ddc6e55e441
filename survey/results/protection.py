"""Consistent perturbation (the cell key method): the one protection every published count gets.

Each released response carries a random *record key* in [0, KEYS), drawn when it is released and
stored with it, nowhere else. A count's *cell key* is the sum of the record keys of the
responses it counts, modulo KEYS, so the same set of responses always has the same cell key, in
every table, page, export and request. The *perturbation table* (ptable.csv beside this file,
made by `make_ptable` from the parameters below) gives, for each true count and cell key, a
small noise value; the published count is the true count plus that noise:

- at most MAX_NOISE either way; zero on average for every count (no count is pushed up or
  down on average), with a variance of VARIANCE (a typical change of about 1.4);
- a count of 1 or 2 (up to SMALL) is never published as itself, nor is any count published as
  1 or 2: published counts are 0 or at least 3; a count of 0 stays 0;
- every count from SMALL + MAX_NOISE + 1 up uses the same row.

Everything else (percentages, intervals, summaries, tests, flags) is worked out from published
counts only (answers.py, flags.py), so nothing hidden can be solved for, and differencing two
published counts gives only noise. This is the method of ONS's Census 2021 custom datasets and
ABS TableBuilder (docs/decisions/0019-consistent-perturbation.md).
"""

from __future__ import annotations

import csv
import math
import secrets
from functools import cache
from pathlib import Path

import numpy as np

from ..models import RECORD_KEYS

KEYS = RECORD_KEYS  # record keys and cell keys lie in [0, KEYS)
MAX_NOISE = 3  # D: no count is moved by more than this
VARIANCE = 2.0  # V: the noise's variance, for every count that allows it
SMALL = 2  # js: counts 1..SMALL are never published as themselves, and never published at all
PTABLE = Path(__file__).with_name("ptable.csv")
ROWS = SMALL + MAX_NOISE + 2  # rows 0 .. SMALL + MAX_NOISE + 1; larger counts use the last


def draw_keys(count: int) -> list[int]:
    """Return `count` fresh record keys from the operating system's random source."""
    return [secrets.randbelow(KEYS) for _ in range(count)]


# --- making the table ----------------------------------------------------------------------------


def allowed_noise(count: int) -> list[int]:
    """Return the noise values a count may get: within MAX_NOISE, never negative as a result, and
    never landing on 1..SMALL (so a count of 1..SMALL is never published as itself). A count of
    0 stays 0: no noise above 0 alone can average 0."""
    if count == 0:
        return [0]
    return [d for d in range(-MAX_NOISE, MAX_NOISE + 1) if count + d >= 0 and not 1 <= count + d <= SMALL]


def _least_variance(support: list[int]) -> dict[int, float]:
    """Return the zero-mean distribution of least variance on a support: the values nearest 0 on
    each side (or 0 itself, when allowed)."""
    if 0 in support:
        return {0: 1.0}
    below, above = max(d for d in support if d < 0), min(d for d in support if d > 0)
    return {below: above / (above - below), above: -below / (above - below)}


def _maximum_entropy(support: list[int], variance: float) -> dict[int, float]:
    """Return the distribution of greatest entropy on a support with mean 0 and this variance:
    p(d) proportional to exp(a·d + b·d²), with a and b found by Newton's method on the dual."""
    d = np.array(support, dtype=float)
    features = np.stack([d, d * d])
    target = np.array([0.0, variance])

    def dual(theta: np.ndarray) -> float:  # convex: its minimum is the distribution sought
        logits = theta @ features
        top = logits.max()
        return float(top + np.log(np.exp(logits - top).sum()) - theta @ target)

    theta = np.zeros(2)
    for _ in range(500):
        logits = theta @ features
        p = np.exp(logits - logits.max())
        p /= p.sum()
        mean = features @ p
        gap = mean - target
        if np.abs(gap).max() < 1e-12:
            break
        centred = features - mean[:, None]
        step = np.linalg.solve((centred * p) @ centred.T + 1e-12 * np.eye(2), gap)
        size, now = 1.0, dual(theta)
        while dual(theta - size * step) > now - 1e-4 * size * (gap @ step) and size > 1e-12:
            size /= 2  # backtracking: a full Newton step can overshoot far from the optimum
        theta = theta - size * step
    return {int(v): float(q) for v, q in zip(support, p, strict=True)}


def noise_distribution(count: int) -> dict[int, float]:
    """Return the noise distribution of a true count (the rows of the perturbation table)."""
    support = allowed_noise(count)
    if support == [0]:
        return {0: 1.0}
    least = _least_variance(support)
    least_variance = sum(q * v * v for v, q in least.items())
    if least_variance >= VARIANCE - 1e-9:  # the smallest counts: the rule on 1..SMALL forces this much
        return least
    return _maximum_entropy(support, VARIANCE)


def make_ptable() -> list[dict]:
    """Return the perturbation table: one line per (count row, noise), with its probability and the
    cell keys [low, high) that give it."""
    lines = []
    for row in range(ROWS):
        distribution = noise_distribution(row)
        low = 0
        cumulative = 0.0
        for noise, probability in sorted(distribution.items()):
            cumulative += probability
            high = KEYS if math.isclose(cumulative, 1.0) else round(cumulative * KEYS)
            if high > low:
                lines.append(
                    {"count": row, "noise": noise, "probability": round(probability, 6), "low": low, "high": high}
                )
            low = high
    return lines


def write_ptable(path: Path = PTABLE) -> None:
    """Write the perturbation table as CSV (python -m survey.results.protection)."""
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, ["count", "noise", "probability", "low", "high"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(make_ptable())


@cache
def noise_lookup() -> np.ndarray:
    """Return the table as an array: noise[row, cell key], read once from ptable.csv."""
    lookup = np.zeros((ROWS, KEYS), dtype=np.int8)
    with PTABLE.open(newline="") as file:
        for line in csv.DictReader(file):
            lookup[int(line["count"]), int(line["low"]) : int(line["high"])] = int(line["noise"])
    return lookup


# --- using it ------------------------------------------------------------------------------------


def published(counts: np.ndarray, key_sums: np.ndarray) -> np.ndarray:
    """Return the published counts for true counts and the sums of their responses' record keys."""
    counts = np.asarray(counts, dtype=np.int64)
    rows = np.minimum(counts, ROWS - 1)
    cell_keys = np.asarray(key_sums).astype(np.int64) % KEYS
    return counts + noise_lookup()[rows, cell_keys]


def published_count(count: int, key_sum: int) -> int:
    """Return one published count (see published)."""
    return count + int(noise_lookup()[min(count, ROWS - 1), int(key_sum) % KEYS])


def shown(true: int, public: int, threshold: int) -> bool:
    """Return whether a group may be shown: at least `threshold` members, counted and as published."""
    return true >= threshold and public >= threshold


if __name__ == "__main__":
    write_ptable()
