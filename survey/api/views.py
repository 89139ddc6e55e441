"""The JSON API, version 1: what a survey asks, its results and its equality flags (all gated)."""

from __future__ import annotations

from dataclasses import asdict

from flask import request

from .. import results
from ..config import Config
from ..core import membership, reviews, themes
from ..questionnaire.model import Question
from ..web import waves as wave_pages
from . import bp
from .access import readable_survey, visible_publication


def _language() -> str:
    wanted = request.args.get("lang", "en")
    return wanted if wanted in Config.LANGUAGES else Config.BABEL_DEFAULT_LOCALE


def _options(options, language: str) -> list[dict]:
    return [{"code": o.code, "label": o.label[language]} for o in options]


def _question(question: Question, language: str) -> dict:
    described = {
        "id": question.id,
        "type": question.type,
        "text": question.text[language],
        "options": _options(question.choices, language),
    }
    if question.items:
        described["items"] = [{"code": i.code, "text": i.text[language]} for i in question.items]
    if question.type == "priorities":  # pick exactly `choose`, or rank the top `rank` (first choice first)
        described |= {"choose": question.choose, "rank": question.rank}
    return described


@bp.get("/surveys/<slug>")
def describe(slug: str):
    """The survey's questions (with option codes) and its breakdown dimensions (with values)."""
    survey = readable_survey(slug)
    language = _language()
    questionnaire = survey.questionnaire
    publication = visible_publication()
    fixed = {d.id for d in results.dimensions(survey) if d.fixed} if results.is_slice(survey) else set()
    return {
        "slug": survey.slug,
        "title": questionnaire.title[language],
        "threshold": survey.threshold,
        "status": survey.status,
        "slice": survey.label if results.is_slice(survey) else None,
        "questions": [_question(q, language) for q in questionnaire.questions if _published(q.id)],
        "dimensions": [
            {
                "id": d.id,
                "label": d.label[language],
                "protected": d.protected,
                "values": _options(d.values, language),
            }
            for d in questionnaire.dimensions
            if (publication is None or d.id in publication.breakdowns) and d.id not in fixed
        ],
    }


def _published(question_id: str, by: str | None = None, filters: dict[str, str] | None = None) -> bool:
    """Return whether the public may read this question with this breakdown and filters (staff: always)."""
    publication = visible_publication()
    return publication is None or (publication.has_question(question_id) and publication.allows(by, filters or {}))


NOT_PUBLISHED = {"error": "not published"}


def _filters(exclude: tuple[str, ...] = ("by", "lang", "slice")) -> dict[str, str]:
    """Every other query argument is a filter: ?A5=cymru_wales (several combine with AND);
    ?slice=<n> chooses one of a staff member's slices (survey/web/access.py)."""
    return {key: value for key, value in request.args.items() if key not in exclude}


def _cells(table: results.Table) -> dict:
    """The gated table in the API's shape; every hidden number is null."""
    return {
        "groups": [
            {"code": g.code, "label": g.label, "n": g.n, "suppressed": g.suppressed}
            | ({"effective_n": g.effective_n} if table.weighting else {})
            for g in table.groups
        ],
        "cells": [
            {
                "group": c.group,
                "option": c.option,
                "count": c.count,
                "percent": c.percent,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "suppressed": c.suppressed,
            }
            | ({"unweighted_percent": c.unweighted_percent} if table.weighting else {})
            for c in table.cells
        ],
        "scale": [asdict(s) for s in table.scale],
        "summary": table.summary,
        "refused": table.refused,
        "hidden_groups": table.hidden_groups,
    }


@bp.get("/surveys/<slug>/results/<question_id>")
def question_results(slug: str, question_id: str):
    """One question's results: ?by=<dimension>&<dimension>=<code>, every number published.

    A consultation question (statements, priorities) adds "ranked": its statements by net support,
    or its options by how often chosen, with the same published counts (results.Ranked)."""
    survey = readable_survey(slug)
    language = _language()
    filters = _filters()
    if not _published(question_id, request.args.get("by"), filters):
        return NOT_PUBLISHED, 404
    try:
        table = results.question_table(survey, question_id, request.args.get("by"), filters, language)
    except results.UnknownQuestion:
        return {"error": f"no question {question_id}"}, 404
    body = {"question": table.question, "type": table.type, "text": table.text, "by": table.by, "filters": filters}
    body |= {"threshold": table.threshold, **_cells(table)}
    # Weighted to the membership profile (percentages and intervals; counts stay as published), or null.
    body["weighting"] = asdict(table.weighting) if table.weighting else None
    if table.items:
        body["items"] = [{"question": t.question, "text": t.text, **_cells(t)} for t in table.items]
    if table.ranked is not None:  # statements and priorities: the same published numbers, ranked
        body["ranked"] = asdict(table.ranked)
    return body, 400 if table.refused else 200


