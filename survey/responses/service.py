"""Drafts, invitations, submission and release. Every commit of the member journey is here.

Anonymity (DESIGN §5): the transaction that uses an invitation writes only a pending row; a
separate transaction later moves pending rows into `response` in shuffled batches of at least k,
with fresh random ids and no time. So no response row shares a transaction id (PostgreSQL
`xmin`), a row position, an id order or a timestamp with the use of an invitation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import audit
from ..extensions import db
from ..models import (
    LONDON,
    Draft,
    Invitation,
    PendingSubmission,
    Response,
    SubmissionReceipt,
    Survey,
    SurveyDay,
    utcnow,
)
from ..questionnaire.answers import off_page
from ..questionnaire.model import Section
from ..questionnaire.rules import clean_answers

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 25  # 125 bits
WITHDRAWAL_LENGTH = 16  # 80 bits, read as four groups of four: guessing online is hopeless
DRAFT_LIFETIME = timedelta(days=60)  # when a survey has no closing date


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


# --- invitations -----------------------------------------------------------------------------


def create_invitations(survey: Survey, count: int) -> list[str]:
    """Create single-use invitations and return their tokens; only hashes are stored."""
    tokens = [new_invitation_token() for _ in range(count)]
    db.session.add_all(Invitation(survey_id=survey.id, token_hash=sha256(t)) for t in tokens)
    db.session.commit()
    return tokens


def find_invitation(token: str) -> Invitation | None:
    """Return the invitation for a token, or None."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == sha256(token)))


# --- drafts ----------------------------------------------------------------------------------


@dataclass
class DraftState:
    """A member's saved answers and the language they are answering in."""

    answers: dict[str, Any]
    language: str


def _lookup(secret: str) -> str:
    return sha256("draft-lookup:" + secret)


def _cipher(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(("draft-key:" + secret).encode()).digest()))


def _find_draft(survey: Survey, secret: str) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.survey_id == survey.id, Draft.lookup == _lookup(secret)))


def _open(survey: Survey, secret: str | None) -> tuple[Draft, DraftState] | None:
    """Return the draft row a secret finds, with its decrypted content; None if there is none."""
    draft = _find_draft(survey, secret) if secret else None
    if draft is None:
        return None
    try:
        content = json.loads(_cipher(secret).decrypt(draft.content))  # type: ignore[arg-type]
    except InvalidToken:
        return None
    return draft, DraftState(content["answers"], content["language"])


def load_draft(survey: Survey, secret: str | None) -> DraftState | None:
    """Return the draft that a secret opens, or None."""
    opened = _open(survey, secret)
    return opened[1] if opened else None


def _store(draft: Draft, secret: str, state: DraftState) -> None:
    draft.content = _cipher(secret).encrypt(json.dumps({"answers": state.answers, "language": state.language}).encode())


def start_draft(survey: Survey, secret: str, language: str) -> DraftState:
    """Return the draft for this secret, creating an empty one the first time."""
    state = load_draft(survey, secret)
    if state is not None:
        return state
    state = DraftState(dict(survey.member_questionnaire.fixed), language)
    expires = survey.closes_at or utcnow() + DRAFT_LIFETIME
    draft = Draft(survey_id=survey.id, lookup=_lookup(secret), expires_at=expires)
    _store(draft, secret, state)
    db.session.add(draft)
    try:
        db.session.commit()
    except IntegrityError:  # the same member started twice at once: use the other request's draft
        db.session.rollback()
        return load_draft(survey, secret) or state
    count_day(survey, "started")
    return state


def save_answers(
    survey: Survey, secret: str, section: Section, page_answers: dict[str, Any], language: str
) -> DraftState:
    """Replace one page's answers in the draft, drop answers that are now hidden, and commit."""
    opened = _open(survey, secret)
    if opened is None:
        raise LookupError("no draft for this secret")
    draft, state = opened
    merged = off_page(section, state.answers) | page_answers
    state = DraftState(clean_answers(survey.member_questionnaire, merged, language), language)
    _store(draft, secret, state)
    db.session.commit()
    return state


def set_language(survey: Survey, secret: str, language: str) -> None:
    """Record the language the member is now answering in."""
    opened = _open(survey, secret)
    if opened is not None and opened[1].language != language:
        draft, state = opened
        state.language = language
        _store(draft, secret, state)
        db.session.commit()


def count_day(survey: Survey, column: str) -> None:
    """Add one to today's count of started or submitted surveys (a day in the UK, nothing finer).

    Its own small transaction, after the member's work is committed, so the counter is never in
    the transaction that stores answers.
    """
    today = utcnow().astimezone(LONDON).date()
    counter = getattr(SurveyDay, column)
    for _ in range(3):
        bumped = db.session.execute(
            update(SurveyDay)
            .where(SurveyDay.survey_id == survey.id, SurveyDay.day == today)
            .values({counter: counter + 1})
        )
        if bumped.rowcount == 0:
            db.session.add(SurveyDay(survey_id=survey.id, day=today, **({"started": 0, "submitted": 0} | {column: 1})))
        try:
            db.session.commit()
            return
        except (IntegrityError, OperationalError):  # another request made today's row first, or a lock
            db.session.rollback()


# --- submission ------------------------------------------------------------------------------


def was_submitted(key: str) -> bool:
    """Return whether a submit form with this key has already been sent and stored."""
    return bool(key) and db.session.get(SubmissionReceipt, sha256(key)) is not None


class Outcome(StrEnum):
    """What happened to a submit."""

    SAVED = "saved"  # stored now
    ALREADY_SAVED = "already_saved"  # this submit form was already used: a double tap or reload
    INVITATION_USED = "invitation_used"  # another device used the invitation first
    NO_DRAFT = "no_draft"  # nothing to submit (already submitted from elsewhere, or expired)


