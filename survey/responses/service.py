"""Drafts, invitations, submission and release. Every commit of the member journey is here.

Anonymity (DESIGN §5):
- A submit writes a pending row and deletes the invitation's `unused_invitation` row; it never
  writes the invitation itself (nor anything else an invitation can be joined to), so no live
  row on the invitation side carries the submit's transaction id (PostgreSQL `xmin`).
- Pending rows move into `response` in another transaction, shuffled, with fresh random ids, a
  fresh random record key each (for consistent perturbation) and no time. Invitation surveys
  release once, at close: the organiser knows who has used their link, so any release while
  open would let them difference two views of the results. Open-link surveys (live polls) release
  while open only a random sample of what waits, leaving at least a whole step S waiting, at
  most every LIVE_RELEASE_SECONDS (docs/decisions/0020-release-at-close-and-unlinkable-invitations.md).
- A draft is found and encrypted by a fresh resume code only; an invited member's invitation
  token travels inside the encrypted draft, so holding the link opens no one's saved answers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import bindparam, case, delete, exists, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.sql.expression import ColumnElement, Executable

from .. import audit, jobs
from ..extensions import db
from ..models import (
    LONDON,
    AccessMode,
    Draft,
    Invitation,
    PendingSubmission,
    QuestionnaireVersion,
    Response,
    SubmissionReceipt,
    Survey,
    SurveyDay,
    UnusedInvitation,
    as_utc,
    member_state,
    pinned_questionnaire,
    utcnow,
)
from ..questionnaire.answers import off_page
from ..questionnaire.model import Questionnaire, Section
from ..questionnaire.rules import clean_answers

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 25  # 125 bits
WITHDRAWAL_LENGTH = 16  # 80 bits, read as four groups of four: guessing online is hopeless
DRAFT_LIFETIME = timedelta(days=60)  # when a survey has no closing date
LIVE_STEP_MINIMUM = 50  # the smallest step S in which an open-link survey's results move while open


def sha256(text: str) -> str:
    """Return the hex SHA-256 of a text."""
    return hashlib.sha256(text.encode()).hexdigest()


def new_invitation_token() -> str:
    """Return a fresh invitation token with 192 bits of randomness."""
    return secrets.token_urlsafe(24)


def new_resume_code() -> str:
    """Return a fresh resume code, grouped for reading aloud: XXXXX-XXXXX-XXXXX-XXXXX-XXXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 5] for i in range(0, CODE_LENGTH, 5))


def _code_characters(typed: str) -> str:
    """Return the characters of a typed code, forgiving case, spaces, dashes and look-alikes."""
    raw = typed.upper().translate(str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"}))
    return "".join(ch for ch in raw if ch in CODE_ALPHABET)


def normalise_code(typed: str) -> str:
    """Return a typed resume code in canonical form, forgiving case, spaces and look-alikes."""
    raw = _code_characters(typed)
    return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))


