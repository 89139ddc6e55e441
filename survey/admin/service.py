"""Administration: staff accounts, questionnaire uploads and reading the audit log. No HTTP here.

Every change is recorded in the audit log in the same transaction. Temporary passwords are
returned to the caller to show once; they are never stored or recorded anywhere.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from dataclasses import dataclass
from pathlib import PurePath

from flask import current_app
from sqlalchemy import delete, func, select

from .. import audit
from ..accounts.service import create_user, find_user, password_problem, set_password, unlock
from ..extensions import db
from ..models import AuditEvent, QuestionnaireVersion, Role, StaffSession, Survey, User
from ..organise.service import audience_problem, describe_audience
from ..questionnaire.loader import MAX_FILE_BYTES, Problem, QuestionnaireError, load_text
from ..questionnaire.model import Questionnaire

AUDIENCE_QUESTIONNAIRE = "ai-at-work"  # its service groups, sectors and regions name the scopes
UPLOAD_SUFFIXES = (".yaml", ".yml")
AUDIT_PAGE_SIZE = 50
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# No 0/O, 1/l/I: temporary passwords are read aloud or copied from a screen.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class AdminError(ValueError):
    """An administrator's request that cannot be carried out; the message says why, plainly."""


# --- accounts ---------------------------------------------------------------------------------


def temporary_password(email: str = "") -> str:
    """Return a random password to pass on once, in four groups of five: "Ab3de-Fg4hj-…"."""
    while True:
        groups = ("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(5)) for _ in range(4))
        password = "-".join(groups)
        if password_problem(password, email) is None:
            return password


def demo_viewer(email: str) -> str:
    """Create or refresh the development demo's viewer, who sees every survey and changes nothing.

    Returns a fresh password, printed once by `flask demo`. Never used in production.
    """
    password = temporary_password(email)
    user = find_user(email)
    if user is None:
        user = create_user(email, "Demo viewer", Role.VIEWER, password, scopes=[{}])
        db.session.flush()
    set_password(user, password, temporary=False)
    user.role, user.scopes, user.active = Role.VIEWER, [{}], True
    audit.record("reset the demo viewer", actor="command line")
    db.session.commit()
    return password


def email_problem(email: str) -> str | None:
    """Return what is wrong with an email address for a new account, or None."""
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email) or len(email) > 320:
        return "Enter an email address like name@example.org"
    if find_user(email) is not None:
        return "There is already an account with this email address"
    return None


def audience_questionnaire() -> Questionnaire:
    """Return the questionnaire whose audience options name the scopes."""
    return current_app.extensions["questionnaires"][AUDIENCE_QUESTIONNAIRE]


def scopes_problem(role: str, scopes: list[dict]) -> str | None:
    """Return what is wrong with an account's scopes for its role, or None."""
    if role == Role.ADMIN:
        return None
    if not scopes:
        return "Give an organiser or viewer at least one service group, sector or region"
    for scope in scopes:
        problem = audience_problem(audience_questionnaire(), scope)
        if problem:
            return problem
    return None


def describe_scopes(user: User) -> list[str]:
    """Return what an account may see, one audience a line: "Police and justice: Probation; Cymru/Wales"."""
    if user.is_admin:
        return ["Everything"]
    return [describe_audience(audience_questionnaire(), scope) for scope in user.scopes or []] or ["Nothing yet"]


def create_account(email: str, name: str, role: str, scopes: list[dict]) -> tuple[User, str]:
    """Add an account with a temporary password; return it and the password to show once. Commits."""
    problem = email_problem(email) or scopes_problem(role, scopes)
    if problem:
        raise AdminError(problem)
    password = temporary_password(email)
    user = create_user(email, name, Role(role), password, [] if role == Role.ADMIN else scopes)
    audit.record("created account", account=user.email, role=user.role, scopes=user.scopes)
    db.session.commit()
    return user, password


def create_admin(email: str, name: str, password: str) -> User:
    """Add an administrator with the password they chose (from the command line). Commits.

    They still set up two-factor sign-in at their first sign-in: the staff pages insist on it.
    """
    problem = email_problem(email) or password_problem(password, email)
    if problem:
        raise AdminError(problem)
    user = create_user(email, name, Role.ADMIN, password)
    user.must_change_password = False
    audit.record("created administrator", account=user.email)
    db.session.commit()
    return user


