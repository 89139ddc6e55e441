"""Audience: whom a survey is for, as fixed answers to audience questions (service group, sector,
region). A sector survey has an audience; "All members" has none."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import AUDIENCE_KEYS, Survey, SurveyStatus, User, within
from ..questionnaire import checks
from ..questionnaire.model import Option, Questionnaire, Section
from ..questionnaire.rules import visible_options, with_derived

NOT_AN_AUDIENCE = {"dk"}  # "Not sure" is an answer, not a group to survey


def audience_options(questionnaire: Questionnaire, key: str) -> list[Option]:
    """Return the codes an audience part can take (service groups, sectors or regions)."""
    question_id = questionnaire.audience.get(key)
    if question_id is None:
        return []
    return [o for o in questionnaire.question(question_id).choices if o.code not in NOT_AN_AUDIENCE and not o.other]


def audience_problem(questionnaire: Questionnaire, audience: dict) -> str | None:
    """Return what is wrong with an audience for this questionnaire, or None."""
    for key, code in audience.items():
        if key not in questionnaire.audience:
            return f"This questionnaire cannot be limited by {key.replace('_', ' ')}."
        if code not in {o.code for o in audience_options(questionnaire, key)}:
            return f"'{code}' is not a {key.replace('_', ' ')} in this questionnaire."
    if "sector" in audience:
        if "service_group" not in audience:
            return "Choose the service group as well as the sector."
        values = with_derived(questionnaire, {questionnaire.audience["service_group"]: audience["service_group"]}, "en")
        offered = visible_options(questionnaire.question(questionnaire.audience["sector"]), values)
        if audience["sector"] not in {o.code for o in offered}:
            return "That sector is not part of the chosen service group."
    return None


def lost_intros(survey: Survey) -> list[Section]:
    """Return the pages whose introduction this survey's members will not see: a sector (or
    region) survey skips a page that holds only the questions its audience answers."""
    return checks.lost_intros(survey.questionnaire, survey.audience or {})


def describe_audience(questionnaire: Questionnaire, audience: dict, language: str = "en") -> str:
    """Return an audience in words: "Police and justice: Probation; Cymru/Wales"."""
    labels = []
    for key in AUDIENCE_KEYS:
        code = audience.get(key)
        if code:
            option = next((o for o in audience_options(questionnaire, key) if o.code == code), None)
            labels.append((option.label.get(language) or option.label["en"]) if option else code)
    if not labels:
        return "All members"
    if audience.get("sector"):
        labels[0:2] = [f"{labels[0]}: {labels[1]}"]
    return "; ".join(labels)


def slices_for(user: User, survey: Survey) -> list[dict]:
    """Return the audiences whose slice of a survey the account may see (one per scope, in the
    order of its scopes): the scopes that lie inside the survey's audience without reaching the
    whole survey (a Probation organiser and a national survey). None for an account that sees the
    whole survey, for a draft (no results yet), or for scopes the questionnaire cannot tell apart."""
    audience = survey.audience or {}
    if user.can_reach(audience) or survey.status == SurveyStatus.DRAFT:
        return []
    questionnaire = survey.questionnaire
    found: list[dict] = []
    for scope in user.scopes or []:
        parts = {key: code for key, code in scope.items() if code}
        inside = parts and within(parts, audience) and all(key in questionnaire.audience for key in parts)
        if inside and parts not in found:
            found.append(parts)
    return found


def staff_slices(survey: Survey) -> list[dict]:
    """Return every audience whose slice of a survey an active staff account may see (for the job
    worker, which works out each slice's equality flags after a release)."""
    found: list[dict] = []
    for user in db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
        found.extend(parts for parts in slices_for(user, survey) if parts not in found)
    return found
