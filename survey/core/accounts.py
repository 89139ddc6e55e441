"""Staff accounts: passwords, sign-in and lockout, two-factor codes, sessions, and the rules
administrators follow to add and change accounts. No HTTP here.

Passwords are hashed with Argon2id. A staff session is a random token in the (signed) cookie
and the token's hash in `staff_session`; signing out deletes the row, so an old cookie stops
working, and the server refuses a session idle for longer than STAFF_IDLE_TIMEOUT. Every role
sees results or member lists, so every account needs a second factor: a session is only ever
started after a one-time code, and one whose account has no authenticator app is refused.

Every administrator's change is recorded in the audit log in the same transaction. Temporary
passwords are returned to the caller to show once; they are never stored or recorded anywhere.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, func, select, update

from ..extensions import changed, db
from ..models import Role, StaffSession, User, as_utc, utcnow
from ..questionnaire.model import Questionnaire
from . import audit
from .audience import audience_problem, describe_audience
from .codes import sha256

LOCK_AFTER = 10  # failed sign-ins in a row
MIN_PASSWORD_LENGTH = 12
TOTP_ISSUER = "Members' survey"
TOUCH_EVERY = timedelta(minutes=1)  # how often a session's last-seen time is written
AUDIENCE_QUESTIONNAIRE = "ai-at-work"  # its service groups, sectors and regions name the scopes
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# No 0/O, 1/l/I: temporary passwords are read aloud or copied from a screen.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

hasher = PasswordHasher()


class AccountError(ValueError):
    """An administrator's request about an account that cannot be carried out; the message says why, plainly."""


# --- passwords and accounts ------------------------------------------------------------------


@cache
def _dummy_hash() -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """Return an Argon2id hash of a password."""
    return hasher.hash(password)


def password_problem(password: str, email: str = "") -> str | None:
    """Return why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters"
    if email and email.split("@")[0].lower() in password.lower():
        return "Do not use your email address in your password"
    return None


def find_user(email: str) -> User | None:
    """Return the account with this email (any case), or None."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(email: str, name: str, role: Role, password: str, scopes: list | None = None) -> User:
    """Add an account that must choose its own password at first sign-in; the caller commits."""
    user = User(
        email=email.strip().lower(),
        name=name.strip(),
        role=role,
        scopes=scopes or [],
        password_hash=hash_password(password),
        must_change_password=True,
    )
    db.session.add(user)
    return user


# --- signing in and the lock -----------------------------------------------------------------


class SignIn(StrEnum):
    """What a password check found."""

    OK = "ok"
    WRONG = "wrong"  # unknown email or wrong password: the same answer for both
    LOCKED = "locked"


def locked_until(user: User) -> datetime | None:
    """Return when the account's lock ends, or None if it is not locked."""
    if user.locked_until and as_utc(user.locked_until) > utcnow():
        return as_utc(user.locked_until)
    return None


def check_password(email: str, password: str) -> tuple[SignIn, User | None]:
    """Check a sign-in; every wrong attempt counts towards the lock. Commits."""
    user = find_user(email)
    if user is None or not user.active:
        _verify(_dummy_hash(), password)  # take as long as a real check, so timing tells nothing
        return SignIn.WRONG, None
    if locked_until(user):
        return SignIn.LOCKED, user
    if not _verify(user.password_hash, password):
        return record_failure(user), user
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return SignIn.OK, user


def _verify(hashed: str, password: str) -> bool:
    try:
        return hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def record_failure(user: User) -> SignIn:
    """Count a failed password or code; the tenth in a row locks the account. Commits."""
    user.failed_logins += 1
    if user.failed_logins >= LOCK_AFTER:
        user.locked_until = utcnow() + current_app.config["STAFF_LOCKOUT"]
        user.failed_logins = 0
    db.session.commit()
    return SignIn.LOCKED if user.locked_until and locked_until(user) else SignIn.WRONG


def unlock(user: User) -> None:
    """Lift a lock and forget failed attempts; the caller commits."""
    user.locked_until = None
    user.failed_logins = 0