def new_withdrawal_code() -> str:
    """Return a fresh withdrawal code, grouped for copying: XXXX-XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(WITHDRAWAL_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, WITHDRAWAL_LENGTH, 4))


def withdrawal_hash(typed: str) -> str | None:
    """Return the keyed hash stored for a withdrawal code, or None if it cannot be one.

    An HMAC under the app's secret, not a bare hash: a copy of the database alone cannot even
    test guesses. (The codes stop working if SECRET_KEY changes while a survey is open.)
    """
    raw = _code_characters(typed)
    if len(raw) != WITHDRAWAL_LENGTH:
        return None
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"withdrawal-code:" + raw.encode(), hashlib.sha256).hexdigest()


def submit_key() -> str:
    """Return a random key for one rendering of the submit form."""
    return secrets.token_urlsafe(16)


# --- the survey ------------------------------------------------------------------------------


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
# half): the member journey reads its survey and draft on nearly every request.
_SURVEY, _VERSION, _DRAFT = Survey.__table__, QuestionnaireVersion.__table__, Draft.__table__
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
_DRAFT_WHERE = (_DRAFT.c.survey_id == bindparam("draft_survey")) & (_DRAFT.c.lookup == bindparam("draft_lookup"))
_DRAFT_CONTENT = select(_DRAFT.c.content).where(_DRAFT_WHERE)
_DRAFT_REWRITE = _DRAFT.update().where(_DRAFT_WHERE).values(content=bindparam("sealed"))


def find_survey(slug: str) -> MemberSurvey | None:
    """Return the survey with this slug as the member journey needs it, or None."""
    row = db.session.execute(_SURVEY_BY_SLUG, {"slug": slug}).first()
    if row is None:
        return None
    version_id = row.questionnaire_version_id

    def source() -> str:  # read only when this process has not parsed the pinned text yet
        return db.session.scalar(select(_VERSION.c.source).where(_VERSION.c.id == version_id))

    pinned = (row.pinned_slug, row.checksum, row.version, source)
    return MemberSurvey(
        **{name: getattr(row, name) for name in _OWN},
        questionnaire=pinned_questionnaire(*pinned),
        member_questionnaire=pinned_questionnaire(*pinned, audience=row.audience or {}),
    )


# --- invitations -----------------------------------------------------------------------------


def create_invitations(survey: AnySurvey, count: int) -> list[str]:
    """Create single-use invitations and return their tokens; only hashes are stored."""
    from ..results.protection import draw_keys  # here: the results engine is not part of the member journey

    tokens = [new_invitation_token() for _ in range(count)]
    made = [
        Invitation(survey_id=survey.id, token_hash=sha256(t), record_key=key)
        for t, key in zip(tokens, draw_keys(count), strict=True)
    ]
    db.session.add_all(made)
    db.session.flush()
    db.session.add_all(UnusedInvitation(invitation_id=i.id, survey_id=survey.id) for i in made)
    db.session.commit()
    return tokens


def find_invitation(token: str | None) -> Invitation | None:
    """Return the invitation for a token, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == sha256(token)))


def invitation_used(invitation: Invitation) -> bool:
    """Return whether an invitation has been used (while open: its unused row is gone)."""
    unused = select(UnusedInvitation.invitation_id).where(UnusedInvitation.invitation_id == invitation.id)
    return invitation.used or db.session.scalar(unused) is None


def used_condition() -> ColumnElement[bool]:
    """Return the condition that holds for used invitations, whether their survey is open or closed.

    Once the survey has closed (close replaces the hash) the `used` column says; while it is
    open, the missing unused row does. One condition, so a count read during a close is whole.
    """
    return case(
        (Invitation.token_hash.like("closed:%"), Invitation.used),
        else_=~exists().where(UnusedInvitation.invitation_id == Invitation.id),
    )


# --- drafts ----------------------------------------------------------------------------------


@dataclass
class DraftState:
    """A member's saved answers, the language they are answering in, and, for an invited member,
    the invitation token their answers will be sent with (kept inside the encrypted draft)."""

    answers: dict[str, Any]
    language: str
    token: str | None = None


def _lookup(secret: str) -> str:
    return sha256("draft-lookup:" + secret)


def _cipher(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(("draft-key:" + secret).encode()).digest()))


def load_draft(survey: AnySurvey, secret: str | None) -> DraftState | None:
    """Return the draft that a secret opens, or None."""
    if not secret:
        return None
    content = db.session.scalar(_DRAFT_CONTENT, {"draft_survey": survey.id, "draft_lookup": _lookup(secret)})
    if content is None:
        return None
    try:
        opened = json.loads(_cipher(secret).decrypt(content))
    except InvalidToken:
        return None
    return DraftState(opened["answers"], opened["language"], opened.get("token"))


def _seal(secret: str, state: DraftState) -> bytes:
    content = {"answers": state.answers, "language": state.language, "token": state.token}
    return _cipher(secret).encrypt(json.dumps(content).encode())


def _rewrite(survey: AnySurvey, secret: str, state: DraftState) -> bool:
    """Replace a draft's content in one statement; return whether there was a draft to replace."""
    found = {"draft_survey": survey.id, "draft_lookup": _lookup(secret), "sealed": _seal(secret, state)}
    return db.session.execute(_DRAFT_REWRITE, found).rowcount == 1


# A draft is the member's convenience, a submit is the promise: on PostgreSQL a draft's commit
# does not wait for the disk (docs/decisions/0018-draft-commits-and-day-shards.md). A crash of the database
# server may lose the last fraction of a second of page saves, never a submitted response.
_DRAFT_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


