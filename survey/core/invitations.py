"""Single-use invitations: N links, or one link per member on an uploaded list (survey/core/member_lists.py).

An invitation's token is stored only as a hash (`Invitation`). So that links can be downloaded
again for a mail-merge or a reminder, the token is also kept sealed (encrypted with a key derived
from SECRET_KEY) beside the member's email (`Invitee`); those rows are deleted when the survey
closes. Every change and every download is recorded in the audit log, with counts only.

Using an invitation deletes its `unused_invitation` row and never writes the invitation itself
(docs/decisions/0020-release-at-close-and-unlinkable-invitations.md): see survey/core/submissions.py.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Select, case, exists, func, insert, select
from sqlalchemy.sql.expression import ColumnElement

from ..extensions import db
from ..models import Invitation, InvitationBatch, Invitee, Survey, SurveyStatus, UnusedInvitation, User
from ..results.protection import draw_keys
from ..spreadsheets import csv_chunks, inert
from . import audit
from .codes import new_invitation_token, sha256
from .member_survey import AnySurvey

MAX_INVITATIONS = 100_000  # per batch: links made at once, or members in one uploaded file
MAX_SEGMENT_LENGTH = 100  # Invitation.segment
CSV_HEADER = ("email", "segment", "link")

LinkQuery = Select[str | None, str | None, bytes]  # email, segment, sealed token

CLOSED = "This survey has closed: its member lists and links were deleted, and no more invitations can be made."


class InvitationError(ValueError):
    """A request about invitations that cannot be carried out; the message says why, plainly."""


def can_invite(survey: Survey) -> bool:
    """Return whether invitations can be made and downloaded: only before the survey closes."""
    return survey.status in (SurveyStatus.DRAFT, SurveyStatus.OPEN)


def check_can_invite(survey: Survey) -> None:
    """Raise InvitationError if the survey has closed to invitations."""
    if not can_invite(survey):
        raise InvitationError(CLOSED)


def lock_while_open(survey: Survey) -> None:
    """Lock the survey's row for this transaction and check it is still open to invitations.

    A close that commits first is seen here; a close that comes later waits for this
    transaction, and then deletes the invitees it adds.
    """
    status = db.session.scalar(select(Survey.status).where(Survey.id == survey.id).with_for_update())
    if status not in (SurveyStatus.DRAFT, SurveyStatus.OPEN):
        raise InvitationError(CLOSED)


# --- using an invitation -----------------------------------------------------------------------


def create_invitations(survey: AnySurvey, count: int) -> list[str]:
    """Create single-use invitations and return their tokens; only hashes are stored."""
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


# --- sealing tokens ----------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    """Return the cipher for invitees' tokens: its own key, derived from the app's secret."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"invitee-seal").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(token: str) -> bytes:
    """Return an invitation token encrypted for storage beside its invitee."""
    return _fernet(current_app.config["SECRET_KEY"]).encrypt(token.encode())


def unseal(sealed: bytes) -> str:
    """Return the token that seal() encrypted (InvalidToken if SECRET_KEY has changed since)."""
    return _fernet(current_app.config["SECRET_KEY"]).decrypt(sealed).decode()


# --- making invitations ------------------------------------------------------------------------


def make_links(user: User, survey: Survey, count: int, segment: str | None = None) -> InvitationBatch:
    """Make `count` single-use links in one batch, kept sealed for download. Commits."""
    check_can_invite(survey)
    if not 1 <= count <= MAX_INVITATIONS:
        raise InvitationError(f"Make from 1 to {MAX_INVITATIONS:,} links at a time.")
    segment = (segment or "").strip() or None
    if segment and len(segment) > MAX_SEGMENT_LENGTH:
        raise InvitationError(f"Use {MAX_SEGMENT_LENGTH} characters or fewer for the segment.")
    prepared = prepare([(None, segment, None)] * count)
    batch = new_batch(user, survey, "links", count)
    store(survey, batch, prepared)
    audit.record("made invitation links", survey, batch=batch.id, count=count, segment=segment)
    db.session.commit()
    return batch


def new_batch(user: User, survey: Survey, kind: str, count: int, filename: str | None = None) -> InvitationBatch:
    """Lock the survey while it is open to invitations and add a batch of them to the transaction."""
    lock_while_open(survey)
    batch = InvitationBatch(survey_id=survey.id, created_by=user.email, kind=kind, count=count, filename=filename)
    db.session.add(batch)
    db.session.flush()
    return batch


Prepared = tuple[str, bytes, str | None, str | None, str | None]  # hash, sealed token, email, segment, language


def prepare(rows: Sequence[tuple[str | None, str | None, str | None]]) -> list[Prepared]:
    """Return (token hash, sealed token, email, segment, language) per (email, segment, language),
    each with a new token.

    This is the slow part, so it is done before the transaction takes SQLite's write lock.
    """
    prepared = []
    for email, segment, language in rows:
        token = new_invitation_token()
        prepared.append((sha256(token), seal(token), email, segment, language))
    return prepared


def store(survey: Survey, batch: InvitationBatch, prepared: list[Prepared]) -> None:
    """Insert one invitation (hash only, and a random record key), its unused row, and one invitee
    (email, sealed token, language) per prepared row.

    Core inserts, many rows per statement: a batch can hold 100,000 invitations.
    """
    connection = db.session.connection()
    keys = draw_keys(len(prepared))
    stored = connection.execute(
        insert(Invitation.__table__).returning(Invitation.id, Invitation.token_hash),
        [
            {
                "survey_id": survey.id,
                "token_hash": token_hash,
                "batch_id": batch.id,
                "segment": segment,
                "used": False,
                "record_key": key,
            }
            for (token_hash, _, _, segment, _), key in zip(prepared, keys, strict=True)
        ],
    ).all()
    connection.execute(
        insert(UnusedInvitation.__table__),
        [{"invitation_id": invitation_id, "survey_id": survey.id} for invitation_id, _ in stored],
    )
    by_hash = {token_hash: (sealed, email, language) for token_hash, sealed, email, _, language in prepared}
    invitees = [
        {
            "invitation_id": invitation_id,
            "survey_id": survey.id,
            "email": by_hash[token_hash][1],
            "sealed_token": by_hash[token_hash][0],
            "language": by_hash[token_hash][2],
        }
        for invitation_id, token_hash in stored
    ]
    connection.execute(insert(Invitee.__table__), invitees)


