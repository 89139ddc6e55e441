"""Finding comment themes: the job worker's part (never a request's).

When results are released, `prepare_results` (results_ready.py) calls `theme_survey`: for each
free-text question whose comments may be shown at all, comments not yet in a theme are grouped
(survey/results/clustering.py) when the question has no themes yet, or else each joins the
nearest of the themes organisers have (named, merged) in its language. `split_job` splits one
theme in two when an organiser asks (core/themes.py queues it by name). Only response ids, theme
numbers and centralities are stored: never a comment.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select

from ..extensions import db
from ..models import CommentTheme, CommentThemeMember, Survey
from ..results import clustering
from ..results import themes as engine
from ..results.dimensions import comment_threshold
from . import audit
from .themes import assignment


def theme_survey(survey: Survey) -> dict[str, int]:
    """Theme every free-text question's new comments and commit; return how many were themed."""
    done = {question_id: theme_question(survey, question_id) for question_id in engine.text_questions(survey)}
    db.session.commit()
    return done


def theme_question(survey: Survey, question_id: str) -> int:
    """Put the question's comments that are in no theme into themes; return how many (no commit)."""
    comments = engine.comments_to_theme(survey, question_id)
    found, names = assignment(survey, question_id)
    new = [c for c in comments if c[0] not in found]
    if not new:
        return 0
    if not names:
        _first(survey, question_id, new)
        return len(new)
    texts = {c[0]: c[1] for c in comments}
    for language in sorted({c[2] for c in new}):
        mine = [c for c in new if c[2] == language]
        members: dict[int, list[str]] = defaultdict(list)
        for response, (theme_id, _) in found.items():
            if response in texts and names[theme_id][2] == language:
                members[theme_id].append(texts[response])
        if not members:  # no theme in this language yet
            _first(survey, question_id, mine)
            continue
        for (response, _, _), (theme_id, similarity) in zip(
            mine, clustering.nearest([c[1] for c in mine], language, members), strict=True
        ):
            db.session.add(_member(response, question_id, theme_id, similarity))
    return len(new)


def _first(survey: Survey, question_id: str, comments: list[tuple[str, str, str]]) -> None:
    """Group comments into new themes."""
    grouping = clustering.themes_of(
        [c[1] for c in comments], [c[2] for c in comments], comment_threshold(survey.threshold)
    )
    made: dict[int, CommentTheme] = {}
    for (response, _, language), label, centrality in zip(
        comments, grouping.labels.tolist(), grouping.centrality.tolist(), strict=True
    ):
        if label not in made:
            made[label] = CommentTheme(survey_id=survey.id, question_id=question_id, language=language)
            db.session.add(made[label])
            db.session.flush()
        db.session.add(_member(response, question_id, made[label].id, centrality))


def _member(response: str, question_id: str, theme_id: int, centrality: float) -> CommentThemeMember:
    return CommentThemeMember(
        response_id=uuid.UUID(response), question_id=question_id, theme_id=theme_id, centrality=float(centrality)
    )


def split_theme(survey: Survey, question_id: str, theme_id: int) -> int | None:
    """Split a theme (with the themes merged into it) in two: its comments re-clustered, the second
    group moved to a new theme; audited, committed. Return the new theme's id (None: too few)."""
    theme = db.session.get(CommentTheme, theme_id)
    if theme is None or theme.survey_id != survey.id or theme.merged_into_id is not None:
        return None
    found, _ = assignment(survey, question_id)
    texts = {c[0]: c[1] for c in engine.comments_to_theme(survey, question_id)}
    responses = [r for r, (t, _) in found.items() if t == theme_id and r in texts]
    grouping = clustering.split([texts[r] for r in responses], theme.language)
    if grouping.groups < 2:
        return None
    made = CommentTheme(survey_id=survey.id, question_id=question_id, language=theme.language)
    db.session.add(made)
    db.session.flush()
    members = {
        m.response_id.hex: m
        for m in db.session.scalars(
            select(CommentThemeMember).where(
                CommentThemeMember.question_id == question_id,
                CommentThemeMember.response_id.in_([uuid.UUID(r) for r in responses]),
            )
        )
    }
    for response, label, centrality in zip(
        responses, grouping.labels.tolist(), grouping.centrality.tolist(), strict=True
    ):
        members[response].theme_id = made.id if label == 1 else theme_id
        members[response].centrality = float(centrality)
    audit.record("split a comment theme", survey, question=question_id, theme=theme_id, into=made.id)
    db.session.commit()
    return made.id


def split_job(survey_id: int, question_id: str, theme_id: int) -> dict:
    """The job an organiser's split queues (core/themes.py): runs in the worker's app context."""
    try:
        survey = db.session.get(Survey, survey_id)
        made = None if survey is None else split_theme(survey, question_id, theme_id)
        return {"survey": survey_id, "theme": theme_id, "new": made}
    finally:
        db.session.remove()
