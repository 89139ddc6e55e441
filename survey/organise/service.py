"""Surveys as organisers run them: create, settings, launch, close, publish, archive, tracking.

No HTTP here. Every change is recorded in the audit log in the same transaction.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import String, cast, delete, exists, func, literal, select, update

from .. import audit
from ..extensions import db
from ..models import (
    AUDIENCE_KEYS,
    AccessMode,
    Draft,
    Invitation,
    Invitee,
    QuestionnaireVersion,
    Role,
    SubmissionReceipt,
    Survey,
    SurveyDay,
    SurveyStatus,
    UnusedInvitation,
    User,
    as_utc,
    utcnow,
)
from ..questionnaire import checks
from ..questionnaire.model import Option, Questionnaire, Section
from ..questionnaire.rules import visible_options, with_derived
from ..responses.service import forget_withdrawal_codes, release_batch, used_condition

if TYPE_CHECKING:
    from ..published.models import Publication

MIN_THRESHOLD = 5
NOT_AN_AUDIENCE = {"dk"}  # "Not sure" is an answer, not a group to survey


class SurveyError(ValueError):
    """An organiser's request that cannot be carried out; the message says why, plainly."""


# --- questionnaires and audiences -----------------------------------------------------------


def available_questionnaires() -> dict[str, Questionnaire]:
    """Return the questionnaires a survey can be made from: the files, then approved uploads."""
    found = dict(current_app.extensions["questionnaires"])
    uploads = db.session.scalars(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.origin == "upload", QuestionnaireVersion.approved.is_(True))
        .order_by(QuestionnaireVersion.id)
    )
    for version in uploads:
        found[f"upload-{version.id}"] = version.questionnaire
    return found


def audience_options(questionnaire: Questionnaire, key: str) -> list[Option]:
    """Return the codes an audience part can take (service groups, sectors or regions)."""
    question_id = questionnaire.audience.get(key)
    if question_id is None:
        return []
    return [o for o in questionnaire.question(question_id).choices if o.code not in NOT_AN_AUDIENCE and not o.other]


def audience_problem(questionnaire: Questionnaire, audience: dict) -> str | None:
    """Return what is wrong with an audience for this questionnaire, or None."""
    for key, code in audience.items():
        if key not in questionnaire.audience:
            return f"This questionnaire cannot be limited by {key.replace('_', ' ')}."
        if code not in {o.code for o in audience_options(questionnaire, key)}:
            return f"'{code}' is not a {key.replace('_', ' ')} in this questionnaire."
    if "sector" in audience:
        if "service_group" not in audience:
            return "Choose the service group as well as the sector."
        values = with_derived(questionnaire, {questionnaire.audience["service_group"]: audience["service_group"]}, "en")
        offered = visible_options(questionnaire.question(questionnaire.audience["sector"]), values)
        if audience["sector"] not in {o.code for o in offered}:
            return "That sector is not part of the chosen service group."
    return None


def lost_intros(survey: Survey) -> list[Section]:
    """Return the pages whose introduction this survey's members will not see: a sector (or
    region) survey skips a page that holds only the questions its audience answers."""
    return checks.lost_intros(survey.questionnaire, survey.audience or {})


def describe_audience(questionnaire: Questionnaire, audience: dict, language: str = "en") -> str:
    """Return an audience in words: "Police and justice: Probation; Cymru/Wales"."""
    labels = []
    for key in AUDIENCE_KEYS:
        code = audience.get(key)
        if code:
            option = next((o for o in audience_options(questionnaire, key) if o.code == code), None)
            labels.append((option.label.get(language) or option.label["en"]) if option else code)
    if not labels:
        return "All members"
    if audience.get("sector"):
        labels[0:2] = [f"{labels[0]}: {labels[1]}"]
    return "; ".join(labels)


# --- creating and changing surveys ----------------------------------------------------------


def new_slug(name: str) -> str:
    """Return an address for a survey: its name in lower case, and a random tail."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "survey"
    return f"{base}-{secrets.token_hex(3)}"


def create_survey(user: User, questionnaire: Questionnaire, name: str) -> Survey:
    """Make a draft survey; an organiser's starts with their first scope as its audience. Commits."""
    if user.role == Role.VIEWER:
        raise SurveyError("Viewers cannot make surveys.")
    audience = {}
    if not user.is_admin:
        if not user.scopes:
            raise SurveyError("Your account has no sector or region to survey yet. Ask an administrator.")
        audience = {k: v for k, v in user.scopes[0].items() if v and k in questionnaire.audience}
        if not user.can_reach(audience):
            raise SurveyError("This questionnaire cannot be limited to your sector or region.")
    survey = Survey(
        slug=new_slug(name),
        name=name.strip(),
        questionnaire_version=QuestionnaireVersion.pin(questionnaire),
        audience=audience,
        created_by_id=user.id,
    )
    db.session.add(survey)
    db.session.flush()
    audit.record("created survey", survey, name=survey.name, questionnaire=questionnaire.id)
    db.session.commit()
    return survey