def _commit_draft() -> None:
    """Commit the session's draft work; on PostgreSQL without waiting for the write to reach the disk."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_DRAFT_COMMIT)
    db.session.commit()


def start_draft(survey: AnySurvey, secret: str, language: str, token: str | None = None) -> DraftState:
    """Return the draft for this resume code, creating an empty one the first time.

    `token` is the invitation an invited member's answers will be sent with: it is sealed inside
    the draft (never its key), so the member can carry on with their code on another device.
    """
    state = load_draft(survey, secret)
    if state is not None:
        return state
    state = DraftState(dict(survey.member_questionnaire.fixed), language, token)
    expires = survey.closes_at or utcnow() + DRAFT_LIFETIME
    db.session.add(Draft(survey_id=survey.id, lookup=_lookup(secret), expires_at=expires, content=_seal(secret, state)))
    try:
        db.session.flush()
        count_day(survey, "started")
        _commit_draft()
    except IntegrityError:  # the same member started twice at once: use the other request's draft
        db.session.rollback()
        return load_draft(survey, secret) or state
    return state


def save_answers(
    survey: AnySurvey,
    secret: str,
    section: Section,
    page_answers: dict[str, Any],
    language: str,
    saved: DraftState | None = None,
) -> DraftState:
    """Replace one page's answers in the draft, drop answers that are now hidden, and commit.

    `saved` is the draft as this request already read it, if it did (the view has); otherwise
    it is read here.
    """
    state = saved if saved is not None else load_draft(survey, secret)
    if state is None:
        raise LookupError("no draft for this secret")
    merged = off_page(section, state.answers) | page_answers
    state = DraftState(clean_answers(survey.member_questionnaire, merged, language), language, state.token)
    if not _rewrite(survey, secret, state):
        db.session.rollback()
        raise LookupError("no draft for this secret")
    _commit_draft()
    return state


def set_language(survey: AnySurvey, secret: str, language: str) -> None:
    """Record the language the member is now answering in."""
    state = load_draft(survey, secret)
    if state is not None and state.language != language:
        state.language = language
        _rewrite(survey, secret, state)
        _commit_draft()


DAY_SHARDS = 16  # rows a day's counts are split over: more than the requests one server runs at once


def count_day(survey: AnySurvey, column: str) -> None:
    """Add one to today's count of started or submitted surveys (a day in the UK, nothing finer),
    in the caller's transaction: one statement, safe when two requests make today's row at once.
    It adds to one of the day's DAY_SHARDS rows, at random, so concurrent submits do not queue
    on one row (readers add the rows up).

    It joins the transaction that starts a draft or adds a pending submission, so the member's
    work and the count take one commit. The row holds a survey, a day and counts: nothing that
    can be joined to an invitation, and its rows never reach `response` (release_batch moves them
    in another transaction), so sharing that transaction's id links nothing.
    """
    today = utcnow().astimezone(LONDON).date()
    dialect = db.session.get_bind().dialect.name
    shard = random.randrange(DAY_SHARDS)
    db.session.execute(_count_day(dialect, column), {"day_survey": survey.id, "day_date": today, "day_shard": shard})


@cache
def _count_day(dialect: str, column: str) -> Executable:
    """Return the upsert that adds one to a day's count (built once per dialect and column)."""
    table = SurveyDay.__table__
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    row = {"survey_id": bindparam("day_survey"), "day": bindparam("day_date"), "shard": bindparam("day_shard")}
    return (
        insert(table)
        .values(row | {"started": 0, "submitted": 0, column: 1})
        .on_conflict_do_update(
            index_elements=[table.c.survey_id, table.c.day, table.c.shard], set_={column: table.c[column] + 1}
        )
    )


# --- submission ------------------------------------------------------------------------------


_RECEIPT = select(SubmissionReceipt.__table__.c.key_hash).where(
    SubmissionReceipt.__table__.c.key_hash == bindparam("receipt")
)


def was_submitted(key: str) -> bool:
    """Return whether a submit form with this key has already been sent and stored."""
    return bool(key) and db.session.scalar(_RECEIPT, {"receipt": sha256(key)}) is not None


