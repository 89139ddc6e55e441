"""Single-use invitations as organisers make them: N links, or one link per member on an uploaded list.

No HTTP here. An invitation's token is stored only as a hash (`Invitation`). So that links can
be downloaded again for a mail-merge or a reminder, the token is also kept sealed (encrypted with
a key derived from SECRET_KEY) beside the member's email (`Invitee`); those rows are deleted when
the survey closes. Every change and every download is recorded in the audit log, with counts only.
"""

from __future__ import annotations

import base64
import csv
import io
import logging
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import func, insert, or_, select, update

from .. import audit, mail
from ..extensions import db
from ..models import (
    Invitation,
    InvitationBatch,
    Invitee,
    Mailing,
    Survey,
    SurveyStatus,
    UnusedInvitation,
    User,
    as_utc,
    utcnow,
)
from ..responses.service import new_invitation_token, sha256, used_condition

MAX_INVITATIONS = 100_000  # per batch: links made at once, or members in one uploaded file
MAX_PROBLEMS_SHOWN = 20
MAX_EMAIL_LENGTH = 254
MAX_SEGMENT_LENGTH = 100  # Invitation.segment
EMAIL_HEADERS = ("email", "e-mail", "email address")
SEGMENT_HEADERS = ("segment", "branch", "sector")  # "segment" wins; otherwise branch or sector, not both
LANGUAGE_HEADERS = ("language", "iaith")  # the language of the member's emails
LANGUAGES = {
    "en": "en", "english": "en", "saesneg": "en", "eng": "en",
    "cy": "cy", "welsh": "cy", "cymraeg": "cy", "cym": "cy",
}  # fmt: skip
DELIMITERS = (",", ";", "\t")  # Excel saves with ";" in some countries
# One address: no spaces, commas or brackets (two pasted together), not starting like a formula.
EMAIL = re.compile(r"[^@\s,;<>\"=+\-][^@\s,;<>\"]*@[^@\s,;<>\".]+(?:\.[^@\s,;<>\".]+)+")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas
CSV_HEADER = ("email", "segment", "link")
SAVE_AS_UTF8 = (
    'Save it as "CSV UTF-8": in Excel choose File, Save As, "CSV UTF-8 (Comma delimited) (*.csv)"; '
    "in Google Sheets choose File, Download, Comma-separated values."
)


JOB_QUEUE = "job queue"  # the audit log's actor for what the job worker does
log = logging.getLogger(__name__)

CLOSED = "This survey has closed: its member lists and links were deleted, and no more invitations can be made."


class InvitationError(ValueError):
    """A request about invitations that cannot be carried out; the message says why, plainly."""