@dataclass
class Settings:
    """What an organiser can set on a draft survey."""

    name: str
    audience: dict
    access: str
    threshold: int
    opens_at: datetime | None
    closes_at: datetime | None


def settings_problem(user: User, survey: Survey, settings: Settings) -> str | None:
    """Return why these settings cannot be saved, or None."""
    if survey.status != SurveyStatus.DRAFT:
        stored = current_settings(survey)
        locked = ("audience", "access", "threshold", "opens_at")
        if any(getattr(settings, name) != getattr(stored, name) for name in locked):
            return (
                "The audience, access, threshold and opening time are locked once a survey has opened, "
                "to protect members. To change them, make a new survey."
            )
    if settings.threshold < MIN_THRESHOLD:
        return f"The threshold cannot be lower than {MIN_THRESHOLD}."
    problem = audience_problem(survey.questionnaire, settings.audience)
    if problem:
        return problem
    if not user.can_reach(settings.audience):
        return "That audience is outside your sectors and regions."
    if settings.opens_at and settings.closes_at and settings.closes_at <= settings.opens_at:
        return "The closing time must be after the opening time."
    if (
        settings.closes_at
        and settings.closes_at <= utcnow()
        and survey.status in (SurveyStatus.DRAFT, SurveyStatus.OPEN)
    ):
        return "The closing time must be in the future."
    return None


def save_settings(user: User, survey: Survey, settings: Settings) -> None:
    """Store settings that passed settings_problem. Commits."""
    survey.name = settings.name.strip()
    survey.closes_at = settings.closes_at
    if survey.status == SurveyStatus.DRAFT:
        survey.audience = settings.audience
        survey.access = settings.access
        survey.threshold = settings.threshold
        survey.opens_at = settings.opens_at
    audit.record(
        "changed settings",
        survey,
        audience=survey.audience,
        access=survey.access,
        threshold=survey.threshold,
        opens_at=survey.opens_at.isoformat() if survey.opens_at else None,
        closes_at=survey.closes_at.isoformat() if survey.closes_at else None,
    )
    db.session.commit()


# --- the life cycle: draft -> open -> closed -> published -> archived -------------------------


def launch(user: User, survey: Survey) -> None:
    """Open a draft (now, or at its opening time), pinning the questionnaire as it is now. Commits."""
    if survey.status != SurveyStatus.DRAFT:
        raise SurveyError("Only a draft survey can be launched.")
    problem = settings_problem(user, survey, current_settings(survey))
    if problem:
        raise SurveyError(problem)
    pinned = survey.questionnaire_version
    if pinned.origin == "file" and pinned.slug in current_app.extensions["questionnaires"]:
        survey.questionnaire_version = QuestionnaireVersion.pin(current_app.extensions["questionnaires"][pinned.slug])
    survey.status = SurveyStatus.OPEN
    survey.launched_at = utcnow()
    audit.record("launched survey", survey, checksum=survey.questionnaire_version.checksum)
    db.session.commit()


def current_settings(survey: Survey) -> Settings:
    """Return a survey's settings as they are stored."""
    return Settings(
        name=survey.name,
        audience=dict(survey.audience or {}),
        access=survey.access,
        threshold=survey.threshold,
        opens_at=as_utc(survey.opens_at) if survey.opens_at else None,
        closes_at=as_utc(survey.closes_at) if survey.closes_at else None,
    )


def close(survey: Survey, reason: str = "closed survey") -> None:
    """Close an open survey: delete drafts and every uploaded identity, then release everything
    that waits (for an invitation survey, the one release of its answers)."""
    if survey.status != SurveyStatus.OPEN:
        raise SurveyError("Only an open survey can be closed.")
    survey.status = SurveyStatus.CLOSED
    survey.closed_at = utcnow()
    forgotten = forget_members(survey)
    audit.record(reason, survey, identities_deleted=forgotten["identities"])
    db.session.commit()
    release_batch(survey, everything=True)  # in its own transaction, shuffled: results gate small groups


