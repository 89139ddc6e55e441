"""Publication: what delegates may see of a survey's results, and the one place that decides it.

An organiser chooses questions, breakdowns, the screen's findings, an embargo and an access code
(a `PublicationChoice`), then publishes, changes or withdraws; it is stored as a `Publication`
and read by the published pages, the API and the home page as a `PublicationView`.

A survey's results are public when it is "published", its publication is not withdrawn, the
embargo has passed and, when an access code is set, the browser has given the code (the web
faces keep the codes a browser gave in its session, under GIVEN_CODES, as fingerprints). The
public then sees only the questions and breakdowns the organiser chose. Staff in the survey's
scope see everything, as on their dashboards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from .. import results
from ..extensions import db
from ..models import Publication, PublicationState, Survey, SurveyStatus, as_utc, utcnow
from ..questionnaire.model import TEXT_TYPES
from ..questionnaire.rules import references
from . import audit
from .surveys import SurveyError

hasher = PasswordHasher()
MIN_ACCESS_CODE = 6
GIVEN_CODES = "published_codes"  # the session key where web faces keep {slug: code_fingerprint(hash)}

# What a delegate finds at a survey's published address.
NOT_FOUND, GONE, NEEDS_CODE, OPEN = "not_found", "gone", "needs_code", "open"


@dataclass
class PublicationView:
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


@dataclass
class PublicationChoice:
    """What an organiser chose to publish, and how."""

    questions: list[str]
    breakdowns: list[str]
    findings: list[str]  # for the conference screen; [] means the headline findings
    embargo_until: datetime | None
    access_code: str | None  # a new code to set; None keeps the stored one
    remove_code: bool = False


# --- reading a publication ----------------------------------------------------------------------


def survey_by_slug(slug: str) -> Survey | None:
    """Return the survey at this address, or None."""
    return db.session.scalar(select(Survey).where(Survey.slug == slug))


def publication_of(survey: Survey) -> Publication | None:
    """Return the survey's stored publication, or None."""
    return db.session.scalar(select(Publication).where(Publication.survey_id == survey.id))


def default_publication(survey: Survey) -> PublicationView:
    """Return the starting choice: every question but free text, every breakdown the survey has.

    A sector survey (audience "Police and justice: Probation") does not ask the questions its
    audience answers: every member's answer is fixed, and published they would read "Police and
    justice 100%". Those questions, and breakdowns made only from them, are left out."""
    questionnaire = survey.questionnaire
    fixed = set(questionnaire.for_audience(survey.audience or {}).fixed)

    def fixed_by_audience(dimension: str) -> bool:
        sources = _made_from(survey, dimension)
        return bool(sources) and sources <= fixed

    return PublicationView(
        questions=[q.id for q in questionnaire.questions if q.type not in TEXT_TYPES and q.id not in fixed],
        breakdowns=[d.id for d in results.dimensions(survey) if not d.fixed and not fixed_by_audience(d.id)],
    )


def _made_from(survey: Survey, dimension: str) -> set[str]:
    """Return the questions a breakdown is worked out from (itself, for a question)."""
    derived = next((d for d in survey.questionnaire.derived if d.id == dimension), None)
    if derived is None:
        return {dimension}
    found = {derived.source} if derived.source else set()
    for case in derived.cases:
        found |= {reference.split(".")[0] for reference, _values in references(case.when)}
    return found


def publication_view_of(survey: Survey) -> PublicationView | None:
    """Return the survey's publication as a PublicationView; a survey published before choices
    existed (status "published", no publication row) publishes everything, as it did then."""
    stored = publication_of(survey)
    if stored is None:
        if survey.status != SurveyStatus.PUBLISHED:
            return None
        return PublicationView(
            questions=[q.id for q in survey.questionnaire.questions],
            breakdowns=[d.id for d in results.dimensions(survey) if not d.fixed],
        )
    return PublicationView(
        questions=list(stored.questions or []),
        breakdowns=list(stored.breakdowns or []),
        findings=list(stored.findings or []),
        embargo_until=as_utc(stored.embargo_until) if stored.embargo_until else None,
        code_hash=stored.code_hash,
        version=stored.version or 1,
        published_at=as_utc(stored.published_at) if stored.published_at else None,
        state=stored.state,
    )


def public_state(
    survey: Survey | None, given_codes: Mapping[str, str] | None = None, now: datetime | None = None
) -> tuple[str, PublicationView | None]:
    """Return what a delegate may see of a survey's results now, and the publication.

    `given_codes` is what the delegate's browser holds: {slug: code_fingerprint(code hash)} of
    the access codes it gave (the web faces keep it in the session under GIVEN_CODES)."""
    if survey is None:
        return NOT_FOUND, None
    view = publication_view_of(survey)
    if view is None:
        return NOT_FOUND, None
    if survey.status != SurveyStatus.PUBLISHED or view.state != PublicationState.PUBLISHED:
        # Withdrawn, or archived after publication: say it has gone. Never published: not found.
        was_public = view.state == PublicationState.WITHDRAWN or view.published_at is not None
        return (GONE if was_public else NOT_FOUND), None
    if view.embargo_until and view.embargo_until > (now or utcnow()):
        return NOT_FOUND, None  # nothing before the embargo, not even that it exists
    if view.code_hash and (given_codes or {}).get(survey.slug) != code_fingerprint(view.code_hash):
        return NEEDS_CODE, view
    return OPEN, view


# --- access codes -------------------------------------------------------------------------------


def hash_code(code: str) -> str:
    """Return an Argon2id hash of an access code (the code itself is never stored)."""
    return hasher.hash(normal_code(code))


def normal_code(code: str) -> str:
    """Return a typed code without spaces or case, so "Hall 7" and "hall7" are the same code."""
    return "".join(code.split()).lower()


def code_fingerprint(code_hash: str) -> str:
    """Return what a browser keeps to show it gave the code of this hash (never the code)."""
    return hashlib.sha256(code_hash.encode()).hexdigest()[:16]


def code_matches(view: PublicationView, code: str) -> bool:
    """Return whether a typed access code opens this publication (always, when it has none)."""
    if not view.code_hash:
        return True
    try:
        hasher.verify(view.code_hash, normal_code(code))
    except (VerificationError, InvalidHashError):
        return False
    return True


# --- an organiser's choice, publishing and withdrawing ----------------------------------------


def publication_problem(survey: Survey, choice: PublicationChoice) -> str | None:
    """Return why this choice cannot be saved, or None."""
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
    if survey.status != SurveyStatus.CLOSED:
        raise SurveyError("Only a closed survey can be published.")
    publication = publication_of(survey)
    if publication is None:  # published without choosing: every question but free text
        chosen = default_publication(survey)
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
    view = publication_view_of(survey)
    return {"questions": view.questions, "breakdowns": view.breakdowns} if view else {}
