"""The membership profile: how many members the union holds in each group of a breakdown, dated.

An administrator uploads a CSV file of counts (never a member list): one row per group, with
the columns `dimension,group,members`, and optionally `service_group`, `sector` and `region` to
give the counts of one audience's members (a Health survey is compared with Health members).
Dimensions and groups are the breakdowns of the audience questionnaire (ai-at-work), named by
id or code, or by their English or Welsh label. Every problem is listed with its line number and
nothing is stored until the file is right. The profile with the newest as-of date is the one
results use (survey/results/representation.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..models import AUDIENCE_KEYS, MembershipCount, MembershipProfile, Survey
from ..questionnaire.model import Dimension, Option, Questionnaire
from ..results.representation import Membership
from ..spreadsheets import FileProblems, csv_rows
from . import audit
from .accounts import audience_questionnaire
from .audience import audience_options, audience_problem

REQUIRED = ("dimension", "group", "members")
MAX_ROWS = 5000
MAX_NAME = 200
WHOLE_NUMBER = re.compile(r"[+-]?\d+")


class ProfileError(FileProblems):
    """An uploaded profile with problems; nothing was stored."""

    NOTHING = "nothing was stored"


@dataclass(frozen=True)
class Count:
    """One row of a profile: the members of one group of one dimension, within an audience."""

    line: int
    audience: str  # "" (every member) or "service_group=health;sector=…" (audience_key)
    dimension: str
    code: str
    members: int


# --- reading a file ------------------------------------------------------------------------------


def read_profile(data: bytes, questionnaire: Questionnaire | None = None) -> list[Count]:
    """Return the counts in a CSV file, or raise ProfileError naming every problem by line."""
    questionnaire = questionnaire or audience_questionnaire()
    rows = csv_rows(data, ProfileError)
    header = [cell.strip().lower().replace(" ", "_") for cell in next(rows, [])]
    if not any(header):
        raise ProfileError(["The file is empty. Its first line must name the columns: dimension, group, members."])
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        found = ", ".join(name for name in header if name) or "none"
        raise ProfileError([f"Line 1: the column {' and '.join(missing)} is missing (found: {found})."])
    columns = {name: header.index(name) for name in (*REQUIRED, *AUDIENCE_KEYS) if name in header}
    reading = _Reading()
    for number, cells in enumerate(rows, start=2):
        if any(cell.strip() for cell in cells):
            _read_row(reading, questionnaire, number, {name: _cell(cells, at) for name, at in columns.items()})
    if not reading.counts and not reading.problems:
        reading.problems.append("The file has column names but no counts.")
    elif len(reading.counts) > MAX_ROWS:
        reading.problems.insert(0, f"The file has more than {MAX_ROWS:,} counts: a profile is counts by group.")
    if reading.problems:
        raise ProfileError(reading.problems)
    return reading.counts


@dataclass
class _Reading:
    counts: list[Count] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    first_line: dict[tuple[str, str, str], int] = field(default_factory=dict)


def _cell(cells: list[str], at: int) -> str:
    return cells[at].strip() if at < len(cells) else ""


def _read_row(reading: _Reading, questionnaire: Questionnaire, line: int, cells: dict[str, str]) -> None:
    """Check one line and keep its count, or note its problems."""
    before = len(reading.problems)
    dimension = _dimension(questionnaire, cells["dimension"])
    option = None
    if dimension is None:
        reading.problems.append(
            f"Line {line}: “{_short(cells['dimension'])}” is not a breakdown of the {questionnaire.id} questionnaire."
        )
    else:
        option = _named(dimension.values, cells["group"])
        if option is None:
            label = dimension.label["en"]
            reading.problems.append(f"Line {line}: “{_short(cells['group'])}” is not a group of {label}.")
    members = _members(cells["members"])
    if isinstance(members, str):
        reading.problems.append(f"Line {line}: {members}")
    audience = _audience(questionnaire, cells, line, reading.problems)
    if len(reading.problems) > before or dimension is None or option is None or isinstance(members, str):
        return
    key = (audience, dimension.id, option.code)
    if key in reading.first_line:
        first = reading.first_line[key]
        reading.problems.append(
            f"Line {line} repeats line {first} ({dimension.label['en']}: {option.label['en']}): keep one."
        )
        return
    reading.first_line[key] = line
    reading.counts.append(Count(line, audience, dimension.id, option.code, members))


def _dimension(questionnaire: Questionnaire, written: str) -> Dimension | None:
    wanted = written.casefold()
    for dimension in questionnaire.dimensions:
        if wanted in {dimension.id.casefold(), *(label.casefold() for label in dimension.label.values())}:
            return dimension
    return None


def _named(options: tuple[Option, ...] | list[Option], written: str) -> Option | None:
    """Return the option with this code, or this English or Welsh label."""
    wanted = written.casefold()
    for option in options:
        if wanted and wanted in {option.code.casefold(), *(label.casefold() for label in option.label.values())}:
            return option
    return None


def _members(written: str) -> int | str:
    """Return a whole number of members, or what is wrong with it."""
    number = written.replace(",", "").replace(" ", "").replace("_", "")
    if not number:
        return "the number of members is missing."
    if not WHOLE_NUMBER.fullmatch(number):
        return f"“{_short(written)}” is not a whole number of members."
    if int(number) < 0:
        return f"the number of members ({written}) is negative."
    if int(number) > 10_000_000:
        return f"{written} members is more than any union holds: check the column."
    return int(number)


def _audience(questionnaire: Questionnaire, cells: dict[str, str], line: int, problems: list[str]) -> str:
    """Return the audience a line counts (as audience_key), noting problems."""
    audience = {}
    for key in AUDIENCE_KEYS:
        written = cells.get(key, "")
        if written:
            option = _named(audience_options(questionnaire, key), written)
            if option is None:
                problems.append(f"Line {line}: “{_short(written)}” is not a {key.replace('_', ' ')}.")
                return ""
            audience[key] = option.code
    problem = audience_problem(questionnaire, audience)
    if problem:
        problems.append(f"Line {line}: {problem}")
    return audience_key(audience)


def audience_key(audience: dict | None) -> str:
    """Return an audience as stored with counts: "" for every member, else "service_group=health;…"."""
    audience = audience or {}
    return ";".join(f"{key}={audience[key]}" for key in AUDIENCE_KEYS if audience.get(key))


def _short(value: str, length: int = 60) -> str:
    return value if len(value) <= length else value[: length - 1] + "…"


# --- storing and reading profiles ----------------------------------------------------------------


def store_profile(uploaded_by: str, name: str, as_of: date, data: bytes, filename: str | None) -> MembershipProfile:
    """Check an uploaded profile and store it, all or nothing. Commits; raises ProfileError.

    `uploaded_by` is the administrator's email (or "command line", for the demo's profile)."""
    name = name.strip()[:MAX_NAME]
    if not name:
        raise ProfileError(["Enter where the counts come from."])
    counts = read_profile(data)
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:255] or None
    profile = MembershipProfile(name=name, as_of=as_of, uploaded_by=uploaded_by, filename=filename)
    profile.counts = [
        MembershipCount(audience=c.audience, dimension=c.dimension, code=c.code, members=c.members) for c in counts
    ]
    db.session.add(profile)
    db.session.flush()
    dimensions = sorted({c.dimension for c in counts})
    audit.record(
        "uploaded membership profile",
        profile=profile.id,
        name=name,
        as_of=as_of.isoformat(),
        counts=len(counts),
        dimensions=", ".join(dimensions),
        filename=filename,
    )
    db.session.commit()
    return profile


def delete_profile(profile: MembershipProfile) -> None:
    """Delete a profile and its counts (an upload of the wrong file, say); results then use the
    newest one left, or none. Commits, with an audit entry."""
    audit.record(
        "deleted membership profile",
        profile=profile.id,
        name=profile.name,
        as_of=profile.as_of.isoformat(),
        filename=profile.filename,
    )
    db.session.delete(profile)
    db.session.commit()


@dataclass(frozen=True)
class ProfileSummary:
    """One stored profile as the administrators' list shows it."""

    profile: MembershipProfile
    counts: int
    dimensions: list[str]  # labels
    audiences: int  # how many audiences besides every member have counts
    used: bool  # the newest: the one results use


