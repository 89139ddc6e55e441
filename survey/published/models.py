"""What an organiser chose to publish of a survey's results, and when and how it is released."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Survey, utcnow


class PublicationState(enum.StrEnum):
    """Where a publication is: being prepared, public (perhaps after an embargo), or taken down."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Publication(db.Model):
    """A survey's published results: which questions and breakdowns, an embargo, an access code.

    One per survey. `version` goes up each time the published content changes, so a printed
    briefing can cite the release it came from. The access code is stored only as a hash.
    """

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(20), default=PublicationState.DRAFT)
    questions: Mapped[list] = mapped_column(JSON, default=list)  # question ids, in questionnaire order
    breakdowns: Mapped[list] = mapped_column(JSON, default=list)  # dimension ids
    findings: Mapped[list] = mapped_column(JSON, default=list)  # conference screen: finding keys; [] = headline
    embargo_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    code_hash: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    survey: Mapped[Survey] = relationship()
