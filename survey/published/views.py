"""Published results pages: thin views over survey/web (findings, published_pages, screen, briefing)
and the results engine."""

from __future__ import annotations

import functools

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import results
from ..core import reviews, themes
from ..core.publication import GONE, NEEDS_CODE, NOT_FOUND, PublicationView, public_state, survey_by_slug
from ..i18n import current_language
from ..models import Survey
from ..questionnaire.model import TEXT_TYPES
from ..web import briefing as briefing_content
from ..web import findings
from ..web import waves as wave_pages
from ..web.charts import PLOTLY_BUNDLE, figure
from ..web.limits import limiter
from ..web.published_pages import SECTOR, method, render_page
from ..web.screen import published_screen, render_screen
from . import bp
from .access import check_code, given_codes


def _code_rate() -> str:
    return current_app.config.get("RATE_PUBLISHED_CODE", "10 per minute;100 per hour")


def _briefing_rate() -> str:
    # A sector briefing makes the gate work through every published question for that sector.
    return current_app.config.get("RATE_PUBLISHED_BRIEFING", "20 per minute")


def public(view):
    """Run a view with (survey, publication) when the visitor may read the results; otherwise say why:
    not found (never published, or before the embargo), withdrawn (410), or the access code page."""

    @functools.wraps(view)
    def wrapped(slug: str, **kwargs):
        survey = survey_by_slug(slug)
        state, publication = public_state(survey, given_codes())
        if state == NOT_FOUND:
            abort(404)
        if state == GONE:
            return render_template("published/gone.html"), 410
        if state == NEEDS_CODE:
            return redirect(url_for("published.code", slug=slug, next=request.full_path.rstrip("?")))
        return view(survey, publication, **kwargs)

    return wrapped


@bp.get("/<slug>")
@public
def page(survey: Survey, publication: PublicationView):
    """The published results: headline findings, equality flags, then every published question."""
    return render_page(survey, publication)


@bp.get("/<slug>/q/<question_id>")
@public
def question(survey: Survey, publication: PublicationView, question_id: str):
    """One published question, for everyone and by one published breakdown, with its chart on demand."""
    language = current_language()
    asked = _published_question(survey, publication, question_id)
    overview = results.overview(survey, language)
    if overview.suppressed:
        abort(404)
    dimensions = {d.id: d for d in results.dimensions(survey)}
    if asked.type in TEXT_TYPES:
        return render_template(
            "published/comments.html",
            survey=survey,
            publication=publication,
            question=asked,
            comments=results.comments(survey, asked.id, {}, language, decisions=reviews.decisions(survey, asked.id)),
            themes=themes.themes(survey, asked.id, {}, language, quotes=1),
            method=method(survey, publication, overview),
        )
    options = results.query_options(survey, asked.id)
    offered = [d for d in options.by if d in publication.breakdowns]
    by = request.args.get("by") or None
    if by is not None and by not in offered:
        abort(404)
    table = results.question_table(survey, asked.id, by, {}, language)
    return render_template(
        "published/question.html",
        survey=survey,
        publication=publication,
        question=asked,
        table=table,
        offered=offered,
        by_labels={d: findings.by_label(dimensions[d], language) for d in offered},
        off=[o.code for o in asked.scale.off_scale] if asked.scale else [],
        by=by,
        figure_url=url_for("published.chart", slug=survey.slug, question_id=asked.id, by=by, lang=language),
        library=url_for("static", filename=PLOTLY_BUNDLE),
        method=method(survey, publication, overview),
    )


def _published_question(survey: Survey, publication: PublicationView, question_id: str):
    if question_id not in publication.questions:
        abort(404)
    return survey.questionnaire.question(question_id)


@bp.get("/<slug>/q/<question_id>/chart.json")
@public
def chart(survey: Survey, publication: PublicationView, question_id: str):
    """The same gated table as a Plotly figure, fetched only when someone asks for the chart."""
    language = current_language()
    asked = _published_question(survey, publication, question_id)
    by = request.args.get("by") or None
    if asked.type in TEXT_TYPES or (by is not None and by not in publication.breakdowns):
        abort(404)
    table = results.question_table(survey, asked.id, by, {}, language)
    if table.refused:
        abort(404)
    drawn = figure(table)
    drawn["layout"]["xaxis"]["title"]["text"] = _("% of those answering")
    return drawn


@bp.route("/<slug>/code", methods=["GET", "POST"])
@limiter.limit(_code_rate, methods=["POST"])
def code(slug: str):
    """Ask for the access code of a conference-only publication; remember it in this browser."""
    survey = survey_by_slug(slug)
    state, publication = public_state(survey, given_codes())
    if state == NOT_FOUND:
        abort(404)
    if state == GONE:
        return render_template("published/gone.html"), 410
    target = request.args.get("next", "")
    if not target.startswith(f"/r/{slug}"):
        target = url_for("published.page", slug=slug)
    if state != NEEDS_CODE:
        return redirect(target)
    wrong = False
    if request.method == "POST":
        if check_code(survey, publication, request.form.get("code", "")):
            return redirect(target)
        wrong = True
    return render_template("published/code.html", survey=survey, wrong=wrong), 400 if wrong else 200


@bp.get("/<slug>/screen")
@public
def screen(survey: Survey, publication: PublicationView):
    """The conference screen: a slide per published question, the question and its bars in large type."""
    return render_screen(published_screen(survey, publication))


@bp.get("/<slug>/briefing")
@limiter.limit(_briefing_rate)
@public
def briefing(survey: Survey, publication: PublicationView):
    """The negotiators' briefing: two A4 pages and an appendix, for a sector or for all members."""
    language = current_language()
    overview = results.overview(survey, language)
    if overview.suppressed:
        abort(404)
    dimension = survey.questionnaire.audience.get(SECTOR)
    found = briefing_content.build(survey, publication, overview, dimension, request.args.get(SECTOR) or None, language)
    if found is None:
        abort(404)
    sector = {dimension: found.sector.code} if found.sector and dimension else {}
    return render_template(
        "published/briefing.html",
        survey=survey,
        briefing=found,
        comment_limit=briefing_content.COMMENTS,
        min_points=briefing_content.MIN_POINTS,
        equality_min=briefing_content.EQUALITY_MIN_GROUP,
        method=method(survey, publication, overview),
        **({} if found.small else wave_pages.briefing(survey, publication, sector, language)),
    )
