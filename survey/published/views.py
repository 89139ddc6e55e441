"""Published results pages: thin views over survey/published/content.py and the results engine."""

from __future__ import annotations

import functools

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import current_language, results
from ..limits import limiter
from ..models import Survey, as_utc
from . import bp, content
from . import briefing as briefing_content
from .access import GONE, NEEDS_CODE, NOT_FOUND, TEXT_TYPES, Release, check_code, public_state, survey_by_slug
from .screen import published_screen, render_screen

SECTOR = "sector"  # the audience part a briefing is for


def _code_rate() -> str:
    return current_app.config.get("RATE_PUBLISHED_CODE", "10 per minute;100 per hour")


def _briefing_rate() -> str:
    # A sector briefing makes the gate work through every published question for that sector.
    return current_app.config.get("RATE_PUBLISHED_BRIEFING", "20 per minute")


def public(view):
    """Run a view with (survey, release) when the visitor may read the results; otherwise say why:
    not found (never published, or before the embargo), withdrawn (410), or the access code page."""

    @functools.wraps(view)
    def wrapped(slug: str, **kwargs):
        survey = survey_by_slug(slug)
        state, release = public_state(survey)
        if state == NOT_FOUND:
            abort(404)
        if state == GONE:
            return render_template("published/gone.html"), 410
        if state == NEEDS_CODE:
            return redirect(url_for("published.code", slug=slug, next=request.full_path.rstrip("?")))
        return view(survey, release, **kwargs)

    return wrapped


def method(survey: Survey, release: Release, overview: results.Overview) -> dict:
    """Return what the methodology box says: dates, responses, response rate, thresholds, release."""
    from ..organise import service as organise_service  # imported here: organise imports this package

    tracking = organise_service.tracking(survey)
    rules = results.filter_rules(survey)
    opened = survey.opens_at or survey.launched_at
    closed = survey.closed_at or survey.closes_at
    return {
        "opened": as_utc(opened) if opened else None,
        "closed": as_utc(closed) if closed else None,
        "responses": overview.responses,
        "response_rate": tracking.response_rate if tracking.invited and not overview.suppressed else None,
        "invited": tracking.invited,
        "k": rules.threshold,
        "protected_k": rules.protected_threshold,
        "comment_k": rules.comment_threshold,
        "version": release.version,
        "published_at": release.published_at,
        "reference": f"{survey.slug} v{release.version}",
    }


def render_page(survey: Survey, release: Release, preview: bool = False) -> str:
    """Render the published results page (also the organisers' preview, with preview=True)."""
    language = current_language()
    overview = results.overview(survey, language)
    shown = content.overall(survey, release, language) if not overview.suppressed else []
    flags = content.published_flags(survey, release, language) if not overview.suppressed else []
    pending = flags is None  # a large survey's flags, being worked out by the job worker
    flags = flags or []
    top, top_flags = content.headline(shown, flags, content.about_members(survey))
    lines = {s.question.id: content.lines(s, language) for s in shown}
    sections = [
        (section, [(s, lines[s.question.id]) for s in shown if s.question.id in {q.id for q in section.questions}])
        for section in survey.questionnaire.sections
    ]
    return render_template(
        "published/page.html",
        survey=survey,
        release=release,
        overview=overview,
        sections=[(section, items) for section, items in sections if items],
        top=top,
        top_flags=top_flags,
        flags=flags,
        flags_pending=pending,
        method=method(survey, release, overview),
        sectors=_sectors(survey, release, overview),
        preview=preview,
    )


def _sectors(survey: Survey, release: Release, overview: results.Overview) -> list[results.Group]:
    """Return the sectors shown in the overview, for their briefings (whatever breakdowns were published:
    a sector's briefing is its members' results, which any sector large enough may have)."""
    dimension = survey.questionnaire.audience.get(SECTOR)
    if dimension not in results.filter_rules(survey).filter_dimensions:
        return []
    breakdown = next((b for b in overview.breakdowns if b.dimension == dimension), None)
    return [g for g in breakdown.groups if not g.suppressed and g.code] if breakdown else []


