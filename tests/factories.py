"""Making things for the tests, straight into the database: questionnaires, surveys, staff accounts,
invitations, released responses, publications, and members' answers to put in them.

Walking the pages instead, as a member does: tests/journey.py; as staff does: tests/staff.py.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from flask import Flask

import demo
from survey.core import publication
from survey.core.accounts import create_user, new_totp_secret
from survey.core.invitations import create_invitations
from survey.extensions import db
from survey.models import AccessMode, QuestionnaireVersion, Response, Role, Survey, SurveyStatus, User
from survey.questionnaire.loader import load_file
from survey.questionnaire.model import Question, Questionnaire
from survey.questionnaire.rules import clean_answers, question_visible, visible_options, with_derived
from survey.results.protection import draw_keys

from .helpers import FIXTURES, ROOT

# --- questionnaires ------------------------------------------------------------------------------

TINY_TEXT = (FIXTURES / "tiny.yaml").read_text()
TINY = load_file(FIXTURES / "tiny.yaml")  # a small questionnaire that uses every feature
AI_AT_WORK = load_file(ROOT / "questionnaires" / "ai-at-work.yaml")
CONSULTATION = load_file(FIXTURES / "consultation-results.yaml")  # draft statements, priorities, campaigns

# --- scopes and audiences ------------------------------------------------------------------------

PROBATION = {"service_group": "police_justice", "sector": "probation"}
HEALTH = {"service_group": "health"}


# --- surveys -------------------------------------------------------------------------------------


def make_survey(app: Flask, slug: str = "tiny", questionnaire: Questionnaire | str = TINY, **overrides) -> Survey:
    """Store an open open-link survey (threshold 5) and return it, detached from the session.

    `questionnaire` is a loaded questionnaire (the tiny one by default) or the id of one the app
    ships ("ai-at-work", "conference-pulse", "consultation"); `overrides` change any column.
    """
    with app.app_context():
        if isinstance(questionnaire, str):
            questionnaire = app.extensions["questionnaires"][questionnaire]
        version = QuestionnaireVersion.pin(questionnaire)
        fields = {"status": SurveyStatus.OPEN, "access": AccessMode.OPEN_LINK, "threshold": 5} | overrides
        survey = Survey(slug=slug, questionnaire_version=version, **fields)
        db.session.add(survey)
        db.session.commit()
        db.session.refresh(survey)
        db.session.expunge(survey)
        return survey


def demo_survey(
    app: Flask, slug: str, responses: int, seed: int, status: SurveyStatus = SurveyStatus.CLOSED, **overrides
) -> Survey:
    """Store an ai-at-work survey (closed and k = 10 unless overridden) with `responses` synthetic,
    released responses from the demo generator (the same ones for the same seed)."""
    survey = make_survey(app, slug, "ai-at-work", status=status, **({"threshold": 10} | overrides))
    add_demo_responses(app, survey, responses, seed)
    return survey


def add_demo_responses(app: Flask, survey: Survey, responses: int, seed: int) -> None:
    """Add synthetic, released responses from the demo generator (and store the results snapshot)."""
    with app.app_context():
        demo.add_responses(db.session.get(Survey, survey.id), responses, seed)


def publish(
    app: Flask,
    survey: Survey,
    questions: list[str] | None = None,
    breakdowns: list[str] | None = None,
    findings: list[str] | None = None,
) -> None:
    """Publish a closed survey's results: these questions and breakdowns (and screen findings), or
    without a choice the default one, as an organiser's Publish button does."""
    with app.test_request_context():
        found = db.session.get(Survey, survey.id)
        if questions is not None:
            choice = publication.PublicationChoice(questions, breakdowns or [], findings or [], None, None)
            publication.save_publication(found, choice)
        publication.publish(found)


def make_invitations(app: Flask, survey: Survey, count: int) -> list[str]:
    """Create `count` invitations to a survey; return their tokens (the secret in each link)."""
    with app.app_context():
        return create_invitations(db.session.get(Survey, survey.id), count)


def invited_survey(app: Flask, count: int = 3, slug: str = "invited", **overrides) -> list[str]:
    """Store an open invitation survey of the tiny questionnaire; return the tokens of `count` invitations."""
    return make_invitations(app, make_survey(app, slug, access=AccessMode.INVITATION, **overrides), count)


# --- staff ---------------------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"  # every account's password