class Outcome(StrEnum):
    """What happened to a submit."""

    SAVED = "saved"  # stored now
    ALREADY_SAVED = "already_saved"  # this submit form was already used: a double tap or reload
    INVITATION_USED = "invitation_used"  # another device used the invitation first
    NO_DRAFT = "no_draft"  # nothing to submit (already submitted from elsewhere, or expired)


def submit_response(
    survey: AnySurvey,
    secret: str,
    key: str,
    withdrawal: str | None = None,
    saved: DraftState | None = None,
) -> Outcome:
    """Store a member's response exactly once; for an open-link survey, then release some of what
    waits if a live release is due.

    The invitation used is the one sealed in the draft, never one the request names, so holding
    a link sends no one's saved answers. `withdrawal` is the hash of the member's withdrawal code,
    if they asked for one; the code itself is never passed here, so it cannot be stored. `saved`
    is the draft as this request already read it, if it did; it is read again if the first attempt
    has to start over.
    """
    for attempt in range(3):
        try:
            outcome = _submit_once(survey, secret, key, withdrawal, saved if attempt == 0 else None)
            break
        except OperationalError as error:
            # SQLite refuses to turn a read into a write after another writer committed
            # ("database is locked"); starting again sees that writer's work.
            db.session.rollback()
            if "locked" not in str(error) or attempt == 2:
                raise
    if outcome is Outcome.SAVED and survey.access != AccessMode.INVITATION:
        release_batch(survey)  # counts after the commit, so the last of concurrent submits sees every one
    return outcome


def _submit_once(
    survey: AnySurvey,
    secret: str,
    key: str,
    withdrawal: str | None,
    saved: DraftState | None,
) -> Outcome:
    """One transaction: record the submit key, use the invitation, delete the draft, add a
    pending row, count the day. Any step that finds the work already done rolls the whole
    transaction back (the draft's delete is what makes a submit count once per draft).

    Using the invitation deletes its unused row (only one delete can find it): the invitation row
    itself is not written, and nothing written here can be joined to an invitation.
    """
    state = saved if saved is not None else load_draft(survey, secret)
    if was_submitted(key):
        return Outcome.ALREADY_SAVED
    if state is None:
        return Outcome.NO_DRAFT
    invitation = find_invitation(state.token)
    if survey.access == AccessMode.INVITATION and invitation is None:
        return Outcome.INVITATION_USED  # its link no longer works (it cannot be sent without one)
    answers = clean_answers(survey.member_questionnaire, state.answers, state.language)
    try:
        db.session.execute(_ADD_RECEIPT, {"key_hash": sha256(key), "survey_id": survey.id})
        if invitation is not None:
            used = db.session.execute(_USE_INVITATION, {"unused_invitation": invitation.id})
            if used.rowcount != 1:
                db.session.rollback()
                return Outcome.INVITATION_USED
        deleted = db.session.execute(delete(Draft).where(Draft.lookup == _lookup(secret)))
        if deleted.rowcount != 1:
            db.session.rollback()
            return Outcome.NO_DRAFT
        pending = {
            "survey_id": survey.id,
            "questionnaire_version_id": survey.questionnaire_version_id,
            "language": state.language,
            "answers": answers,
            "withdrawal_hash": withdrawal,
        }
        db.session.execute(_ADD_PENDING, pending)
        count_day(survey, "submitted")  # last: on PostgreSQL it holds one of today's rows until the commit
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return Outcome.ALREADY_SAVED
    return Outcome.SAVED


_PENDING, _RESPONSE = PendingSubmission.__table__, Response.__table__
_ADD_RECEIPT = insert(SubmissionReceipt.__table__)
_ADD_PENDING = insert(_PENDING)
_USE_INVITATION = delete(UnusedInvitation.__table__).where(
    UnusedInvitation.__table__.c.invitation_id == bindparam("unused_invitation")
)
_CARRIED = ("survey_id", "questionnaire_version_id", "language", "answers", "withdrawal_hash")
_WAITING = select(func.count()).select_from(_PENDING).where(_PENDING.c.survey_id == bindparam("waiting_survey"))


