"""Weighting to the membership: raking the published counts of weighting classes to the profile.

The respondents are split into *weighting classes*: the cross of the breakdowns the newest
membership profile counts and the snapshot can read (service group × region × age × sex in the
demo), with "no answer" (or an answer the profile does not count, such as "Prefer not to say")
as one more level of each. Each class's size is its PUBLISHED count (protection.published: the
cell key method, the same number any table would publish for that set of responses), never its
true count. Raking (iterative proportional fitting, Deming and Stephan 1940; R's survey::rake)
finds one weight per class so that the weighted published counts match the profile's shares on
every dimension at once; members with no answer on a dimension are left out of that dimension's
step (their weight is not changed by it). Weights are then trimmed to TRIM times the mean and
raked again, until both hold, and normalised so that the weighted classes add up to the
respondents counted. weighted.py turns them into weighted tables, again from published counts
only. The design and its disclosure argument: docs/decisions/0027-weighting.md.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import select

from ..extensions import db
from ..models import AUDIENCE_KEYS, MembershipCount, MembershipProfile
from .cache import snapshot_for
from .counts import group_sizes
from .dimensions import structure
from .gate import everyone_count, universe
from .queries import fixed_dimensions
from .snapshot import Snapshot
from .tables import Weighting

TRIM = (0.2, 5.0)  # weights are kept within these multiples of the mean weight
BAND_RATIO = 1.2  # tables count respondents in weight bands this wide (each band's top ÷ its bottom)
TOLERANCE = 1e-6  # raking stops when every margin is within this share of its target
MAX_ROUNDS = 1000  # raking sweeps at most (each sweep adjusts every dimension once)
MAX_CLASSES = 1_000_000  # more weighting classes than this: weighting is refused (see classes)


@dataclass(frozen=True)
class Profile:
    """The newest membership profile's counts for one survey's audience."""

    id: int
    name: str
    as_of: date
    counts: Mapping[str, Mapping[str, int]]  # dimension id -> group code -> members


@dataclass(frozen=True)
class ClassWeights:
    """One weight per weighting class, and each response's class, for one snapshot and profile."""

    dims: tuple[str, ...]
    classes: np.ndarray  # each response's class, (n,) intp
    size: int  # how many classes there are
    counts: np.ndarray  # each class's published count, (size,)
    weights: np.ndarray  # each class's weight, (size,): mean 1 over the published respondents
    summary: Weighting
    bands: np.ndarray  # each response's weight band, (n,) intp: tables are counted by band (see bands_of)
    band_weights: np.ndarray  # each band's weight, (band count,)

    @property
    def band_count(self) -> int:
        """Return how many weight bands there are."""
        return len(self.band_weights)


class CannotWeight(Exception):
    """Weighting cannot be worked out for this survey: the message says why, in plain words."""


# --- the profile ---------------------------------------------------------------------------------


def audience_key(audience: Mapping[str, str] | None) -> str:
    """Return an audience as the profile stores it (as survey.core.membership.audience_key)."""
    audience = audience or {}
    return ";".join(f"{key}={audience[key]}" for key in AUDIENCE_KEYS if audience.get(key))


def profile_for(audience: Mapping[str, str] | None) -> Profile | None:
    """Return the newest profile's counts for an audience ({} for every member), or None without a
    profile. A profile without counts for this audience gives a Profile with no counts."""
    newest = select(MembershipProfile).order_by(MembershipProfile.as_of.desc(), MembershipProfile.id.desc())
    profile = db.session.scalars(newest.limit(1)).first()
    if profile is None:
        return None
    counts: dict[str, dict[str, int]] = {}
    rows = select(MembershipCount).where(
        MembershipCount.profile_id == profile.id, MembershipCount.audience == audience_key(audience)
    )
    for row in db.session.scalars(rows):
        counts.setdefault(row.dimension, {})[row.code] = row.members
    return Profile(profile.id, profile.name, profile.as_of, counts)


def rake_dimensions(snapshot: Snapshot, profile: Profile, audience: Mapping[str, str] | None) -> list[str]:
    """Return the profile's dimensions weighting can use, in the questionnaire's order: those the
    snapshot has a column for, not fixed by the survey's audience, with members in two groups or more."""
    shape = structure(snapshot.questionnaire)
    fixed = fixed_dimensions(audience, snapshot.questionnaire)
    usable = [
        dim_id
        for dim_id, members in profile.counts.items()
        if dim_id in snapshot.categorical
        and dim_id in shape.dims
        and dim_id not in fixed
        and sum(1 for count in members.values() if count > 0) > 1
    ]
    return sorted(usable, key=lambda d: shape.dims[d].position)


# --- classes and raking --------------------------------------------------------------------------


