"""Submissions and their release into the results. Every commit of a member's submit is here.

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
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import Row, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import queue, results
from ..extensions import changed, db
from ..models import (
    AccessMode,
    Draft,
    PendingSubmission,
    Response,
    SubmissionReceipt,
    Survey,
    UnusedInvitation,
    as_utc,
    utcnow,
)
from ..questionnaire.rules import clean_answers
from ..results.protection import draw_keys
from .codes import sha256
from .day_counts import count_day
from .drafts import DraftState, load_draft, lookup
from .invitations import find_invitation
from .member_survey import AnySurvey
from .withdrawal import delete_withdrawn

LIVE_STEP_MINIMUM = 50  # the smallest step S in which an open-link survey's results move while open

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


_PENDING, _RESPONSE = PendingSubmission.__table__, Response.__table__
_ADD_RECEIPT = insert(SubmissionReceipt.__table__)
_ADD_PENDING = insert(_PENDING)
_USE_INVITATION = delete(UnusedInvitation.__table__).where(
    UnusedInvitation.__table__.c.invitation_id == bindparam("unused_invitation")
)
_CARRIED = ("survey_id", "questionnaire_version_id", "language", "answers", "withdrawal_hash")
_WAITING = select(func.count()).select_from(_PENDING).where(_PENDING.c.survey_id == bindparam("waiting_survey"))


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
        if invitation is not None and changed(_USE_INVITATION, {"unused_invitation": invitation.id}) != 1:
            db.session.rollback()
            return Outcome.INVITATION_USED
        if changed(delete(Draft).where(Draft.lookup == lookup(secret))) != 1:
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


# --- release ---------------------------------------------------------------------------------


def _waiting(survey: AnySurvey) -> int:
    """Return how many of a survey's submissions wait for release."""
    return db.session.execute(_WAITING, {"waiting_survey": survey.id}).scalar_one()


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
    if not _lock_for_release(survey, everything):
        db.session.rollback()
        return 0
    rows = _rows_to_release(survey, step, everything)
    if rows and not _move_into_results(survey, rows, everything):
        db.session.rollback()  # withdrawn meanwhile: try again with the next submit
        return 0
    withdrawn = delete_withdrawn(survey)
    if not rows and not withdrawn:
        db.session.rollback()
        return 0
    db.session.commit()
    if not rows:  # no new batch number tells the results snapshot that rows went: drop this process's copy
        results.forget(survey.id)
    queue.enqueue_prepare(survey.id)  # the job worker gets this release's results ready, off any request
    return len(rows)


def _lock_for_release(survey: AnySurvey, everything: bool) -> bool:
    """Lock the survey row until commit; return whether this release goes ahead.

    Releases of one survey then run one at a time and commit in the order of their batch numbers
    (the results snapshot reads "batch > the last one seen" and must not miss a batch that commits
    late with a smaller number), and the pace of live releases holds. A live release that finds
    another running leaves the work to it. (FOR NO KEY UPDATE on PostgreSQL: submits, whose
    pending rows refer to the survey, never wait.)
    """
    lock = select(Survey.__table__.c.released_at).where(Survey.__table__.c.id == survey.id)
    locked = db.session.execute(lock.with_for_update(skip_locked=not everything, key_share=True)).first()
    return locked is not None and (everything or _live_release_due(locked.released_at))


def _rows_to_release(survey: AnySurvey, step: int, everything: bool) -> list[Row[Any]]:
    """Return the waiting rows this release moves, in random order: all of them (`everything`),
    or a random sample of all but `step`."""
    rows = list(
        db.session.execute(
            select(_PENDING.c.id, *(_PENDING.c[name] for name in _CARRIED))
            .where(_PENDING.c.survey_id == survey.id)
            .with_for_update(skip_locked=True)
        )
    )
    if everything:
        random.SystemRandom().shuffle(rows)
        return rows
    if len(rows) >= 2 * step:
        return random.SystemRandom().sample(rows, len(rows) - step)  # a random sample, in random order
    return []  # others are being withdrawn meanwhile


def _move_into_results(survey: AnySurvey, rows: list[Row[Any]], everything: bool) -> bool:
    """Delete the rows from the waiting submissions and add them to `response` as the next batch;
    return False if some had gone (withdrawn meanwhile). The caller commits."""
    if changed(delete(_PENDING).where(_PENDING.c.id.in_([row.id for row in rows]))) != len(rows):
        return False
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
    return True
