"""Forms for organisers' pages. Times are typed and shown in UK time (Europe/London)."""

from __future__ import annotations

from datetime import datetime

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..core.audience import audience_options
from ..core.publication import PublicationChoice, PublicationView
from ..core.surveys import MIN_THRESHOLD, Settings
from ..models import LONDON, UTC, AccessMode, Survey, User, as_utc
from ..questionnaire.model import Option, Questionnaire

ACCESS_CHOICES = [
    SelectChoice(AccessMode.OPEN_LINK.value, "Open link and QR code: anyone with the link can answer"),
    SelectChoice(AccessMode.INVITATION.value, "Single-use invitations only: one personal link per member"),
]
ALL = {"service_group": "All service groups", "sector": "All sectors", "region": "All regions"}


NAME_RULES = [DataRequired("Enter a name for the survey"), Length(max=200, message="Use 200 characters or fewer")]


class NewSurveyForm(FlaskForm):
    name = StringField("Name of the survey", validators=NAME_RULES)
    questionnaire = RadioField("Questionnaire", validators=[InputRequired("Choose a questionnaire")])


class SettingsForm(FlaskForm):
    name = StringField("Name of the survey", validators=NAME_RULES)
    service_group = SelectField("Service group", validate_choice=True)
    sector = SelectField("Sector", validate_choice=True)
    region = SelectField("Region", validate_choice=True)
    access = RadioField("How members reach it", choices=ACCESS_CHOICES)
    threshold = IntegerField(
        "Smallest group shown in results (k)",
        validators=[
            InputRequired("Enter the smallest group size"),
            NumberRange(min=MIN_THRESHOLD, max=1000, message=f"Enter a whole number from {MIN_THRESHOLD} to 1000"),
        ],
    )
    opens_at = DateTimeLocalField("Opens (UK time)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField("Closes (UK time)", format="%Y-%m-%dT%H:%M", validators=[Optional()])

    def offer(self, user: User, questionnaire: Questionnaire) -> None:
        """Fill the audience lists: within the user's scopes, or everything for an administrator."""
        for key in ("service_group", "sector", "region"):
            options = audience_options(questionnaire, key)
            allowed = _scope_codes(user, key)
            options = [o for o in options if allowed is None or o.code in allowed]
            first = [SelectChoice("", ALL[key])] if allowed is None else []
            getattr(self, key).choices = first + [SelectChoice(o.code, _label(o)) for o in options]

    def load(self, survey: Survey) -> None:
        """Fill the form from a stored survey (on first view)."""
        self.name.data = survey.name
        for key in ("service_group", "sector", "region"):
            getattr(self, key).data = (survey.audience or {}).get(key, "")
        self.access.data = survey.access
        self.threshold.data = survey.threshold
        self.opens_at.data = to_london(survey.opens_at)
        self.closes_at.data = to_london(survey.closes_at)

    def settings(self) -> Settings:
        """Return what the form holds, with times in UTC."""
        audience = {
            key: getattr(self, key).data for key in ("service_group", "sector", "region") if getattr(self, key).data
        }
        return Settings(
            name=self.name.data or "",
            audience=audience,
            access=self.access.data,
            threshold=self.threshold.data,
            opens_at=from_london(self.opens_at.data),
            closes_at=from_london(self.closes_at.data),
        )


def _label(option: Option) -> str:
    """Return an option's English label, after its group's: "Police and justice: Probation"."""
    return f"{option.group.label['en']}: {option.label['en']}" if option.group else option.label["en"]


def _scope_codes(user: User, key: str) -> set[str] | None:
    """Return the only codes a user may choose for an audience part, or None for any."""
    if user.is_admin or not user.scopes or not all(scope.get(key) for scope in user.scopes):
        return None
    return {scope[key] for scope in user.scopes}


def to_london(moment: datetime | None) -> datetime | None:
    """Return a stored UTC time as a naive UK wall-clock time, for a datetime-local field."""
    return as_utc(moment).astimezone(LONDON).replace(tzinfo=None) if moment else None


def from_london(wall: datetime | None) -> datetime | None:
    """Return a typed UK wall-clock time as UTC (in the autumn's repeated hour, the first)."""
    return wall.replace(tzinfo=LONDON).astimezone(UTC) if wall else None


class PublicationForm(FlaskForm):
    """What to publish of a closed survey's results, and how (survey/published shows it)."""

    questions = SelectMultipleField("Questions", validate_choice=True)
    breakdowns = SelectMultipleField("Breakdowns", validate_choice=True)
    findings = SelectMultipleField("Findings on the conference screen", validate_choice=True)
    embargo_until = DateTimeLocalField("Embargo until (UK time)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    access_code = StringField("New access code", validators=[Optional(), Length(max=100)])
    remove_code = BooleanField("Remove the access code: anyone with the address can read the results")

    def offer(self, questions: list[SelectChoice], breakdowns: list[SelectChoice], findings: list[SelectChoice]):
        """Set what can be chosen."""
        self.questions.choices = questions
        self.breakdowns.choices = breakdowns
        self.findings.choices = findings

    def load(self, publication: PublicationView, embargo_until: datetime | None) -> None:
        """Fill the form from what is stored (or the default choice)."""
        self.questions.data = list(publication.questions)
        self.breakdowns.data = list(publication.breakdowns)
        self.findings.data = list(publication.findings)
        self.embargo_until.data = to_london(embargo_until)

    def choice(self) -> PublicationChoice:
        """Return what the form holds, with the embargo in UTC."""
        return PublicationChoice(
            questions=list(self.questions.data or []),
            breakdowns=list(self.breakdowns.data or []),
            findings=list(self.findings.data or []),
            embargo_until=from_london(self.embargo_until.data),
            access_code=self.access_code.data or None,
            remove_code=bool(self.remove_code.data),
        )
