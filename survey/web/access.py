"""Who may reach which staff page: sign-in, roles and scopes, checked in one place.

Every view of the staff blueprints must say which roles may use it with @roles(...); a view
that does not is refused to everyone (deny by default). Surveys outside the account's scopes are
"not found", whatever id is in the address.

Slices (docs/results.md, "Slices"; ADR 0029): an account scoped to an audience inside a wider
survey's (Probation, in a national survey) sees that audience's slice of its results. Here, and
only here, survey_or_404 hands such an account a `results.SurveySlice` instead of the survey, so
every number any page, chart, export or API answer works out is the slice's; the survey's other
pages (settings, tracking, invitations, publication, actions) are refused (403) unless the view
is marked @slice_ok, which only results views are.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, g, make_response, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user

from .. import results
from ..core import audit
from ..core.accounts import load_session
from ..core.audience import describe_audience, slices_for
from ..extensions import db
from ..models import Role, Survey

login_manager = LoginManager()
login_manager.login_view = "staff.sign_in"
login_manager.login_message = "Sign in to continue."
login_manager.session_protection = None  # sessions are checked on the server instead

SLICE_CHOICES = "slices"  # in the session: survey id -> the slice last chosen (?slice=<number>)
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


def slice_ok(view: Callable) -> Callable:
    """Mark a results view that an account may use on its slice of a wider survey."""
    view.slice_ok = True  # type: ignore[attr-defined]
    return view


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
    """Return a survey the signed-in account may see; any other id is simply not found.

    An account that sees only a slice of it gets the slice (a results.SurveySlice, which reads
    like the survey) on a results view, "forbidden" on any other view of the survey, and a plain
    page instead of results when too few of the slice's members answered."""
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404)
    if current_user.can_reach(survey.audience or {}):
        return survey
    chosen = staff_slice(survey)
    if chosen is None:
        _audit_refusal("refused: survey outside the user's scope", survey)
        abort(404)
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "slice_ok", False):
        _audit_refusal("refused: only a slice of this survey in scope", survey)
        abort(403)
    if not results.slice_shown(chosen):
        page = render_template("dashboards/slice_too_small.html", survey=chosen)
        abort(make_response(page, 200))
    return chosen  # type: ignore[return-value]


def staff_slice(survey: Survey) -> results.SurveySlice | None:
    """Return the signed-in account's slice of a survey it cannot see whole, or None when it has none.

    An account with several scopes inside the survey's audience has one slice for each; ?slice=<n>
    chooses one (kept in the session for this survey), else the one last chosen, else the first."""
    audiences = slices_for(current_user, survey)
    if not audiences:
        return None
    chosen = dict(session.get(SLICE_CHOICES, {}))
    wanted = request.args.get("slice", type=int)
    index = wanted if wanted is not None else chosen.get(str(survey.id), 0)
    if not 0 <= index < len(audiences):
        index = 0
    if wanted is not None and chosen.get(str(survey.id)) != index:
        session[SLICE_CHOICES] = {**chosen, str(survey.id): index}
    labels = [describe_audience(survey.questionnaire, audience) for audience in audiences]
    g.slice_labels = labels  # for the page's choice of slice
    found = results.SurveySlice(survey, audiences[index], labels[index], index)
    g.current_slice = found
    return found


def current_slice() -> results.SurveySlice | None:
    """Return the slice this request's results are of (None: the whole survey); for templates."""
    return g.get("current_slice")


def slice_labels() -> list[str]:
    """Return the names of the signed-in account's slices of this request's survey, for a choice."""
    return g.get("slice_labels", [])
