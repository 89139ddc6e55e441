"""Mailings: invitation emails and reminders sent from the app, by the job worker.

The organiser starts a mailing here; the job queue runs `send_job`, a turn at a time, each turn
sending with `send_some`. Who has been sent what is marked on the invitee rows (deleted at close),
in the same commit as the mailing's count; the organiser sees counts only, and the log says counts
only (docs/decisions/0023-email-invitations.md). survey/mail.py writes and sends each message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import InvalidToken
from flask import current_app
from sqlalchemy import Row, Select, func, or_, select, update

from .. import mail, queue
from ..extensions import changed, db
from ..models import Invitation, Invitee, Mailing, Survey, SurveyStatus, UnusedInvitation, User, as_utc, utcnow
from . import audit
from .invitations import CLOSED, InvitationError, can_invite, count_rows, lock_while_open, unseal

INVITATION, REMINDER = mail.KINDS
HAND_OFF_SECONDS = 15 * 60  # a turn's successor may wait this long in the queue behind other jobs
WHAT = {INVITATION: "invitation emails", REMINDER: "reminders"}
JOB_QUEUE = "job queue"  # the audit log's actor for what the job worker does

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.fromtimestamp(mail.clock.time(), UTC)


def _lease(per_minute: int) -> timedelta:
    """Return how long a job holds a mailing after each message: longer than any wait between two."""
    return timedelta(seconds=max(300, 3 * 60 / per_minute))


def _recipients(
    survey_id: int, kind: str, mailing: Mailing | _Sending | None = None
) -> Select[int, str | None, bytes, str | None]:
    """Return a query for the members a mailing of this kind goes to: on uploaded lists, their
    invitation not used yet, and not yet sent this (an invitation email, or this reminder)."""
    query = (
        select(Invitee.invitation_id, Invitee.email, Invitee.sealed_token, Invitee.language)
        .join(UnusedInvitation, UnusedInvitation.invitation_id == Invitee.invitation_id)
        .where(Invitee.survey_id == survey_id, Invitee.email.is_not(None))
    )
    if kind == INVITATION:
        query = query.where(Invitee.invitation_mailing_id.is_(None))
    elif mailing is not None:
        query = query.where(or_(Invitee.reminder_mailing_id.is_(None), Invitee.reminder_mailing_id != mailing.id))
    if mailing is not None:
        query = query.where(Invitee.invitation_id <= mailing.last_invitation_id)
    return query


def to_send(survey: Survey, kind: str) -> int:
    """Return how many members a new mailing of this kind would go to now."""
    return count_rows(_recipients(survey.id, kind))


def mailing_state(mailing: Mailing) -> str:
    """Return "waiting" (for a worker), "sending", "stopped" (it can carry on) or "finished"."""
    if mailing.finished_at is not None:
        return "finished"
    if mailing.problem:
        return "stopped"
    if mailing.held_until is None:
        return "waiting"
    return "sending" if as_utc(mailing.held_until) >= _now() else "stopped"


def latest_mailing(survey: Survey) -> Mailing | None:
    """Return the survey's newest mailing, if any."""
    return db.session.scalar(select(Mailing).where(Mailing.survey_id == survey.id).order_by(Mailing.id.desc()))


def sending_problem(survey: Survey) -> str | None:
    """Return why emails cannot be sent for this survey now, or None."""
    if not can_invite(survey):
        return CLOSED
    if survey.state() != "open":
        return "Send emails once the survey is open: until then the links would only say it has not opened."
    if not mail.configured():
        return "Sending email from here is not set up: an administrator sets SMTP_HOST and MAIL_FROM."
    return None


# --- what organisers do ----------------------------------------------------------------------------


def start_mailing(user: User, survey: Survey, kind: str, link_prefix: str) -> Mailing:
    """Start sending invitation emails or reminders to every member they are due to. Commits.

    The job queue does the sending (`send_job`); this only records what to send.
    """
    if kind not in WHAT:
        raise LookupError(kind)
    problem = sending_problem(survey)
    if problem:
        raise InvitationError(problem)
    lock_while_open(survey)
    current = latest_mailing(survey)
    if current is not None and mailing_state(current) != "finished":
        raise InvitationError("Emails are being sent already: let them finish, or stop them, before sending more.")
    total = to_send(survey, kind)
    if not total:
        raise InvitationError(
            "Every member on the uploaded lists has been sent an invitation email already, or has answered."
            if kind == INVITATION
            else "Every member on the uploaded lists has answered: there is nobody to remind."
        )
    last = db.session.scalar(select(func.max(Invitation.id)).where(Invitation.survey_id == survey.id))
    mailing = Mailing(
        survey_id=survey.id,
        kind=kind,
        created_by=user.email,
        last_invitation_id=last,
        link_prefix=link_prefix,
        total=total,
        sent=0,
        refused=0,
    )
    db.session.add(mailing)
    db.session.flush()
    audit.record(f"started sending {WHAT[kind]}", survey, mailing=mailing.id, count=total)
    db.session.commit()
    return mailing


