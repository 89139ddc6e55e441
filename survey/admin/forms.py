"""Forms for administrators' pages: accounts, questionnaire uploads and membership profiles."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length

from ..core.accounts import AccountChange
from ..core.audience import audience_options
from ..models import AUDIENCE_KEYS, Role, User
from ..questionnaire.model import Option, Questionnaire

SCOPE_ROWS = 3  # blank rows offered; an account with more scopes gets one more blank row
ROLE_CHOICES = [
    SelectChoice(Role.ORGANISER.value, "Organiser: makes and runs surveys for their service groups, sectors, regions"),
    SelectChoice(Role.VIEWER.value, "Viewer: sees surveys and results for their service groups, sectors, regions"),
    SelectChoice(Role.ADMIN.value, "Administrator: everything, including accounts, questionnaires and the audit log"),
]
ANY = {"service_group": "Any service group", "sector": "Any sector", "region": "Any region"}
NAME_RULES = [DataRequired("Enter the person's name"), Length(max=200, message="Use 200 characters or fewer")]


class ScopeForm(Form):
    """One audience an organiser or viewer may work with; blank parts mean any."""

    # The codes are checked against the questionnaire's audience by the service, in plain words.
    service_group = SelectField("Service group", validate_choice=False)
    sector = SelectField("Sector", validate_choice=False)
    region = SelectField("Region", validate_choice=False)

    def audience(self) -> dict:
        """Return the parts chosen, e.g. {"service_group": "police_justice", "sector": "probation"}."""
        return {key: self[key].data for key in AUDIENCE_KEYS if self[key].data}


class _AccountForm(FlaskForm):
    name = StringField("Name", validators=NAME_RULES)
    role = RadioField("Role", choices=ROLE_CHOICES, validators=[DataRequired("Choose a role")])
    scopes = FieldList(FormField(ScopeForm), max_entries=50)

    def offer(self, questionnaire: Questionnaire) -> None:
        """Fill the audience lists from the questionnaire, with enough blank rows to add one more."""
        while len(self.scopes) < max(SCOPE_ROWS, len(self.scope_list()) + 1):
            self.scopes.append_entry()
        for row in self.scopes:
            for key in AUDIENCE_KEYS:
                options = [SelectChoice(o.code, _label(o)) for o in audience_options(questionnaire, key)]
                row[key].choices = [SelectChoice("", ANY[key]), *options]

    def scope_list(self) -> list[dict]:
        """Return the audiences chosen, leaving out blank rows."""
        return [audience for audience in (row.form.audience() for row in self.scopes) if audience]


class NewAccountForm(_AccountForm):
    email = EmailField(
        "Email address", validators=[DataRequired("Enter an email address"), Length(max=320, message="Too long")]
    )


class EditAccountForm(_AccountForm):
    active = BooleanField("Active: the account can sign in")

    @classmethod
    def for_user(cls, user: User) -> EditAccountForm:
        """Return the form filled from a stored account (on first view)."""
        data = {"name": user.name, "role": user.role, "scopes": list(user.scopes or []), "active": user.active}
        return cls(data=data)

    def change(self) -> AccountChange:
        """Return the changes the form holds."""
        return AccountChange(
            name=self.name.data or "", role=self.role.data, scopes=self.scope_list(), active=self.active.data
        )


class UploadForm(FlaskForm):
    file = FileField("Questionnaire file", validators=[FileRequired("Choose a questionnaire file to upload")])


class ProfileForm(FlaskForm):
    """A membership profile: where the counts come from, their date, and the CSV file."""

    name = StringField(
        "Where the counts come from",
        validators=[DataRequired("Enter where the counts come from"), Length(max=200, message="Too long")],
    )
    as_of = DateField("Counted on", validators=[DataRequired("Enter the date the members were counted, as 2026-11-30")])
    file = FileField("Counts file (CSV)", validators=[FileRequired("Choose a CSV file of counts to upload")])


def _label(option: Option) -> str:
    """Return an option's English label, after its group's: "Police and justice: Probation"."""
    return f"{option.group.label['en']}: {option.label['en']}" if option.group else option.label["en"]
