"""Statistics against published values, and the equality flags against planted differences."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from survey.results.flags import Comparison, decide
from survey.results.stats import (
    benjamini_hochberg,
    chi_square_sf,
    chi_square_test,
    holm,
    normal_sf,
    two_proportion_test,
    wilson,
)


@pytest.mark.parametrize(
    ("count", "base", "low", "high"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857, table I (method 3, Wilson score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0),
    ],
)
def test_wilson_interval_matches_newcombe(count, base, low, high):
    got = wilson(count, base)
    assert got[0] == pytest.approx(low, abs=6e-5)
    assert got[1] == pytest.approx(high, abs=6e-5)


def test_wilson_interval_is_inside_zero_and_one_and_contains_the_estimate():
    for base in (1, 2, 5, 10, 100):
        for count in range(base + 1):
            low, high = wilson(count, base)
            assert 0 <= low <= count / base <= high <= 1


@pytest.mark.parametrize(
    ("z", "tail"),
    [(1.959963984540054, 0.025), (1.6448536269514722, 0.05), (2.5758293035489004, 0.005), (0, 0.5)],
)
def test_normal_tail(z, tail):
    assert normal_sf(z) == pytest.approx(tail, rel=1e-12)


def test_two_proportion_test():
    # 51/100 against 37/100: pooled p = 0.44, z = 0.14 / sqrt(0.44 * 0.56 * 0.02) = 1.9943.
    z, p = two_proportion_test(51, 100, 37, 100)
    assert z == pytest.approx(1.99431, abs=1e-5)
    assert p == pytest.approx(0.046118, abs=1e-6)
    assert two_proportion_test(10, 10, 20, 20) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("statistic", "dof", "p"),
    [
        # Upper 5% and 1% points of the chi-square distribution (any statistics table).
        (3.841458820694124, 1, 0.05),
        (5.991464547107979, 2, 0.05),
        (11.070497693516351, 5, 0.05),
        (18.307038053275146, 10, 0.05),
        (6.6348966010212145, 1, 0.01),
        (23.209251158954356, 10, 0.01),
        (1.0, 1, 0.3173105078629141),  # = 2 * (1 - Phi(1))
        (2.0, 2, math.exp(-1.0)),  # two degrees of freedom: exp(-x/2)
    ],
)
def test_chi_square_tail(statistic, dof, p):
    assert chi_square_sf(statistic, dof) == pytest.approx(p, rel=1e-9)


def test_chi_square_test_on_a_two_by_two_table():
    # Without continuity correction a 2x2 test equals the squared two-proportion z.
    statistic, dof, p = chi_square_test([[51, 49], [37, 63]])
    z, p_z = two_proportion_test(51, 100, 37, 100)
    assert dof == 1
    assert statistic == pytest.approx(z * z)
    assert p == pytest.approx(p_z)
    assert chi_square_test([[5, 0], [3, 0]])[2] == 1.0  # an empty column carries no information


def test_benjamini_hochberg_and_holm():
    p = [0.01, 0.04, 0.03, 0.005]
    assert benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    # Benjamini & Hochberg (1995), §4: 15 p-values; at q = 0.05 the first four are rejected.
    published = [
        0.0001,
        0.0004,
        0.0019,
        0.0095,
        0.0201,
        0.0278,
        0.0298,
        0.0344,
        0.0459,
        0.3240,
        0.4262,
        0.5719,
        0.6528,
        0.7590,
        1.0,
    ]
    rejected = [q <= 0.05 for q in benjamini_hochberg(published)]
    assert rejected == [True] * 4 + [False] * 11


# --- equality flags --------------------------------------------------------------------------


def _comparisons(
    rng: random.Random, gap: float, groups: int = 20, base: int = 400, one_family: bool = False
) -> list[Comparison]:
    out = []
    for g in range(groups):
        rate = 0.4
        group_rate = rate + (gap if g == 0 else 0.0)
        count = sum(rng.random() < group_rate for _ in range(base))
        other_base = base * 4
        other = sum(rng.random() < rate for _ in range(other_base))
        out.append(
            Comparison(
                question="D2.c",
                question_text="Monitoring has increased in the last two years",
                outcome="answer “Agree” or “Strongly agree” to “Monitoring has increased in the last two years”",
                outcome_codes=("4", "5"),
                dimension="disabled",
                dimension_label="Disabled",
                family="disabled" if one_family else f"family {g}",
                group=f"g{g}",
                group_label=f"Group {g}",
                subject="Disabled members" if g == 0 else f"Group {g} members",
                count=count,
                base=base,
                other_count=other,
                other_base=other_base,
            )
        )
    return out


def test_a_planted_difference_is_flagged_in_a_plain_sentence():
    found = 0
    for seed in range(50):
        flags = decide(_comparisons(random.Random(seed), gap=0.14))
        planted = [f for f in flags if f.group == "g0"]
        found += bool(planted)
    assert found >= 48  # power close to 1 at these sizes
    flag = next(f for f in decide(_comparisons(random.Random(1), gap=0.14)) if f.group == "g0")
    assert flag.gap > 5 and flag.adjusted_p <= 0.05
    assert flag.sentence.startswith("Disabled members were ")
    assert "points more likely than other members to answer “Agree” or “Strongly agree”" in flag.sentence
    assert flag.sentence.endswith(f"({round(flag.percent)}% vs {round(flag.other_percent)}%).")


def test_no_difference_gives_no_flag_at_the_corrected_level():
    # 200 seeds x 20 comparisons with no real difference: with the false discovery rate held at
    # 5% a spurious flag appears in at most about 5% of runs.
    runs_with_a_flag = sum(bool(decide(_comparisons(random.Random(seed), gap=0.0, base=150))) for seed in range(200))
    assert runs_with_a_flag <= 15


def test_one_flag_per_question_and_family_the_strongest():
    comparisons = _comparisons(random.Random(4), gap=0.0, base=400, one_family=True)
    strong, weaker = (
        dataclasses.replace(comparisons[0], count=int(0.7 * 400)),
        dataclasses.replace(comparisons[1], count=int(0.6 * 400)),
    )
    flags = decide([strong, weaker, *comparisons[2:]])
    assert [f.group for f in flags] == ["g0"]  # both are significant; one headline per family
    separate = decide([strong, dataclasses.replace(weaker, family="another"), *comparisons[2:]])
    assert sorted(f.group for f in separate) == ["g0", "g1"]


def test_small_gaps_are_not_flagged_however_significant():
    flags = decide(_comparisons(random.Random(3), gap=0.03, base=20_000))
    assert all(abs(f.gap) >= 5 for f in flags)


def test_no_flag_rests_on_the_noise_that_protects_members():
    # A small group's published count can be 3 higher than its true count, and everyone else's
    # (a difference of two published counts) 6 lower: 5 of 20 against 34 of 1,000 may be 2 of 20
    # against 40 of 1,000, no difference at all. Published counts like these are never flagged;
    # the same gap in a group large enough for the noise not to matter still is.
    base = _comparisons(random.Random(5), gap=0.0, groups=1)[0]
    noisy = dataclasses.replace(base, count=5, base=20, other_count=34, other_base=1000)
    assert two_proportion_test(5, 20, 34, 1000)[1] < 0.001  # the published numbers alone say "flag"
    assert decide([noisy]) == []
    clear = dataclasses.replace(base, count=50, base=200, other_count=34, other_base=1000)
    assert [f.group for f in decide([clear])] == [base.group]
