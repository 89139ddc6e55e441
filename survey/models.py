"""Database models. Schema changes go through Alembic migrations in migrations/ only."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .questionnaire.loader import load_text
from .questionnaire.model import Questionnaire


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