@bp.get("/<slug>")
@public
def page(survey: Survey, release: Release):
    """The published results: headline findings, equality flags, then every published question."""
    return render_page(survey, release)


@bp.get("/<slug>/q/<question_id>")
@public
def question(survey: Survey, release: Release, question_id: str):
    """One published question, for everyone and by one published breakdown, with its chart on demand."""
    language = current_language()
    asked = _published_question(survey, release, question_id)
    overview = results.overview(survey, language)
    if overview.suppressed:
        abort(404)
    dimensions = {d.id: d for d in results.dimensions(survey)}
    if asked.type in TEXT_TYPES:
        return render_template(
            "published/comments.html",
            survey=survey,
            release=release,
            question=asked,
            comments=results.comments(survey, asked.id, {}, language),
            method=method(survey, release, overview),
        )
    options = results.query_options(survey, asked.id)
    offered = [d for d in options.by if d in release.breakdowns]
    by = request.args.get("by") or None
    if by is not None and by not in offered:
        abort(404)
    table = results.question_table(survey, asked.id, by, {}, language)
    from ..dashboards.charts import PLOTLY_BUNDLE  # imported here, as organise imports this module

    return render_template(
        "published/question.html",
        survey=survey,
        release=release,
        question=asked,
        table=table,
        offered=offered,
        by_labels={d: content.by_label(dimensions[d], language) for d in offered},
        off=[o.code for o in asked.scale.off_scale] if asked.scale else [],
        by=by,
        figure_url=url_for("published.chart", slug=survey.slug, question_id=asked.id, by=by, lang=language),
        library=url_for("static", filename=PLOTLY_BUNDLE),
        method=method(survey, release, overview),
    )


def _published_question(survey: Survey, release: Release, question_id: str):
    if question_id not in release.questions:
        abort(404)
    return survey.questionnaire.question(question_id)


@bp.get("/<slug>/q/<question_id>/chart.json")
@public
def chart(survey: Survey, release: Release, question_id: str):
    """The same gated table as a Plotly figure, fetched only when someone asks for the chart."""
    language = current_language()
    asked = _published_question(survey, release, question_id)
    by = request.args.get("by") or None
    if asked.type in TEXT_TYPES or (by is not None and by not in release.breakdowns):
        abort(404)
    table = results.question_table(survey, asked.id, by, {}, language)
    if table.refused:
        abort(404)
    from ..dashboards.charts import figure  # the dashboards' figure; imported here, as organise imports this

    drawn = figure(table)
    drawn["layout"]["xaxis"]["title"]["text"] = _("% of those answering")
    return drawn


@bp.route("/<slug>/code", methods=["GET", "POST"])
@limiter.limit(_code_rate, methods=["POST"])
def code(slug: str):
    """Ask for the access code of a conference-only release; remember it in this browser."""
    survey = survey_by_slug(slug)
    state, release = public_state(survey)
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
        if check_code(survey, release, request.form.get("code", "")):
            return redirect(target)
        wrong = True
    return render_template("published/code.html", survey=survey, wrong=wrong), 400 if wrong else 200


@bp.get("/<slug>/screen")
@public
def screen(survey: Survey, release: Release):
    """The conference screen: a slide per published question, the question and its bars in large type."""
    return render_screen(published_screen(survey, release))


@bp.get("/<slug>/briefing")
@limiter.limit(_briefing_rate)
@public
def briefing(survey: Survey, release: Release):
    """The negotiators' briefing: two A4 pages and an appendix, for a sector or for all members."""
    language = current_language()
    overview = results.overview(survey, language)
    if overview.suppressed:
        abort(404)
    dimension = survey.questionnaire.audience.get(SECTOR)
    found = briefing_content.build(survey, release, overview, dimension, request.args.get(SECTOR) or None, language)
    if found is None:
        abort(404)
    return render_template(
        "published/briefing.html",
        survey=survey,
        briefing=found,
        comment_limit=briefing_content.COMMENTS,
        min_points=briefing_content.MIN_POINTS,
        equality_min=briefing_content.EQUALITY_MIN_GROUP,
        method=method(survey, release, overview),
    )