def make_user(
    app: Flask,
    email: str = "organiser@example.org",
    role: Role = Role.ORGANISER,
    scopes: list | None = None,
    *,
    totp: bool = True,
    must_change: bool = False,
) -> User:
    """Store a ready-to-use account with an authenticator app set up, as every role needs one
    (totp=False: none yet, so it sets one up at its first sign-in)."""
    with app.app_context():
        user = create_user(email, email.split("@")[0].title(), role, PASSWORD, scopes if scopes is not None else [])
        user.must_change_password = must_change
        if totp is not False:
            user.totp_secret = new_totp_secret()
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


# --- released responses --------------------------------------------------------------------------


def insert_responses(app: Flask, survey: Survey, answers: list[tuple[dict, str]], batch: int) -> None:
    """Store released responses directly, as one release batch, each with a random record key."""
    with app.app_context():
        db.session.add_all(
            Response(
                survey_id=survey.id,
                questionnaire_version_id=survey.questionnaire_version_id,
                language=language,
                answers=values,
                batch=batch,
                record_key=key,
            )
            for (values, language), key in zip(answers, draw_keys(len(answers)), strict=True)
        )
        db.session.commit()


# --- members' answers: random, valid ones --------------------------------------------------------

COMMENTS = [
    "Rotas are now made by a computer and nobody can explain them.",
    "We were never consulted about the new system.",
    "Call me on 07700 900123 if you want to know more.",
    "My email is someone@example.org, happy to talk.",
    "Membership number 12345678, branch secretary.",
    "It saves time on notes but we spend longer checking them.",
    "Ffôn: +44 29 2000 0000",
    "No problems so far.",
]


def _pick(rng: random.Random, question: Question, skew: float) -> Any:
    codes = [o.code for o in question.choices]
    if question.type in ("single", "scale"):
        # A skewed pick, so that small groups and small cells happen often.
        weights = [skew**i for i in range(len(codes))]
        return rng.choices(codes, weights)[0]
    if question.type == "multi":
        options = [o.code for o in question.options]
        return rng.sample(options, rng.randint(1, min(len(options), question.max_choices or 3)))
    if question.type == "number":
        return rng.randint(question.min or 0, question.max or 60)
    return rng.choice(COMMENTS)


def random_answers(
    questionnaire: Questionnaire, rng: random.Random, skip: float = 0.15, skew: float = 0.7, language: str = "en"
) -> dict[str, Any]:
    """Return one member's valid answers: random picks, some optional questions skipped, then cleaned."""
    picks: dict[str, Any] = {}
    for question in questionnaire.questions:
        if not question.required and rng.random() < skip:
            continue
        if question.type == "grid":
            for key in question.answer_keys():
                if rng.random() >= skip / 2:
                    picks[key] = rng.choice(question.codes)
            continue
        value = _pick(rng, question, skew)
        picks[question.id] = value
        if question.type in ("single", "multi"):
            for code in value if isinstance(value, list) else [value]:
                option = next((o for o in question.options if o.code == code), None)
                if option is not None and option.other:
                    picks[f"{question.id}.{code}"] = "written in"
    return clean_answers(questionnaire, picks, language)


def random_records(questionnaire: Questionnaire, n: int, seed: int, **kwargs) -> list[tuple[dict, str, str]]:
    """Return n (answers, language, id) records for snapshot.build."""
    rng = random.Random(seed)
    languages = list(questionnaire.languages)
    out = []
    for _ in range(n):
        language = languages[0] if rng.random() < 0.85 else languages[-1]
        out.append(
            (
                random_answers(questionnaire, rng, language=language, **kwargs),
                language,
                uuid.UUID(int=rng.getrandbits(128)).hex,
            )
        )
    return out


def _first_answer(question: Question, current: dict) -> Any:
    first = visible_options(question, current)[0].code if question.choices else None
    match question.type:
        case "grid":
            return {f"{question.id}.{item.code}": first for item in question.items}
        case "multi":
            return {question.id: [first]}
        case "text" | "long_text":
            return {question.id: "Something happened."}
        case "number":
            return {question.id: question.min}
        case _:
            return {question.id: first}


def complete_answers(overrides: dict, language: str = "en") -> dict:
    """Answer every ai-at-work question on the route, in order: the override if given, else the
    first offered choice; return the cleaned answers."""
    answers: dict = {}
    for question in AI_AT_WORK.questions:
        current = with_derived(AI_AT_WORK, answers, language)
        if question_visible(AI_AT_WORK, question, current):
            answers.update(_first_answer(question, current))
            if question.id in overrides:
                answers[question.id] = overrides[question.id]
    return clean_answers(AI_AT_WORK, answers, language)


# --- comments that may identify someone, and plain ones (the tiny questionnaire's ai_detail) ------

