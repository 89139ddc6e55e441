"""A survey as the member journey reads it: one small query per request, no ORM object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import QuestionnaireVersion, Survey, member_state, pinned_questionnaire
from ..questionnaire.model import Questionnaire


@dataclass(frozen=True)
class MemberSurvey:
    """A survey as the member journey reads it: one small query per request, no ORM object.

    Read afresh on every request, so a survey closed a moment ago refuses answers at once; only
    the parsed questionnaire comes from this process's cache (models.pinned_questionnaire), and
    the pinned text is never read once that cache is warm.
    """

    id: int
    slug: str
    status: str
    access: str
    threshold: int
    audience: dict
    opens_at: datetime | None
    closes_at: datetime | None
    questionnaire_version_id: int
    questionnaire: Questionnaire  # the whole pinned questionnaire
    member_questionnaire: Questionnaire  # as this survey's members answer it: the audience's answers fixed

    def title(self, language: str) -> str:
        """Return the survey's title in a language."""
        return self.questionnaire.title[language]

    def state(self, now: datetime | None = None) -> str:
        """Return "open", "not_yet_open" or "closed", as members see the survey now."""
        return member_state(self.status, self.opens_at, self.closes_at, now)


AnySurvey = Survey | MemberSurvey  # the journey passes a MemberSurvey; organisers' code a Survey

# Built once, on the tables rather than the ORM classes (a plain Core statement costs about
# half): the member journey reads its survey on nearly every request.
_SURVEY, _VERSION = Survey.__table__, QuestionnaireVersion.__table__
_OWN = ("id", "slug", "status", "access", "threshold", "audience", "opens_at", "closes_at", "questionnaire_version_id")
_SURVEY_BY_SLUG = (
    select(
        *(_SURVEY.c[name] for name in _OWN),
        _VERSION.c.slug.label("pinned_slug"),
        _VERSION.c.checksum,
        _VERSION.c.version,
    )
    .join_from(_SURVEY, _VERSION, _VERSION.c.id == _SURVEY.c.questionnaire_version_id)
    .where(_SURVEY.c.slug == bindparam("slug"))
)


def find_survey(slug: str) -> MemberSurvey | None:
    """Return the survey with this slug as the member journey needs it, or None."""
    row = db.session.execute(_SURVEY_BY_SLUG, {"slug": slug}).first()
    if row is None:
        return None
    version_id = row.questionnaire_version_id

    def source() -> str:  # read only when this process has not parsed the pinned text yet
        return db.session.execute(select(_VERSION.c.source).where(_VERSION.c.id == version_id)).scalar_one()

    pinned = (row.pinned_slug, row.checksum, row.version, source)
    return MemberSurvey(
        **{name: getattr(row, name) for name in _OWN},
        questionnaire=pinned_questionnaire(*pinned),
        member_questionnaire=pinned_questionnaire(*pinned, audience=row.audience or {}),
    )