def classes(snapshot: Snapshot, dims: list[str]) -> tuple[np.ndarray, int]:
    """Return each response's weighting class (a mixed-radix number over the dimensions: level 0 is
    no answer, level i + 1 the dimension's code i) and how many classes there are."""
    size = 1
    for dim_id in dims:
        size *= len(snapshot.codes(dim_id)) + 1
    if size > MAX_CLASSES:
        raise CannotWeight("The membership profile has too many breakdowns to weight by at once.")
    found = np.zeros(snapshot.n, dtype=np.intp)
    for dim_id in dims:
        found *= len(snapshot.codes(dim_id)) + 1
        found += snapshot.categorical[dim_id].astype(np.intp) + 1
    return found, size


def levels(snapshot: Snapshot, dims: list[str], profile: Profile) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return, for each dimension, each class's target group (-1: not raked on this dimension) and
    the targets' shares of the profile's members."""
    radices = [len(snapshot.codes(d)) + 1 for d in dims]
    size = int(np.prod(radices))
    out = []
    for position, dim_id in enumerate(dims):
        members = profile.counts[dim_id]
        codes = snapshot.codes(dim_id)
        targets = [code for code in codes if members.get(code, 0) > 0]
        index = {code: i for i, code in enumerate(targets)}
        by_level = np.array([-1, *(index.get(code, -1) for code in codes)], dtype=np.intp)
        stride = int(np.prod(radices[position + 1 :]))
        level = (np.arange(size) // stride) % radices[position]
        shares = np.array([members[code] for code in targets], dtype=float)
        out.append((by_level[level], shares / shares.sum()))
    return out


def rake(counts: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]], trim=TRIM) -> tuple[np.ndarray, int]:
    """Return one weight per class, raked so that the weighted counts match every margin's shares
    (among the classes with a target on it), trimmed to `trim` × the mean weight, and with mean 1
    over the counts; and how many classes were trimmed.

    `counts` are the classes' (published) sizes; each margin is (each class's target index or -1,
    the targets' shares). A target no class holds cannot be met: the others' shares are scaled up.
    """
    counts = np.asarray(counts, dtype=float)
    weights = np.ones_like(counts)
    total = counts.sum()
    if total <= 0:
        return weights, 0
    low, high = trim
    for _ in range(MAX_ROUNDS):
        before = weights.copy()
        worst = _sweep(counts, weights, margins)
        weights = _trimmed(counts, weights, low, high, total)
        if worst < TOLERANCE or np.abs(weights - before).max() < TOLERANCE * 1e-3:
            break  # the margins are met, or trimming stops them being met any better
    at_limit = (counts > 0) & ((weights <= low * (1 + 1e-6)) | (weights >= high * (1 - 1e-6)))
    return weights, int(np.count_nonzero(at_limit))


def _trimmed(counts: np.ndarray, weights: np.ndarray, low: float, high: float, total: float) -> np.ndarray:
    """Return weights scaled and clipped to [low, high] so that Σ counts × weights = total: the
    scale is found by bisection (the weighted total grows with it), so both hold exactly."""

    def weighted(scale: float) -> float:
        return float((counts * np.clip(weights * scale, low, high)).sum())

    below, above = 0.0, 1.0
    while weighted(above) < total and above < 1e12:
        above *= 2
    for _ in range(200):
        middle = (below + above) / 2
        below, above = (middle, above) if weighted(middle) < total else (below, middle)
        if above - below < 1e-15 * above:
            break
    found = np.clip(weights * above, low, high)
    return found * (total / (counts * found).sum())


def _sweep(counts: np.ndarray, weights: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """Adjust the weights (in place) to each margin in turn; return the largest gap found, as a
    share of the margin's weighted total."""
    worst = 0.0
    for target, shares in margins:
        known = target >= 0
        held = np.bincount(target[known], weights=(counts * weights)[known], minlength=len(shares))
        if held.sum() <= 0:
            continue
        present = held > 0
        goal = np.where(present, shares, 0.0)
        goal = goal / goal.sum() * held.sum()
        worst = max(worst, float(np.abs(held - goal).max() / held.sum()))
        factor = np.ones(len(shares))
        factor[present] = goal[present] / held[present]
        weights[known] *= factor[target[known]]
    return worst


