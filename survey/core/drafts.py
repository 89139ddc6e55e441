"""Drafts: a member's saved, unsent answers, found and encrypted by their resume code only.

An invited member's invitation token travels inside the encrypted draft, so holding the link
opens no one's saved answers (DESIGN §5).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError

from ..extensions import changed, db
from ..models import Draft, utcnow
from ..questionnaire.answers import off_page
from ..questionnaire.model import Section
from ..questionnaire.rules import clean_answers
from .codes import sha256
from .day_counts import count_day
from .member_survey import AnySurvey

DRAFT_LIFETIME = timedelta(days=60)  # when a survey has no closing date


@dataclass
class DraftState:
    """A member's saved answers, the language they are answering in, and, for an invited member,
    the invitation token their answers will be sent with (kept inside the encrypted draft)."""

    answers: dict[str, Any]
    language: str
    token: str | None = None


# Built once, on the table rather than the ORM class (a plain Core statement costs about half):
# the member journey reads its draft on nearly every request.
_DRAFT = Draft.__table__
_DRAFT_WHERE = (_DRAFT.c.survey_id == bindparam("draft_survey")) & (_DRAFT.c.lookup == bindparam("draft_lookup"))
_DRAFT_CONTENT = select(_DRAFT.c.content).where(_DRAFT_WHERE)
_DRAFT_REWRITE = _DRAFT.update().where(_DRAFT_WHERE).values(content=bindparam("sealed"))


def lookup(secret: str) -> str:
    """Return the hash a draft is found by: its resume code's, never the code."""
    return sha256("draft-lookup:" + secret)


def _cipher(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(("draft-key:" + secret).encode()).digest()))


def load_draft(survey: AnySurvey, secret: str | None) -> DraftState | None:
    """Return the draft that a secret opens, or None."""
    if not secret:
        return None
    content = db.session.scalar(_DRAFT_CONTENT, {"draft_survey": survey.id, "draft_lookup": lookup(secret)})
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
    found = {"draft_survey": survey.id, "draft_lookup": lookup(secret), "sealed": _seal(secret, state)}
    return changed(_DRAFT_REWRITE, found) == 1


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
    db.session.add(Draft(survey_id=survey.id, lookup=lookup(secret), expires_at=expires, content=_seal(secret, state)))
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
