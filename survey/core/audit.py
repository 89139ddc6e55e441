"""The audit log: every organiser and administrator action, who did it and when. Never answers.

`record` adds an entry to the caller's transaction, so the action and its entry are stored
together or not at all; `audit_page` reads the log for the administrators' audit page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditEvent, Survey

COMMAND_LINE = "command line"
AUDIT_PAGE_SIZE = 50


class _Identified(Protocol):
    """A Survey, or the member journey's lighter MemberSurvey: the log keeps only the id."""

    @property
    def id(self) -> int: ...


def record(action: str, survey: _Identified | None = None, *, actor: str | None = None, **detail: object) -> None:
    """Add an audit entry to the current transaction; the caller's commit stores it with the action."""
    if actor is None:
        actor = current_user.email if has_request_context() and current_user.is_authenticated else COMMAND_LINE
    db.session.add(AuditEvent(actor=actor, action=action, survey_id=survey.id if survey else None, detail=detail))


# --- reading the log ------------------------------------------------------------------------------


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


def detail_lines(detail: dict[str, object]) -> list[tuple[str, str]]:
    """Return an entry's details as (key, value) text: lists and mappings in plain words."""
    return [(key.replace("_", " "), _words(value)) for key, value in detail.items()]


def _words(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {_words(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return "; ".join(_words(v) for v in value) or "none"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