def _waiting(survey: AnySurvey) -> int:
    """Return how many of a survey's submissions wait for release."""
    return db.session.scalar(_WAITING, {"waiting_survey": survey.id})


def live_step(threshold: int) -> int:
    """Return the step S in which an open-link survey's results move while open: far larger than k."""
    return max(LIVE_STEP_MINIMUM, 5 * threshold)


def release_batch(survey: AnySurvey, everything: bool = False) -> int:
    """Move waiting submissions into `response`, shuffled, each with a fresh random id and record
    key; return how many were released.

    With `everything` (at close, for every survey) all that waits is released. Otherwise only
    an open-link survey releases, and only a live release: once at least 2S wait (S =
    live_step(k)) and LIVE_RELEASE_SECONDS have passed since its last one, a random sample of all
    but S of them. So S always stay waiting: neither a flood of answers the reader wrote nor the
    closing remainder isolates anyone, since the last S are mixed with what follows. Responses
    that members withdrew are deleted in the same transaction, so results never move by one
    response at a time (DESIGN §5).
    """
    if everything:
        return _release(survey, 0, everything=True)
    if survey.access == AccessMode.INVITATION:
        return 0  # invitation surveys release once, at close
    step = live_step(survey.threshold)
    if _waiting(survey) < 2 * step or not _live_release_due(db.session.scalar(_RELEASED_AT, {"released": survey.id})):
        return 0
    return _release(survey, step, everything=False)


_RELEASED_AT = select(Survey.__table__.c.released_at).where(Survey.__table__.c.id == bindparam("released"))


def _live_release_due(last: datetime | None) -> bool:
    """Return whether enough time has passed since a survey's last live release."""
    wait = timedelta(seconds=current_app.config["LIVE_RELEASE_SECONDS"])
    return last is None or utcnow() - as_utc(last) >= wait


def _release(survey: AnySurvey, step: int, everything: bool) -> int:
    """Release in one transaction: all that waits (`everything`), or a random sample of all but
    `step` of it, when at least twice `step` wait."""
    # Lock the survey row first, until commit: releases of one survey then run one at a time and
    # commit in the order of their batch numbers (the results snapshot reads "batch > the last one
    # seen" and must not miss a batch that commits late with a smaller number), and the pace of
    # live releases holds. A live release that finds another running leaves the work to it. (FOR
    # NO KEY UPDATE on PostgreSQL: submits, whose pending rows refer to the survey, never wait.)
    lock = select(Survey.__table__.c.released_at).where(Survey.__table__.c.id == survey.id)
    locked = db.session.execute(lock.with_for_update(skip_locked=not everything, key_share=True)).first()
    if locked is None or (not everything and not _live_release_due(locked.released_at)):
        db.session.rollback()
        return 0
    rows = db.session.execute(
        select(_PENDING.c.id, *(_PENDING.c[name] for name in _CARRIED))
        .where(_PENDING.c.survey_id == survey.id)
        .with_for_update(skip_locked=True)
    ).all()
    if everything:
        random.SystemRandom().shuffle(rows)
    elif len(rows) >= 2 * step:
        rows = random.SystemRandom().sample(rows, len(rows) - step)  # a random sample, in random order
    else:  # others are being withdrawn meanwhile
        rows = []
    if rows:
        from ..results.protection import draw_keys  # here: the results engine is not part of the member journey

        deleted = db.session.execute(delete(_PENDING).where(_PENDING.c.id.in_([row.id for row in rows])))
        if deleted.rowcount != len(rows):  # withdrawn meanwhile: try again with the next submit
            db.session.rollback()
            return 0
        last = db.session.scalar(select(func.max(Response.batch)).where(Response.survey_id == survey.id))
        batch = (last or 0) + 1
        # One statement, its rows in the shuffled order, each with a fresh random id and record key.
        released = [
            {name: getattr(row, name) for name in _CARRIED} | {"batch": batch, "record_key": key}
            for row, key in zip(rows, draw_keys(len(rows)), strict=True)
        ]
        db.session.execute(insert(_RESPONSE), released)
        if not everything:
            db.session.execute(update(Survey).where(Survey.id == survey.id).values(released_at=utcnow()))
    withdrawn = _delete_withdrawn(survey)
    if not rows and not withdrawn:
        db.session.rollback()
        return 0
    db.session.commit()
    if not rows:  # no new batch number tells the results snapshot that rows went: drop this process's copy
        from .. import results  # here: the results engine is not part of the member journey

        results.forget(survey.id)
    jobs.enqueue_prepare(survey.id)  # the job worker gets this release's results ready, off any request
    return len(rows)


