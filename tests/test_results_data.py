"""Random, valid answers for the results tests (and the benchmark snippet); no tests here."""

from __future__ import annotations

import random
import uuid
from typing import Any

from flask import Flask

from survey.extensions import db
from survey.models import Response, Survey
from survey.questionnaire.loader import load_file
from survey.questionnaire.model import Question, Questionnaire
from survey.questionnaire.rules import clean_answers
from survey.results.protection import draw_keys

from .helpers import ROOT

AI_AT_WORK = load_file(ROOT / "questionnaires" / "ai-at-work.yaml")

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
