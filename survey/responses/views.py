"""The member journey: start → one page per section → check answers → submit → thank you."""

from __future__ import annotations

from flask import abort, make_response, redirect, render_template, request, session, url_for
from sqlalchemy.exc import OperationalError

from ..core import codes, drafts, invitations, member_survey, submissions, withdrawal
from ..core.drafts import DraftState
from ..core.member_survey import MemberSurvey
from ..extensions import db
from ..i18n import current_language
from ..models import AccessMode
from ..questionnaire import timing
from ..questionnaire.answers import page_values, read_page
from ..questionnaire.model import Section
from ..web import member_pages
from ..web.limits import limiter, rate
from . import bp


def _find(slug: str) -> MemberSurvey:
    """Return the survey with this slug (read afresh: one query, no questionnaire text), or stop with 404."""
    return member_survey.find_survey(slug) or abort(404)


def _survey(slug: str) -> MemberSurvey:
    """Return the survey if members can answer it now; otherwise stop with a plain page."""
    return _open_or_stop(_find(slug))


def _open_or_stop(survey: MemberSurvey) -> MemberSurvey:
    """Return the survey if it is open now; otherwise stop with the page that says why."""
    state = survey.state()
    if state != "open":
        code = 410 if state == "closed" else 403
        abort(make_response(render_template(f"responses/{state}.html", survey=survey), code))
    return survey


def _entry(slug: str) -> dict:
    """Return the member's entry for a survey: {"secret": resume code or None, "token": invitation
    token or None}.

    A session made before drafts had their own codes holds {"secret": token, "invited": True}: its
    token is read as the invitation it is, never as a draft's secret, so no one holding a link
    (and a session made with it) opens the draft that link once opened.
    """
    entry = session.get("drafts", {}).get(slug) or {}
    if "token" not in entry and entry.get("invited"):
        return {"secret": None, "token": entry.get("secret")}
    return {"secret": entry.get("secret"), "token": entry.get("token")}


def _remember(slug: str, secret: str | None, token: str | None) -> None:
    session.permanent = True
    session["drafts"] = {**session.get("drafts", {}), slug: {"secret": secret, "token": token}}


def _forget(slug: str, submitted: bool) -> None:
    session["drafts"] = {k: v for k, v in session.get("drafts", {}).items() if k != slug}
    if submitted:
        session["submitted"] = sorted({*session.get("submitted", []), slug})


def _draft(survey: MemberSurvey, entry: dict) -> DraftState | None:
    """Return the draft the member's resume code opens, or None."""
    return drafts.load_draft(survey, entry["secret"]) if entry["secret"] else None


def _stop_if_invitation_used(survey: MemberSurvey, token: str | None) -> None:
    """Tell a member whose invitation was used (on another device, say) that it has been."""
    if not token:
        return
    invitation = invitations.find_invitation(token)
    if invitation is None or invitations.invitation_used(invitation):
        if submissions.was_submitted(request.form.get("submit_key", "")):  # used by this very form
            _forget(survey.slug, submitted=True)
            abort(redirect(url_for("responses.thank_you", slug=survey.slug)))
        _forget(survey.slug, submitted=False)
        abort(make_response(render_template("responses/invitation_used.html", survey=survey), 409))


def _journey(slug: str) -> tuple[MemberSurvey, str, DraftState]:
    """Return the survey, the member's resume code and draft, or redirect to where they should be."""
    survey = _survey(slug)
    entry = _entry(slug)
    state = _draft(survey, entry)
    if state is None:
        _stop_if_invitation_used(survey, entry["token"])
        target = "thank_you" if slug in session.get("submitted", []) else "start"
        abort(redirect(url_for(f"responses.{target}", slug=slug)))
    if state.language != current_language():
        drafts.set_language(survey, entry["secret"], current_language())
        state.language = current_language()
    return survey, entry["secret"], state


def _section(survey: MemberSurvey, section_id: str) -> Section:
    """Return a page of the survey's questionnaire, or stop with 404."""
    return next((s for s in survey.member_questionnaire.sections if s.id == section_id), None) or abort(404)


@bp.get("/s/<slug>")
def start(slug: str):
    """Show what the survey is for, how long it takes (worked out from what it asks), Start, and
    how answers are protected."""
    survey = _survey(slug)
    entry = _entry(slug)
    state = _draft(survey, entry)
    _stop_if_invitation_used(survey, state.token if state else entry["token"])
    invited_only = survey.access == AccessMode.INVITATION and not (entry["token"] or state)
    return render_template(
        "responses/start.html",
        survey=survey,
        questionnaire=survey.member_questionnaire,
        minutes=timing.minutes(survey.member_questionnaire, current_language()),
        started=state is not None,
        invited_only=invited_only,
    ), (403 if invited_only else 200)