def _delete_withdrawn(survey: AnySurvey) -> int:
    """Delete the survey's released responses that members withdrew, and the stored results
    snapshot that still holds them (a worker stores a new one on its next read); the caller
    commits."""
    deleted = db.session.execute(
        delete(Response).where(Response.survey_id == survey.id, Response.withdrawing.is_(True))
    ).rowcount
    if deleted:
        from ..results.snapshot import delete_stored  # here: the results engine is not part of the member journey

        delete_stored(survey.id)
    return deleted


# --- withdrawal (promise 10) -----------------------------------------------------------------


class Withdrawal(StrEnum):
    """What a withdrawal code did."""

    DELETED = "deleted"  # still waiting to be released: deleted now, it was never in the results
    WITHDRAWING = "withdrawing"  # in the results: deleted with the next live release, or at close
    UNKNOWN = "unknown"  # no such code for this survey, or it was used already
    CLOSED = "closed"  # the survey has closed: responses can no longer be withdrawn


MEMBER = "a member"  # the audit log's actor for a withdrawal: never who, even if staff are signed in


def withdrawal_exists(survey: AnySurvey, code: str) -> bool:
    """Return whether a code can withdraw a response of this survey (it shows nothing else)."""
    digest = withdrawal_hash(code)
    if digest is None:
        return False
    return any(
        db.session.scalar(
            select(func.count()).select_from(model).where(model.survey_id == survey.id, model.withdrawal_hash == digest)
        )
        for model in (PendingSubmission, Response)
    )


def withdraw(survey: AnySurvey, code: str) -> Withdrawal:
    """Withdraw the response a code belongs to, once; never read or return its answers.

    A waiting submission is deleted at once. A released one (only open-link surveys release while
    open) is marked and its hash cleared, so the code cannot be used again; release_batch deletes
    it with the next live release, or at close. The audit entry says only that a response was withdrawn, in its
    own transaction, so no response row shares a transaction with a dated record.
    """
    for attempt in range(3):
        try:
            outcome = _withdraw_once(survey, code)
            break
        except OperationalError as error:  # SQLite: another writer committed first (as in submit)
            db.session.rollback()
            if "locked" not in str(error) or attempt == 2:
                raise
    if outcome in (Withdrawal.DELETED, Withdrawal.WITHDRAWING):
        audit.record("a member withdrew a response", survey, actor=MEMBER)
        db.session.commit()
    return outcome


def _withdraw_once(survey: AnySurvey, code: str) -> Withdrawal:
    digest = withdrawal_hash(code)
    if digest is None:
        return Withdrawal.UNKNOWN
    if survey.state() == "closed":
        return Withdrawal.CLOSED
    deleted = db.session.execute(
        delete(PendingSubmission).where(
            PendingSubmission.survey_id == survey.id, PendingSubmission.withdrawal_hash == digest
        )
    )
    outcome = Withdrawal.DELETED
    if deleted.rowcount != 1:  # released already (perhaps by a batch that committed meanwhile)
        marked = db.session.execute(
            update(Response)
            .where(Response.survey_id == survey.id, Response.withdrawal_hash == digest)
            .values(withdrawing=True, withdrawal_hash=None)
        )
        outcome = Withdrawal.WITHDRAWING if marked.rowcount == 1 else Withdrawal.UNKNOWN
    db.session.commit()
    return outcome


def forget_withdrawal_codes(survey: AnySurvey) -> int:
    """Clear every withdrawal hash of a survey (at close), so no code works any more; the caller commits."""
    return sum(
        db.session.execute(
            update(model)
            .where(model.survey_id == survey.id, model.withdrawal_hash.is_not(None))
            .values(withdrawal_hash=None)
        ).rowcount
        for model in (PendingSubmission, Response)
    )
