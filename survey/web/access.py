"""Who may reach which staff page: sign-in, roles and scopes, checked in one place.

Every view of the staff blueprints must say which roles may use it with @roles(...); a view
that does not is refused to everyone (deny by default). Surveys outside the account's scopes are
"not found", whatever id is in the address.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import LoginManager, current_user

from ..core import audit
from ..core.accounts import load_session
from ..extensions import db
from ..models import Role, Survey

login_manager = LoginManager()
login_manager.login_view = "staff.sign_in"
login_manager.login_message = "Sign in to continue."
login_manager.session_protection = None  # sessions are checked on the server instead

ALL_STAFF = (Role.ADMIN, Role.ORGANISER, Role.VIEWER)
MANAGERS = (Role.ADMIN, Role.ORGANISER)
# The steps of signing in, before anyone is signed in: password, then a code or setting up the app.
SIGN_IN_STEPS = {"staff.sign_in", "staff.code", "staff.enrol"}
# Pages signed-in staff can reach before choosing their own password.
SETUP_ENDPOINTS = {"staff.change_password", "staff.two_factor", "staff.sign_out"}


@login_manager.user_loader
def _load(token: str):
    return load_session(token)


def roles(*allowed: Role) -> Callable:
    """Mark a staff view with the roles that may use it."""

    def mark(view: Callable) -> Callable:
        view.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return mark


def guard(bp: Blueprint) -> None:
    """Require sign-in, finished set-up and a permitted role for every view of a blueprint."""

    @bp.before_request
    def _check():
        if request.endpoint in SIGN_IN_STEPS:
            return None
        # Signed in means the password and a one-time code were both right: an account without
        # an authenticator app sets one up on the way in (staff.enrol), never after, and the
        # user loader refuses any session of an account that has none (ADR 0008).
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if request.endpoint not in SETUP_ENDPOINTS and current_user.must_change_password:
            return redirect(url_for("staff.change_password"))
        view = current_app.view_functions.get(request.endpoint or "")
        if current_user.role not in getattr(view, "allowed_roles", ()):
            _audit_refusal("refused: not allowed for this role")
            abort(403)
        return None


def _audit_refusal(action: str, survey: Survey | None = None) -> None:
    """Keep an audit entry for a refused staff request: who, what address (never a query or form)."""
    audit.record(action, survey, endpoint=request.endpoint, method=request.method, path=request.path)
    db.session.commit()


def survey_or_404(survey_id: int) -> Survey:
    """Return a survey the signed-in account may see; any other id is simply not found."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404)
    if not current_user.can_reach(survey.audience or {}):
        _audit_refusal("refused: survey outside the user's scope", survey)
        abort(404)
    return survey
