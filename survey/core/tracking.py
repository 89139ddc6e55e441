"""Tracking: how a survey is filling, as an organiser watches it. Counts of taking part only,
never answers; and how many responses the results hold, as the results show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from .. import results
from ..extensions import db
from ..models import AccessMode, Invitation, Survey, SurveyDay, SurveyStatus
from ..results import protection
from .invitations import used_condition


@dataclass
class Segment:
    """Response rate for one invitation segment; groups below the threshold are not shown."""

    name: str
    invited: int
    responded: int | None  # the published (perturbed) count; None: not shown (below k, counted or published)
    rate: float | None


@dataclass
class Tracking:
    """How a survey is filling: counts of participation only, never answers.

    These are exact counts of starts and submits (a day in the UK, nothing finer), as ADR 0020
    lets staff watch while a survey is open; they are not the results' counts, which hold only
    released answers and are perturbed (see in_results).
    """

    started: int
    submitted: int
    days: list[tuple[date, int, int]]  # (day, started, submitted)
    invited: int
    used: int
    segments: list[Segment]
    threshold: int
    open_link: bool = False  # members can also answer through the survey's open link

    @property
    def completion(self) -> float | None:
        """Return the share of started surveys that were submitted."""
        return self.submitted / self.started if self.started else None

    @property
    def response_rate(self) -> float | None:
        """Return the share of invitations used."""
        return self.used / self.invited if self.invited else None

    @property
    def through_link(self) -> int | None:
        """Return how many were sent through the open link (None for an invitation-only survey).

        A used invitation is exactly one response sent with it, so every other response came
        through the link; both counts are shown already, so their difference tells nothing new.
        """
        return max(self.submitted - self.used, 0) if self.open_link else None


def tracking(survey: Survey) -> Tracking:
    """Return the counts an organiser watches while a survey fills."""
    days = [
        (day, int(started), int(submitted))
        for day, started, submitted in db.session.execute(
            select(SurveyDay.day, func.sum(SurveyDay.started), func.sum(SurveyDay.submitted))
            .where(SurveyDay.survey_id == survey.id)
            .group_by(SurveyDay.day)
            .order_by(SurveyDay.day)
        )
    ]
    used = used_condition()
    rows = db.session.execute(
        select(
            Invitation.segment,
            func.count(),
            func.count().filter(used),
            func.coalesce(func.sum(Invitation.record_key).filter(used), 0),
        )
        .where(Invitation.survey_id == survey.id)
        .group_by(Invitation.segment)
    ).all()
    return Tracking(
        started=sum(d[1] for d in days),
        submitted=sum(d[2] for d in days),
        days=days,
        invited=sum(r[1] for r in rows),
        used=sum(r[2] for r in rows),
        segments=segments_shown([(r[0], r[1], r[2], int(r[3])) for r in rows if r[0]], survey.threshold),
        threshold=survey.threshold,
        open_link=survey.access == AccessMode.OPEN_LINK,
    )


def in_results(survey: Survey) -> int | None:
    """Return how many responses the results hold now, as the results page shows it, or None.

    The results hold only released answers (an invitation survey's once, at close; an open-link
    survey's in large steps while open, ADR 0020), leave out withdrawn ones, and publish their
    count perturbed (ADR 0019); None when nothing is shown yet (a draft, an invitation survey
    still open, or fewer than the threshold).
    """
    if survey.status == SurveyStatus.DRAFT:
        return None
    if survey.access == AccessMode.INVITATION and survey.status == SurveyStatus.OPEN:
        return None  # released at close: the engine has nothing, so do not ask it
    overview = results.overview(survey)
    return None if overview.suppressed else overview.responses


def submitted_counts(surveys: list[Survey]) -> dict[int, int]:
    """Return each survey's submitted count (participation, as tracking counts it), in one query."""
    if not surveys:
        return {}
    rows = db.session.execute(
        select(SurveyDay.survey_id, func.sum(SurveyDay.submitted))
        .where(SurveyDay.survey_id.in_([s.id for s in surveys]))
        .group_by(SurveyDay.survey_id)
    )
    return {survey_id: int(total or 0) for survey_id, total in rows}


def segments_shown(rows: list[tuple[str, int, int, int]], k: int) -> list[Segment]:
    """Protect per-segment counts of (name, invited, used, sum of the used invitations' record keys).

    A segment's responded count is published as consistent perturbation gives it (the same set
    of used invitations always gives the same number), and shown only when the segment passes
    the group rule, counted and as published; its rate is worked out from the published count.
    """
    shown = []
    for name, invited, used, key_sum in sorted(rows):
        published = protection.published_count(used, key_sum)
        if protection.shown(used, published, k):
            shown.append(Segment(name, invited, published, min(published / invited, 1.0) if invited else None))
        else:
            shown.append(Segment(name, invited, None, None))
    return shown