@bp.post("/s/<slug>/start")
def begin(slug: str):
    """Reopen the member's draft, or start a new one under a fresh resume code, and go to the first
    page they have not answered. An invited member's token is sealed inside the new draft."""
    survey = _survey(slug)
    entry = _entry(slug)
    state = _draft(survey, entry)
    token = state.token if state else entry["token"]
    _stop_if_invitation_used(survey, token)
    if state is None and survey.access == AccessMode.INVITATION and not token:
        return redirect(url_for("responses.start", slug=slug))
    secret = entry["secret"] if state else codes.new_resume_code()
    state = drafts.start_draft(survey, secret, current_language(), token=token)
    _remember(slug, secret, token)
    return redirect(_resume_url(survey, state))


def _resume_url(survey: MemberSurvey, state: DraftState) -> str:
    section = member_pages.first_unanswered(survey.member_questionnaire, state.answers, state.language)
    if section is None:
        return url_for("responses.check_answers", slug=survey.slug)
    return url_for("responses.page", slug=survey.slug, section_id=section.id)


@bp.get("/i/<token>")
@limiter.limit(rate("INVITATION"))
def invitation(token: str):
    """Accept an invitation link, keep the token in the session, and drop it from the address.

    The link lets its holder start a response, never open one: unless this session already holds
    a draft sent with this very invitation, Start makes a new draft under a new resume code.
    """
    found = invitations.find_invitation(token)
    if found is None:
        return render_template("responses/invitation_invalid.html"), 404
    survey = _survey(found.survey.slug)
    if invitations.invitation_used(found):
        return render_template("responses/invitation_used.html", survey=survey), 409
    current_language()  # keeps the ?lang= a link carries (a Welsh email's) for the pages after
    entry = _entry(survey.slug)
    state = _draft(survey, entry)
    _remember(survey.slug, entry["secret"] if state and state.token == token else None, token)
    return redirect(url_for("responses.start", slug=survey.slug))


@bp.route("/s/<slug>/page/<section_id>", methods=["GET", "POST"])
def page(slug: str, section_id: str):
    """Show one page of questions; on POST check and save it, then go on (back to Check your
    answers when the member came from one of its Change links)."""
    survey, secret, state = _journey(slug)
    questionnaire = survey.member_questionnaire
    section = _section(survey, section_id)
    if request.method == "GET":
        if section not in member_pages.visible_sections(questionnaire, state.answers, state.language):
            return redirect(_resume_url(survey, state))
        return _render_page(survey, section, state, page_values(section, state.answers), [])
    result = read_page(questionnaire, section, request.form, state.answers, state.language)
    action = request.form.get("action", "continue")
    if "language" in request.form:
        action = "language"
    if not result.ok and action == "continue":
        return _render_page(survey, section, state, request.form.to_dict(flat=False), result.problems)
    try:
        state = drafts.save_answers(survey, secret, section, result.answers, state.language, saved=state)
    except OperationalError:
        db.session.rollback()
        return _render_page(survey, section, state, request.form.to_dict(flat=False), [], unsaved=True), 503
    if action == "save":
        return redirect(url_for("responses.saved", slug=slug))
    if action == "language":
        language = request.form["language"]
        return redirect(url_for("responses.page", slug=slug, section_id=section.id, lang=language, change=_changing()))
    following = member_pages.next_section(questionnaire, section, state.answers, state.language)
    if following is None or _changing():
        return redirect(url_for("responses.check_answers", slug=slug))
    return redirect(url_for("responses.page", slug=slug, section_id=following.id))


def _changing() -> str | None:
    """Return "1" when the member is changing an answer from Check your answers, else None."""
    return "1" if (request.form.get("change") or request.args.get("change")) == "1" else None


def _render_page(survey, section, state, form, problems, unsaved: bool = False, expired: bool = False):
    shown, previous = member_pages.page_view(
        survey.member_questionnaire, section, state.answers, form, problems, state.language
    )
    if _changing():
        back = url_for("responses.check_answers", slug=survey.slug)
    elif previous:
        back = url_for("responses.page", slug=survey.slug, section_id=previous.id)
    else:
        back = url_for("responses.start", slug=survey.slug)
    return render_template(
        "responses/page.html",
        survey=survey,
        back=back,
        unsaved=unsaved,
        expired=expired,
        changing=bool(_changing()),
        **shown,
    )


