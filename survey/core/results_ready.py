"""Getting a survey's results ready after a release: the job the worker runs (survey/queue.py
queues it by name, `PREPARE`), so that the first results page after a release reads them; the
new comments are put into themes here too (theming.py), never in a request."""

from __future__ import annotations

from .. import queue
from ..extensions import db
from ..models import Survey
from ..results.cache import prime
from ..results.flags import equality_flags
from ..results.held import screen_all
from ..results.slices import SurveySlice
from .audience import describe_audience, staff_slices
from .theming import theme_survey


def prepare_results(survey_id: int) -> dict:
    """Bring a survey's results up to date: its snapshot read and stored, its equality flags kept
    in Redis for every language of its questionnaire (the whole survey's, and each staff scope's
    slice's), its comments screened for personal data. Runs in the worker, in its app context.
    Returns what it did, for the job's result."""
    queue.stop_waiting(survey_id)  # first: a release from now on queues a new job
    try:
        survey = db.session.get(Survey, survey_id)
        if survey is None:
            return {"survey": survey_id, "found": False}
        held = prime(survey)
        languages = list(survey.questionnaire.languages)
        flags = {language: len(equality_flags(survey, language) or ()) for language in languages}
        slices = staff_slices(survey)  # each staff scope's slice: its flags kept for its pages too
        for parts in slices:
            for language in languages:
                equality_flags(SurveySlice(survey, parts, describe_audience(survey.questionnaire, parts)), language)
        screened = screen_all(survey)  # which comments may identify someone, kept in Redis for every worker
        themed = theme_survey(survey)
        return {
            "survey": survey_id,
            "found": True,
            "batch": held.batch,
            "responses": held.n,
            "flags": flags,
            "slices": len(slices),
            "screened": screened,
            "themed": themed,
        }
    finally:
        db.session.remove()