HELD_COMMENTS = [
    "Ring me on 07700 900123 about the rota tool.",
    "Write to me at pat.smith@example.org if you want details.",
    "My membership number is 12345678, the app logs everything.",
    "Call 0161 496 0000 and ask for the night shift.",
    "Our manager reads chat logs; I am member 7654321.",
    "Email jo@example.net for the policy.",
]
_WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
PLAIN_COMMENTS = [f"Plain comment number {word}." for word in _WORDS]
PLAIN_COMMENTS += [f"The scheduling tool changed my shifts, week {word}." for word in _WORDS[:6]]


def commented_answers(comment: str | None) -> dict:
    """A probation member's answers to the tiny questionnaire, with this comment (None: none written)."""
    answers = {"group": "police_justice", "sector": "probation", "uses_ai": "yes"}
    if comment:
        answers["ai_detail"] = comment
    return answers


def commented_survey(app: Flask, slug: str, texts: list[str | None], **overrides) -> Survey:
    """Store a published probation survey of the tiny questionnaire (k = 5) with one released
    response per text: that text as its comment (None: a member who wrote none)."""
    fields = {"status": SurveyStatus.PUBLISHED, "audience": PROBATION, "threshold": 5} | overrides
    survey = make_survey(app, slug, TINY, **fields)
    insert_responses(app, survey, [(commented_answers(t), "en") for t in texts], batch=1)
    return survey


# --- consultations: draft statements and priorities ----------------------------------------------

# The consultation fixture (tests/questionnaires/consultation-results.yaml).
STATEMENTS = ("pay", "caseloads", "office", "cameras")
ANSWERS = ("support", "oppose", "unsure")
# How likely each statement's answers are: a clear order of net support, pay first.
LEANING = {"pay": (8, 1, 1), "caseloads": (5, 3, 2), "office": (3, 3, 3), "cameras": (2, 6, 2)}
PRIORITIES = ("pay", "workload", "safety", "training")
CAMPAIGNS = ("hours", "leave", "pensions")


def consultation_answers(rng: random.Random, regions=(("north", 5), ("south", 4), ("wales", 1))) -> dict:
    """One member's answers to the consultation fixture: a region, each statement, two ranked
    priorities, two campaigns."""
    answers = {"region": rng.choices([r for r, _ in regions], [w for _, w in regions])[0]}
    for code in STATEMENTS:
        if rng.random() < 0.95:  # a few leave a statement unanswered
            answers[f"D1.{code}"] = rng.choices(ANSWERS, LEANING[code])[0]
    if rng.random() < 0.9:
        answers["D2"] = rng.sample(PRIORITIES, 2) if rng.random() < 0.5 else ["safety", rng.choice(PRIORITIES[:2])]
    answers["D3"] = rng.sample(CAMPAIGNS, 2)
    if rng.random() < 0.8:
        answers["disabled"] = rng.choice(["yes", "no", "no", "pnts"])
    return answers


# The shipped consultation (questionnaires/consultation.yaml): its draft demands, D1.
DEMANDS = ("consult", "jobs", "equality", "monitoring", "data", "gains")
LONGEST_LAST = ("monitoring", "jobs", "consult", "gains", "data", "equality")  # the longest statements together


def probation_consultation(app: Flask, slug: str, order=LONGEST_LAST, n: int = 60, publish: bool = True) -> Survey:
    """A closed (and published, with the default choice) Probation survey of the shipped consultation
    that n members answered: the demands' net support falls in `order`, by about 12 members a step
    (more than the adjustment of counts can move), and each member ranks three priorities."""
    survey = make_survey(app, slug, "consultation", status=SurveyStatus.CLOSED, threshold=10, audience=PROBATION)
    rng = random.Random(slug)
    rows = []
    for member in range(n):
        used = "planned" if member % 20 == 7 else rng.choice(["use_me", "no", "dk"])  # "planned": too few to show
        answers = {"C1": "police_justice", "C2": "probation", "C3": used}
        for place, code in enumerate(order):
            support, oppose = n - 8 * place, 4 * place  # members 0 .. support-1 support it, the last oppose
            answers[f"D1.{code}"] = "support" if member < support else "oppose" if member >= n - oppose else "unsure"
        answers["D2"] = rng.sample(list(DEMANDS[:4]) if member % 2 else list(DEMANDS), 3)
        answers["L1"] = rng.choice(["25_30", "31_39", "40_49", "50_59", "pnts"])
        answers["L6"] = rng.choice(["yes", "no", "no"])
        rows.append((answers, "cy" if member % 5 == 0 else "en"))
    insert_responses(app, survey, rows, batch=1)
    if publish:
        with app.test_request_context():
            publication.publish(db.session.get(Survey, survey.id))
    return survey
