"""Weighting to the membership: raking published class counts, trimmed weights, the effective
sample size and design effect, weighted percentages and intervals on every output, the organisers'
switch (audited), and the demo's planted response bias put right by weighting."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import weightipy

from demo.membership import add_membership_profile
from demo.planted import BIAS, membership_shares
from survey import results
from survey.core.weighting import weighting_status
from survey.extensions import db
from survey.models import Survey
from survey.results import snapshot_for
from survey.results.counts import answers_of, group_sizes, tally
from survey.results.weighting import TRIM, bands_of, class_weights, profile_for, rake

from .factories import demo_survey

# --- raking on its own -----------------------------------------------------------------------------


def _margins(table: np.ndarray, shares: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Margins for a full cross of dimensions (no missing levels): each class's level per dimension."""
    index = np.array(list(itertools.product(*(range(n) for n in table.shape))))
    return [(index[:, d].astype(np.intp), share) for d, share in enumerate(shares)]


def test_raking_meets_every_margin_and_keeps_the_total():
    counts = np.array([[40, 10, 5], [30, 30, 25], [5, 10, 45]], dtype=float)
    shares = [np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.25, 0.25])]
    weights, trimmed = rake(counts.ravel(), _margins(counts, shares), trim=(0.01, 100))
    weighted = counts * weights.reshape(counts.shape)
    assert weighted.sum() == pytest.approx(counts.sum())
    assert weighted.sum(axis=1) / weighted.sum() == pytest.approx(shares[0], abs=1e-5)
    assert weighted.sum(axis=0) / weighted.sum() == pytest.approx(shares[1], abs=1e-5)
    assert trimmed == 0


def test_raking_gives_the_textbook_answer_on_a_two_by_two_table():
    # Every cell raked to margins 50/50 and 50/50 from a table of 10, 20, 30, 40: the classic
    # IPF fixed point keeps the table's odds ratio (10 × 40) / (20 × 30).
    counts = np.array([[10, 20], [30, 40]], dtype=float)
    shares = [np.array([0.5, 0.5]), np.array([0.5, 0.5])]
    weights, _ = rake(counts.ravel(), _margins(counts, shares), trim=(0.01, 100))
    fitted = counts * weights.reshape(2, 2)
    fitted /= fitted.sum()
    assert fitted.sum(axis=0) == pytest.approx([0.5, 0.5], abs=1e-6)
    assert fitted[0, 0] * fitted[1, 1] / (fitted[0, 1] * fitted[1, 0]) == pytest.approx(10 * 40 / (20 * 30))
    assert fitted[0, 0] == pytest.approx(fitted[1, 1], abs=1e-6)


def test_raking_agrees_with_weightipy_on_the_same_respondents():
    # weightipy (a maintained raking library, a test dependency) rakes one row per respondent; the
    # engine rakes one weight per class of counted respondents. Untrimmed, they must agree.
    rng = np.random.default_rng(3)
    counts = rng.integers(1, 60, size=(3, 4, 2)).astype(float)
    shares = [np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.6, 0.4])]
    weights, _ = rake(counts.ravel(), _margins(counts, shares), trim=(1e-9, 1e9))
    index = np.array(list(itertools.product(*(range(n) for n in counts.shape))))
    people = pd.DataFrame(np.repeat(index, counts.ravel().astype(int), axis=0), columns=["a", "b", "c"])
    scheme = weightipy.scheme_from_dict(
        {column: {i: 100 * share for i, share in enumerate(s)} for column, s in zip("abc", shares, strict=True)}
    )
    theirs = weightipy.weight(people, scheme).to_numpy()
    assert theirs == pytest.approx(np.repeat(weights, counts.ravel().astype(int)), rel=1e-4)


def test_weights_are_trimmed_and_still_sum_to_the_respondents():
    counts = np.array([[200, 1], [200, 199]], dtype=float)  # the top right class must be weighted up hugely
    shares = [np.array([0.5, 0.5]), np.array([0.5, 0.5])]
    weights, trimmed = rake(counts.ravel(), _margins(counts, shares), trim=TRIM)
    assert weights.min() >= TRIM[0] - 1e-9 and weights.max() <= TRIM[1] + 1e-9
    assert (counts.ravel() * weights).sum() == pytest.approx(counts.sum())
    assert trimmed >= 1


def test_members_with_no_answer_on_a_dimension_are_left_out_of_its_step():
    counts = np.array([10.0, 30.0, 60.0])  # men, women, and people who did not say
    weights, _ = rake(counts, [(np.array([0, 1, -1]), np.array([0.5, 0.5]))], trim=(0.01, 100))
    assert counts[0] * weights[0] == pytest.approx(counts[1] * weights[1])
    assert (counts * weights).sum() == pytest.approx(100)


# --- the demo's planted bias ---------------------------------------------------------------------


@pytest.fixture
def biased(app):
    """A closed demo survey of 6,000 responses with the planted response bias, weighted."""
    survey = demo_survey(app, "biased", 6000, 19)
    with app.app_context():
        add_membership_profile()
        found = db.session.get(Survey, survey.id)
        found.weighted = True
        db.session.commit()
    return survey


