"""Preview a survey page by page as a member would see it, in either language, storing nothing.

The preview's answers live only in the signed session cookie, and only the choices that decide
which pages and questions appear (typed text is dropped), so nothing reaches the database.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, session, url_for

from ..config import Config
from ..questionnaire import timing
from ..questionnaire.answers import page_values, read_page
from ..questionnaire.model import ITEM_TYPES, TEXT_TYPES, Questionnaire
from ..questionnaire.rules import clean_answers
from ..web import member_pages
from ..web.access import ALL_STAFF, roles, survey_or_404
from . import bp


def _answers(survey_id: int) -> dict:
    return dict(session.get("preview", {}).get(str(survey_id), {}))


def _keep(survey_id: int, questionnaire: Questionnaire, answers: dict, language: str) -> dict:
    """Store a preview's routing answers in the session: choices and numbers, never typed text."""
    types = {q.id: q.type for q in questionnaire.questions}
    kept = {}
    for key, value in clean_answers(questionnaire, answers, language).items():
        question_id, _, part = key.partition(".")
        kind = types.get(question_id, "fixed")
        if kind not in TEXT_TYPES and (not part or kind in ITEM_TYPES):
            kept[key] = value
    session["preview"] = {str(survey_id): kept}  # one preview at a time keeps the cookie small
    return kept


@bp.get("/surveys/<int:survey_id>/preview/<language>")
@roles(*ALL_STAFF)
def preview(survey_id: int, language: str):
    """Start a preview afresh at the start page, as members first see the survey."""
    survey = survey_or_404(survey_id)
    if language not in Config.LANGUAGES:
        abort(404)
    switch = request.args.get("lang")
    if switch in Config.LANGUAGES and switch != language:  # the start page's own language link
        return redirect(url_for("organise.preview", survey_id=survey.id, language=switch))
    session.pop("preview", None)
    g.preview_language = language
    questionnaire = survey.member_questionnaire
    return render_template(
        "organise/preview_start.html",
        survey=survey,
        questionnaire=questionnaire,
        minutes=timing.minutes(questionnaire, language),
        started=False,
        invited_only=False,
        start_action=url_for("organise.preview_begin", survey_id=survey.id, language=language),
    )


@bp.post("/surveys/<int:survey_id>/preview/<language>")
@roles(*ALL_STAFF)
def preview_begin(survey_id: int, language: str):
    """Start now, in a preview: go to the first page, with nothing stored."""
    survey = survey_or_404(survey_id)
    if language not in Config.LANGUAGES:
        abort(404)
    session.pop("preview", None)
    first = member_pages.visible_sections(survey.member_questionnaire, {}, language)[0]
    return redirect(url_for("organise.preview_page", survey_id=survey.id, language=language, section_id=first.id))


@bp.route("/surveys/<int:survey_id>/preview/<language>/page/<section_id>", methods=["GET", "POST"])
@roles(*ALL_STAFF)
def preview_page(survey_id: int, language: str, section_id: str):
    """One page, checked exactly as for members; Continue goes where a member would go."""
    survey = survey_or_404(survey_id)
    questionnaire = survey.member_questionnaire
    section = next((s for s in questionnaire.sections if s.id == section_id), None)
    if language not in Config.LANGUAGES or section is None:
        abort(404)
    g.preview_language = language
    answers = _answers(survey.id) or dict(questionnaire.fixed)
    if request.method == "GET":
        return _render(survey, section, answers, page_values(section, answers), [], language)
    if "language" in request.form and request.form["language"] in Config.LANGUAGES:
        return redirect(
            url_for(
                "organise.preview_page", survey_id=survey.id, language=request.form["language"], section_id=section.id
            )
        )
    result = read_page(questionnaire, section, request.form, answers, language)
    if request.form.get("action") == "save":
        flash("In a preview nothing is saved. A member would now be given a code to carry on later.")
    elif not result.ok:
        return _render(survey, section, answers, request.form.to_dict(flat=False), result.problems, language), 400
    answers = _keep(survey.id, questionnaire, {**answers, **result.answers}, language)
    following = member_pages.next_section(questionnaire, section, answers, language)
    if following is None:
        return redirect(url_for("organise.preview_end", survey_id=survey.id, language=language))
    return redirect(url_for("organise.preview_page", survey_id=survey.id, language=language, section_id=following.id))


@bp.get("/surveys/<int:survey_id>/preview/<language>/check-answers")
@roles(*ALL_STAFF)
def preview_end(survey_id: int, language: str):
    """The check-your-answers page, without the button that sends."""
    survey = survey_or_404(survey_id)
    if language not in Config.LANGUAGES:
        abort(404)
    g.preview_language = language
    return render_template(
        "organise/preview_end.html",
        survey=survey,
        summary=member_pages.summary(survey.member_questionnaire, _answers(survey.id), language),
        change_endpoint="organise.preview_page",
        change_args={"survey_id": survey.id, "language": language},
    )


def _render(survey, section, answers, form, problems, language):
    shown, previous = member_pages.page_view(survey.member_questionnaire, section, answers, form, problems, language)
    back = (
        url_for("organise.preview_page", survey_id=survey.id, language=language, section_id=previous.id)
        if previous
        else url_for("organise.preview", survey_id=survey.id, language=language)
    )
    return render_template(
        "organise/preview_page.html", survey=survey, back=back, unsaved=False, expired=False, **shown
    )
