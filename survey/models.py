"""Database models. Schema changes go through Alembic migrations in migrations/ only."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .questionnaire.loader import load_text
from .questionnaire.model import Questionnaire

JSON_TYPE = JSON().with_variant(JSONB(), "postgresql")


def as_utc(moment: datetime) -> datetime:
    """Return a datetime with its time zone (SQLite hands back naive UTC values)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """Return the current time in UTC (for staff-facing records, never beside answers)."""
    return datetime.now(UTC)


class SurveyStatus(enum.StrEnum):
    """Where a survey is in its life."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class AccessMode(enum.StrEnum):
    """How members reach a survey."""

    OPEN_LINK = "open_link"
    INVITATION = "invitation"


class QuestionnaireVersion(db.Model):
    """The exact text of a questionnaire file as it was when a survey was made from it."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("slug", "checksum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @classmethod
    def pin(cls, questionnaire: Questionnaire) -> QuestionnaireVersion:
        """Return the stored copy of this questionnaire's text, storing it the first time."""
        found = db.session.scalar(
            select(cls).where(cls.slug == questionnaire.id, cls.checksum == questionnaire.checksum)
        )
        if found is None:
            found = cls(
                slug=questionnaire.id,
                version=questionnaire.version,
                checksum=questionnaire.checksum,
                source=questionnaire.source,
            )
            db.session.add(found)
        return found

    @property
    def questionnaire(self) -> Questionnaire:
        """Return the validated questionnaire this row pins."""
        return _parse_pinned(self.source, f"{self.slug} v{self.version}")


@lru_cache(maxsize=64)
def _parse_pinned(source: str, name: str) -> Questionnaire:
    return load_text(source, name)


class Survey(db.Model):
    """One launched run of a questionnaire, with its audience, dates, access and threshold."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    status: Mapped[str] = mapped_column(String(20), default=SurveyStatus.DRAFT)
    access: Mapped[str] = mapped_column(String(20), default=AccessMode.OPEN_LINK)
    threshold: Mapped[int] = mapped_column(Integer, default=10)
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()

    @property
    def questionnaire(self) -> Questionnaire:
        """Return the questionnaire as it was pinned for this survey."""
        return self.questionnaire_version.questionnaire

    def title(self, language: str) -> str:
        """Return the survey's title in a language."""
        return self.questionnaire.title[language]

    def state(self, now: datetime | None = None) -> str:
        """Return "open", "not_yet_open" or "closed", as members see the survey now."""
        now = now or utcnow()
        if self.status == SurveyStatus.DRAFT or (self.opens_at and as_utc(self.opens_at) > now):
            return "not_yet_open"
        if self.status != SurveyStatus.OPEN or (self.closes_at and as_utc(self.closes_at) <= now):
            return "closed"
        return "open"

    @classmethod
    def open_link_surveys_open_now(cls) -> list[Survey]:
        """Return the open-link surveys members can answer now, newest first."""
        now = utcnow()
        query = (
            select(cls)
            .where(cls.status == SurveyStatus.OPEN, cls.access == AccessMode.OPEN_LINK)
            .where((cls.opens_at.is_(None)) | (cls.opens_at <= now))
            .where((cls.closes_at.is_(None)) | (cls.closes_at > now))
            .order_by(cls.created_at.desc())
        )
        return list(db.session.scalars(query))


class Invitation(db.Model):
    """A single-use invitation: only the SHA-256 of its token is stored, never the token."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)

    survey: Mapped[Survey] = relationship()


class Draft(db.Model):
    """Answers in progress, encrypted with a key only the member's link or code can make.

    `lookup` is a hash of the member's secret (their invitation token or resume code); the
    answers are encrypted with another key derived from the same secret, so a copy of the
    database alone can neither find nor read a member's draft.
    """

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    lookup: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SubmissionReceipt(db.Model):
    """Proof that a submit form was already used (so a double tap shows thank-you, not an error).

    Holds only a hash of the random key in the submit form: nothing about the member or answers.
    Deleted when the survey closes.
    """

    __tablename__ = "submission_receipt"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)


class _Submitted:
    """The columns a submitted response carries, pending or released: no identifier, no time."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    language: Mapped[str] = mapped_column(String(2))
    answers: Mapped[dict] = mapped_column(JSON_TYPE)


class PendingSubmission(_Submitted, db.Model):
    """A submitted response waiting to be released into `response` in a shuffled batch.

    It exists so that the transaction that uses an invitation never writes a `response` row:
    responses are written later, k or more at a time, in random order, by another transaction.
    """

    __tablename__ = "pending_submission"


class Response(_Submitted, db.Model):
    """One member's submitted answers: one row, random id, no identifier, no time."""

    __tablename__ = "response"
