"""The secrets of the member journey: invitation tokens, resume codes, withdrawal codes, submit keys.

Only hashes of them are stored: `sha256` for invitation tokens, drafts' lookups and submit keys;
a keyed hash (`withdrawal_hash`) for withdrawal codes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 25  # 125 bits
WITHDRAWAL_LENGTH = 16  # 80 bits, read as four groups of four: guessing online is hopeless
LOOK_ALIKES = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})  # letters typed for digits, U for V


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
    raw = typed.upper().translate(LOOK_ALIKES)
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
