"""GET /api/v1/surveys/<slug>: what a survey asks and how its results can be broken down."""

from __future__ import annotations

from flask import request

from ..questionnaire.model import Question
from . import bp
from .access import readable_survey

LANGUAGES = ("en", "cy")


def _language() -> str:
    wanted = request.args.get("lang", "en")
    return wanted if wanted in LANGUAGES else "en"


def _options(options, language: str) -> list[dict]:
    return [{"code": o.code, "label": o.label[language]} for o in options]


def _question(question: Question, language: str) -> dict:
    described = {
        "id": question.id,
        "type": question.type,
        "text": question.text[language],
        "options": _options(question.choices, language),
    }
    if question.items:
        described["items"] = [{"code": i.code, "text": i.text[language]} for i in question.items]
    return described


@bp.get("/surveys/<slug>")
def describe(slug: str):
    """The survey's questions (with option codes) and its breakdown dimensions (with values)."""
    survey = readable_survey(slug)
    language = _language()
    questionnaire = survey.questionnaire
    return {
        "slug": survey.slug,
        "title": questionnaire.title[language],
        "threshold": survey.threshold,
        "status": survey.status,
        "questions": [_question(q, language) for q in questionnaire.questions],
        "dimensions": [
            {
                "id": d.id,
                "label": d.label[language],
                "protected": d.protected,
                "values": _options(d.values, language),
            }
            for d in questionnaire.dimensions
        ],
    }