def set_password(user: User, password: str, *, temporary: bool) -> None:
    """Set a password; a temporary one must be changed at the next sign-in. Signs out everywhere else."""
    user.password_hash = hash_password(password)
    user.must_change_password = temporary
    unlock(user)
    if temporary:
        db.session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


# --- one-time codes (TOTP, RFC 6238: 30-second steps, 6 digits) -------------------------------


def new_totp_secret() -> str:
    """Return a fresh base32 secret for an authenticator app."""
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    """Return the otpauth:// address an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def check_code(user: User, code: str, secret: str | None = None) -> bool:
    """Accept a code from this step or the one either side, once only: a used step is refused.

    The step is recorded with a conditional UPDATE, so two requests racing with one code cannot
    both succeed. Commits when the code is accepted. A new app's key (`secret`, being set up) is
    another sequence of codes: the steps the old one used do not count against it (moving to a new
    phone right after signing in with the old one must work), and it starts its own record.
    """
    if secret and secret != user.totp_secret:
        return _check_new_key(user, code, secret)
    secret = secret or user.totp_secret
    code = "".join(ch for ch in code if ch.isdigit())
    if not secret or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // totp.interval
    for step in (now_step - 1, now_step, now_step + 1):
        if not hmac.compare_digest(totp.at(step * totp.interval), code):
            continue
        taken = changed(update(User).where(User.id == user.id, User.totp_last_step < step).values(totp_last_step=step))
        db.session.commit()
        return taken == 1
    return False


def _check_new_key(user: User, code: str, secret: str) -> bool:
    """Accept a code of a key being set up (this step or the one either side); record its step."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // totp.interval
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.at(step * totp.interval), code):
            db.session.execute(update(User).where(User.id == user.id).values(totp_last_step=step))
            db.session.commit()
            return True
    return False


# --- sessions ---------------------------------------------------------------------------------


def start_session(user: User) -> str:
    """Open a new session for an account that has passed every check; return its token. Commits."""
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(id=sha256(token), user_id=user.id))
    unlock(user)
    db.session.commit()
    return token


def load_session(token: str) -> User | None:
    """Return the account a session token belongs to, or None if it is unknown, idle or too old."""
    row = db.session.get(StaffSession, sha256(token)) if token else None
    if row is None:
        return None
    now = utcnow()
    idle = now - as_utc(row.last_seen_at) > current_app.config["STAFF_IDLE_TIMEOUT"]
    old = now - as_utc(row.created_at) > current_app.config["PERMANENT_SESSION_LIFETIME"]
    # No second factor (an administrator has just reset it): whatever this session once was,
    # it stops here, for every page and the API alike (ADR 0008).
    if idle or old or not row.user.active or not row.user.totp_secret:
        db.session.delete(row)
        db.session.commit()
        return None
    if now - as_utc(row.last_seen_at) > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    row.user.session_token = token
    return row.user


def end_session(token: str) -> None:
    """Delete a session, so its cookie no longer signs anyone in. Commits."""
    db.session.execute(delete(StaffSession).where(StaffSession.id == sha256(token)))
    db.session.commit()


# --- administering accounts -------------------------------------------------------------------


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
    audit.record("reset the demo viewer", actor=audit.COMMAND_LINE)
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
    questionnaires: dict[str, Questionnaire] = current_app.extensions["questionnaires"]
    return questionnaires[AUDIENCE_QUESTIONNAIRE]


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
        raise AccountError(problem)
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
        raise AccountError(problem)
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
        raise AccountError("You cannot remove your own administrator role. Ask another administrator.")
    if user.id == admin.id and not change.active:
        raise AccountError("You cannot deactivate your own account. Ask another administrator.")
    problem = scopes_problem(change.role, change.scopes)
    if problem:
        raise AccountError(problem)
    scopes = [] if change.role == Role.ADMIN else change.scopes
    before = {"name": user.name, "role": user.role, "scopes": user.scopes, "active": user.active}
    user.name, user.role, user.scopes, user.active = change.name.strip(), change.role, scopes, change.active
    after = {"name": user.name, "role": user.role, "scopes": user.scopes, "active": user.active}
    changed: dict[str, Any] = {key: value for key, value in after.items() if before[key] != value}
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
        raise AccountError(f"You cannot {what} for your own account here. Ask another administrator.")