def test_weighting_puts_the_planted_bias_right(app, biased):
    with app.app_context():
        survey = db.session.get(Survey, biased.id)
        truth = 100 * BIAS.truth(survey.questionnaire)
        weighted = results.question_table(survey, BIAS.answer).scale[0]
        survey.weighted = False
        unweighted = results.question_table(survey, BIAS.answer).scale[0]
        survey.weighted = True
        db.session.rollback()
    assert weighted.unweighted_positive_percent == unweighted.positive_percent
    # Unweighted, the planted under-representation pulls the share down, outside its own interval.
    assert not unweighted.positive_ci_low <= truth <= unweighted.positive_ci_high, (unweighted, truth)
    assert unweighted.positive_percent < truth
    # Weighted, the truth is inside the interval (at the effective sample size, so a little wider).
    assert weighted.positive_ci_low <= truth <= weighted.positive_ci_high, (weighted, truth)
    assert (
        weighted.positive_ci_high - weighted.positive_ci_low > unweighted.positive_ci_high - unweighted.positive_ci_low
    )


def test_the_design_effect_and_effective_sample_size_are_reported(app, biased):
    with app.app_context():
        survey = db.session.get(Survey, biased.id)
        status = weighting_status(survey)
        table = results.question_table(survey, BIAS.answer, by="A1")
    summary = status.summary
    assert status.on and status.problem is None
    assert summary.dimensions == ["Service group", "Region", "Age", "Sex"]
    assert 1.05 < summary.design_effect < 3
    assert summary.effective == pytest.approx(summary.respondents / summary.design_effect, rel=0.01)
    assert table.weighting == summary
    everyone = table.groups[0]
    assert everyone.effective_n is not None and everyone.effective_n < everyone.n
    for group in table.groups[1:]:
        assert (group.effective_n is None) == group.suppressed


def test_class_weights_come_from_published_class_counts(app, biased):
    with app.app_context():
        survey = db.session.get(Survey, biased.id)
        snapshot = snapshot_for(survey)
        weights = class_weights(snapshot, profile_for(survey.audience), survey.audience)
        everyone = np.ones(snapshot.n, dtype=bool)
        public = group_sizes(snapshot, everyone, weights.classes, weights.size).public
        true = np.bincount(weights.classes, minlength=weights.size)
        shares = membership_shares(survey.questionnaire)
    assert np.array_equal(weights.counts, public) and not np.array_equal(public, true)
    assert weights.weights.min() >= TRIM[0] - 1e-9 and weights.weights.max() <= TRIM[1] + 1e-9
    # The weighted published counts of young members match the profile's share (among those who said).
    codes = snapshot.codes("L1")
    young = codes.index("16_24")
    column = snapshot.categorical["L1"]
    by_class_age = np.full(weights.size, -1)
    by_class_age[weights.classes] = column
    said = by_class_age >= 0
    said &= np.isin(by_class_age, [codes.index(c) for c in shares["L1"]])
    weighted = weights.counts * weights.weights
    share = weighted[by_class_age == young].sum() / weighted[said].sum()
    assert share == pytest.approx(shares["L1"]["16_24"], abs=0.01)


def test_bands_keep_the_weighted_total_and_hold_weights_within_the_ratio():
    rng = np.random.default_rng(5)
    counts = rng.integers(0, 9, size=500).astype(float)
    weights = np.exp(rng.uniform(np.log(TRIM[0]), np.log(TRIM[1]), size=500))
    band, band_weights = bands_of(counts, weights, 1.2)
    assert (counts * band_weights[band]).sum() == pytest.approx((counts * weights).sum())
    for b in np.unique(band[counts > 0]):
        inside = weights[(band == b) & (counts > 0)]
        assert inside.max() / inside.min() < 1.2 and inside.min() <= band_weights[b] <= inside.max()
    exact, same = bands_of(counts, weights, 1.0)
    assert np.array_equal(same, weights) and np.array_equal(exact, np.arange(500))


def test_a_weighted_percentage_is_made_of_published_band_counts_only(app, biased):
    with app.app_context():
        survey = db.session.get(Survey, biased.id)
        snapshot = snapshot_for(survey)
        weights = class_weights(snapshot, profile_for(survey.audience), survey.audience)
        table = results.question_table(survey, "E3")
    rows = snapshot.categorical["E3"] >= 0
    found = tally(snapshot, answers_of(snapshot, "E3"), rows, weights.bands[rows], weights.band_count)
    public = found.public.astype(float)
    base = group_sizes(snapshot, rows, weights.bands[rows], weights.band_count).public @ weights.band_weights
    codes = snapshot.codes("E3")
    for cell in (c for c in table.cells if c.group is None):
        expected = 100 * (public[:, codes.index(cell.option)] @ weights.band_weights) / base
        assert cell.percent == pytest.approx(round(expected, 1), abs=0.051)
    true = (found.true.astype(float).T @ weights.band_weights) / (found.true.sum(axis=1) @ weights.band_weights)
    assert any(
        abs(c.percent - round(100 * true[codes.index(c.option)], 1)) > 0.05 for c in table.cells if c.group is None
    )