def submit_response(
    survey: Survey, secret: str, key: str, invitation: Invitation | None, withdrawal: str | None = None
) -> Outcome:
    """Store a member's response exactly once, then release a batch if enough are waiting.

    `withdrawal` is the hash of the member's withdrawal code, if they asked for one; the code
    itself is never passed here, so it cannot be stored.
    """
    for attempt in range(3):
        try:
            outcome = _submit_once(survey, secret, key, invitation, withdrawal)
            break
        except OperationalError as error:
            # SQLite refuses to turn a read into a write after another writer committed
            # ("database is locked"); starting again sees that writer's work.
            db.session.rollback()
            if "locked" not in str(error) or attempt == 2:
                raise
    if outcome is Outcome.SAVED:
        count_day(survey, "submitted")
        release_batch(survey)
    return outcome


def _submit_once(
    survey: Survey, secret: str, key: str, invitation: Invitation | None, withdrawal: str | None
) -> Outcome:
    """One transaction: record the submit key, use the invitation, delete the draft, add a
    pending row. Any step that finds the work already done rolls the whole transaction back."""
    state = load_draft(survey, secret)
    if was_submitted(key):
        return Outcome.ALREADY_SAVED
    if state is None:
        return Outcome.NO_DRAFT
    answers = clean_answers(survey.member_questionnaire, state.answers, state.language)
    try:
        db.session.add(SubmissionReceipt(key_hash=sha256(key), survey_id=survey.id))
        db.session.flush()
        if invitation is not None:
            used = db.session.execute(
                update(Invitation).where(Invitation.id == invitation.id, Invitation.used.is_(False)).values(used=True)
            )
            if used.rowcount != 1:
                db.session.rollback()
                return Outcome.INVITATION_USED
        deleted = db.session.execute(delete(Draft).where(Draft.lookup == _lookup(secret)))
        if deleted.rowcount != 1:
            db.session.rollback()
            return Outcome.NO_DRAFT
        db.session.add(
            PendingSubmission(
                survey_id=survey.id,
                questionnaire_version_id=survey.questionnaire_version_id,
                language=state.language,
                answers=answers,
                withdrawal_hash=withdrawal,
            )
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return Outcome.ALREADY_SAVED
    return Outcome.SAVED


def release_batch(survey: Survey, everything: bool = False) -> int:
    """Move waiting submissions into `response`, shuffled, once at least k are waiting.

    With `everything` (at close) the remainder is released whatever its size. Responses that
    members withdrew are deleted in the same transaction, so results never move by one response
    at a time (DESIGN §5). Returns how many responses were released.
    """
    waiting = db.session.scalar(
        select(func.count()).select_from(PendingSubmission).where(PendingSubmission.survey_id == survey.id)
    )
    if not waiting or (waiting < survey.threshold and not everything):
        if everything and _delete_withdrawn(survey):  # at close: nothing new, but withdrawals go
            db.session.commit()
            # No new batch number tells the results snapshot that rows went: drop this process's copy.
            from .. import results  # here: the results engine is not part of the member journey

            results.forget(survey.id)
        return 0
    rows = list(
        db.session.scalars(
            select(PendingSubmission).where(PendingSubmission.survey_id == survey.id).with_for_update(skip_locked=True)
        )
    )
    if len(rows) < survey.threshold and not everything:  # others are being released elsewhere
        db.session.rollback()
        return 0
    random.SystemRandom().shuffle(rows)
    deleted = db.session.execute(delete(PendingSubmission).where(PendingSubmission.id.in_([r.id for r in rows])))
    if deleted.rowcount != len(rows):  # another worker released some of them first
        db.session.rollback()
        return 0
    # Lock the survey row until commit, so that releases of one survey commit in the order of
    # their batch numbers: the results snapshot reads "batch > the last one seen" and must not
    # miss a batch that commits late with a smaller number.
    db.session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())
    last = db.session.scalar(select(func.max(Response.batch)).where(Response.survey_id == survey.id))
    batch = (last or 0) + 1
    for row in rows:
        db.session.add(
            Response(
                survey_id=row.survey_id,
                questionnaire_version_id=row.questionnaire_version_id,
                language=row.language,
                answers=row.answers,
                batch=batch,
                withdrawal_hash=row.withdrawal_hash,
            )
        )
        db.session.flush()  # insert one by one, in the shuffled order
    _delete_withdrawn(survey)
    db.session.commit()
    return len(rows)


def _delete_withdrawn(survey: Survey) -> int:
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
    WITHDRAWING = "withdrawing"  # in the results: deleted when the next batch is added, or at close
    UNKNOWN = "unknown"  # no such code for this survey, or it was used already
    CLOSED = "closed"  # the survey has closed: responses can no longer be withdrawn


MEMBER = "a member"  # the audit log's actor for a withdrawal: never who, even if staff are signed in


def withdrawal_exists(survey: Survey, code: str) -> bool:
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


def withdraw(survey: Survey, code: str) -> Withdrawal:
    """Withdraw the response a code belongs to, once; never read or return its answers.

    A waiting submission is deleted at once. A released one is marked and its hash cleared (so
    the code cannot be used again); release_batch deletes it with the next batch of at least k
    new responses, or at close. The audit entry says only that a response was withdrawn, in its
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


def _withdraw_once(survey: Survey, code: str) -> Withdrawal:
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


def forget_withdrawal_codes(survey: Survey) -> int:
    """Clear every withdrawal hash of a survey (at close), so no code works any more; the caller commits."""
    return sum(
        db.session.execute(
            update(model)
            .where(model.survey_id == survey.id, model.withdrawal_hash.is_not(None))
            .values(withdrawal_hash=None)
        ).rowcount
        for model in (PendingSubmission, Response)
    )
