"""Database models. Schema changes go through Alembic migrations in migrations/ only."""

from __future__ import annotations

import enum
import secrets
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    event,
    false,
    inspect,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .extensions import db
from .questionnaire.loader import load_text
from .questionnaire.model import Questionnaire

JSON_TYPE = JSON().with_variant(JSONB(), "postgresql")
LONDON = ZoneInfo("Europe/London")  # the time zone organisers and members read dates in
RECORD_KEYS = 4096  # survey/results/protection.py KEYS (models sit below the results engine)


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


class Role(enum.StrEnum):
    """What a staff account may do."""

    ADMIN = "admin"  # everything, every scope; accounts and questionnaire files
    ORGANISER = "organiser"  # launch and run surveys within their scopes
    VIEWER = "viewer"  # read-only: surveys and results within their scopes


AUDIENCE_KEYS = ("service_group", "sector", "region")


def within(audience: dict, scope: dict) -> bool:
    """Return whether a survey's audience lies inside a scope: every part the scope sets, it sets the same."""
    return all(audience.get(key) == code for key, code in scope.items() if code)


class User(UserMixin, db.Model):
    """A staff account: an administrator, organiser or viewer. Members never have accounts."""

    __tablename__ = "staff_user"
    session_token = ""  # set when a session loads the user: Flask-Login keeps it in the cookie

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=Role.ORGANISER)
    # A list of audiences, e.g. [{"service_group": "police_justice", "sector": "probation"}].
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)  # refuses a code used before
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def get_id(self) -> str:
        """Return what Flask-Login keeps in the cookie: the session token, never the account id."""
        return self.session_token

    @property
    def is_admin(self) -> bool:
        """Return whether this is an administrator."""
        return self.role == Role.ADMIN

    def can_reach(self, audience: dict) -> bool:
        """Return whether a survey for this audience is inside the account's scopes."""
        return self.is_admin or any(within(audience, scope) for scope in self.scopes or [])


class StaffSession(db.Model):
    """A signed-in staff session. The cookie holds a random token; only its hash is here.

    Signing out deletes the row, so the old cookie stops working; an idle or old row is refused.
    """

    __tablename__ = "staff_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()


