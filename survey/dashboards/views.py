"""Dashboard pages: thin views over the results engine (survey/results), which gates every number."""

from __future__ import annotations

import re

from flask import abort, render_template, request, url_for

from .. import results
from ..core import membership, reviews
from ..core.tracking import tracking
from ..questionnaire.model import TEXT_TYPES
from ..web import waves as wave_pages
from ..web.access import ALL_STAFF, roles, slice_ok, survey_or_404
from ..web.charts import PLOTLY_BUNDLE, figure
from . import bp

COMMENTS_PER_PAGE = 100
KEEP_CAPITAL = ("Black", "Welsh", "English", "UNISON", "LGBT")  # words written with a capital anywhere


@bp.app_template_filter("plain_summary")
def plain_summary(sentence: str) -> str:
    """Say the engine's "(base 1,922" as "(of 1,922 who answered", for readers who are not statisticians."""
    return re.sub(r"\(base (\d[\d,]*\d|\d)", r"(of \1 who answered", sentence)


def by_label(dimension: results.DimensionInfo) -> str:
    """Return how a breakdown is offered: "By region" (a name or an acronym keeps its capital)."""
    label = dimension.label["en"]
    if not label.startswith(KEEP_CAPITAL) and label[1:2].islower():
        label = label[0].lower() + label[1:]
    return f"By {label}"


def _query() -> tuple[str | None, dict[str, str]]:
    """Read ?by=<dimension> and ?filter=<dimension>:<code> from the address."""
    by = request.args.get("by") or None
    dimension, _, code = (request.args.get("filter") or "").partition(":")
    return by, ({dimension: code} if dimension and code else {})


def _question_or_404(survey, question_id: str):
    questionnaire = survey.questionnaire
    base = question_id.split(".")[0]
    if base not in {q.id for q in questionnaire.questions}:
        abort(404)
    return questionnaire.question(base)


@bp.get("/")
@roles(*ALL_STAFF)
@slice_ok
def overview(survey_id: int):
    """Responses so far, by each group that may be shown, then every question to open."""
    survey = survey_or_404(survey_id)
    return render_template(
        "dashboards/overview.html",
        survey=survey,
        overview=results.overview(survey),
        representation=_representation(survey),
        flags=results.equality_flags(survey, when_ready=True),
        by_labels={d.id: by_label(d) for d in results.dimensions(survey)},
        protected_threshold=results.filter_rules(survey).protected_threshold,
        tracking=None if results.is_slice(survey) else tracking(survey),  # a slice: no whole-survey counts
        sections=survey.questionnaire.sections,
        waves_line=wave_pages.overview_line(survey),
    )


def _representation(survey) -> results.Representation | None:
    """Who answered against the newest membership profile, or None when there is no profile."""
    profile = membership.membership_for(survey)
    return None if profile is None else results.representation(survey, profile)


@bp.get("/q/<question_id>")
@roles(*ALL_STAFF)
@slice_ok
def question(survey_id: int, question_id: str):
    """One question: a table with CSS bars for each shown group, a summary, an optional chart."""
    survey = survey_or_404(survey_id)
    asked = _question_or_404(survey, question_id)
    by, filters = _query()
    dimensions = {d.id: d for d in results.dimensions(survey)}
    if asked.type in TEXT_TYPES:
        found = results.comments(survey, question_id, filters, decisions=reviews.decisions(survey, question_id))
        page = max(1, request.args.get("page", 1, type=int))
        return render_template(
            "dashboards/comments.html",
            survey=survey,
            question=asked,
            comments=found,
            shown=found.comments[(page - 1) * COMMENTS_PER_PAGE : page * COMMENTS_PER_PAGE],
            languages=found.languages[(page - 1) * COMMENTS_PER_PAGE : page * COMMENTS_PER_PAGE],
            page=page,
            pages=max(1, -(-len(found.comments) // COMMENTS_PER_PAGE)),
            rules=results.filter_rules(survey),
            dimensions=dimensions,
            filters=filters,
        )
    options = results.query_options(survey, question_id)
    table = results.question_table(survey, question_id, by, filters)
    figure_url = url_for("dashboards.chart", survey_id=survey.id, question_id=question_id, **request.args.to_dict())
    return render_template(
        "dashboards/question.html",
        survey=survey,
        question=asked,
        table=table,
        options=options,
        dimensions=dimensions,
        by_labels={d: by_label(dimensions[d]) for d in options.by},
        off=[o.code for o in asked.scale.off_scale] if asked.scale else [],
        by=by,
        filters=filters,
        figure_url=figure_url,
        library=url_for("static", filename=PLOTLY_BUNDLE),
        waves=None if table.refused else wave_pages.panel(survey, question_id, by, filters),
    )


@bp.get("/q/<question_id>/chart.json")
@roles(*ALL_STAFF)
@slice_ok
def chart(survey_id: int, question_id: str):
    """The same gated table as a Plotly figure, fetched only when someone asks for the chart."""
    survey = survey_or_404(survey_id)
    _question_or_404(survey, question_id)
    by, filters = _query()
    table = results.question_table(survey, question_id, by, filters)
    if table.refused:
        abort(404)
    return figure(table)
