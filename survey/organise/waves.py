"""Marking a survey as a wave of an earlier one, so that its results say what changed since."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from ..core.waves import mark_wave, wave_choices, wave_problem
from ..extensions import db
from ..models import Survey
from ..web.access import MANAGERS, roles, survey_or_404
from . import bp

NONE = "none"


class WaveForm(FlaskForm):
    earlier = SelectField("This survey is a wave of", validate_choice=True)


def _offer(form: WaveForm, survey: Survey) -> None:
    choices = wave_choices(current_user, survey)
    form.earlier.choices = [SelectChoice(NONE, "None: do not compare with an earlier survey")] + [
        SelectChoice(str(s.id), f"{s.name or s.slug} ({s.status})") for s in choices
    ]


@bp.route("/surveys/<int:survey_id>/wave", methods=["GET", "POST"])
@roles(*MANAGERS)
def wave(survey_id: int):
    """Choose the earlier survey this one is a wave of: its results then say what changed since."""
    found = survey_or_404(survey_id)
    form = WaveForm()
    _offer(form, found)
    if request.method == "GET":
        form.earlier.data = str(found.previous_survey_id) if found.previous_survey_id else NONE
    message = None
    if form.validate_on_submit():
        earlier = None if form.earlier.data == NONE else db.session.get(Survey, int(form.earlier.data))
        message = wave_problem(current_user, found, earlier)
        if message is None:
            mark_wave(current_user, found, earlier)
            flash(
                "Saved. Results now compare this survey with "
                + (earlier.name if earlier else "no earlier survey")
                + "."
            )
            return redirect(url_for("organise.settings", survey_id=found.id))
    status = 400 if request.method == "POST" else 200
    return render_template("organise/wave.html", survey=found, form=form, message=message), status
