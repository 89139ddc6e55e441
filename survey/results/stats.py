"""Statistics for results: Wilson intervals, two-proportion and chi-square tests, corrections.

Hand-written on the standard library so that they can be read and checked line by line; the
tests compare them with published values. No Flask, no database.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


def wilson(count: int, base: int, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval for a proportion, as fractions between 0 and 1."""
    if base <= 0:
        raise ValueError("the base of a proportion must be positive")
    p = count / base
    z2 = z * z
    centre = (p + z2 / (2 * base)) / (1 + z2 / base)
    half = z * math.sqrt(p * (1 - p) / base + z2 / (4 * base * base)) / (1 + z2 / base)
    # The ends are exactly 0 and 1 when no one (or everyone) gave the answer; rounding could miss them.
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == base else min(1.0, centre + half)
    return low, high


def net_interval(count1: int, count2: int, base: int, z: float = Z95) -> tuple[float, float]:
    """Return a 95% interval for p1 − p2, two shares of one sample's answers (support and oppose).

    Newcombe's hybrid score interval, by the method of variance estimates recovery (Newcombe
    1998, method 10; Zou & Donner 2008): built from the two Wilson intervals and the correlation
    of the two shares of one multinomial sample, −√(p1·p2 / ((1 − p1)(1 − p2))). It stays inside
    [−1, 1], is not degenerate at 0% or 100% (a Wald interval is), and when every answer is one
    of the two (no "Not sure") it is exactly 2 × Wilson(p1) − 1. Fractions between −1 and 1.
    """
    if base <= 0:
        raise ValueError("the base of a proportion must be positive")
    count1, count2 = min(count1, base), min(count2, base)
    p1, p2 = count1 / base, count2 / base
    low1, high1 = wilson(count1, base, z)
    low2, high2 = wilson(count2, base, z)
    if p1 + p2 >= 1:  # every answer one of the two (published counts may even add up to a little more)
        r = -1.0
    elif p1 * p2 == 0:
        r = 0.0
    else:
        r = max(-1.0, -math.sqrt(p1 * p2 / ((1 - p1) * (1 - p2))))
    d = p1 - p2
    below = math.sqrt(max(0.0, (p1 - low1) ** 2 - 2 * r * (p1 - low1) * (high2 - p2) + (high2 - p2) ** 2))
    above = math.sqrt(max(0.0, (high1 - p1) ** 2 - 2 * r * (high1 - p1) * (p2 - low2) + (p2 - low2) ** 2))
    return max(-1.0, d - below), min(1.0, d + above)


def normal_sf(z: float) -> float:
    """Return P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def two_proportion_test(count1: int, base1: int, count2: int, base2: int) -> tuple[float, float]:
    """Return (z, two-sided p) for the difference of two proportions, with the pooled variance."""
    if base1 <= 0 or base2 <= 0:
        raise ValueError("both bases must be positive")
    pooled = (count1 + count2) / (base1 + base2)
    variance = pooled * (1 - pooled) * (1 / base1 + 1 / base2)
    if variance == 0:  # everyone (or no one) in both groups: no evidence of a difference
        return 0.0, 1.0
    z = (count1 / base1 - count2 / base2) / math.sqrt(variance)
    return z, min(1.0, 2 * normal_sf(abs(z)))


def chi_square_test(table: Sequence[Sequence[float]]) -> tuple[float, int, float]:
    """Return (statistic, degrees of freedom, p) for independence in a contingency table.

    Rows or columns that are entirely zero are left out (they carry no information).
    """
    rows = [list(map(float, row)) for row in table if sum(row) > 0]
    if not rows:
        return 0.0, 0, 1.0
    keep = [j for j in range(len(rows[0])) if sum(row[j] for row in rows) > 0]
    rows = [[row[j] for j in keep] for row in rows]
    total = sum(map(sum, rows))
    row_sums = [sum(row) for row in rows]
    col_sums = [sum(row[j] for row in rows) for j in range(len(keep))]
    statistic = 0.0
    for i, row in enumerate(rows):
        for j, observed in enumerate(row):
            expected = row_sums[i] * col_sums[j] / total
            statistic += (observed - expected) ** 2 / expected
    dof = (len(rows) - 1) * (len(keep) - 1)
    return statistic, dof, chi_square_sf(statistic, dof) if dof > 0 else 1.0


def chi_square_sf(statistic: float, dof: int) -> float:
    """Return P(X > statistic) for a chi-square variable with `dof` degrees of freedom."""
    if dof <= 0:
        raise ValueError("degrees of freedom must be positive")
    if statistic <= 0:
        return 1.0
    return _upper_gamma_regularised(dof / 2, statistic / 2)


def _upper_gamma_regularised(a: float, x: float) -> float:
    """Return Q(a, x) = Γ(a, x) / Γ(a) (Numerical Recipes §6.2: series below a+1, else a continued fraction)."""
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1 / a
        n = a
        for _ in range(10_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1 - total * math.exp(log_prefix))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Return Benjamini–Hochberg adjusted p-values (false discovery rate), in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = min(1.0, running)
    return adjusted


def holm(p_values: Sequence[float]) -> list[float]:
    """Return Holm–Bonferroni adjusted p-values (family-wise error rate), in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, p_values[i] * (m - rank)))
        adjusted[i] = running
    return adjusted


def significant(value: float, figures: int = 2) -> float:
    """Return a value rounded to a number of significant figures (p-values are given to two)."""
    return float(f"{value:.{figures}g}")
