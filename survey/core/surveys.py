"""Surveys as organisers run them: create, settings, launch, close, archive, retention.

The life cycle is draft -> open -> closed -> published -> archived; publishing is
survey/core/publication.py. Every change is recorded in the audit log in the same transaction.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import String, cast, delete, exists, literal, select, update

from ..extensions import changed, db
from ..models import (
    Draft,
    Invitation,
    Invitee,
    QuestionnaireVersion,
    Role,
    SubmissionReceipt,
    Survey,
    SurveyStatus,
    UnusedInvitation,
    User,
    as_utc,
    utcnow,
)
from ..questionnaire.model import Questionnaire
from . import audit
from .audience import audience_problem, describe_audience, slices_for
from .submissions import release_batch
from .withdrawal import forget_withdrawal_codes

MIN_THRESHOLD = 5


class SurveyError(ValueError):
    """An organiser's request that cannot be carried out; the message says why, plainly."""


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


def visible_surveys(user: User) -> list[Survey]:
    """Return the surveys a user may see, newest first."""
    surveys = db.session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc()))
    return [s for s in surveys if user.can_reach(s.audience or {})]


def visible_slices(user: User) -> list[tuple[Survey, int, str]]:
    """Return the slices of wider surveys this account sees (docs/results.md, "Slices"), newest
    survey first: each survey, the slice's number among its slices, and the slice's audience in words."""
    surveys = db.session.scalars(select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc()))
    return [
        (survey, index, describe_audience(survey.questionnaire, parts))
        for survey in surveys
        for index, parts in enumerate(slices_for(user, survey))
    ]


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


# --- the life cycle: draft -> open -> closed -> (published) -> archived ------------------------


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


def archive(survey: Survey) -> None:
    """Put a closed or published survey away; nothing about it changes any more. Commits."""
    if survey.status not in (SurveyStatus.CLOSED, SurveyStatus.PUBLISHED):
        raise SurveyError("Only a closed or published survey can be archived.")
    survey.status = SurveyStatus.ARCHIVED
    audit.record("archived survey", survey)
    db.session.commit()


# --- retention: what a finished survey keeps about members -------------------------------------


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
        "identities": changed(delete(Invitee).where(Invitee.survey_id == survey.id)),
        "links": changed(
            update(Invitation)
            .where(Invitation.survey_id == survey.id, ~forgotten)
            .values(used=Invitation.used | ~unused, token_hash=literal("closed:") + cast(Invitation.id, String))
        ),
        "unused": changed(delete(UnusedInvitation).where(UnusedInvitation.survey_id == survey.id)),
        "drafts": changed(delete(Draft).where(Draft.survey_id == survey.id)),
        "receipts": changed(delete(SubmissionReceipt).where(SubmissionReceipt.survey_id == survey.id)),
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
            deleted: dict[str, Any] = dict(counts)  # detail only: no key is one of record's own arguments
            audit.record("retention: deleted member data", survey, **deleted)
        db.session.commit()
        for key, value in counts.items():
            totals[key] += value
    expired = changed(delete(Draft).where(Draft.expires_at < utcnow()))
    db.session.commit()
    totals["drafts"] += expired
    return totals
