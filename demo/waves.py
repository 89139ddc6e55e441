"""The demo's earlier wave ("2025"): the results demo's own answers, with planted changes.

`flask demo --responses N` also stores an earlier wave of the results demo (closed in November
2025) and marks the results demo as a wave of it, so that its pages say "up 12 points since
2025". The earlier wave holds the same members' answers as the results demo, except:
- each `PlantedChange`: a share of the answers on the scale moved, in each chunk, so that the
  results demo's share is `points` higher (or lower) than the earlier wave's;
- `REWORDED`: the earlier wave asked it in other words, so it is not compared.
Every other answer is the same, so an unchanged question must read "no clear change": only the
adjustment of counts (at most 3 either way, drawn anew for the earlier wave) tells them apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AccessMode, QuestionnaireVersion, Response, Survey, SurveyStatus
from survey.questionnaire.loader import load_text
from survey.questionnaire.model import Questionnaire

from .answers import CHUNK
from .database import Added, add_responses


@dataclass(frozen=True)
class PlantedChange:
    """A change between the waves: the results demo's share of `codes` minus the earlier wave's."""

    answer: str  # a scale question's id
    codes: tuple[str, ...]  # its positive answers (what % positive counts)
    points: int  # the change planted, in percentage points of the answers on the scale
    moved_from: tuple[str, ...]  # in the earlier wave, answers moved from these ...
    moved_to: str  # ... to this one
    summary: str


PLANTED_CHANGES: tuple[PlantedChange, ...] = (
    PlantedChange("C1", ("1", "2"), 12, ("1", "2"), "0", "More members say their workload has increased."),
    PlantedChange(
        "G2", ("4", "5"), -8, ("1", "2", "3"), "4", "Fewer members are confident they will get the training they need."
    ),
)
REWORDED = "C3"  # asked in other words in the earlier wave
EARLIER_TEXT = "How often are you expected to meet targets that you think are impossible?"
EARLIER_CLOSED = datetime(2025, 11, 28, 17, 0, tzinfo=UTC)
MOST = 200_000  # a larger results demo (a benchmark's) gets no earlier wave: it would be read whole


def earlier_questionnaire(questionnaire: Questionnaire) -> Questionnaire:
    """Return the questionnaire as the earlier wave asked it: REWORDED in other (English) words."""
    later = questionnaire.question(REWORDED).text["en"]
    if later not in questionnaire.source:
        raise RuntimeError(f"{REWORDED}'s text is not in the questionnaire file as written")
    return load_text(questionnaire.source.replace(later, EARLIER_TEXT, 1), f"{questionnaire.id} (2025)")


def _move(answers: list[dict], planted: PlantedChange, rng: np.random.Generator) -> None:
    """Move answers of one chunk so that the later share is `points` above the earlier one's."""
    on_scale = [a for a in answers if a.get(planted.answer) in {"-2", "-1", "0", "1", "2", "3", "4", "5"}]
    movable = [a for a in on_scale if a[planted.answer] in planted.moved_from]
    count = min(len(movable), round(abs(planted.points) / 100 * len(on_scale)))
    for index in rng.choice(len(movable), size=count, replace=False):
        movable[int(index)][planted.answer] = planted.moved_to


def earlier_chunks(survey: Survey, seed: int) -> list[tuple[list[str], list[str]]]:
    """Return the results demo's answers, CHUNK at a time, with the planted changes made (read whole
    first, so that nothing reads the database while the demo's writer writes)."""
    rng = np.random.default_rng(seed)
    rows = db.session.execute(select(Response.language, Response.answers).where(Response.survey_id == survey.id))
    chunks, languages, answers = [], [], []
    for language, values in rows:
        languages.append(language)
        answers.append(dict(values))
        if len(answers) == CHUNK:
            chunks.append(_chunk(languages, answers, rng))
            languages, answers = [], []
    if answers:
        chunks.append(_chunk(languages, answers, rng))
    return chunks


def _chunk(languages: list[str], answers: list[dict], rng: np.random.Generator) -> tuple[list[str], list[str]]:
    for planted in PLANTED_CHANGES:
        _move(answers, planted, rng)
    return list(languages), [json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in answers]


def add_earlier_wave(survey: Survey, seed: int = 2025) -> Added | None:
    """Store the results demo's earlier wave (once) and mark the results demo as a wave of it."""
    n = db.session.scalar(select(func.count()).select_from(Response).where(Response.survey_id == survey.id)) or 0
    slug = f"{survey.slug}-2025"
    earlier = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if not n or n > MOST or earlier is not None:
        if earlier is not None and survey.previous_survey_id != earlier.id:
            survey.previous_survey = earlier
            db.session.commit()
        return None
    version = QuestionnaireVersion.pin(earlier_questionnaire(survey.questionnaire))
    earlier = Survey(
        slug=slug,
        name="Demo: AI at work 2025",
        questionnaire_version=version,
        status=SurveyStatus.CLOSED,
        access=AccessMode.OPEN_LINK,
        audience=dict(survey.audience or {}),
        threshold=survey.threshold,
        closed_at=EARLIER_CLOSED,
    )
    db.session.add(earlier)
    db.session.commit()
    added = add_responses(earlier, n, seed, chunks=earlier_chunks(survey, seed))
    survey.previous_survey = earlier
    db.session.commit()
    return added
