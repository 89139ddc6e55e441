"""Administrators: staff accounts, questionnaire uploads and the audit log."""

from __future__ import annotations

import json

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from ..core import accounts, audit
from ..core import questionnaires as questionnaire_uploads
from ..extensions import csrf, db
from ..models import QuestionnaireVersion, Role, User
from ..questionnaire.loader import QuestionnaireError
from ..web.access import roles
from ..web.security import database_int
from . import bp
from .forms import EditAccountForm, NewAccountForm, UploadForm

# --- accounts ---------------------------------------------------------------------------------


@bp.get("/users")
@roles(Role.ADMIN)
def users():
    """Every staff account, with its role, scopes and sign-in state."""
    everyone = db.session.scalars(select(User).order_by(User.email))
    return render_template(
        "admin/users.html", users=everyone, scopes=accounts.describe_scopes, locked_until=accounts.locked_until
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles(Role.ADMIN)
def new_user():
    """Add an account; its temporary password is shown once, on the next page."""
    form = NewAccountForm()
    form.offer(accounts.audience_questionnaire())
    message = None
    if form.validate_on_submit():
        try:
            user, password = accounts.create_account(form.email.data, form.name.data, form.role.data, form.scope_list())
        except accounts.AccountError as error:
            message = str(error)
        else:
            return _show_password_once(user, password)
    status = 400 if form.errors or message else 200
    return render_template("admin/new_user.html", form=form, message=message), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def edit_user(user_id: int):
    """Change an account's name, role, scopes or whether it can sign in."""
    user = _user_or_404(user_id)
    form = EditAccountForm.for_user(user) if request.method == "GET" else EditAccountForm()
    form.offer(accounts.audience_questionnaire())
    message = None
    if form.validate_on_submit():
        try:
            accounts.update_account(current_user, user, form.change())
        except accounts.AccountError as error:
            message = str(error)
        else:
            flash(f"Changes to {user.email} saved.")
            return redirect(url_for("admin.users"))
    status = 400 if form.errors or message else 200
    return render_template(
        "admin/edit_user.html",
        user=user,
        form=form,
        message=message,
        scopes=accounts.describe_scopes(user),
        locked=accounts.locked_until(user),
    ), status


@bp.post("/users/<int:user_id>/reset-password")
@roles(Role.ADMIN)
def reset_password(user_id: int):
    """Set a new temporary password, unlock the account and sign it out everywhere."""
    user = _user_or_404(user_id)
    try:
        accounts.refuse_own(current_user, user, "reset the password")
    except accounts.AccountError as error:
        return _refused(user, error)
    return _show_password_once(user, accounts.reset_password(user))


@bp.post("/users/<int:user_id>/unlock")
@roles(Role.ADMIN)
def unlock(user_id: int):
    """Lift a lock after too many failed sign-ins."""
    user = _user_or_404(user_id)
    accounts.unlock_account(user)
    flash(f"{user.email} is unlocked and can sign in again.")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.post("/users/<int:user_id>/reset-two-factor")
@roles(Role.ADMIN)
def reset_two_factor(user_id: int):
    """Forget the account's authenticator app (a lost phone); it sets one up again."""
    user = _user_or_404(user_id)
    try:
        accounts.refuse_own(current_user, user, "reset two-factor sign-in")
    except accounts.AccountError as error:
        return _refused(user, error)
    accounts.reset_two_factor(user)
    flash(f"Two-factor sign-in for {user.email} is reset, and they are signed out everywhere.")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.get("/users/<int:user_id>/temporary-password")
@roles(Role.ADMIN)
def temporary_password(user_id: int):
    """Show a temporary password once; after that it is gone from the server and the cookie."""
    user = _user_or_404(user_id)
    kept = session.pop("temporary_password", None) or {}
    password = kept.get("password") if kept.get("user") == user.id else None
    return render_template("admin/temporary_password.html", user=user, password=password)  # no-store, as every page


def _show_password_once(user: User, password: str):
    """Redirect to the page that shows the password; only the admin's own session carries it there."""
    session["temporary_password"] = {"user": user.id, "password": password}
    return redirect(url_for("admin.temporary_password", user_id=user.id))


def _refused(user: User, error: accounts.AccountError):
    flash(str(error))
    return redirect(url_for("admin.edit_user", user_id=user.id))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


# --- questionnaires ------------------------------------------------------------------------------


@bp.get("/questionnaires")
@roles(Role.ADMIN)
def questionnaires():
    """The questionnaire files in questionnaires/, and uploads waiting for approval or approved."""
    files = sorted(current_app.extensions["questionnaires"].values(), key=lambda q: q.id)
    return render_template("admin/questionnaires.html", files=files, uploads=questionnaire_uploads.uploads())


@bp.route("/questionnaires/upload", methods=["GET", "POST"])
@roles(Role.ADMIN)
@csrf.exempt  # checked below instead, once the larger upload limit is set
def upload_questionnaire():
    """Upload a questionnaire file: checked as the command line checks it, then reviewed."""
    request.max_content_length = current_app.config["UPLOAD_LIMIT"]
    try:
        csrf.protect()  # reads the form, so the app-wide size limit must not apply first
        form = UploadForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        limit = current_app.config["UPLOAD_LIMIT"] // (1024 * 1024)
        message = f"That file is too large: a questionnaire file must be smaller than {limit} MB."
        return render_template("admin/upload.html", form=UploadForm(formdata=None), message=message), 413
    problems = []
    if submitted:
        try:
            stored = questionnaire_uploads.store_upload(form.file.data.filename or "", form.file.data.read())
        except QuestionnaireError as error:
            problems = error.problems
        else:
            return _after_upload(stored)
    status = 400 if form.errors or problems else 200
    return render_template("admin/upload.html", form=form, problems=problems), status


def _after_upload(stored: questionnaire_uploads.Upload):
    """Go to the review page of what was stored (or the list, when a file already had this text)."""
    if stored.message:
        flash(stored.message)
    if stored.version is None:
        return redirect(url_for("admin.questionnaires"))
    return redirect(url_for("admin.review_upload", version_id=stored.version.id))


@bp.get("/questionnaires/uploads/<int:version_id>")
@roles(Role.ADMIN)
def review_upload(version_id: int):
    """Show an uploaded questionnaire in full, in both languages, to approve or discard it."""
    version = _upload_or_404(version_id)
    questionnaire = version.questionnaire
    return render_template(
        "admin/review.html",
        questionnaire=questionnaire,
        version=version,
        used=questionnaire_uploads.surveys_using(version),
        same_id_file=questionnaire_uploads.same_id_file(questionnaire),
        rule_text=rule_text,
    )


@bp.get("/questionnaires/files/<questionnaire_id>")
@roles(Role.ADMIN)
def review_file(questionnaire_id: str):
    """Show a questionnaire file from questionnaires/ in full, in both languages."""
    questionnaire = current_app.extensions["questionnaires"].get(questionnaire_id)
    if questionnaire is None:
        abort(404)
    return render_template("admin/review.html", questionnaire=questionnaire, version=None, rule_text=rule_text)


@bp.post("/questionnaires/uploads/<int:version_id>/approve")
@roles(Role.ADMIN)
def approve_upload(version_id: int):
    """Let organisers make surveys from an upload."""
    version = _upload_or_404(version_id)
    try:
        questionnaire_uploads.approve_upload(version)
    except questionnaire_uploads.UploadError as error:
        flash(str(error))
    else:
        flash(f"Approved: organisers can now make surveys from {version.slug} version {version.version}.")
    return redirect(url_for("admin.questionnaires"))


@bp.post("/questionnaires/uploads/<int:version_id>/discard")
@roles(Role.ADMIN)
def discard_upload(version_id: int):
    """Delete an upload no survey uses."""
    version = _upload_or_404(version_id)
    try:
        questionnaire_uploads.discard_upload(version)
    except questionnaire_uploads.UploadError as error:
        flash(str(error))
        return redirect(url_for("admin.review_upload", version_id=version.id))
    flash("The uploaded questionnaire was discarded.")
    return redirect(url_for("admin.questionnaires"))


def _upload_or_404(version_id: int) -> QuestionnaireVersion:
    version = db.session.get(QuestionnaireVersion, version_id)
    if version is None or version.origin != "upload":
        abort(404)
    return version


# --- the audit log -------------------------------------------------------------------------------


@bp.get("/audit")
@roles(Role.ADMIN)
def audit_log():
    """The audit log, newest first, 50 a page; for one survey or one person if asked."""
    survey_id = request.args.get("survey", type=database_int)
    actor = request.args.get("actor", "").strip()
    page = audit.audit_page(request.args.get("page", 1, type=database_int), survey_id, actor)
    filters = {key: value for key, value in (("survey", survey_id), ("actor", actor)) if value}
    return render_template("admin/audit.html", log=page, survey_id=survey_id, actor=actor, filters=filters)


def rule_text(rule) -> str:
    """Return a show_if or case rule as compact text for the review page."""
    return json.dumps(rule, ensure_ascii=False, separators=(", ", ": "))
