"""QR codes, the A4 poster and single-use invitations (links, uploaded member lists, reminders).

Only managers (administrators and organisers) reach these pages: viewers never see links or
who was invited. Downloads of links are POSTs (CSRF-protected) and are recorded in the audit log.
Invitation emails and reminders are sent by the job worker, never in the organiser's request;
these pages start them and show how far they have gone, in counts.
"""

from __future__ import annotations

import io
from datetime import datetime

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import force_locale, format_date
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from .. import mail, queue
from ..core import invitations, mailings, member_lists
from ..core.invitations import MAX_INVITATIONS, InvitationError
from ..core.member_lists import MemberListError
from ..extensions import csrf
from ..models import LONDON, AccessMode, Survey, as_utc
from ..qr import qr_png, qr_svg
from ..web.access import MANAGERS, roles, survey_or_404
from . import bp


class LinksForm(FlaskForm):
    """Make N single-use links."""

    count = IntegerField(
        "How many links",
        validators=[
            InputRequired("Enter how many links to make"),
            NumberRange(min=1, max=MAX_INVITATIONS, message=f"Enter a whole number from 1 to {MAX_INVITATIONS:,}"),
        ],
    )
    segment = StringField(
        "Segment (optional)", validators=[Optional(), Length(max=100, message="Use 100 characters or fewer")]
    )


class UploadForm(FlaskForm):
    """Upload a CSV list of members, one link each."""

    members = FileField("Members list (CSV file)", validators=[FileRequired("Choose a CSV file of members")])


# --- the open link: QR code and poster ---------------------------------------------------------


def member_link(survey: Survey) -> str:
    """Return the survey's open link, as members type or scan it."""
    return url_for("responses.start", slug=survey.slug, _external=True)


def _open_link_survey(survey_id: int) -> Survey:
    """Return a survey with an open link; invitation-only surveys have no link to print."""
    survey = survey_or_404(survey_id)
    if survey.access != AccessMode.OPEN_LINK:
        abort(404)
    return survey


@bp.get("/surveys/<int:survey_id>/qr.<any(svg, png):kind>")
@roles(*MANAGERS)
def qr_code(survey_id: int, kind: str):
    """Download the open link as a QR code: SVG for print shops, PNG for documents."""
    found = _open_link_survey(survey_id)
    link = member_link(found)
    if kind == "svg":
        data, mimetype = qr_svg(link, f"QR code for {link}", standalone=True).encode(), "image/svg+xml"
    else:
        data, mimetype = qr_png(link), "image/png"
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=f"{found.slug}-qr.{kind}")


@bp.get("/surveys/<int:survey_id>/poster")
@roles(*MANAGERS)
def poster(survey_id: int):
    """An A4 poster in English and Welsh: title, QR code, link, time it takes, the promise."""
    found = _open_link_survey(survey_id)
    link = member_link(found)
    return render_template(
        "organise/poster.html",
        survey=found,
        questionnaire=found.questionnaire,
        link=link,
        short_link=link.removeprefix("https://"),
        qr=Markup(qr_svg(link, f"QR code for {link}", standalone=False)),
        closes=_closing(found.closes_at) if found.closes_at else None,
    )


def _closing(moment: datetime) -> dict[str, str]:
    """Return a closing time as UK time of day and date, the date in English and in Welsh."""
    local = as_utc(moment).astimezone(LONDON)
    closing = {"time": f"{local:%H:%M}"}
    for language in ("en", "cy"):
        with force_locale(language):  # whatever language this browser last chose
            closing[language] = format_date(local.date(), "d MMMM yyyy")  # a date: never shifted to UTC
    return closing


# --- invitations ---------------------------------------------------------------------------------


def _page(survey: Survey, status: int = 200, **forms_and_messages):
    """Render the invitations page (with a form's errors, when there are some)."""
    context = {"links_form": LinksForm(formdata=None), "upload_form": UploadForm(formdata=None)} | forms_and_messages
    can_invite = invitations.can_invite(survey)
    return render_template(
        "organise/invitations.html",
        survey=survey,
        overview=invitations.overview(survey),
        can_invite=can_invite,
        email=_email(survey) if can_invite else None,
        AccessMode=AccessMode,
        max_invitations=MAX_INVITATIONS,
        upload_limit_mb=current_app.config["UPLOAD_LIMIT"] // (1024 * 1024),
        **context,
    ), status