class AuditEvent(db.Model):
    """Who did what, when, to which survey. Never answers, never a member's identity."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))  # an email, or "command line"
    action: Mapped[str] = mapped_column(String(60))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("survey.id", ondelete="SET NULL"), index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class QuestionnaireVersion(db.Model):
    """The exact text of a questionnaire file as it was when a survey was made from it."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("slug", "checksum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    checksum: Mapped[str] = mapped_column(String(64))
    # The file's text (~100 KB for ai-at-work): deferred, read only to parse a version that this
    # process has not parsed yet (see pinned_questionnaire), never on a member's request once warm.
    source: Mapped[str] = mapped_column(Text, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # "file" for questionnaires/; "upload" for a file an administrator uploaded, usable once approved.
    origin: Mapped[str] = mapped_column(String(10), default="file")
    approved: Mapped[bool] = mapped_column(Boolean, default=True)

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
        return pinned_questionnaire(self.slug, self.checksum, self.version, lambda: self.source)

    def for_audience(self, audience: dict | None) -> Questionnaire:
        """Return the questionnaire this row pins as a survey for this audience asks it."""
        return pinned_questionnaire(self.slug, self.checksum, self.version, lambda: self.source, audience)


_PINNED: dict[tuple, Questionnaire] = {}  # (slug, checksum, audience) -> parsed; oldest first
_PINNED_LOCK = threading.Lock()
PINNED_CACHE_SIZE = 256


def pinned_questionnaire(
    slug: str, checksum: str, version: int, source: Callable[[], str], audience: dict | None = None
) -> Questionnaire:
    """Return a pinned questionnaire (as asked of an audience, if one is given), parsed once per process.

    Keyed by the pinned row's slug and checksum, not its id (a test database or a discarded
    upload can reuse an id): the checksum is the SHA-256 of the text (loader.load_text) and a
    pinned row never changes, so the key names the text exactly. `source` is called only on a
    miss, so the ~100 KB text (a deferred column) is read once per process, not per request.
    """
    parts = tuple(sorted((audience or {}).items())) if audience is not None else None
    key = (slug, checksum, parts)
    found = _PINNED.get(key)
    if found is not None:
        return found
    if parts is None:
        found = load_text(source(), f"{slug} v{version}", pinned=True)
    else:
        found = pinned_questionnaire(slug, checksum, version, source).for_audience(dict(parts))
    with _PINNED_LOCK:
        while len(_PINNED) >= PINNED_CACHE_SIZE:
            del _PINNED[next(iter(_PINNED))]
        return _PINNED.setdefault(key, found)


def member_state(
    status: str, opens_at: datetime | None, closes_at: datetime | None, now: datetime | None = None
) -> str:
    """Return "open", "not_yet_open" or "closed", as members see a survey now."""
    now = now or utcnow()
    if status == SurveyStatus.DRAFT or (opens_at and as_utc(opens_at) > now):
        return "not_yet_open"
    if status != SurveyStatus.OPEN or (closes_at and as_utc(closes_at) <= now):
        return "closed"
    return "open"


class Survey(db.Model):
    """One launched run of a questionnaire, with its audience, dates, access and threshold."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")  # what staff call it; members see the title
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    status: Mapped[str] = mapped_column(String(20), default=SurveyStatus.DRAFT)
    # Who it is for, e.g. {"service_group": "police_justice", "sector": "probation"}; {} is everyone.
    audience: Mapped[dict] = mapped_column(JSON, default=dict)
    access: Mapped[str] = mapped_column(String(20), default=AccessMode.OPEN_LINK)
    threshold: Mapped[int] = mapped_column(Integer, default=10)
    # Percentages weighted to the newest membership profile (survey/core/weighting.py; ADR 0027).
    weighted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    opens_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    launched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When answers were last released to results while open (open-link surveys only): a staff-
    # facing time that paces live releases, never beside answers (core/submissions.py).
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The earlier wave this survey is compared with (survey/core/waves.py, survey/results/waves.py).
    previous_survey_id: Mapped[int | None] = mapped_column(ForeignKey("survey.id", ondelete="SET NULL"))

    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    previous_survey: Mapped[Survey | None] = relationship(remote_side=[id], foreign_keys=[previous_survey_id])

    @property
    def questionnaire(self) -> Questionnaire:
        """Return the whole questionnaire as it was pinned for this survey (for results)."""
        return self.questionnaire_version.questionnaire

    @property
    def member_questionnaire(self) -> Questionnaire:
        """Return the questionnaire as this survey's members answer it: the audience's answers fixed."""
        return self.questionnaire_version.for_audience(self.audience)

    def title(self, language: str) -> str:
        """Return the survey's title in a language."""
        return self.questionnaire.title[language]

    def state(self, now: datetime | None = None) -> str:
        """Return "open", "not_yet_open" or "closed", as members see the survey now."""
        return member_state(self.status, self.opens_at, self.closes_at, now)

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


LOCKED_ONCE_OPEN = ("audience", "access", "threshold", "opens_at", "questionnaire_version_id")


class LockedSetting(RuntimeError):
    """Something tried to change a setting that protects members after the survey opened."""


@event.listens_for(Session, "before_flush")
def _refuse_locked_changes(session: Session, flush_context, instances) -> None:
    """The last line of defence: whatever the code path, a launched survey's protections stay."""
    for obj in session.dirty:
        if not isinstance(obj, Survey):
            continue
        state = inspect(obj)
        changed = [name for name in LOCKED_ONCE_OPEN if state.attrs[name].history.has_changes()]
        if not changed:
            continue
        with session.no_autoflush:  # the status as stored, not as this flush would make it
            stored = session.execute(select(Survey.status).where(Survey.id == obj.id)).scalar_one()
        if stored != SurveyStatus.DRAFT:
            raise LockedSetting(f"survey {obj.slug}: {', '.join(changed)} cannot change once it has opened")


class Invitation(db.Model):
    """A single-use invitation: only the SHA-256 of its token is stored, never the token.

    While its survey is open the row is written only when it is made: a submit deletes its
    `UnusedInvitation` row instead, so no live invitation row carries the transaction id of a
    submit (DESIGN §5). `used` is written at close, for all the survey's invitations at once.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)  # valid once the survey has closed
    # Random, drawn when the invitation is made: the cell keys of the responded counts per segment.
    record_key: Mapped[int] = mapped_column(SmallInteger)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("invitation_batch.id"), index=True)
    segment: Mapped[str | None] = mapped_column(String(100))  # e.g. a branch, from an uploaded list

    survey: Mapped[Survey] = relationship()


class UnusedInvitation(db.Model):
    """One row per invitation not used yet, while its survey is open.

    Made with the invitation; the submit that uses the invitation deletes it (exactly once: only
    one delete finds it), and close deletes the rest. A deleted row is dead to every query, so the
    use of an invitation leaves no live row with the submit's transaction id.
    """

    __tablename__ = "unused_invitation"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)


class InvitationBatch(db.Model):
    """One set of invitations an organiser made: N links, or one uploaded list of members."""

    __tablename__ = "invitation_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(10))  # "links" or "upload"
    count: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str | None] = mapped_column(String(255))


class Invitee(db.Model):
    """Who an invitation was sent to, and its link sealed for mail-merge and reminders.

    Deleted when the survey closes: afterwards only the counts per segment remain.
    """

    __tablename__ = "invitee"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    sealed_token: Mapped[bytes] = mapped_column(LargeBinary)
    language: Mapped[str | None] = mapped_column(String(2))  # from the list's language column, if it has one
    # Which mailing sent this member their invitation email, and the latest reminder: so that a
    # mailing a worker left half-way carries on without sending anyone the same email twice.
    # Mailing ids, not times; deleted with the row at close.
    invitation_mailing_id: Mapped[int | None] = mapped_column(Integer)
    reminder_mailing_id: Mapped[int | None] = mapped_column(Integer)

    invitation: Mapped[Invitation] = relationship()


class Mailing(db.Model):
    """Invitation emails or reminders an organiser asked the app to send: counts only.

    Which members a mailing has reached is marked on their `Invitee` rows, deleted at close; this
    row holds no address and stays, like the audit log. A chain of jobs sends it (survey/core/mailings.py),
    one holder at a time: `holder` may send until `held_until` (survey/core/mailings.py).
    """

    __tablename__ = "mailing"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "invitation" or "reminder"
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Invitations made after the organiser pressed Send are not part of this mailing.
    last_invitation_id: Mapped[int] = mapped_column(Integer)
    link_prefix: Mapped[str] = mapped_column(String(500))  # the site's /i/ address, as the organiser used it
    total: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)  # addresses the mail server would not take
    holder: Mapped[str | None] = mapped_column(String(32))
    held_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    problem: Mapped[str | None] = mapped_column(String(300))  # why sending stopped, plainly; never an address
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SurveyDay(db.Model):
    """How many members started and submitted on one day (Europe/London). Counts only.

    A day's count is split over a few rows (`shard`, picked at random by each request) and read
    as their sum: on PostgreSQL a submit holds the row it adds to until its commit has reached
    the disk, so with one row per day every submit to a survey would wait for the one before.
    """

    __tablename__ = "survey_day"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0, server_default="0")
    started: Mapped[int] = mapped_column(Integer, default=0)
    submitted: Mapped[int] = mapped_column(Integer, default=0)


class Draft(db.Model):
    """Answers in progress, encrypted with a key only the member's resume code can make.

    `lookup` is a hash of the member's resume code (a fresh random code, never an invitation
    token); the answers, and the invitation token of an invited member, are encrypted with another
    key derived from the same code, so a copy of the database alone can neither find nor read a
    member's draft, and holding an invitation link opens none.
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
    # A hash of the optional withdrawal code given at submission (promise 10): it can delete the
    # response before the survey closes, never show it. Null when the member did not keep one.
    withdrawal_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class PendingSubmission(_Submitted, db.Model):
    """A submitted response waiting to be released into `response`.

    It exists so that the transaction that uses an invitation never writes a `response` row:
    responses are written later, many at a time, in random order, by another transaction (at
    close for invitation surveys; in large random samples for open-link ones).
    """

    __tablename__ = "pending_submission"


