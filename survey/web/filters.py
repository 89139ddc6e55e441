"""Jinja filters and globals."""

from datetime import datetime

from flask import Flask, request, url_for
from flask_babel import format_date
from markupsafe import Markup, escape

from ..i18n import current_language
from ..models import LONDON, as_utc
from ..results.consultation import signed
from .access import current_slice, slice_labels


def init_app(app: Flask) -> None:
    """Register the filters and template globals."""
    app.jinja_env.filters["paragraphs"] = paragraphs
    app.jinja_env.filters["london_date"] = london_date
    app.jinja_env.filters["london_time"] = london_time
    app.jinja_env.filters["signed"] = signed  # net support: +62, −8, 0
    app.jinja_env.globals["language"] = current_language
    app.jinja_env.globals["switch_language_url"] = switch_language_url
    app.jinja_env.globals["current_slice"] = current_slice  # the slice a results page shows, or None
    app.jinja_env.globals["slice_labels"] = slice_labels


def paragraphs(value: str) -> Markup:
    """Render plain text as escaped paragraphs, split on blank lines."""
    parts = [p.strip() for p in str(value).split("\n\n") if p.strip()]
    return Markup("".join(f"<p>{escape(p)}</p>" for p in parts))


def switch_language_url(language: str) -> str:
    """Return this page's address in another language."""
    args = {**(request.view_args or {}), **request.args.to_dict(), "lang": language}
    return url_for(request.endpoint or "home.home", **args)


def london_date(moment: datetime) -> str:
    """Format a stored UTC time as a date in the UK, in the member's language."""
    return format_date(as_utc(moment).astimezone(LONDON).date(), "d MMMM yyyy")  # a date: no UTC round trip


def london_time(moment: datetime | None) -> str:
    """Format a stored UTC time for staff as UK time: "14:05 on 27 November 2026"."""
    if moment is None:
        return ""
    local = as_utc(moment).astimezone(LONDON)
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"