def _mailing_of(survey: Survey, mailing_id: int) -> Mailing:
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.survey_id != survey.id:
        raise LookupError(mailing_id)
    return mailing


def carry_on(survey: Survey, mailing_id: int) -> Mailing:
    """Let a stopped mailing carry on from where it stopped: nobody is sent the same email twice. Commits."""
    mailing = _mailing_of(survey, mailing_id)
    problem = sending_problem(survey)
    if problem:
        raise InvitationError(problem)
    if mailing_state(mailing) != "stopped":
        raise InvitationError("These emails are not stopped, so there is nothing to carry on with.")
    mailing.problem = None
    mailing.holder = None  # whichever job takes it next holds it; one that was only slow finds it gone
    mailing.held_until = None
    audit.record(f"carried on sending {WHAT[mailing.kind]}", survey, mailing=mailing.id, sent=mailing.sent)
    db.session.commit()
    return mailing


def stop_mailing(survey: Survey, mailing_id: int) -> None:
    """Stop a mailing for good: the job sending it stops before its next message. Commits."""
    mailing = _mailing_of(survey, mailing_id)
    if mailing.finished_at is None:
        mailing.finished_at = utcnow()
        mailing.problem = "Stopped by an organiser."
        mailing.holder = None
        audit.record(f"stopped sending {WHAT[mailing.kind]}", survey, mailing=mailing.id, sent=mailing.sent)
    db.session.commit()


# --- what the job worker does ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Sending:
    """What a turn needs to know of its mailing, read once: the turn holds no transaction open
    while it waits for its slot or for the mail server."""

    id: int
    survey_id: int
    kind: str
    last_invitation_id: int
    link_prefix: str


def _take(mailing_id: int, holder: str) -> _Sending | None:
    """Make `holder` the one job that sends this mailing, unless it is finished, stopped or held
    by another still; return what sending it needs, or None. Commits."""
    now = _now()
    taken = changed(
        update(Mailing)
        .where(
            Mailing.id == mailing_id,
            Mailing.finished_at.is_(None),
            Mailing.problem.is_(None),
            or_(Mailing.holder.is_(None), Mailing.holder == holder, Mailing.held_until < now),
        )
        .values(holder=holder, held_until=now + _lease(current_app.config["MAIL_PER_MINUTE"]))
    )
    mailing = db.session.get(Mailing, mailing_id) if taken == 1 else None
    sending = mailing and _Sending(
        mailing.id, mailing.survey_id, mailing.kind, mailing.last_invitation_id, mailing.link_prefix
    )
    db.session.commit()
    return sending


def _end_turn(sending: _Sending, by: str, **values: Any) -> None:
    """Write how the turn ended, if its holder (`by`) still holds the mailing. Commits."""
    db.session.execute(update(Mailing).where(Mailing.id == sending.id, Mailing.holder == by).values(**values))
    db.session.commit()


def _finish_mailing(sending: _Sending, holder: str, problem: str | None = None) -> None:
    """Mark a mailing finished (or stopped, with the reason) and record it in the audit log. Commits."""
    if problem is None:
        _end_turn(sending, holder, finished_at=utcnow(), holder=None)
    else:
        _end_turn(sending, holder, problem=problem[:300], holder=None, held_until=None)
    mailing = db.session.get_one(Mailing, sending.id)
    audit.record(
        f"{'stopped' if problem else 'finished'} sending {WHAT[sending.kind]}",
        db.session.get(Survey, sending.survey_id),
        actor=JOB_QUEUE,
        mailing=mailing.id,
        sent=mailing.sent,
        refused=mailing.refused,
    )
    db.session.commit()
    log.info("mailing %s (%s) %s: %s sent, %s refused", mailing.id, mailing.kind, "stopped" if problem else "finished",
             mailing.sent, mailing.refused)  # fmt: skip


