"""Weighting a survey's results to the membership: the organisers' switch, and whether it can work.

Organisers and administrators of a survey switch weighting on or off (audited); while it is on
and the newest membership profile applies, every output shows percentages and intervals weighted
to the profile (survey/results/weighting.py and weighted.py; docs/decisions/0027-weighting.md).
When no profile applies, the switch says why it cannot be used.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..extensions import db
from ..models import Response, Survey
from ..results import snapshot_for
from ..results.tables import Weighting
from ..results.weighting import CannotWeight, class_weights, profile_for, weighting_problem
from . import audit


@dataclass(frozen=True)
class WeightingStatus:
    """What the switch shows: on or off, whether it can be used (or why not), and the figures."""

    on: bool
    problem: str | None  # why weighting cannot be used, in a plain sentence; None when it can
    summary: Weighting | None  # the profile, design effect and effective sample size, once there are results


def weighting_status(survey: Survey) -> WeightingStatus:
    """Return whether the survey is weighted, whether it can be, and (with results) the figures."""
    profile = profile_for(survey.audience)
    has_results = db.session.query(Response.id).filter(Response.survey_id == survey.id).limit(1).first() is not None
    snapshot = snapshot_for(survey) if has_results else None
    problem = weighting_problem(snapshot, profile, survey.audience)
    summary = None
    if problem is None and snapshot is not None and snapshot.n and profile is not None:
        try:
            summary = class_weights(snapshot, profile, survey.audience).summary
        except CannotWeight as error:
            problem = str(error)
    return WeightingStatus(bool(survey.weighted), problem, summary)


def set_weighting(survey: Survey, on: bool) -> str | None:
    """Switch weighting on or off, with an audit entry. Commits. Returns why it cannot be switched
    on (nothing changed), or None. Switching off always works."""
    if on:
        problem = weighting_problem(None, profile_for(survey.audience), survey.audience)
        if problem:
            return problem
    if bool(survey.weighted) == on:
        return None
    survey.weighted = on
    profile = profile_for(survey.audience)
    audit.record(
        "switched weighting on" if on else "switched weighting off",
        survey,
        profile=profile.name if profile else None,
        as_of=profile.as_of.isoformat() if profile else None,
    )
    db.session.commit()
    return None
