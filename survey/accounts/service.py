"""Passwords, lockout, one-time codes and staff sessions. No HTTP here.

Passwords are hashed with Argon2id. A staff session is a random token in the (signed) cookie
and the token's hash in `staff_session`; signing out deletes the row, so an old cookie stops
working, and the server refuses a session idle for longer than STAFF_IDLE_TIMEOUT. Every role
sees results or member lists, so every account needs a second factor: a session is only ever
started after a one-time code, and one whose account has no authenticator app is refused.
"""

from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from enum import StrEnum
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import Role, StaffSession, User, as_utc, utcnow
from ..responses.service import sha256

LOCK_AFTER = 10  # failed sign-ins in a row
MIN_PASSWORD_LENGTH = 12
TOTP_ISSUER = "Members' survey"
TOUCH_EVERY = timedelta(minutes=1)  # how often a session's last-seen time is written

hasher = PasswordHasher()


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


class SignIn(StrEnum):
    """What a password check found."""

    OK = "ok"
    WRONG = "wrong"  # unknown email or wrong password: the same answer for both
    LOCKED = "locked"


def locked_until(user: User):
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
        taken = db.session.execute(
            update(User).where(User.id == user.id, User.totp_last_step < step).values(totp_last_step=step)
        )
        db.session.commit()
        return taken.rowcount == 1
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
    """Open a new session for a user who has passed every check; return its token. Commits."""
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(id=sha256(token), user_id=user.id))
    unlock(user)
    db.session.commit()
    return token


def load_session(token: str) -> User | None:
    """Return the user a session token belongs to, or None if it is unknown, idle or too old."""
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
