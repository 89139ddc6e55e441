"""Uploaded member lists: reading a CSV file of members' email addresses, and making one
invitation per member, all or nothing (the links themselves: survey/core/invitations.py).

The organiser sees every problem with its spreadsheet row number, and nothing is imported until
the file is right. Member lists are deleted when the survey closes.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from sqlalchemy import select

from ..extensions import db
from ..models import InvitationBatch, Invitee, Survey, User
from ..spreadsheets import FileProblems, csv_rows
from . import audit
from .invitations import (
    MAX_INVITATIONS,
    MAX_SEGMENT_LENGTH,
    InvitationError,
    check_can_invite,
    new_batch,
    prepare,
    store,
)

MAX_EMAIL_LENGTH = 254
EMAIL_HEADERS = ("email", "e-mail", "email address")
SEGMENT_HEADERS = ("segment", "branch", "sector")  # "segment" wins; otherwise branch or sector, not both
LANGUAGE_HEADERS = ("language", "iaith")  # the language of the member's emails
LANGUAGES = {
    "en": "en", "english": "en", "saesneg": "en", "eng": "en",
    "cy": "cy", "welsh": "cy", "cymraeg": "cy", "cym": "cy",
}  # fmt: skip
# One address: no spaces, commas or brackets (two pasted together), not starting like a formula.
EMAIL = re.compile(r"[^@\s,;<>\"=+\-][^@\s,;<>\"]*@[^@\s,;<>\".]+(?:\.[^@\s,;<>\".]+)+")


class MemberListError(InvitationError, FileProblems):
    """An uploaded list with problems; nothing was imported."""

    NOTHING = "nothing was imported"


def import_members(user: User, survey: Survey, data: bytes, filename: str | None) -> InvitationBatch:
    """Check an uploaded members list and make one link per member, all or nothing. Commits.

    Raises MemberListError listing every problem (with spreadsheet row numbers) if any row is wrong.
    """
    check_can_invite(survey)
    members = read_member_list(data)
    clashes = already_invited(survey, members)
    if clashes:
        raise MemberListError(clashes)
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:255] or None
    rows = [(m.email, m.segment, m.language) for m in members]
    random.SystemRandom().shuffle(rows)  # invitation ids must not follow the order of the file
    prepared = prepare(rows)
    batch = new_batch(user, survey, "upload", len(members), name)
    store(survey, batch, prepared)
    segments = len({m.segment for m in members if m.segment})
    audit.record("uploaded members list", survey, batch=batch.id, count=len(members), segments=segments, filename=name)
    db.session.commit()
    return batch


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
    rows = csv_rows(data, MemberListError)
    header = [cell.strip().lower() for cell in next(rows, [])]
    if not any(header):
        raise MemberListError(["The file is empty. Its first row must name the columns, one of them email."])
    email_at, segment_at = _columns(header)
    language_at = next((header.index(name) for name in LANGUAGE_HEADERS if name in header), None)
    reading = _Reading()
    for number, cells in enumerate(rows, start=2):
        _read_row(reading, number, cells, email_at, segment_at, language_at)
    return _finish(reading)


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
    invited = {email.casefold() for email in emails if email is not None}
    return [
        f"Row {m.row}: {_short(m.email)} has already been invited to this survey, in an earlier list."
        for m in members
        if m.email.casefold() in invited
    ]