class MemberListError(InvitationError):
    """An uploaded list with problems; nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"The file has {len(problems)} problem(s); nothing was imported.")
        self.problems = problems

    @property
    def shown(self) -> list[str]:
        """Return the first problems, as many as a page should list."""
        return self.problems[:MAX_PROBLEMS_SHOWN]

    @property
    def more(self) -> int:
        """Return how many problems are not listed."""
        return max(0, len(self.problems) - MAX_PROBLEMS_SHOWN)


def can_invite(survey: Survey) -> bool:
    """Return whether invitations can be made and downloaded: only before the survey closes."""
    return survey.status in (SurveyStatus.DRAFT, SurveyStatus.OPEN)


def _check_can_invite(survey: Survey) -> None:
    if not can_invite(survey):
        raise InvitationError(CLOSED)


def _lock_while_open(survey: Survey) -> None:
    """Lock the survey's row for this transaction and check it is still open to invitations.

    A close that commits first is seen here; a close that comes later waits for this
    transaction, and then deletes the invitees it adds.
    """
    status = db.session.scalar(select(Survey.status).where(Survey.id == survey.id).with_for_update())
    if status not in (SurveyStatus.DRAFT, SurveyStatus.OPEN):
        raise InvitationError(CLOSED)


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
    _check_can_invite(survey)
    if not 1 <= count <= MAX_INVITATIONS:
        raise InvitationError(f"Make from 1 to {MAX_INVITATIONS:,} links at a time.")
    segment = (segment or "").strip() or None
    if segment and len(segment) > MAX_SEGMENT_LENGTH:
        raise InvitationError(f"Use {MAX_SEGMENT_LENGTH} characters or fewer for the segment.")
    prepared = _prepare([(None, segment, None)] * count)
    batch = _new_batch(user, survey, "links", count)
    _store(survey, batch, prepared)
    audit.record("made invitation links", survey, batch=batch.id, count=count, segment=segment)
    db.session.commit()
    return batch


def import_members(user: User, survey: Survey, data: bytes, filename: str | None) -> InvitationBatch:
    """Check an uploaded members list and make one link per member, all or nothing. Commits.

    Raises MemberListError listing every problem (with spreadsheet row numbers) if any row is wrong.
    """
    _check_can_invite(survey)
    members = read_member_list(data)
    clashes = already_invited(survey, members)
    if clashes:
        raise MemberListError(clashes)
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:255] or None
    rows = [(m.email, m.segment, m.language) for m in members]
    random.SystemRandom().shuffle(rows)  # invitation ids must not follow the order of the file
    prepared = _prepare(rows)
    batch = _new_batch(user, survey, "upload", len(members), name)
    _store(survey, batch, prepared)
    segments = len({m.segment for m in members if m.segment})
    audit.record("uploaded members list", survey, batch=batch.id, count=len(members), segments=segments, filename=name)
    db.session.commit()
    return batch


def _new_batch(user: User, survey: Survey, kind: str, count: int, filename: str | None = None) -> InvitationBatch:
    _lock_while_open(survey)
    batch = InvitationBatch(survey_id=survey.id, created_by=user.email, kind=kind, count=count, filename=filename)
    db.session.add(batch)
    db.session.flush()
    return batch


Prepared = tuple[str, bytes, str | None, str | None, str | None]  # hash, sealed token, email, segment, language


def _prepare(rows: list[tuple[str | None, str | None, str | None]]) -> list[Prepared]:
    """Return (token hash, sealed token, email, segment, language) per (email, segment, language),
    each with a new token.

    This is the slow part, so it is done before the transaction takes SQLite's write lock.
    """
    prepared = []
    for email, segment, language in rows:
        token = new_invitation_token()
        prepared.append((sha256(token), seal(token), email, segment, language))
    return prepared


def _store(survey: Survey, batch: InvitationBatch, prepared: list[Prepared]) -> None:
    """Insert one invitation (hash only, and a random record key), its unused row, and one invitee
    (email, sealed token, language) per prepared row.

    Core inserts, many rows per statement: a batch can hold 100,000 invitations.
    """
    from ..results.protection import draw_keys  # here: the results engine is imported only where it is used

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


# --- reading an uploaded list ------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One member from an uploaded list, with the row it came from (the header is row 1)."""

    row: int
    email: str
    segment: str | None
    language: str | None = None  # "en" or "cy", from a language column


@dataclass
class _Reading:
    """What reading a list found so far: members, and problems as (row, message)."""

    members: list[Member] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    first_row: dict[str, int] = field(default_factory=dict)  # email, case-folded -> row
    count: int = 0  # rows that are not blank

    def problem(self, row: int, message: str) -> None:
        self.problems.append((row, message))


def read_member_list(data: bytes) -> list[Member]:
    """Return the members in a CSV file, or raise MemberListError with every problem found.

    The first row names the columns: `email` (required) and optionally `segment`, or `branch`
    or `sector` instead, and `language` (en or cy: the language of the member's emails). Other
    columns are ignored. Rows that are wholly blank are skipped.
    """
    rows = _rows(_text(data))
    header = [cell.strip().lower() for cell in next(rows, [])]
    if not any(header):
        raise MemberListError(["The file is empty. Its first row must name the columns, one of them email."])
    email_at, segment_at = _columns(header)
    language_at = next((header.index(name) for name in LANGUAGE_HEADERS if name in header), None)
    reading = _Reading()
    for number, cells in enumerate(rows, start=2):
        _read_row(reading, number, cells, email_at, segment_at, language_at)
    return _finish(reading)


