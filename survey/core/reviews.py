"""Comment review: organisers' decisions on comments held back because they may identify someone.

The results engine finds the held-back comments and shows an approved one like any other
(survey/results/held.py, comments.py); the decisions are kept here, in table comment_review,
keyed by response and question, and passed to the engine as data. A comment is approved or kept
hidden as written, never edited.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .. import results
from ..extensions import db
from ..models import CommentReview, Survey
from . import audit


def decisions(survey: Survey, question_id: str) -> dict[str, bool]:
    """Return the organisers' decisions on a question's held-back comments, by response id
    (32 hex digits): approved (True) or kept hidden (False)."""
    rows = db.session.execute(
        select(CommentReview.response_id, CommentReview.approved).where(
            CommentReview.survey_id == survey.id, CommentReview.question_id == question_id
        )
    )
    return {response_id.hex: approved for response_id, approved in rows}


def decide_comments(survey: Survey, question_id: str, keys: Collection[str], approve: bool) -> int:
    """Record an organiser's decision on held-back comments named by their keys, with an audit
    entry, and commit; return how many comments it covered. Keys of nothing reviewable are ignored
    (nothing is written then)."""
    responses = results.reviewable_responses(survey, question_id, keys)
    if not responses:
        return 0
    _record(survey, question_id, responses, approve)
    # Counts and decisions only: never the comment, its key or its response.
    audit.record(
        "approved held-back comments" if approve else "kept held-back comments hidden",
        survey,
        question=question_id,
        count=len(responses),
    )
    db.session.commit()
    return len(responses)


def _record(survey: Survey, question_id: str, responses: list[str], approve: bool) -> None:
    """Write the decisions, one row per response, replacing any made before."""
    rows = [
        {"response_id": uuid.UUID(r), "question_id": question_id, "survey_id": survey.id, "approved": approve}
        for r in responses
    ]
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(CommentReview).values(rows)
    # One statement, so that two organisers deciding on the same comment at once cannot collide.
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["response_id", "question_id"], set_={"approved": statement.excluded.approved}
        )
    )