def _mark(sending: _Sending, holder: str, invitation_id: int, refused: bool) -> bool:
    """Mark one member as sent this mailing, count it, and hold the mailing longer; one commit.
    Return False if another job holds the mailing now (this one then stops)."""
    column = Invitee.invitation_mailing_id if sending.kind == INVITATION else Invitee.reminder_mailing_id
    held = changed(
        update(Mailing)
        .where(Mailing.id == sending.id, Mailing.holder == holder)
        .values(
            sent=Mailing.sent + (0 if refused else 1),
            refused=Mailing.refused + (1 if refused else 0),
            held_until=_now() + _lease(current_app.config["MAIL_PER_MINUTE"]),
        )
    )
    db.session.execute(update(Invitee).where(Invitee.invitation_id == invitation_id).values({column: sending.id}))
    db.session.commit()
    return held == 1


@dataclass(frozen=True)
class _Turn:
    """What one turn sends with: its mailing, its holder, the words in each language, the pace and
    the connection to the mail server."""

    sending: _Sending
    holder: str
    words: dict[str, mail.Wording]
    limiter: mail.Limiter
    postman: mail.Postman


def send_some(mailing_id: int, holder: str, limiter: mail.Limiter) -> bool:
    """Send a mailing's next emails for one turn (MAIL_JOB_SECONDS), at the limiter's pace; return
    whether some are left for the next turn. Commits after each message.

    Each message is handed to the mail server, then its member is marked in one commit: a worker
    that dies between the two sends that one message again when the mailing carries on, and no other.
    """
    sending = _take(mailing_id, holder)
    if sending is None:
        return False  # finished, stopped, or another job sends it
    survey = db.session.get_one(Survey, sending.survey_id)
    words = {
        language: mail.wording(sending.kind, language, survey.title(language), survey.closes_at)
        for language in survey.questionnaire.languages
    }
    deadline = mail.clock.time() + current_app.config["MAIL_JOB_SECONDS"]
    with mail.Postman() as postman:
        turn = _Turn(sending, holder, words, limiter, postman)
        while True:
            status = db.session.scalar(select(Survey.status).where(Survey.id == sending.survey_id))
            if status != SurveyStatus.OPEN:
                _finish_mailing(sending, holder, "The survey closed, and its member lists were deleted.")
                return False
            row = db.session.execute(
                _recipients(sending.survey_id, sending.kind, sending).order_by(Invitee.invitation_id).limit(1)
            ).first()
            db.session.commit()  # no transaction stays open while this waits for its slot or the server
            if row is None:
                _finish_mailing(sending, holder)
                return False
            if mail.clock.time() >= deadline:
                _end_turn(sending, holder, held_until=_now() + timedelta(seconds=HAND_OFF_SECONDS))
                return True
            if not _send_one(turn, row):
                return False


def _send_one(turn: _Turn, row: Row[int, str | None, bytes, str | None]) -> bool:
    """Send one member their email, in their language, and mark them; return whether the turn
    goes on (not when the mailing has stopped, or another job holds it now)."""
    sending, holder = turn.sending, turn.holder
    languages = list(turn.words)
    language = row.language if row.language in languages else languages[0]
    try:
        link = f"{sending.link_prefix}{unseal(row.sealed_token)}?lang={language}"
    except InvalidToken:
        _finish_mailing(sending, holder, "The links can no longer be read: the secret key has changed.")
        return False
    turn.limiter.wait()
    refused = False
    try:
        turn.postman.send(mail.compose(turn.words[language], row.email, link))
    except mail.Refused:
        refused = True
    except mail.Unavailable as error:
        _finish_mailing(sending, holder, f"{str(error)[:1].upper()}{str(error)[1:]}.")
        return False
    return _mark(sending, holder, row.invitation_id, refused)


def send_job(mailing_id: int, holder: str) -> dict:
    """The job: send one turn of a mailing (invitation emails or reminders), then queue the next
    turn if some are left, so that other jobs get the worker in between. Runs in the worker's app
    context. Logs counts, never an address."""
    found = queue.connection(timeout=None)
    try:
        key = f"survey:mail:{queue.queue_name()}:next-slot"
        limiter = mail.Limiter(current_app.config["MAIL_PER_MINUTE"], found, key)
        more = send_some(int(mailing_id), holder, limiter)
    finally:
        db.session.remove()
        if found is not None:
            found.close()
    if more:
        queue.enqueue_mailing(mailing_id, holder)
    return {"mailing": mailing_id, "more": more}
