"""Administrators: staff accounts, questionnaire uploads and the audit log."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from ..accounts.access import roles
from ..extensions import db
from ..models import AuditEvent, QuestionnaireVersion, Role, User
from . import bp


@bp.get("/users")
@roles(Role.ADMIN)
def users():
    """Every staff account."""
    return render_template("admin/users.html", users=db.session.scalars(select(User).order_by(User.email)))


@bp.get("/questionnaires")
@roles(Role.ADMIN)
def questionnaires():
    """Questionnaire files and uploads."""
    uploads = db.session.scalars(select(QuestionnaireVersion).where(QuestionnaireVersion.origin == "upload"))
    return render_template("admin/questionnaires.html", uploads=uploads)


@bp.get("/audit")
@roles(Role.ADMIN)
def audit_log():
    """The newest audit entries first."""
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(200))
    return render_template("admin/audit.html", events=events)