@dataclass
class AccountChange:
    """What an administrator can change on an account."""

    name: str
    role: str
    scopes: list[dict]
    active: bool


def update_account(admin: User, user: User, change: AccountChange) -> None:
    """Store changes to an account; deactivating it signs it out everywhere. Commits."""
    if user.id == admin.id and change.role != Role.ADMIN:
        raise AdminError("You cannot remove your own administrator role. Ask another administrator.")
    if user.id == admin.id and not change.active:
        raise AdminError("You cannot deactivate your own account. Ask another administrator.")
    problem = scopes_problem(change.role, change.scopes)
    if problem:
        raise AdminError(problem)
    scopes = [] if change.role == Role.ADMIN else change.scopes
    before = {"name": user.name, "role": user.role, "scopes": user.scopes, "active": user.active}
    user.name, user.role, user.scopes, user.active = change.name.strip(), change.role, scopes, change.active
    after = {"name": user.name, "role": user.role, "scopes": user.scopes, "active": user.active}
    changed = {key: value for key, value in after.items() if before[key] != value}
    if not user.active:
        sign_out_everywhere(user)
    audit.record("changed account", account=user.email, **changed)
    db.session.commit()


def sign_out_everywhere(user: User) -> None:
    """Delete every session of an account, so each of its cookies stops working; the caller commits."""
    db.session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def reset_password(user: User) -> str:
    """Give an account a new temporary password, unlock it and sign it out everywhere. Commits.

    Returns the password, to be shown once.
    """
    password = temporary_password(user.email)
    set_password(user, password, temporary=True)  # also unlocks and signs out everywhere
    audit.record("reset password", account=user.email)
    db.session.commit()
    return password


def unlock_account(user: User) -> None:
    """Lift a lock after too many failed sign-ins. Commits."""
    unlock(user)
    audit.record("unlocked account", account=user.email)
    db.session.commit()


def reset_two_factor(user: User) -> None:
    """Forget an account's authenticator app and sign it out; it sets one up again. Commits."""
    user.totp_secret = None
    sign_out_everywhere(user)
    audit.record("reset two-factor sign-in", account=user.email)
    db.session.commit()


def refuse_own(admin: User, user: User, what: str) -> None:
    """Refuse an action an administrator must not do to their own account here."""
    if admin.id == user.id:
        raise AdminError(f"You cannot {what} for your own account here. Ask another administrator.")


# --- questionnaire uploads ----------------------------------------------------------------------


@dataclass
class Upload:
    """A stored upload and whether this request stored it (False: the same text was already there)."""

    version: QuestionnaireVersion | None
    new: bool
    message: str = ""


def upload_name(filename: str) -> str:
    """Return the bare file name a browser sent (some send a whole Windows path)."""
    return PurePath(filename.replace("\\", "/")).name or "upload"


def read_upload(filename: str, data: bytes) -> Questionnaire:
    """Validate an uploaded file exactly as `flask questionnaire check` does, or raise QuestionnaireError."""
    name = upload_name(filename)
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise QuestionnaireError([Problem(name, 1, "choose a questionnaire file ending .yaml or .yml")])
    if len(data) > MAX_FILE_BYTES:
        raise QuestionnaireError([Problem(name, 1, f"file is larger than {MAX_FILE_BYTES} bytes")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise QuestionnaireError(
            [Problem(name, 1, f"file is not UTF-8 text ({error.reason} at byte {error.start})")]
        ) from None
    return load_text(text, name)


def store_upload(filename: str, data: bytes) -> Upload:
    """Store a valid upload, waiting for approval; the same text twice is stored once. Commits.

    Raises QuestionnaireError with every problem when the file is not valid.
    """
    questionnaire = read_upload(filename, data)
    found = db.session.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.slug == questionnaire.id, QuestionnaireVersion.checksum == questionnaire.checksum
        )
    )
    if found is not None and found.origin == "upload":
        return Upload(found, False, "This exact file was uploaded before: here it is.")
    if found is not None:
        return Upload(None, False, "This exact questionnaire is already stored, from the questionnaires/ folder.")
    version = QuestionnaireVersion(
        slug=questionnaire.id,
        version=questionnaire.version,
        checksum=questionnaire.checksum,
        source=questionnaire.source,
        origin="upload",
        approved=False,
    )
    db.session.add(version)
    db.session.flush()
    audit.record(
        "uploaded questionnaire",
        upload=version.id,
        questionnaire=version.slug,
        version=version.version,
        file=upload_name(filename),
        checksum=version.checksum,
    )
    db.session.commit()
    return Upload(version, True)