def latest_profile() -> MembershipProfile | None:
    """Return the profile results use: the newest as-of date (the latest upload on a tie)."""
    newest = select(MembershipProfile).order_by(MembershipProfile.as_of.desc(), MembershipProfile.id.desc())
    return db.session.scalars(newest.limit(1)).first()


def profiles() -> list[ProfileSummary]:
    """Return every stored profile, newest first."""
    questionnaire = audience_questionnaire()
    labels = {d.id: d.label["en"] for d in questionnaire.dimensions}
    found = db.session.scalars(
        select(MembershipProfile).order_by(MembershipProfile.as_of.desc(), MembershipProfile.id.desc())
    ).all()
    rows = db.session.execute(
        select(MembershipCount.profile_id, MembershipCount.dimension, MembershipCount.audience, func.count()).group_by(
            MembershipCount.profile_id, MembershipCount.dimension, MembershipCount.audience
        )
    ).all()
    summaries = []
    for index, profile in enumerate(found):
        mine = [row for row in rows if row[0] == profile.id]
        dimensions = sorted({row[1] for row in mine}, key=lambda d: list(labels).index(d) if d in labels else 999)
        summaries.append(
            ProfileSummary(
                profile,
                sum(row[3] for row in mine),
                [labels.get(d, d) for d in dimensions],
                len({row[2] for row in mine if row[2]}),
                index == 0,
            )
        )
    return summaries


def membership_for(survey: Survey) -> Membership | None:
    """Return the newest profile's counts for a survey's audience (every member for a national
    survey; only that audience's members for a sector survey), or None when there is no profile."""
    profile = latest_profile()
    if profile is None:
        return None
    key = audience_key(survey.audience)
    counts: dict[str, dict[str, int]] = {}
    for row in db.session.scalars(
        select(MembershipCount).where(MembershipCount.profile_id == profile.id, MembershipCount.audience == key)
    ):
        counts.setdefault(row.dimension, {})[row.code] = row.members
    return Membership(profile.name, profile.as_of, counts, bool(key))