class Response(_Submitted, db.Model):
    """One member's submitted answers: one row, random id, no identifier, no time.

    `batch` numbers the release batches of a survey (1, 2, 3 ...): it says which shuffled release
    a response arrived in, never when, and lets the results snapshot read only what is new
    (docs/decisions/0010-results-engine.md). `record_key` is random, drawn at release and stored
    here only: the cell keys of consistent perturbation (survey/results/protection.py).
    """

    __tablename__ = "response"
    __table_args__ = (
        Index("ix_response_survey_id_batch", "survey_id", "batch"),
        # A survey's responses in the order of their random ids, as the response-level export
        # reads them: no sort of every response before the first row (migration 0008, ADR 0014).
        Index("ix_response_survey_id_id", "survey_id", "id"),
    )

    batch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Drawn when the row is written, i.e. at release (release_batch passes its own, drawn the same way).
    record_key: Mapped[int] = mapped_column(SmallInteger, default=lambda: secrets.randbelow(RECORD_KEYS))
    # Withdrawn with its code: deleted by the next release (so results never move by one
    # response at a time), or at close.
    withdrawing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class PublicationState(enum.StrEnum):
    """Where a publication is: being prepared, public (perhaps after an embargo), or taken down."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Publication(db.Model):
    """What an organiser chose to publish of a survey's results: which questions and breakdowns,
    an embargo, an access code.

    One per survey. `version` goes up each time the published content changes, so a printed
    briefing can cite the version it came from. The access code is stored only as a hash.
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


