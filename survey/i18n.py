"""The member's language: English or Welsh, chosen by a link's ?lang=, kept in the session."""

from __future__ import annotations

from flask import g, request, session

from .config import Config


def current_language() -> str:
    """Return the member's language: a preview's language, an explicit ?lang= choice, the session, English."""
    if "preview_language" in g:
        return g.preview_language
    choice = request.args.get("lang")
    if choice in Config.LANGUAGES:
        session["lang"] = choice
    return session.get("lang", Config.BABEL_DEFAULT_LOCALE)