@bp.get("/surveys/<slug>/comments/<question_id>")
def question_comments(slug: str, question_id: str):
    """Written answers that may be shown (groups of at least max(k, 10); never by a protected group)."""
    survey = readable_survey(slug)
    if not _published(question_id, None, _filters()):
        return NOT_PUBLISHED, 404
    try:
        decisions = reviews.decisions(survey, question_id)
        found = results.comments(survey, question_id, _filters(), _language(), decisions=decisions)
    except results.UnknownQuestion:
        return {"error": f"no free-text question {question_id}"}, 404
    return asdict(found), 400 if found.refused else 200


@bp.get("/surveys/<slug>/themes/<question_id>")
def question_themes(slug: str, question_id: str):
    """The themes of a question's comments: published sizes (a theme under k counted in Other),
    keywords written in at least k comments, and one comment that may be shown per theme."""
    survey = readable_survey(slug)
    if not _published(question_id, None, _filters()):
        return NOT_PUBLISHED, 404
    try:
        found = themes.themes(survey, question_id, _filters(), _language(), quotes=1)
    except results.UnknownQuestion:
        return {"error": f"no free-text question {question_id}"}, 404
    return asdict(found), 400 if found.refused else 200


@bp.get("/surveys/<slug>/equality")
def equality(slug: str):
    """Where a group of a protected characteristic answers differently from everyone else."""
    survey = readable_survey(slug)
    flags = results.equality_flags(survey, _language(), when_ready=True)
    if flags is None:  # a large survey's flags, being worked out by the job worker
        return {"slug": survey.slug, "flags": None, "ready": False}, 202, {"Retry-After": "60"}
    shown = [f for f in flags if _published(f.question, f.dimension)]
    return {"slug": survey.slug, "flags": [asdict(f) for f in shown], "ready": True}


@bp.get("/surveys/<slug>/representation")
def representation(slug: str):
    """Who answered, against the newest membership profile: per published non-protected breakdown,
    members, respondents (the overview's published counts, hidden where it hides them) and the
    response rate. Protected characteristics are never compared here."""
    survey = readable_survey(slug)
    profile = membership.membership_for(survey)
    if profile is None:
        return {"slug": survey.slug, "profile": None, "breakdowns": []}
    found = results.representation(survey, profile, _language())
    publication = visible_publication()
    shown = [b for b in found.breakdowns if publication is None or b.dimension in publication.breakdowns]
    return {
        "slug": survey.slug,
        "profile": {"name": found.name, "as_of": found.as_of.isoformat(), "audience_only": found.audience},
        "responses": found.responses,
        "threshold": found.threshold,
        "breakdowns": [asdict(b) for b in shown],
        "weighting_only": found.weighting_only,
    }


@bp.get("/surveys/<slug>/changes")
def changes(slug: str):
    """Each countable question against the survey's earlier wave: the change of each answer (and a
    scale's % positive) in points, its 95% interval and test, from both waves' published counts; or
    why a question is not compared. ?<dimension>=<code> filters both waves alike."""
    survey = readable_survey(slug)
    language = _language()
    filters = _filters(("lang",))
    publication = visible_publication()
    if publication is not None and not publication.allows(None, filters):
        return NOT_PUBLISHED, 404
    found = results.wave_changes(survey, language, filters)
    if found is None:
        return {"slug": survey.slug, "earlier": None, "questions": []}
    questions = [q for q in found.questions if _published(q.question)]
    return {
        "slug": survey.slug,
        "earlier": {"slug": found.earlier, "name": found.earlier_name, "label": found.earlier_label},
        "filters": filters,
        "questions": [asdict(q) | {"words": wave_pages.question_words(q, found.earlier_label)} for q in questions],
    }
