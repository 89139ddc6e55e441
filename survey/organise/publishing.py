"""Publishing results: choose questions and breakdowns, preview as delegates will see it, set an
embargo or an access code, publish, change, withdraw. The public pages are survey/published."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from .. import results
from ..accounts.access import ALL_STAFF, MANAGERS, roles, survey_or_404
from ..models import Survey, SurveyStatus
from ..published import content, screen
from ..published.access import TEXT_TYPES, default_release, publication_of, release_of
from ..published.views import render_page, render_screen
from . import bp, service
from .forms import PublicationForm


def _release(survey: Survey):
    """Return what is stored to publish, or the default choice."""
    return release_of(survey) or default_release(survey)


def _offer(form: PublicationForm, survey: Survey, release) -> None:
    questionnaire = survey.questionnaire
    questions = [
        SelectChoice(q.id, f"{q.id} {q.text['en']}" + (" (written comments)" if q.type in TEXT_TYPES else ""))
        for q in questionnaire.questions
    ]
    breakdowns = [
        SelectChoice(d.id, d.label["en"] + (" (protected characteristic)" if d.protected else ""))
        for d in results.dimensions(survey)
        if not d.fixed
    ]
    everything = default_release(survey)
    everything.questions = [q.id for q in questionnaire.questions]
    overview = results.overview(survey)
    shown = content.overall(survey, everything, "en") if not overview.suppressed else []
    flags = (content.published_flags(survey, everything, "en") or []) if not overview.suppressed else []
    findings = [SelectChoice(f.key, f.sentence) for f in content.findings_by_key(shown, flags).values()]
    known = {c.value for c in findings}
    findings += [SelectChoice(key, f"{key} (no longer shown)") for key in release.findings if key not in known]
    form.offer(questions, breakdowns, findings)


@bp.route("/surveys/<int:survey_id>/publication", methods=["GET", "POST"])
@roles(*MANAGERS)
def publication(survey_id: int):
    """Choose what to publish (by section), an embargo and an access code; then preview."""
    found = survey_or_404(survey_id)
    release = _release(found)
    form = PublicationForm()
    _offer(form, found, release)
    if request.method == "GET":
        form.load(release, release.embargo_until)
    message = None
    if found.status not in (SurveyStatus.CLOSED, SurveyStatus.PUBLISHED):
        message = "Results can be published once the survey has closed."
    elif form.validate_on_submit():
        try:
            service.save_publication(found, form.choice())
        except service.SurveyError as error:
            message = str(error)
        else:
            live = found.status == SurveyStatus.PUBLISHED
            flash("Changes published." if live else "Saved. This is the page delegates will see.")
            return redirect(url_for("organise.publication_preview", survey_id=found.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "organise/publication.html",
        survey=found,
        form=form,
        message=message,
        release=release,
        stored=publication_of(found),
        sections=found.questionnaire.sections,
        SurveyStatus=SurveyStatus,
    ), status


@bp.get("/surveys/<int:survey_id>/publication/preview")
@roles(*ALL_STAFF)
def publication_preview(survey_id: int):
    """The published page exactly as delegates will see it, with the choices stored now."""
    found = survey_or_404(survey_id)
    return render_page(found, _release(found), preview=True)


@bp.post("/surveys/<int:survey_id>/withdraw")
@roles(*MANAGERS)
def withdraw(survey_id: int):
    """Take the published results down; the address then says they were withdrawn."""
    found = survey_or_404(survey_id)
    try:
        service.withdraw(found)
    except service.SurveyError as error:
        flash(str(error))
    else:
        flash("Published results withdrawn. The address now says so; the API no longer serves them.")
    return redirect(url_for("organise.survey", survey_id=found.id))


@bp.get("/surveys/<int:survey_id>/live-screen")
@roles(*ALL_STAFF)
def live_screen(survey_id: int):
    """A live poll on the conference screen (e.g. the conference-pulse questionnaire), for a signed-in
    projector: a slide per question, with a QR code to take part while the survey is open. Numbers
    pass the same gate and change only when a release batch arrives."""
    return render_screen(screen.live_screen(survey_or_404(survey_id)))


@bp.get("/surveys/<int:survey_id>/live-screen.json")
@roles(*ALL_STAFF)
def live_screen_data(survey_id: int):
    """A live poll slide's numbers now, which the screen asks for every minute or so."""
    return screen.screen_data(screen.live_screen(survey_or_404(survey_id)))