@bp.get("/surveys/<int:survey_id>/invitations")
@roles(*MANAGERS)
def invitations_page(survey_id: int):
    """Invitations so far, batch by batch, and the forms to make more."""
    return _page(survey_or_404(survey_id))


@bp.post("/surveys/<int:survey_id>/invitations/links")
@roles(*MANAGERS)
def make_links(survey_id: int):
    """Make N single-use links, then go back to the list to download them."""
    found = survey_or_404(survey_id)
    form = LinksForm()
    if not form.validate():
        return _page(found, 400, links_form=form)
    try:
        batch = invitations.make_links(current_user, found, form.count.data, form.segment.data)
    except InvitationError as error:
        return _page(found, 409, links_form=form, message=str(error))
    flash(f"{batch.count:,} links made. Download them below.")
    return redirect(url_for("organise.invitations_page", survey_id=found.id))


@bp.post("/surveys/<int:survey_id>/invitations/upload")
@csrf.exempt  # checked below, after the larger size limit for this one form is set
@roles(*MANAGERS)
def upload_members(survey_id: int):
    """Import a members list, all or nothing, then go back to the list to download the links."""
    found = survey_or_404(survey_id)
    request.max_content_length = current_app.config["UPLOAD_LIMIT"]
    try:
        csrf.protect()  # the first read of the form, so the first place a too-large upload shows
    except RequestEntityTooLarge:
        return _too_large(found)
    form = UploadForm()
    if not form.validate():
        return _page(found, 400, upload_form=form)
    try:
        batch = member_lists.import_members(current_user, found, form.members.data.read(), form.members.data.filename)
    except MemberListError as error:
        return _page(found, 400, upload_form=form, problems=error.shown, more_problems=error.more)
    except InvitationError as error:
        return _page(found, 409, upload_form=form, message=str(error))
    flash(f"{batch.count:,} members imported, one link each. Download their links below to send them.")
    return redirect(url_for("organise.invitations_page", survey_id=found.id))


def _too_large(survey: Survey):
    """Say plainly that the file is too large, and keep nothing."""
    limit = current_app.config["UPLOAD_LIMIT"] // (1024 * 1024)
    message = (
        f"The file is larger than {limit} MB, so nothing was imported. Remove columns other than email and "
        f"segment, or split the list into files of up to {MAX_INVITATIONS:,} members."
    )
    return _page(survey, 413, message=message)


@bp.post("/surveys/<int:survey_id>/invitations/<int:batch_id>/download")
@roles(*MANAGERS)
def download_links(survey_id: int, batch_id: int):
    """Download one batch's links as CSV (email, segment, link) for a mail-merge."""
    found = survey_or_404(survey_id)
    try:
        download = invitations.batch_links(found, batch_id, _invitation_link)
    except LookupError:
        abort(404)
    except InvitationError as error:
        return _page(found, 409, message=str(error))
    return _csv(download)


@bp.post("/surveys/<int:survey_id>/invitations/not-yet-used")
@roles(*MANAGERS)
def download_not_yet_used(survey_id: int):
    """Download the members on uploaded lists who have not answered yet, for a reminder."""
    found = survey_or_404(survey_id)
    try:
        download = invitations.not_yet_used_links(found, _invitation_link)
    except InvitationError as error:
        return _page(found, 409, message=str(error))
    return _csv(download)


# --- invitation emails and reminders, sent by the job worker ------------------------------------


def _email(survey: Survey) -> dict:
    """Return what the invitations page says about sending emails: whether it can, and how far the
    latest sending has gone. Counts only."""
    mailing = mailings.latest_mailing(survey)
    problem = mailings.sending_problem(survey)
    return {
        "problem": problem,
        "worker": None if problem else queue.worker_listening(),  # None: no job queue at all
        "mailing": mailing,
        "state": mailings.mailing_state(mailing) if mailing else None,
        "to_invite": mailings.to_send(survey, mailings.INVITATION),
        "per_minute": current_app.config["MAIL_PER_MINUTE"],
    }