def _text(data: bytes) -> str:
    """Return the file as text; it must be UTF-8 (a byte-order mark is fine)."""
    if data.startswith(b"PK\x03\x04"):
        raise MemberListError([f"This is an Excel workbook, not a CSV file. {SAVE_AS_UTF8}"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:  # UTF-16 ("Unicode text") decodes as UTF-8 with NULs when it has no BOM
        raise MemberListError([f"The file is not saved as UTF-8 text. {SAVE_AS_UTF8}"])
    return text


def _rows(text: str) -> Iterator[list[str]]:
    """Yield the CSV rows, split on the delimiter the header line uses (comma, semicolon or tab)."""
    first_line = text.split("\n", 1)[0]
    delimiter = next((d for d in DELIMITERS if d in first_line), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:  # a cell too large to be an email or a segment, say
        raise MemberListError([f"Line {reader.line_num} could not be read ({error}). {SAVE_AS_UTF8}"]) from None


def _columns(header: list[str]) -> tuple[int, int | None]:
    """Return where the email and segment columns are, or raise MemberListError."""
    named = [name for name in header if name]
    problems = [f"Two columns are called {name}: keep one." for name in sorted(set(named)) if named.count(name) > 1]
    emails = [i for i, name in enumerate(header) if name in EMAIL_HEADERS]
    if not emails:
        problems.append(f"There is no email column. The first row must name the columns (found: {', '.join(named)}).")
    elif len({header[i] for i in emails}) > 1:
        problems.append("There is more than one email column: keep one.")
    segments = {name: header.index(name) for name in SEGMENT_HEADERS if name in header}
    if "segment" not in segments and len(segments) > 1:
        problems.append("There are both branch and sector columns. Rename the one to use to segment.")
    if problems:
        raise MemberListError(problems)
    return emails[0], segments.get("segment", next(iter(segments.values()), None))


def _read_row(
    reading: _Reading, number: int, cells: list[str], email_at: int, segment_at: int | None, language_at: int | None
) -> None:
    """Check one row and keep its member, or note its problems."""
    if not any(cell.strip() for cell in cells):
        return
    reading.count += 1
    email = cells[email_at].strip() if email_at < len(cells) else ""
    segment = (cells[segment_at].strip() or None) if segment_at is not None and segment_at < len(cells) else None
    problems = len(reading.problems)
    if not email:
        reading.problem(number, f"Row {number}: the email address is missing.")
    elif len(email) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(email):
        reading.problem(number, f"Row {number}: “{_short(email)}” is not an email address.")
    elif email.casefold() in reading.first_row:
        first = reading.first_row[email.casefold()]
        reading.problem(number, f"Rows {first} and {number} have the same email address ({_short(email)}).")
    else:
        reading.first_row[email.casefold()] = number
    if segment and len(segment) > MAX_SEGMENT_LENGTH:
        reading.problem(number, f"Row {number}: the segment is longer than {MAX_SEGMENT_LENGTH} characters.")
    written = cells[language_at].strip() if language_at is not None and language_at < len(cells) else ""
    language = LANGUAGES.get(written.casefold()) if written else None
    if written and language is None:
        reading.problem(number, f"Row {number}: the language “{_short(written)}” is not en or cy (English or Welsh).")
    if len(reading.problems) == problems:
        reading.members.append(Member(number, email, segment, language))


def _finish(reading: _Reading) -> list[Member]:
    """Return the members, or raise MemberListError if anything was wrong."""
    if reading.count > MAX_INVITATIONS:
        reading.problems.insert(
            0, (0, f"The file has {reading.count:,} members. Upload at most {MAX_INVITATIONS:,} at a time: split it.")
        )
    elif reading.count == 0:
        reading.problem(0, "The file has column names but no members.")
    if reading.problems:
        raise MemberListError([message for _, message in reading.problems])
    return reading.members


def _short(value: str, length: int = 60) -> str:
    return value if len(value) <= length else value[: length - 1] + "…"


def already_invited(survey: Survey, members: list[Member]) -> list[str]:
    """Return a problem for each member who already has an invitation to this survey."""
    emails = db.session.scalars(select(Invitee.email).where(Invitee.survey_id == survey.id, Invitee.email.is_not(None)))
    invited = {email.casefold() for email in emails}
    return [
        f"Row {m.row}: {_short(m.email)} has already been invited to this survey, in an earlier list."
        for m in members
        if m.email.casefold() in invited
    ]


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
        not_yet_used=_count(_not_yet_used(survey)),
        batches=[BatchCounts(b, per_batch.get(b.id, (0, 0))[1], kept.get(b.id, 0)) for b in batches],
    )


def _not_yet_used(survey: Survey):
    """Return a query for the invitees on uploaded lists whose invitation is still unused (both
    exist only while the survey is open)."""
    return (
        select(Invitee.email, Invitation.segment, Invitee.sealed_token)
        .join(Invitation, Invitation.id == Invitee.invitation_id)
        .join(UnusedInvitation, UnusedInvitation.invitation_id == Invitee.invitation_id)
        .where(Invitee.survey_id == survey.id, Invitee.email.is_not(None))
    )


# --- downloads -----------------------------------------------------------------------------------


@dataclass
class Download:
    """A list of links ready to stream: a file name, and the rows, read lazily."""

    filename: str
    rows: Iterator[tuple[str, str, str]]


def batch_links(survey: Survey, batch_id: int, link_for: Callable[[str], str]) -> Download:
    """Record a download of one batch's links and return them. Commits (the audit entry)."""
    _check_can_invite(survey)
    batch = db.session.get(InvitationBatch, batch_id)
    if batch is None or batch.survey_id != survey.id:
        raise LookupError(batch_id)
    query = (
        select(Invitee.email, Invitation.segment, Invitee.sealed_token)
        .join(Invitation, Invitation.id == Invitee.invitation_id)
        .where(Invitation.batch_id == batch.id)
    )
    _check_readable(query)
    audit.record("downloaded invitation links", survey, batch=batch.id, count=_count(query))
    db.session.commit()
    return Download(f"{survey.slug}-links-{batch.id}.csv", _link_rows(query, link_for))


def not_yet_used_links(survey: Survey, link_for: Callable[[str], str]) -> Download:
    """Record a download of the members who have not answered yet and return them. Commits."""
    _check_can_invite(survey)
    query = _not_yet_used(survey)
    _check_readable(query)
    audit.record("downloaded not-yet-used list", survey, count=_count(query))
    db.session.commit()
    return Download(f"{survey.slug}-not-yet-used.csv", _link_rows(query, link_for))


def _check_readable(query) -> None:
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


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _link_rows(query, link_for: Callable[[str], str]) -> Iterator[tuple[str, str, str]]:
    """Yield (email, segment, link) for each row of a query, unsealing tokens as it goes."""
    ordered = query.order_by(Invitee.email, Invitee.invitation_id).execution_options(yield_per=2000)
    for email, segment, sealed in db.session.execute(ordered):
        yield email or "", segment or "", link_for(unseal(sealed))


def inert(value: str) -> str:
    """Return a cell value a spreadsheet will show as text, never run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_chunks(rows: Iterable[tuple[str, ...]], chunk: int = 1000) -> Iterator[str]:
    """Yield a CSV file (with a byte-order mark, so Excel reads UTF-8) a thousand rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(CSV_HEADER)
    for number, row in enumerate(rows, start=1):
        writer.writerow([inert(value) for value in row])
        if number % chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- email: invitations and reminders sent from the app ------------------------------------------
# The organiser starts a mailing here; survey/jobs.py sends it, a turn at a time, with send_some.
# Who has been sent what is marked on the invitee rows (deleted at close), in the same commit as
# the mailing's count; the organiser sees counts only, and the log says counts only.

INVITATION, REMINDER = mail.KINDS
HAND_OFF_SECONDS = 15 * 60  # a turn's successor may wait this long in the queue behind other jobs
WHAT = {INVITATION: "invitation emails", REMINDER: "reminders"}


def _now() -> datetime:
    return datetime.fromtimestamp(mail.clock.time(), UTC)


def _lease(per_minute: int) -> timedelta:
    """Return how long a job holds a mailing after each message: longer than any wait between two."""
    return timedelta(seconds=max(300, 3 * 60 / per_minute))


def _recipients(survey_id: int, kind: str, mailing: Mailing | _Sending | None = None):
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
    return _count(_recipients(survey.id, kind))


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


def start_mailing(user: User, survey: Survey, kind: str, link_prefix: str) -> Mailing:
    """Start sending invitation emails or reminders to every member they are due to. Commits.

    The job queue does the sending (survey/jobs.py); this only records what to send.
    """
    if kind not in WHAT:
        raise LookupError(kind)
    problem = sending_problem(survey)
    if problem:
        raise InvitationError(problem)
    _lock_while_open(survey)
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
    taken = db.session.execute(
        update(Mailing)
        .where(
            Mailing.id == mailing_id,
            Mailing.finished_at.is_(None),
            Mailing.problem.is_(None),
            or_(Mailing.holder.is_(None), Mailing.holder == holder, Mailing.held_until < now),
        )
        .values(holder=holder, held_until=now + _lease(current_app.config["MAIL_PER_MINUTE"]))
    ).rowcount
    mailing = db.session.get(Mailing, mailing_id) if taken == 1 else None
    sending = mailing and _Sending(
        mailing.id, mailing.survey_id, mailing.kind, mailing.last_invitation_id, mailing.link_prefix
    )
    db.session.commit()
    return sending


def _end_turn(sending: _Sending, by: str, **values) -> None:
    """Write how the turn ended, if its holder (`by`) still holds the mailing. Commits."""
    db.session.execute(update(Mailing).where(Mailing.id == sending.id, Mailing.holder == by).values(**values))
    db.session.commit()


def _finish_mailing(sending: _Sending, holder: str, problem: str | None = None) -> None:
    """Mark a mailing finished (or stopped, with the reason) and record it in the audit log. Commits."""
    if problem is None:
        _end_turn(sending, holder, finished_at=utcnow(), holder=None)
    else:
        _end_turn(sending, holder, problem=problem[:300], holder=None, held_until=None)
    mailing = db.session.get(Mailing, sending.id)
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
    held = db.session.execute(
        update(Mailing)
        .where(Mailing.id == sending.id, Mailing.holder == holder)
        .values(
            sent=Mailing.sent + (0 if refused else 1),
            refused=Mailing.refused + (1 if refused else 0),
            held_until=_now() + _lease(current_app.config["MAIL_PER_MINUTE"]),
        )
    ).rowcount
    db.session.execute(update(Invitee).where(Invitee.invitation_id == invitation_id).values({column: sending.id}))
    db.session.commit()
    return held == 1


def send_some(mailing_id: int, holder: str, limiter: mail.Limiter) -> bool:
    """Send a mailing's next emails for one turn (MAIL_JOB_SECONDS), at the limiter's pace; return
    whether some are left for the next turn. Commits after each message.

    Each message is handed to the mail server, then its member is marked in one commit: a worker
    that dies between the two sends that one message again when the mailing carries on, and no other.
    """
    sending = _take(mailing_id, holder)
    if sending is None:
        return False  # finished, stopped, or another job sends it
    survey = db.session.get(Survey, sending.survey_id)
    languages = survey.questionnaire.languages
    words = {
        language: mail.wording(sending.kind, language, survey.title(language), survey.closes_at)
        for language in languages
    }
    deadline = mail.clock.time() + current_app.config["MAIL_JOB_SECONDS"]
    with mail.Postman() as postman:
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
            language = row.language if row.language in languages else languages[0]
            try:
                link = f"{sending.link_prefix}{unseal(row.sealed_token)}?lang={language}"
            except InvalidToken:
                _finish_mailing(sending, holder, "The links can no longer be read: the secret key has changed.")
                return False
            limiter.wait()
            refused = False
            try:
                postman.send(mail.compose(words[language], row.email, link))
            except mail.Refused:
                refused = True
            except mail.Unavailable as error:
                _finish_mailing(sending, holder, f"{str(error)[:1].upper()}{str(error)[1:]}.")
                return False
            if not _mark(sending, holder, row.invitation_id, refused):
                return False