def bands_of(counts: np.ndarray, weights: np.ndarray, ratio: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return each class's weight band and each band's weight.

    A weighted table counts respondents by weight band, not by class: one published count per band
    and answer (a band is every class whose weight lies in [low × ratio^b, low × ratio^(b+1))), so
    a weighted number mixes a few dozen perturbed counts of large sets instead of thousands of
    perturbed counts of classes of one or two members (far less noise, and nothing of a small
    class). A band's weight is its classes' mean weight over their published counts, so the
    weighted total is unchanged; each member's weight is off by at most the band's width (a factor of at most 1.2).
    `ratio` None: one band per class (exact; for measuring what banding costs)."""
    ratio = BAND_RATIO if ratio is None else ratio
    if ratio <= 1:
        return np.arange(len(weights), dtype=np.intp), weights.copy()
    low = TRIM[0]
    band = np.floor(np.log(np.maximum(weights, low) / low) / np.log(ratio) + 1e-9).astype(np.intp)
    size = int(band.max()) + 1
    held = np.bincount(band, weights=counts, minlength=size)
    total = np.bincount(band, weights=counts * weights, minlength=size)
    centre = low * ratio ** (np.arange(size) + 0.5)
    return band, np.divide(total, held, out=centre, where=held > 0)


def class_weights(snapshot: Snapshot, profile: Profile, audience: Mapping[str, str] | None) -> ClassWeights:
    """Return the snapshot's weighting classes and their raked weights (kept with the snapshot)."""
    key = ("weights", profile.id, audience_key(audience))
    if key in snapshot.cache:
        return snapshot.cache[key]
    dims = rake_dimensions(snapshot, profile, audience)
    if not dims:
        raise CannotWeight("The membership profile counts none of this survey's breakdowns.")
    found, size = classes(snapshot, dims)
    everyone = np.ones(snapshot.n, dtype=bool)
    counts = group_sizes(snapshot, everyone, found, size).public.astype(float)
    weights, trimmed = rake(counts, levels(snapshot, dims, profile))
    counted = float(counts.sum())  # the weights' mean is 1 over these: Σ n_c w_c = Σ n_c
    squares = float((counts * weights * weights).sum())
    design_effect = counted * squares / (counted * counted) if counted else 0.0  # Kish: n Σw² / (Σw)²
    # Said of the published number of responses (the overview's), so the pages agree with each other.
    respondents = everyone_count(snapshot, universe(snapshot, None))[1]
    effective = respondents / design_effect if design_effect else 0.0
    shape = structure(snapshot.questionnaire)
    summary = Weighting(
        profile=profile.name,
        as_of=profile.as_of.isoformat(),
        dimensions=[shape.dims[d].label.get("en", d) for d in dims],
        respondents=int(respondents),
        effective=round(effective),
        design_effect=round(design_effect, 2),
        trim=TRIM,
        trimmed=trimmed,
        labels={
            language: [shape.dims[d].label.get(language) or shape.dims[d].label.get("en", d) for d in dims]
            for language in snapshot.questionnaire.languages
        },
    )
    band_of_class, band_weights = bands_of(counts, weights)
    result = ClassWeights(tuple(dims), found, size, counts, weights, summary, band_of_class[found], band_weights)
    snapshot.cache[key] = result
    return result


PROFILE_SECONDS = 30  # the newest profile is looked up at most this often per snapshot and audience


def survey_weights(survey, snapshot: Snapshot) -> ClassWeights | None:
    """Return a survey's class weights when its organisers have switched weighting on and the
    newest profile can weight it; else None (the reason: weighting_problem)."""
    if not getattr(survey, "weighted", False):
        return None
    profile = _profile_kept(snapshot, survey.audience)
    if profile is None or not profile.counts:
        return None
    try:
        return class_weights(snapshot, profile, survey.audience)
    except CannotWeight:
        return None


def _profile_kept(snapshot: Snapshot, audience: Mapping[str, str] | None) -> Profile | None:
    key = ("profile", audience_key(audience))
    kept = snapshot.cache.get(key)
    now = time.monotonic()
    if kept is None or now - kept[0] > PROFILE_SECONDS:
        kept = (now, profile_for(audience))
        snapshot.cache[key] = kept
    return kept[1]


def weighting_problem(
    snapshot: Snapshot | None, profile: Profile | None, audience: Mapping[str, str] | None
) -> str | None:
    """Return why a survey cannot be weighted, in a plain sentence, or None when it can."""
    if profile is None:
        return "No membership profile has been uploaded: an administrator uploads one under Membership profiles."
    if not profile.counts:
        return (
            f"The membership profile “{profile.name}” has no counts for this survey’s audience: "
            "an administrator adds them (the service_group, sector or region columns)."
        )
    if snapshot is None:
        return None
    if not rake_dimensions(snapshot, profile, audience):
        return f"The membership profile “{profile.name}” counts none of this survey’s breakdowns."
    return None


def survey_weighting(survey) -> Weighting | None:
    """Return how a survey's percentages are weighted (profile, dimensions, design effect), or None
    when they are not (switched off, or no profile applies): for the method box."""
    weights = survey_weights(survey, snapshot_for(survey))
    return weights.summary if weights is not None else None