def _minutes(count: int) -> int:
    """Return about how many minutes sending this many emails takes at MAIL_PER_MINUTE."""
    return max(1, -(-count // current_app.config["MAIL_PER_MINUTE"]))


@bp.get("/surveys/<int:survey_id>/invitations/send/<any(invitation, reminder):kind>")
@roles(*MANAGERS)
def confirm_send(survey_id: int, kind: str):
    """Say who the emails go to, how long sending takes and what they say; then Send."""
    found = survey_or_404(survey_id)
    email = _email(found)
    count = email["to_invite"] if kind == mailings.INVITATION else invitations.overview(found).not_yet_used
    previews = [
        mail.wording(kind, language, found.title(language), found.closes_at)
        for language in found.questionnaire.languages
    ]
    return render_template(
        "organise/send_email.html",
        survey=found,
        kind=kind,
        count=count,
        email=email,
        minutes=_minutes(count),
        previews=previews,
        sender=current_app.config.get("MAIL_FROM"),
        link=_link_prefix() + "…",
    )


@bp.post("/surveys/<int:survey_id>/invitations/send/<any(invitation, reminder):kind>")
@roles(*MANAGERS)
def send(survey_id: int, kind: str):
    """Start sending invitation emails or reminders: the job worker sends them, a few a second."""
    found = survey_or_404(survey_id)
    if not queue.worker_listening():
        return _page(found, 409, message=NO_WORKER)
    try:
        mailing = mailings.start_mailing(current_user, found, kind, _link_prefix())
    except InvitationError as error:
        return _page(found, 409, message=str(error))
    if queue.enqueue_mailing(mailing.id) is None:
        mailings.stop_mailing(found, mailing.id)
        return _page(found, 409, message=NO_WORKER)
    what = "invitation emails" if kind == mailings.INVITATION else "reminders"
    flash(f"Sending {mailing.total:,} {what}. This page shows how far it has gone: refresh it to see.")
    return redirect(url_for("organise.invitations_page", survey_id=found.id, _anchor="email"))


NO_WORKER = (
    "Emails cannot be sent from here now: the job worker is not running. Nothing was sent. "
    "Download the links as a CSV file for a mail-merge instead, or ask an administrator to start the worker."
)


@bp.post("/surveys/<int:survey_id>/invitations/mailings/<int:mailing_id>/<any('carry-on', 'stop'):action>")
@roles(*MANAGERS)
def mailing_action(survey_id: int, mailing_id: int, action: str):
    """Carry on sending emails that stopped half-way (nobody gets one twice), or stop them for good."""
    found = survey_or_404(survey_id)
    try:
        if action == "stop":
            mailings.stop_mailing(found, mailing_id)
            flash("Sending stopped. Nobody else will be sent these emails.")
        else:
            if not queue.worker_listening():
                return _page(found, 409, message=NO_WORKER)
            mailing = mailings.carry_on(found, mailing_id)
            queue.enqueue_mailing(mailing.id)
            flash("Sending carries on from where it stopped. Nobody is sent the same email twice.")
    except LookupError:
        abort(404)
    except InvitationError as error:
        return _page(found, 409, message=str(error))
    return redirect(url_for("organise.invitations_page", survey_id=found.id, _anchor="email"))


def _invitation_link(token: str) -> str:
    """Return the full address of an invitation, as members receive it."""
    return url_for("responses.invitation", token=token, _external=True)


def _link_prefix() -> str:
    """Return the address of an invitation up to its token ("https://…/i/"), for the job worker."""
    return _invitation_link("-").removesuffix("-")


def _csv(download: invitations.Download) -> Response:
    """Stream a list of links as a CSV attachment (no cache keeps it: survey/web/security.py)."""
    response = Response(stream_with_context(download.csv_chunks()), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response
