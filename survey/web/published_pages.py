"""The published results page and its methodology box, shared by the public page (survey/published)
and the organisers' preview of it (survey/organise/publishing.py): one rendering, so the preview is
exactly what delegates will see."""

from __future__ import annotations

from flask import render_template

from .. import results
from ..core.publication import PublicationView
from ..core.tracking import tracking
from ..i18n import current_language
from ..models import Survey, as_utc
from . import findings, waves

SECTOR = "sector"  # the audience part a briefing is for


def method(survey: Survey, publication: PublicationView, overview: results.Overview) -> dict:
    """Return what the methodology box says: dates, responses, response rate, thresholds, version."""
    counts = tracking(survey)
    rules = results.filter_rules(survey)
    opened = survey.opens_at or survey.launched_at
    closed = survey.closed_at or survey.closes_at
    return {
        "opened": as_utc(opened) if opened else None,
        "closed": as_utc(closed) if closed else None,
        "responses": overview.responses,
        "response_rate": counts.response_rate if counts.invited and not overview.suppressed else None,
        "invited": counts.invited,
        "k": rules.threshold,
        "protected_k": rules.protected_threshold,
        "comment_k": rules.comment_threshold,
        "version": publication.version,
        "published_at": publication.published_at,
        "reference": f"{survey.slug} v{publication.version}",
        "weighting": results.survey_weighting(survey),  # None unless weighted to the membership profile
    }


def render_page(survey: Survey, publication: PublicationView, preview: bool = False) -> str:
    """Render the published results page (also the organisers' preview, with preview=True)."""
    language = current_language()
    overview = results.overview(survey, language)
    shown = findings.overall(survey, publication, language) if not overview.suppressed else []
    flags = findings.published_flags(survey, publication, language) if not overview.suppressed else []
    pending = flags is None  # a large survey's flags, being worked out by the job worker
    flags = flags or []
    top, top_flags = findings.headline(shown, flags, findings.about_members(survey))
    lines = {s.question.id: findings.lines(s, language) for s in shown}
    sections = [
        (section, [(s, lines[s.question.id]) for s in shown if s.question.id in {q.id for q in section.questions}])
        for section in survey.questionnaire.sections
    ]
    return render_template(
        "published/page.html",
        survey=survey,
        publication=publication,
        overview=overview,
        sections=[(section, items) for section, items in sections if items],
        top=top,
        top_flags=top_flags,
        flags=flags,
        flags_pending=pending,
        method=method(survey, publication, overview),
        sectors=_sectors(survey, publication, overview),
        preview=preview,
        capital=waves.capital,
        **waves.published(survey, publication, language, lines, shown),
    )


def _sectors(survey: Survey, publication: PublicationView, overview: results.Overview) -> list[results.Group]:
    """Return the sectors shown in the overview, for their briefings (whatever breakdowns were published:
    a sector's briefing is its members' results, which any sector large enough may have)."""
    dimension = survey.questionnaire.audience.get(SECTOR)
    if dimension not in results.filter_rules(survey).filter_dimensions:
        return []
    breakdown = next((b for b in overview.breakdowns if b.dimension == dimension), None)
    return [g for g in breakdown.groups if not g.suppressed and g.code] if breakdown else []
