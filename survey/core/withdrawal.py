"""Withdrawal (promise 10): a member taking their response back with their withdrawal code.

Only the code's keyed hash is stored (survey/core/codes.py). Nothing here reads or returns the
answers; the audit log says only that a response was withdrawn, never by whom.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import OperationalError

from ..extensions import changed, db
from ..models import PendingSubmission, Response
from ..results.stored import delete_stored
from . import audit
from .codes import withdrawal_hash
from .member_survey import AnySurvey


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
    deleted = changed(
        delete(PendingSubmission).where(
            PendingSubmission.survey_id == survey.id, PendingSubmission.withdrawal_hash == digest
        )
    )
    outcome = Withdrawal.DELETED
    if deleted != 1:  # released already (perhaps by a batch that committed meanwhile)
        marked = changed(
            update(Response)
            .where(Response.survey_id == survey.id, Response.withdrawal_hash == digest)
            .values(withdrawing=True, withdrawal_hash=None)
        )
        outcome = Withdrawal.WITHDRAWING if marked == 1 else Withdrawal.UNKNOWN
    db.session.commit()
    return outcome


def delete_withdrawn(survey: AnySurvey) -> int:
    """Delete the survey's released responses that members withdrew, and the stored results
    snapshot that still holds them (a worker stores a new one on its next read); the caller
    commits (release_batch, in the release's transaction)."""
    deleted = changed(delete(Response).where(Response.survey_id == survey.id, Response.withdrawing.is_(True)))
    if deleted:
        delete_stored(survey.id)
    return deleted


def forget_withdrawal_codes(survey: AnySurvey) -> int:
    """Clear every withdrawal hash of a survey (at close), so no code works any more; the caller commits."""
    return sum(
        changed(
            update(model)
            .where(model.survey_id == survey.id, model.withdrawal_hash.is_not(None))
            .values(withdrawal_hash=None)
        )
        for model in (PendingSubmission, Response)
    )
