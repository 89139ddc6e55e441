"""The audit log: every organiser and administrator action, who did it and when. Never answers."""

from __future__ import annotations

from flask import has_request_context
from flask_login import current_user

from .extensions import db
from .models import AuditEvent, Survey

COMMAND_LINE = "command line"


def record(action: str, survey: Survey | None = None, *, actor: str | None = None, **detail) -> None:
    """Add an audit entry to the current transaction; the caller's commit stores it with the action."""
    if actor is None:
        actor = current_user.email if has_request_context() and current_user.is_authenticated else COMMAND_LINE
    db.session.add(AuditEvent(actor=actor, action=action, survey_id=survey.id if survey else None, detail=detail))
