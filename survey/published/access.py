"""The access codes a delegate's browser has given, kept in its session (survey/core/publication.py
decides who may read what; this only remembers, per browser, which codes were typed)."""

from __future__ import annotations

from flask import session

from ..core.publication import GIVEN_CODES, PublicationView, code_fingerprint, code_matches
from ..models import Survey


def given_codes() -> dict[str, str]:
    """Return the codes this browser gave: {slug: fingerprint of the code's hash}."""
    return session.get(GIVEN_CODES, {})


def check_code(survey: Survey, view: PublicationView, code: str) -> bool:
    """Check a typed access code; on success remember it in this browser's session."""
    if not code_matches(view, code):
        return False
    if view.code_hash:
        session[GIVEN_CODES] = {**given_codes(), survey.slug: code_fingerprint(view.code_hash)}
    return True
