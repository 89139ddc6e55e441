"""Organisers' switch for weighting a survey's results to the membership profile."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..core.weighting import set_weighting, weighting_status
from ..web.access import ALL_STAFF, MANAGERS, roles, survey_or_404
from . import bp


@bp.get("/surveys/<int:survey_id>/weighting")
@roles(*ALL_STAFF)
def weighting(survey_id: int):
    """Whether the survey's percentages are weighted to the membership, and why not when they cannot be."""
    found = survey_or_404(survey_id)
    return render_template("organise/weighting.html", survey=found, status=weighting_status(found), message=None)


@bp.post("/surveys/<int:survey_id>/weighting")
@roles(*MANAGERS)
def switch_weighting(survey_id: int):
    """Switch weighting on or off (audited)."""
    found = survey_or_404(survey_id)
    on = request.form.get("weighted") == "on"
    problem = set_weighting(found, on)
    if problem:
        status = weighting_status(found)
        return render_template("organise/weighting.html", survey=found, status=status, message=problem), 400
    flash("Weighting switched on: every output now shows weighted percentages." if on else "Weighting switched off.")
    return redirect(url_for("organise.weighting", survey_id=found.id))