def forget_members(survey: Survey) -> dict[str, int]:
    """Delete everything that could tie a member to a finished survey; the caller commits.

    Uploaded emails and sealed links, unfinished drafts and submit receipts go. Every invitation
    that is still live gets, in one statement (so they all share one transaction id), whether it
    was used and a replaced hash, so whoever kept a downloaded list cannot later look up who
    answered; then the unused rows go. Counts (invitations per segment, responses, days) stay.
    """
    forgotten = Invitation.token_hash.like("closed:%")
    unused = exists().where(UnusedInvitation.invitation_id == Invitation.id)
    forget_withdrawal_codes(survey)  # withdrawal codes work only while the survey is open
    return {
        "identities": db.session.execute(delete(Invitee).where(Invitee.survey_id == survey.id)).rowcount,
        "links": db.session.execute(
            update(Invitation)
            .where(Invitation.survey_id == survey.id, ~forgotten)
            .values(used=Invitation.used | ~unused, token_hash=literal("closed:") + cast(Invitation.id, String))
        ).rowcount,
        "unused": db.session.execute(delete(UnusedInvitation).where(UnusedInvitation.survey_id == survey.id)).rowcount,
        "drafts": db.session.execute(delete(Draft).where(Draft.survey_id == survey.id)).rowcount,
        "receipts": db.session.execute(
            delete(SubmissionReceipt).where(SubmissionReceipt.survey_id == survey.id)
        ).rowcount,
    }


def run_retention() -> dict[str, int]:
    """The retention job: close what is due, then make sure finished surveys keep nothing about
    members, and drop drafts past their expiry on open ones. Safe to run again and again."""
    totals = {"closed": close_due_surveys(), "identities": 0, "links": 0, "unused": 0, "drafts": 0, "receipts": 0}
    finished = db.session.scalars(
        select(Survey).where(Survey.status.in_([SurveyStatus.CLOSED, SurveyStatus.PUBLISHED, SurveyStatus.ARCHIVED]))
    )
    for survey in list(finished):
        release_batch(survey, everything=True)
        counts = forget_members(survey)
        if any(counts.values()):
            audit.record("retention: deleted member data", survey, **counts)
        db.session.commit()
        for key, value in counts.items():
            totals[key] += value
    expired = db.session.execute(delete(Draft).where(Draft.expires_at < utcnow())).rowcount
    db.session.commit()
    totals["drafts"] += expired
    return totals


# --- publishing: what delegates see at /r/<slug> (survey/published) ----------------------------
# survey/published is imported inside the functions: its blueprint's views import this module.


@dataclass
class PublicationChoice:
    """What an organiser chose to publish, and how it is released."""

    questions: list[str]
    breakdowns: list[str]
    findings: list[str]  # for the conference screen; [] means the headline findings
    embargo_until: datetime | None
    access_code: str | None  # a new code to set; None keeps the stored one
    remove_code: bool = False


MIN_ACCESS_CODE = 6


def publication_problem(survey: Survey, choice: PublicationChoice) -> str | None:
    """Return why this choice cannot be saved, or None."""
    from .. import results
    from ..published.access import normal_code

    if survey.status not in (SurveyStatus.CLOSED, SurveyStatus.PUBLISHED):
        return "Results can be published once the survey has closed."
    known = {q.id for q in survey.questionnaire.questions}
    if not choice.questions or set(choice.questions) - known:
        return "Choose at least one question to publish."
    dimensions = {d.id for d in results.dimensions(survey) if not d.fixed}
    if set(choice.breakdowns) - dimensions:
        return "Choose breakdowns from the list."
    if choice.access_code is not None and len(normal_code(choice.access_code)) < MIN_ACCESS_CODE:
        return f"Make the access code at least {MIN_ACCESS_CODE} letters or digits long."
    return None


def save_publication(survey: Survey, choice: PublicationChoice) -> Publication:
    """Store what to publish; if the results are already public, the change is live. Commits."""
    from ..published.access import hash_code, publication_of
    from ..published.models import Publication, PublicationState

    problem = publication_problem(survey, choice)
    if problem:
        raise SurveyError(problem)
    publication = publication_of(survey) or Publication(survey_id=survey.id, state=PublicationState.DRAFT)
    db.session.add(publication)
    order = [q.id for q in survey.questionnaire.questions]
    publication.questions = sorted(set(choice.questions), key=order.index)
    publication.breakdowns = list(dict.fromkeys(choice.breakdowns))
    publication.findings = list(dict.fromkeys(choice.findings))
    publication.embargo_until = choice.embargo_until
    if choice.remove_code:
        publication.code_hash = None
    elif choice.access_code is not None:
        publication.code_hash = hash_code(choice.access_code)
    live = publication.state == PublicationState.PUBLISHED
    if live:
        publication.version = (publication.version or 0) + 1
    db.session.flush()
    audit.record("changed published results" if live else "chose what to publish", survey, **_described(publication))
    db.session.commit()
    return publication


