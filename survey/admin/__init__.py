"""Administrators' pages: staff accounts, questionnaire files and the audit log."""

from flask import Blueprint

from ..web.access import guard

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard(bp)

from . import membership, views  # noqa: E402,F401  (views register routes on bp)