@bp.route("/s/<slug>/check-answers", methods=["GET", "POST"])
@limiter.limit(rate("SUBMIT"), methods=["POST"])
def check_answers(slug: str):
    """Show every answer with change links; on POST submit the response exactly once."""
    if request.method == "POST" and submissions.was_submitted(request.form.get("submit_key", "")):
        _forget(slug, submitted=True)  # a second tap or a reload of a form already sent
        return redirect(url_for("responses.thank_you", slug=slug))
    survey, secret, state = _journey(slug)
    questionnaire = survey.member_questionnaire
    missing = member_pages.first_incomplete(questionnaire, state.answers, state.language)
    if missing is not None:
        # A changed answer that asks more comes back here once that is answered; a member who
        # has not been further than that page yet carries on page by page.
        back = "1" if member_pages.answered_beyond(questionnaire, missing, state.answers) else None
        return redirect(url_for("responses.page", slug=slug, section_id=missing.id, change=back))
    if request.method == "GET":
        return render_template(
            "responses/check_answers.html",
            survey=survey,
            summary=member_pages.summary(questionnaire, state.answers, state.language),
            submit_key=codes.submit_key(),
            change_endpoint="responses.page",
            change_args={"slug": slug},
        )
    code = codes.new_withdrawal_code() if request.form.get("withdrawal_code") == "yes" else None
    withdrawal = codes.withdrawal_hash(code) if code else None
    key = request.form.get("submit_key", "")
    outcome = submissions.submit_response(survey, secret, key, withdrawal, saved=state)
    if outcome is submissions.Outcome.INVITATION_USED:
        _forget(slug, submitted=False)
        return render_template("responses/invitation_used.html", survey=survey), 409
    _forget(slug, submitted=outcome is not submissions.Outcome.NO_DRAFT)
    if code and outcome is submissions.Outcome.SAVED:
        # The withdrawal code is shown once, in the answer to this POST: never in an address, the
        # session or a row (only its hash is stored). A reload sends the form again, which finds it
        # already sent and redirects to the thank-you page, without the code.
        return render_template("responses/thank_you.html", survey=survey, withdrawal_code=code)
    return redirect(url_for("responses.thank_you", slug=slug))


@bp.get("/s/<slug>/thank-you")
def thank_you(slug: str):
    """Confirm the response is stored; shown only after the commit."""
    survey = _find(slug)
    if slug not in session.get("submitted", []):
        return redirect(url_for("responses.start", slug=slug))
    return render_template("responses/thank_you.html", survey=survey)


def _withdrawal_survey(slug: str) -> MemberSurvey:
    """Return the survey if responses to it can be withdrawn now; otherwise stop with a plain page."""
    survey = _find(slug)
    if survey.state() == "closed":
        abort(make_response(render_template("responses/withdraw_closed.html", survey=survey), 410))
    return _open_or_stop(survey)


@bp.route("/s/<slug>/withdraw", methods=["GET", "POST"])
@limiter.limit(rate("RESUME"), methods=["POST"])
def withdraw(slug: str):
    """Withdraw a response with its withdrawal code: enter the code, confirm, done.

    The code travels only in the form body (a hidden field on the confirmation page), never in
    an address or the session. Nothing here reads or shows the answers.
    """
    survey = _withdrawal_survey(slug)
    if request.method == "GET":
        return render_template("responses/withdraw.html", survey=survey, error=None)
    code = request.form.get("code", "")[:100]
    if request.form.get("confirm") == "yes":
        outcome = withdrawal.withdraw(survey, code)
        if outcome is withdrawal.Withdrawal.CLOSED:
            return render_template("responses/withdraw_closed.html", survey=survey), 410
        if outcome is not withdrawal.Withdrawal.UNKNOWN:
            return render_template("responses/withdrawn.html", survey=survey, outcome=outcome)
        error = "unknown"
    elif not code.strip():
        error = "empty"
    elif withdrawal.withdrawal_exists(survey, code):
        return render_template("responses/withdraw_confirm.html", survey=survey, code=code)
    else:
        error = "unknown"
    return render_template("responses/withdraw.html", survey=survey, error=error), 400


@bp.get("/s/<slug>/saved")
def saved(slug: str):
    """Show how to come back: the resume code and link (for invited members too: their link starts
    afresh, it never reopens saved answers)."""
    survey, secret, state = _journey(slug)
    return render_template("responses/saved.html", survey=survey, code=secret, invited=bool(state.token))


@bp.route("/s/<slug>/resume", methods=["GET", "POST"])
@limiter.limit(rate("RESUME"), methods=["POST"])
def resume(slug: str):
    """Let a member type their resume code to carry on."""
    survey = _survey(slug)
    error = None
    if request.method == "POST":
        code = codes.normalise_code(request.form.get("code", ""))
        state = drafts.load_draft(survey, code) if code else None
        if state is not None:
            _remember(slug, code, None)  # an invited member's token is in the draft
            return redirect(_resume_url(survey, state))
        error = "unknown" if code else "empty"
    return render_template("responses/resume.html", survey=survey, error=error), (200 if not error else 400)


@bp.get("/s/<slug>/resume/<code>")
@limiter.limit(rate("RESUME"))
def resume_link(slug: str, code: str):
    """Open a draft from a resume link, then drop the code from the address."""
    survey = _survey(slug)
    code = codes.normalise_code(code)
    state = drafts.load_draft(survey, code)
    if state is None:
        return render_template("responses/resume.html", survey=survey, error="unknown"), 404
    _remember(slug, code, None)
    return redirect(_resume_url(survey, state))


def page_after_expired_form():
    """Show the page again with the member's answers when its form had expired (CSRF).

    The token lives as long as the session; when that has lapsed the answers typed on this page
    are put back in front of the member, so pressing Continue again loses nothing.
    """
    slug, section_id = request.view_args["slug"], request.view_args["section_id"]
    survey, _, state = _journey(slug)
    return _render_page(
        survey, _section(survey, section_id), state, request.form.to_dict(flat=False), [], expired=True
    ), 400