# --- counts --------------------------------------------------------------------------------------


@dataclass
class BatchCounts:
    """One batch and how many of its invitations have been used."""

    batch: InvitationBatch
    used: int
    downloadable: int  # links still kept sealed (none once the survey has closed)


@dataclass
class Overview:
    """How a survey's invitations stand: counts only."""

    invited: int
    used: int
    not_yet_used: int  # members on uploaded lists who have not answered yet
    batches: list[BatchCounts]

    @property
    def unused(self) -> int:
        """Return how many invitations have not been used."""
        return self.invited - self.used


def overview(survey: Survey) -> Overview:
    """Return the invitation counts an organiser needs, batch by batch."""
    per_batch = {
        batch_id: (total, used)
        for batch_id, total, used in db.session.execute(
            select(Invitation.batch_id, func.count(), func.count().filter(used_condition()))
            .where(Invitation.survey_id == survey.id)
            .group_by(Invitation.batch_id)
        )
    }
    kept = dict(
        db.session.execute(
            select(Invitation.batch_id, func.count())
            .join(Invitee, Invitee.invitation_id == Invitation.id)
            .where(Invitation.survey_id == survey.id)
            .group_by(Invitation.batch_id)
        ).all()
    )
    batches = db.session.scalars(
        select(InvitationBatch).where(InvitationBatch.survey_id == survey.id).order_by(InvitationBatch.id.desc())
    )
    return Overview(
        invited=sum(total for total, _ in per_batch.values()),
        used=sum(used for _, used in per_batch.values()),
        not_yet_used=count_rows(_not_yet_used(survey)),
        batches=[BatchCounts(b, per_batch.get(b.id, (0, 0))[1], kept.get(b.id, 0)) for b in batches],
    )


def _not_yet_used(survey: Survey) -> LinkQuery:
    """Return a query for the invitees on uploaded lists whose invitation is still unused (both
    exist only while the survey is open)."""
    return (
        select(Invitee.email, Invitation.segment, Invitee.sealed_token)
        .join(Invitation, Invitation.id == Invitee.invitation_id)
        .join(UnusedInvitation, UnusedInvitation.invitation_id == Invitee.invitation_id)
        .where(Invitee.survey_id == survey.id, Invitee.email.is_not(None))
    )


def count_rows(query: Select[*tuple[Any, ...]]) -> int:
    """Return how many rows a query finds."""
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


# --- downloads -----------------------------------------------------------------------------------


@dataclass
class Download:
    """A list of links ready to stream: a file name, and the rows, read lazily."""

    filename: str
    rows: Iterator[tuple[str, str, str]]

    def csv_chunks(self) -> Iterator[str]:
        """Yield the list as a CSV file (with a byte-order mark, so Excel reads UTF-8), every cell
        made inert (a segment "+44" too), a thousand rows at a time."""
        return csv_chunks(CSV_HEADER, (tuple(inert(value) for value in row) for row in self.rows), prepared=True)


def batch_links(survey: Survey, batch_id: int, link_for: Callable[[str], str]) -> Download:
    """Record a download of one batch's links and return them. Commits (the audit entry)."""
    check_can_invite(survey)
    batch = db.session.get(InvitationBatch, batch_id)
    if batch is None or batch.survey_id != survey.id:
        raise LookupError(batch_id)
    query = (
        select(Invitee.email, Invitation.segment, Invitee.sealed_token)
        .join(Invitation, Invitation.id == Invitee.invitation_id)
        .where(Invitation.batch_id == batch.id)
    )
    _check_readable(query)
    audit.record("downloaded invitation links", survey, batch=batch.id, count=count_rows(query))
    db.session.commit()
    return Download(f"{survey.slug}-links-{batch.id}.csv", _link_rows(query, link_for))


def not_yet_used_links(survey: Survey, link_for: Callable[[str], str]) -> Download:
    """Record a download of the members who have not answered yet and return them. Commits."""
    check_can_invite(survey)
    query = _not_yet_used(survey)
    _check_readable(query)
    audit.record("downloaded not-yet-used list", survey, count=count_rows(query))
    db.session.commit()
    return Download(f"{survey.slug}-not-yet-used.csv", _link_rows(query, link_for))


def _check_readable(query: LinkQuery) -> None:
    """Refuse a download whose links cannot be unsealed because SECRET_KEY changed since."""
    sealed = db.session.scalar(query.with_only_columns(Invitee.sealed_token).limit(1))
    if sealed is None:
        return
    try:
        unseal(sealed)
    except InvalidToken:
        raise InvitationError(
            "These links can no longer be read: the application's secret key has changed since they were made. "
            "Members who already have them can still use them; for anyone else, make new links."
        ) from None


def _link_rows(query: LinkQuery, link_for: Callable[[str], str]) -> Iterator[tuple[str, str, str]]:
    """Yield (email, segment, link) for each row of a query, unsealing tokens as it goes."""
    ordered = query.order_by(Invitee.email, Invitee.invitation_id).execution_options(yield_per=2000)
    for email, segment, sealed in db.session.execute(ordered):
        yield email or "", segment or "", link_for(unseal(sealed))