def surveys_using(version: QuestionnaireVersion) -> int:
    """Return how many surveys were made from a stored questionnaire."""
    return db.session.scalar(select(func.count()).where(Survey.questionnaire_version_id == version.id)) or 0


def approve_upload(version: QuestionnaireVersion) -> None:
    """Let organisers make surveys from an upload. Commits."""
    if version.approved:
        raise AdminError("This questionnaire is already approved.")
    version.approved = True
    audit.record("approved questionnaire", upload=version.id, questionnaire=version.slug, version=version.version)
    db.session.commit()


def discard_upload(version: QuestionnaireVersion) -> None:
    """Delete an upload that no survey uses. Commits."""
    used = surveys_using(version)
    if used:
        raise AdminError(f"This questionnaire cannot be discarded: {used} survey(s) were made from it.")
    audit.record("discarded questionnaire", upload=version.id, questionnaire=version.slug, version=version.version)
    db.session.delete(version)
    db.session.commit()


def uploads() -> list[tuple[QuestionnaireVersion, int]]:
    """Return every upload, newest first, with how many surveys use each."""
    counts = (
        select(Survey.questionnaire_version_id, func.count().label("n"))
        .group_by(Survey.questionnaire_version_id)
        .subquery()
    )
    rows = db.session.execute(
        select(QuestionnaireVersion, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.questionnaire_version_id == QuestionnaireVersion.id)
        .where(QuestionnaireVersion.origin == "upload")
        .order_by(QuestionnaireVersion.id.desc())
    )
    return [(version, n) for version, n in rows]


def same_id_file(questionnaire: Questionnaire) -> Questionnaire | None:
    """Return the questionnaires/ file with the same id as an upload, if there is one."""
    return current_app.extensions["questionnaires"].get(questionnaire.id)


# --- the audit log ------------------------------------------------------------------------------


@dataclass
class AuditRow:
    """One audit entry as the log page shows it."""

    event: AuditEvent
    survey: Survey | None
    details: list[tuple[str, str]]


@dataclass
class AuditPage:
    """One page of the audit log, newest first."""

    rows: list[AuditRow]
    page: int
    pages: int
    total: int


def audit_page(page: int = 1, survey_id: int | None = None, actor: str = "") -> AuditPage:
    """Return a page of audit entries, newest first, for one survey or one actor if asked."""
    query = select(AuditEvent)
    if survey_id is not None:
        query = query.where(AuditEvent.survey_id == survey_id)
    if actor.strip():
        query = query.where(func.lower(AuditEvent.actor) == actor.strip().lower())
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / AUDIT_PAGE_SIZE))
    page = min(max(page, 1), pages)
    events = list(
        db.session.scalars(
            query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(AUDIT_PAGE_SIZE)
            .offset((page - 1) * AUDIT_PAGE_SIZE)
        )
    )
    ids = {e.survey_id for e in events if e.survey_id is not None}
    surveys = {s.id: s for s in db.session.scalars(select(Survey).where(Survey.id.in_(ids)))} if ids else {}
    rows = [AuditRow(e, surveys.get(e.survey_id or 0), detail_lines(e.detail or {})) for e in events]
    return AuditPage(rows, page, pages, total)


def detail_lines(detail: dict) -> list[tuple[str, str]]:
    """Return an entry's details as (key, value) text: lists and mappings in plain words."""
    return [(key.replace("_", " "), _words(value)) for key, value in detail.items()]


def _words(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_words(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return "; ".join(_words(v) for v in value) or "none"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def rule_text(rule) -> str:
    """Return a show_if or case rule as compact text for the review page."""
    return json.dumps(rule, ensure_ascii=False, separators=(", ", ": "))
