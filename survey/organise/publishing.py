"""Publishing results: choose questions and breakdowns, preview as delegates will see it, set an
embargo or an access code, publish, change, withdraw; the live screen of a poll. The public pages are
survey/published; the page and the screen both render are in survey/web."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from .. import results
from ..core.publication import (
    PublicationView,
    default_publication,
    publication_of,
    publication_view_of,
    save_publication,
)
from ..core.publication import withdraw as withdraw_publication
from ..core.surveys import SurveyError
from ..models import Survey, SurveyStatus
from ..questionnaire.model import TEXT_TYPES
from ..web import findings, screen
from ..web.access import ALL_STAFF, MANAGERS, roles, survey_or_404
from ..web.published_pages import render_page
from . import bp
from .forms import PublicationForm


def _chosen(survey: Survey) -> PublicationView:
    """Return what is stored to publish, or the default choice."""
    return publication_view_of(survey) or default_publication(survey)


def _offer(form: PublicationForm, survey: Survey, chosen: PublicationView) -> None:
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
    everything = default_publication(survey)
    everything.questions = [q.id for q in questionnaire.questions]
    overview = results.overview(survey)
    shown = findings.overall(survey, everything, "en") if not overview.suppressed else []
    flags = (findings.published_flags(survey, everything, "en") or []) if not overview.suppressed else []
    offered = [SelectChoice(f.key, f.sentence) for f in findings.findings_by_key(shown, flags).values()]
    known = {c.value for c in offered}
    offered += [SelectChoice(key, f"{key} (no longer shown)") for key in chosen.findings if key not in known]
    form.offer(questions, breakdowns, offered)


@bp.route("/surveys/<int:survey_id>/publication", methods=["GET", "POST"])
@roles(*MANAGERS)
def publication(survey_id: int):
    """Choose what to publish (by section), an embargo and an access code; then preview."""
    found = survey_or_404(survey_id)
    chosen = _chosen(found)
    form = PublicationForm()
    _offer(form, found, chosen)
    if request.method == "GET":
        form.load(chosen, chosen.embargo_until)
    message = None
    if found.status not in (SurveyStatus.CLOSED, SurveyStatus.PUBLISHED):
        message = "Results can be published once the survey has closed."
    elif form.validate_on_submit():
        try:
            save_publication(found, form.choice())
        except SurveyError as error:
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
        publication=chosen,
        stored=publication_of(found),
        sections=found.questionnaire.sections,
        SurveyStatus=SurveyStatus,
    ), status


@bp.get("/surveys/<int:survey_id>/publication/preview")
@roles(*ALL_STAFF)
def publication_preview(survey_id: int):
    """The published page exactly as delegates will see it, with the choices stored now."""
    found = survey_or_404(survey_id)
    return render_page(found, _chosen(found), preview=True)


@bp.post("/surveys/<int:survey_id>/withdraw")
@roles(*MANAGERS)
def withdraw(survey_id: int):
    """Take the published results down; the address then says they were withdrawn."""
    found = survey_or_404(survey_id)
    try:
        withdraw_publication(found)
    except SurveyError as error:
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
    return screen.render_screen(screen.live_screen(survey_or_404(survey_id)))


@bp.get("/surveys/<int:survey_id>/live-screen.json")
@roles(*ALL_STAFF)
def live_screen_data(survey_id: int):
    """A live poll slide's numbers now, which the screen asks for every minute or so."""
    return screen.screen_data(screen.live_screen(survey_or_404(survey_id)))
