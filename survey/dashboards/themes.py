"""Comment themes on the dashboards: each free-text question's themes (for everyone or the one
group comments may be filtered by), and organisers naming, merging and splitting them. The job
worker finds the themes; survey/core/themes.py keeps the organisers' changes; the results
engine decides what of them may be shown (sizes perturbed, small themes folded into Other)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from .. import results
from ..core import themes
from ..web.access import ALL_STAFF, MANAGERS, roles, survey_or_404
from . import bp


def _question(survey, question_id: str | None) -> str:
    free_text = themes.text_questions(survey)
    if not free_text:
        abort(404)
    chosen = question_id or free_text[0]
    if chosen not in free_text:
        abort(404)
    return chosen


def _back(survey, question_id: str):
    return redirect(url_for("dashboards.themes_page", survey_id=survey.id, q=question_id))


@bp.get("/themes")
@roles(*ALL_STAFF)
def themes_page(survey_id: int):
    """A free-text question's themes: name, size, keywords and representative comments."""
    survey = survey_or_404(survey_id)
    question_id = _question(survey, request.args.get("q"))
    dimension, _, code = (request.args.get("filter") or "").partition(":")
    filters = {dimension: code} if dimension and code else {}
    return render_template(
        "dashboards/themes.html",
        survey=survey,
        questions=themes.text_questions(survey),
        question=survey.questionnaire.question(question_id),
        found=themes.themes(survey, question_id, filters),
        rules=results.filter_rules(survey),
        dimensions={d.id: d for d in results.dimensions(survey)},
        filters=filters,
    )


@bp.post("/themes/name")
@roles(*MANAGERS)
def name_theme(survey_id: int):
    """Name a theme, in English and (optionally) Welsh."""
    survey = survey_or_404(survey_id)
    question_id = _question(survey, request.form.get("q"))
    try:
        themes.rename(
            survey,
            question_id,
            request.form.get("theme", 0, type=int),
            request.form.get("name_en", ""),
            request.form.get("name_cy", ""),
        )
        flash("Theme named.")
    except themes.ThemeError as error:
        flash(str(error))
    return _back(survey, question_id)


@bp.post("/themes/merge")
@roles(*MANAGERS)
def merge_themes(survey_id: int):
    """Merge the selected themes into the one chosen."""
    survey = survey_or_404(survey_id)
    question_id = _question(survey, request.form.get("q"))
    chosen = [int(t) for t in request.form.getlist("selected") if t.isdigit()]
    into = request.form.get("into", 0, type=int)
    try:
        count = themes.merge(survey, question_id, set(chosen) | {into}, into)
        flash(f"{count} theme{'' if count == 1 else 's'} merged.")
    except themes.ThemeError as error:
        flash(str(error))
    return _back(survey, question_id)


@bp.post("/themes/split")
@roles(*MANAGERS)
def split_theme(survey_id: int):
    """Ask the job worker to split a theme in two."""
    survey = survey_or_404(survey_id)
    question_id = _question(survey, request.form.get("q"))
    try:
        queued = themes.request_split(survey, question_id, request.form.get("theme", 0, type=int))
        flash(
            "The theme will be split in two by the job worker: reload this page in a moment."
            if queued
            else "Themes are split by the job worker, and no worker is set up (REDIS_URL): nothing was split."
        )
    except themes.ThemeError as error:
        flash(str(error))
    return _back(survey, question_id)
