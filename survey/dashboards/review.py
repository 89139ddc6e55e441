"""Review of comments held back because they may identify someone: an organiser approves each
one (then it is shown like any other comment) or keeps it hidden. Organisers and administrators
only, within their scopes; the results engine decides what may be reviewed at all (a question
with too few comments to show offers nothing) and survey/core/reviews.py stores the decisions.
Comments are approved or kept hidden as written, never edited: a comment that names someone is
simply kept hidden."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from .. import results
from ..core import reviews
from ..questionnaire.model import TEXT_TYPES
from ..web.access import MANAGERS, roles, survey_or_404
from . import bp

PER_PAGE = 50
SHOW = {"waiting": "Waiting for a decision", "all": "All held back"}


def _free_text(survey) -> list:
    return [q for q in survey.questionnaire.questions if q.type in TEXT_TYPES]


@bp.get("/review")
@roles(*MANAGERS)
def review(survey_id: int):
    """List each free-text question's held-back comments, a page at a time, to approve or keep hidden."""
    survey = survey_or_404(survey_id)
    held = {q.id: results.held_comments(survey, q.id, reviews.decisions(survey, q.id)) for q in _free_text(survey)}
    waiting = [q for q, r in held.items() if r.waiting]
    chosen = request.args.get("q") or next(iter(waiting or held), None)
    if chosen is not None and chosen not in held:
        abort(404)
    show = request.args.get("show") if request.args.get("show") in SHOW else "waiting"
    current = held.get(chosen)
    listed = [i for i in current.items if show == "all" or i.approved is None] if current else []
    pages = max(1, -(-len(listed) // PER_PAGE))
    page = min(max(1, request.args.get("page", 1, type=int)), pages)
    return render_template(
        "dashboards/review.html",
        survey=survey,
        reviews=held,
        current=current,
        show=show,
        shows=SHOW,
        items=listed[(page - 1) * PER_PAGE : page * PER_PAGE],
        first=(page - 1) * PER_PAGE,
        page=page,
        pages=pages,
    )


@bp.post("/review")
@roles(*MANAGERS)
def decide(survey_id: int):
    """Approve or keep hidden one comment (its own button) or every selected one."""
    survey = survey_or_404(survey_id)
    question_id = request.form.get("q", "")
    if question_id not in {q.id for q in _free_text(survey)}:
        abort(404)
    choice, _, key = (request.form.get("one") or request.form.get("selected_action") or "").partition(":")
    keys = [key] if key else request.form.getlist("selected")
    if choice not in ("approve", "hide"):
        abort(400)
    approve = choice == "approve"
    count = reviews.decide_comments(survey, question_id, keys, approve)
    if count:
        flash(f"{count} comment{'' if count == 1 else 's'} {'approved' if approve else 'kept hidden'}.")
    else:
        flash("No comment was selected.")
    back = {
        "q": question_id,
        "show": request.form.get("show", "waiting"),
        "page": request.form.get("page", 1, type=int),
    }
    return redirect(url_for("dashboards.review", survey_id=survey.id, **back))
