"""Who may read a survey's published results, and which of them: the one place that decides.

A survey's results are public when it is "published", its publication is not withdrawn, the
embargo has passed and, when an access code is set, this browser has given the code. The public
then sees only the questions and breakdowns the organiser chose. Staff in the survey's scope see
everything, as on their dashboards.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import session
from sqlalchemy import select

from ..extensions import db
from ..models import Survey, SurveyStatus, as_utc, utcnow
from .models import Publication, PublicationState

hasher = PasswordHasher()
TEXT_TYPES = ("text", "long_text")
UNLOCKED = "published_codes"  # session key: {slug: fingerprint of the code hash}


@dataclass
class Release:
    """What is (or would be) published of a survey, read-only."""

    questions: list[str]
    breakdowns: list[str]
    findings: list[str] = field(default_factory=list)
    embargo_until: datetime | None = None
    code_hash: str | None = None
    version: int = 1
    published_at: datetime | None = None
    state: str = PublicationState.PUBLISHED

    def has_question(self, question_id: str) -> bool:
        """Return whether a question (or a grid statement "C2.a") is published."""
        return question_id.split(".")[0] in self.questions

    def allows(self, by: str | None, filters: dict[str, str]) -> bool:
        """Return whether a breakdown and filters use published breakdowns only."""
        return (by is None or by in self.breakdowns) and all(d in self.breakdowns for d in filters)


def default_release(survey: Survey) -> Release:
    """Return the starting choice: every question but free text, every breakdown the survey has.

    A sector survey (audience "Police and justice: Probation") does not ask the questions its
    audience answers: every member's answer is fixed, and published they would read "Police and
    justice 100%". Those questions, and breakdowns made only from them, are left out."""
    from .. import results
    from ..questionnaire.rules import references

    questionnaire = survey.questionnaire
    fixed = set(questionnaire.for_audience(survey.audience or {}).fixed)

    def made_from(dimension: str) -> set[str]:
        derived = next((d for d in questionnaire.derived if d.id == dimension), None)
        if derived is None:
            return {dimension}
        found = {derived.source} if derived.source else set()
        for case in derived.cases:
            found |= {reference.split(".")[0] for reference, _values in references(case.when)}
        return found

    def fixed_by_audience(dimension: str) -> bool:
        sources = made_from(dimension)
        return bool(sources) and sources <= fixed

    return Release(
        questions=[q.id for q in questionnaire.questions if q.type not in TEXT_TYPES and q.id not in fixed],
        breakdowns=[d.id for d in results.dimensions(survey) if not d.fixed and not fixed_by_audience(d.id)],
    )


def publication_of(survey: Survey) -> Publication | None:
    """Return the survey's stored publication, or None."""
    return db.session.scalar(select(Publication).where(Publication.survey_id == survey.id))


def release_of(survey: Survey) -> Release | None:
    """Return the survey's publication as a Release; a survey published before choices existed
    (status "published", no publication row) publishes everything, as it did then."""
    stored = publication_of(survey)
    if stored is None:
        if survey.status != SurveyStatus.PUBLISHED:
            return None
        from .. import results

        questionnaire = survey.questionnaire
        return Release(
            questions=[q.id for q in questionnaire.questions],
            breakdowns=[d.id for d in results.dimensions(survey) if not d.fixed],
        )
    return Release(
        questions=list(stored.questions or []),
        breakdowns=list(stored.breakdowns or []),
        findings=list(stored.findings or []),
        embargo_until=as_utc(stored.embargo_until) if stored.embargo_until else None,
        code_hash=stored.code_hash,
        version=stored.version or 1,
        published_at=as_utc(stored.published_at) if stored.published_at else None,
        state=stored.state,
    )


def hash_code(code: str) -> str:
    """Return an Argon2id hash of an access code (the code itself is never stored)."""
    return hasher.hash(normal_code(code))


def normal_code(code: str) -> str:
    """Return a typed code without spaces or case, so "Hall 7" and "hall7" are the same code."""
    return "".join(code.split()).lower()


def _fingerprint(code_hash: str) -> str:
    return hashlib.sha256(code_hash.encode()).hexdigest()[:16]


def check_code(survey: Survey, release: Release, code: str) -> bool:
    """Check a typed access code; on success remember it in this browser's session."""
    if not release.code_hash:
        return True
    try:
        hasher.verify(release.code_hash, normal_code(code))
    except (VerificationError, InvalidHashError):
        return False
    session[UNLOCKED] = {**session.get(UNLOCKED, {}), survey.slug: _fingerprint(release.code_hash)}
    return True


def unlocked(survey: Survey, release: Release) -> bool:
    """Return whether this browser may read a release that needs an access code."""
    if not release.code_hash:
        return True
    return session.get(UNLOCKED, {}).get(survey.slug) == _fingerprint(release.code_hash)


# What a public visitor finds at a survey's published address.
NOT_FOUND, GONE, NEEDS_CODE, OPEN = "not_found", "gone", "needs_code", "open"


def public_state(survey: Survey | None, now: datetime | None = None) -> tuple[str, Release | None]:
    """Return what the public may see of a survey's results now, and the release."""
    if survey is None:
        return NOT_FOUND, None
    release = release_of(survey)
    if release is None:
        return NOT_FOUND, None
    if survey.status != SurveyStatus.PUBLISHED or release.state != PublicationState.PUBLISHED:
        # Withdrawn, or archived after publication: say it has gone. Never published: not found.
        was_public = release.state == PublicationState.WITHDRAWN or release.published_at is not None
        return (GONE if was_public else NOT_FOUND), None
    if release.embargo_until and release.embargo_until > (now or utcnow()):
        return NOT_FOUND, None  # nothing before the embargo, not even that it exists
    if not unlocked(survey, release):
        return NEEDS_CODE, release
    return OPEN, release


def survey_by_slug(slug: str) -> Survey | None:
    """Return the survey at this address, or None."""
    return db.session.scalar(select(Survey).where(Survey.slug == slug))
