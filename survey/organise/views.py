"""Organisers' survey pages: the list, a new survey, its page, settings and life cycle."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from wtforms import SelectChoice

from ..core import audit, publication
from ..core import surveys as life_cycle
from ..core.audience import describe_audience, lost_intros
from ..core.tracking import in_results, submitted_counts, tracking
from ..extensions import db
from ..models import AccessMode, SurveyStatus
from ..web.access import ALL_STAFF, MANAGERS, roles, survey_or_404
from . import bp
from .forms import NewSurveyForm, SettingsForm


@bp.before_request
def _close_due() -> None:
    """Close surveys whose closing time has passed before showing anything (cron does it too)."""
    life_cycle.close_due_surveys()


@bp.get("/")
@roles(*ALL_STAFF)
def surveys():
    """The surveys this account may see, newest first."""
    found = life_cycle.visible_surveys(current_user)
    return render_template(
        "organise/surveys.html",
        surveys=found,
        slices=life_cycle.visible_slices(current_user),  # their audience's part of wider surveys
        submitted=submitted_counts(found),
        SurveyStatus=SurveyStatus,
    )


@bp.route("/surveys/new", methods=["GET", "POST"])
@roles(*MANAGERS)
def new_survey():
    """Step 1: name the survey and choose its questionnaire; settings come next."""
    available = life_cycle.available_questionnaires()
    form = NewSurveyForm()
    form.questionnaire.choices = [
        SelectChoice(key, f"{q.title['en']} (version {q.version})") for key, q in available.items()
    ]
    message = None
    if form.validate_on_submit():
        try:
            survey = life_cycle.create_survey(current_user, available[form.questionnaire.data], form.name.data)
        except life_cycle.SurveyError as error:
            message = str(error)
        else:
            return redirect(url_for("organise.settings", survey_id=survey.id))
    status = 400 if form.errors or message else 200
    return render_template("organise/new.html", form=form, message=message), status


@bp.get("/surveys/<int:survey_id>")
@roles(*ALL_STAFF)
def survey(survey_id: int):
    """A survey at a glance: where it is in its life, its settings, links and how it is filling."""
    found = survey_or_404(survey_id)
    return render_template(
        "organise/survey.html",
        survey=found,
        audience=describe_audience(found.questionnaire, found.audience or {}),
        tracking=tracking(found),
        in_results=in_results(found),
        lost_intros=lost_intros(found),
        state=found.state(),
        member_link=url_for("responses.start", slug=found.slug, _external=True),
        AccessMode=AccessMode,
        SurveyStatus=SurveyStatus,
    )


@bp.route("/surveys/<int:survey_id>/settings", methods=["GET", "POST"])
@roles(*MANAGERS)
def settings(survey_id: int):
    """Audience, access, threshold and dates. Once open, only the name and closing time change."""
    found = survey_or_404(survey_id)
    form = SettingsForm()
    form.offer(current_user, found.questionnaire)
    if request.method == "GET":
        form.load(found)
    message = None
    if found.status not in (SurveyStatus.DRAFT, SurveyStatus.OPEN):
        message = "This survey has closed: its settings can no longer change."
    elif form.validate_on_submit():
        chosen = form.settings()
        message = life_cycle.settings_problem(current_user, found, chosen)
        if message and found.status != SurveyStatus.DRAFT:  # a try at a locked protection: keep a record
            audit.record("refused settings change", found, reason=message)
            db.session.commit()
        if message is None:
            life_cycle.save_settings(current_user, found, chosen)
            flash("Settings saved.")
            return redirect(url_for("organise.survey", survey_id=found.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "organise/settings.html", survey=found, form=form, message=message, SurveyStatus=SurveyStatus
    ), status


@bp.route("/surveys/<int:survey_id>/launch", methods=["GET", "POST"])
@roles(*MANAGERS)
def launch(survey_id: int):
    """Check, then launch: the questionnaire is pinned and the protections lock."""
    found = survey_or_404(survey_id)
    return _step(found, "launch", life_cycle.launch, "Survey launched.", current_user)


@bp.route("/surveys/<int:survey_id>/close", methods=["GET", "POST"])
@roles(*MANAGERS)
def close(survey_id: int):
    """Close now: no more answers; uploaded member lists are deleted."""
    found = survey_or_404(survey_id)
    return _step(found, "close", life_cycle.close, "Survey closed. Uploaded member lists were deleted.")


@bp.post("/surveys/<int:survey_id>/publish")
@roles(*MANAGERS)
def publish(survey_id: int):
    """Publish a closed survey's results as chosen on the publication page (or the default choice)."""
    found = survey_or_404(survey_id)
    return _step(found, "publish", publication.publish, "Results published.")


@bp.post("/surveys/<int:survey_id>/archive")
@roles(*MANAGERS)
def archive(survey_id: int):
    """Put a finished survey away."""
    found = survey_or_404(survey_id)
    return _step(found, "archive", life_cycle.archive, "Survey archived.")


def _step(found, step: str, action, done: str, *first):
    """GET shows what a step will do; POST does it, or says plainly why it cannot."""
    message = None
    if request.method == "POST":
        try:
            action(*first, found)
        except life_cycle.SurveyError as error:
            message = str(error)
        else:
            session.pop("_flashes", None)  # a message from an earlier step ("Saved") is stale now
            flash(done)
            return redirect(url_for("organise.survey", survey_id=found.id))
    status = 409 if message else 200
    return render_template(
        "organise/confirm.html",
        step=step,
        survey=found,
        message=message,
        audience=describe_audience(found.questionnaire, found.audience or {}),
        now_file=current_app.extensions["questionnaires"].get(found.questionnaire_version.slug),
        lost_intros=lost_intros(found) if step == "launch" else [],
    ), status