def _described(publication: Publication) -> dict:
    """Return what the audit log keeps of a publication (never the access code)."""
    return {
        "version": publication.version,
        "questions": publication.questions,
        "breakdowns": publication.breakdowns,
        "screen_findings": publication.findings,
        "embargo_until": as_utc(publication.embargo_until).isoformat() if publication.embargo_until else None,
        "access_code": publication.code_hash is not None,
    }


def publish(survey: Survey) -> None:
    """Publish a closed survey's results as chosen (or the default choice), from the embargo time
    if one is set. Commits."""
    from ..published.access import default_release, publication_of
    from ..published.models import Publication, PublicationState

    if survey.status != SurveyStatus.CLOSED:
        raise SurveyError("Only a closed survey can be published.")
    publication = publication_of(survey)
    if publication is None:  # published without choosing: every question but free text
        chosen = default_release(survey)
        publication = Publication(survey_id=survey.id, questions=chosen.questions, breakdowns=chosen.breakdowns)
        db.session.add(publication)
    publication.state = PublicationState.PUBLISHED
    publication.version = (publication.version or 0) + 1
    publication.published_at = utcnow()
    publication.withdrawn_at = None
    survey.status = SurveyStatus.PUBLISHED
    db.session.flush()
    audit.record("published results", survey, **_described(publication))
    db.session.commit()


def withdraw(survey: Survey) -> None:
    """Take published results down: the page says they were withdrawn, the API stops serving them. Commits."""
    from ..published.access import publication_of
    from ..published.models import Publication, PublicationState

    publication = publication_of(survey)
    if survey.status != SurveyStatus.PUBLISHED:
        raise SurveyError("Only published results can be withdrawn.")
    if publication is None:
        publication = Publication(survey_id=survey.id, version=1, **_everything(survey))
        db.session.add(publication)
    publication.state = PublicationState.WITHDRAWN
    publication.withdrawn_at = utcnow()
    survey.status = SurveyStatus.CLOSED
    audit.record("withdrew published results", survey, version=publication.version)
    db.session.commit()


def _everything(survey: Survey) -> dict:
    """What a survey published before publications were chosen had published."""
    from ..published.access import release_of

    release = release_of(survey)
    return {"questions": release.questions, "breakdowns": release.breakdowns} if release else {}


def archive(survey: Survey) -> None:
    """Put a closed or published survey away; nothing about it changes any more. Commits."""
    if survey.status not in (SurveyStatus.CLOSED, SurveyStatus.PUBLISHED):
        raise SurveyError("Only a closed or published survey can be archived.")
    survey.status = SurveyStatus.ARCHIVED
    audit.record("archived survey", survey)
    db.session.commit()


def close_due_surveys() -> int:
    """Close every open survey whose closing time has passed; return how many. Safe to run often."""
    due = list(
        db.session.scalars(
            select(Survey).where(
                Survey.status == SurveyStatus.OPEN, Survey.closes_at.is_not(None), Survey.closes_at <= utcnow()
            )
        )
    )
    for survey in due:
        close(survey, reason="closed survey at its closing time")
    return len(due)


def visible_surveys(user: User) -> list[Survey]:
    """Return the surveys a user may see, newest first."""
    surveys = db.session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc()))
    return [s for s in surveys if user.can_reach(s.audience or {})]


# --- tracking -------------------------------------------------------------------------------


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
    days: list[tuple[datetime, int, int]]  # (day, started, submitted)
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
    days = list(
        db.session.execute(
            select(SurveyDay.day, func.sum(SurveyDay.started), func.sum(SurveyDay.submitted))
            .where(SurveyDay.survey_id == survey.id)
            .group_by(SurveyDay.day)
            .order_by(SurveyDay.day)
        ).all()
    )
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
    from .. import results  # here: the results engine is imported only where it is used

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
    from ..results import protection  # here: the results engine is imported only where it is used

    shown = []
    for name, invited, used, key_sum in sorted(rows):
        published = protection.published_count(used, key_sum)
        if protection.shown(used, published, k):
            shown.append(Segment(name, invited, published, min(published / invited, 1.0) if invited else None))
        else:
            shown.append(Segment(name, invited, None, None))
    return shown