class CommentReview(db.Model):
    """An organiser's decision on a comment held back because it may identify someone.

    Keyed by the response and question, deleted with the response; it holds no member
    identifier and no time (who decided and when is in the audit log, without the comment).
    """

    __tablename__ = "comment_review"

    response_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    approved: Mapped[bool] = mapped_column(Boolean)


class CommentTheme(db.Model):
    """A theme of one free-text question's comments, found by the job worker (survey/core/themes.py)
    and named, merged or split by organisers. A merged theme points at the theme it joined.

    Holds no comment and no member identifier; its name is an organiser's (or, unnamed, the page
    shows its protected keywords). `language` is the language its comments were grouped in.
    """

    __tablename__ = "comment_theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    name_en: Mapped[str | None] = mapped_column(String(120))
    name_cy: Mapped[str | None] = mapped_column(String(120))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("comment_theme.id", ondelete="CASCADE"))


class CommentThemeMember(db.Model):
    """Which theme a comment (a response's answer to a question) is in, and how central it is to
    it (the most central, among those that may be shown, are its representative phrases)."""

    __tablename__ = "comment_theme_member"

    response_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("comment_theme.id", ondelete="CASCADE"), index=True)
    centrality: Mapped[float] = mapped_column(Float)


class StoredSnapshot(db.Model):
    """A survey's results snapshot, saved so that a new process need not re-read every response.

    The same answers as the `response` table, as columns (survey/results/stored.py); replaced
    as it grows, and deleted with the survey's responses.
    """

    __tablename__ = "stored_snapshot"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True)
    identity: Mapped[str] = mapped_column(String(255))
    batch: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # SHA-256 of `data`: the name of the same bytes in SNAPSHOT_DIR, shared by this machine's processes
    digest: Mapped[str | None] = mapped_column(String(64))


class MembershipProfile(db.Model):
    """The membership's counts by profile dimensions, as an administrator uploaded them on one day.

    Counts only, never a member list: how many members the union holds in each group of a
    breakdown (service group, region, age band …), as of a date. The newest as-of date is used
    (survey/core/membership.py); older profiles stay listed.
    """

    __tablename__ = "membership_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # where the counts come from, e.g. "Membership system"
    as_of: Mapped[date] = mapped_column(Date, index=True)
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    filename: Mapped[str | None] = mapped_column(String(255))
    counts: Mapped[list[MembershipCount]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="MembershipCount.id"
    )


class MembershipCount(db.Model):
    """How many members one group of one dimension has in a profile, within an audience.

    `audience` is "" for the whole membership, or the members of one audience written as
    "service_group=health" or "service_group=police_justice;sector=probation" (AUDIENCE_KEYS order).
    """

    __tablename__ = "membership_count"
    __table_args__ = (UniqueConstraint("profile_id", "audience", "dimension", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("membership_profile.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(200), default="")
    dimension: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    members: Mapped[int] = mapped_column(Integer)
    profile: Mapped[MembershipProfile] = relationship(back_populates="counts")


class ComposedDraft(db.Model):
    """An organiser's survey being composed from the question bank, kept between requests.

    `content` holds the title and introduction in each language and the ordered entries: a bank
    question by its questionnaire and id (never its text, so it cannot be changed), or the
    organiser's own question with its texts (survey/core/compose.py). Staff data only: no answers.
    """

    __tablename__ = "composed_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    # The questionnaire version last submitted for approval (a plain id: an administrator may discard it).
    submitted_version_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
