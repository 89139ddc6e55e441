"""Comment themes: reading them for pages, and organisers naming, merging and splitting them.

The job worker finds the themes (theming.py, when results are released); the results engine
decides what of them may be shown (survey/results/themes.py). A theme's name is the organisers'
(English, and Welsh if they give it: Welsh pages fall back to the English name, and an unnamed
theme shows its protected keywords). Every change is audited, without any comment.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import func, select

from .. import queue
from ..extensions import db
from ..models import CommentTheme, CommentThemeMember, Survey
from ..results import themes as engine
from . import audit, reviews

SPLIT = "survey.core.theming.split_job"
NAME_LENGTH = 120


class ThemeError(ValueError):
    """An organiser's change to themes that cannot be made (the message says why)."""


def _roots(survey: Survey, question_id: str) -> dict[int, CommentTheme]:
    """Return every theme of the question by id (merged ones too)."""
    found = db.session.scalars(
        select(CommentTheme).where(CommentTheme.survey_id == survey.id, CommentTheme.question_id == question_id)
    )
    return {theme.id: theme for theme in found}


def _root(themes: Mapping[int, CommentTheme], theme_id: int) -> int:
    seen = set()
    while themes[theme_id].merged_into_id is not None and theme_id not in seen:
        seen.add(theme_id)
        theme_id = themes[theme_id].merged_into_id  # type: ignore[assignment]
    return theme_id


def assignment(survey: Survey, question_id: str) -> tuple[engine.Assignment, engine.Names]:
    """Return which theme (after merges) each comment is in, and the themes' names."""
    themes = _roots(survey, question_id)
    roots = {theme_id: _root(themes, theme_id) for theme_id in themes}
    found = {
        response: (roots[theme_id], centrality)
        for response, (theme_id, centrality) in _members(survey, question_id).items()
    }
    names = {t.id: (t.name_en, t.name_cy, t.language) for t in themes.values() if t.merged_into_id is None}
    return found, names


_read: dict[tuple[int, str], tuple[tuple, dict[str, tuple[int, float]]]] = {}  # this process's last read


def _members(survey: Survey, question_id: str) -> dict[str, tuple[int, float]]:
    """Return each comment's stored theme and centrality, by response id (32 hex digits). Read
    again only when a cheap summary of the rows changes (a theming or a split changes it)."""
    where = (CommentTheme.survey_id == survey.id, CommentThemeMember.question_id == question_id)
    joined = select().select_from(CommentThemeMember).join(CommentTheme, CommentTheme.id == CommentThemeMember.theme_id)
    stamp = tuple(
        db.session.execute(
            joined.add_columns(
                func.count(), func.sum(CommentThemeMember.theme_id), func.sum(CommentThemeMember.centrality)
            ).where(*where)
        ).one()
    )
    kept = _read.get((survey.id, question_id))
    if kept is not None and kept[0] == stamp:
        return kept[1]
    rows = db.session.execute(
        joined.add_columns(
            CommentThemeMember.response_id, CommentThemeMember.theme_id, CommentThemeMember.centrality
        ).where(*where)
    )
    found = {response.hex: (theme_id, centrality) for response, theme_id, centrality in rows}
    _read[(survey.id, question_id)] = (stamp, found)
    return found


def themes(
    survey: Survey, question_id: str, filters: Mapping[str, str] | None = None, language: str = "en", quotes: int = 3
) -> engine.Themes:
    """Return a question's themes as they may be shown (survey/results/themes.py)."""
    found, names = assignment(survey, question_id)
    decisions = reviews.decisions(survey, question_id)
    return engine.themes(survey, question_id, found, names, filters, language, decisions=decisions, quotes=quotes)


def text_questions(survey: Survey) -> list[str]:
    """Return the ids of the survey's free-text questions."""
    return engine.text_questions(survey)


def _live(survey: Survey, question_id: str, theme_id: int) -> CommentTheme:
    theme = db.session.get(CommentTheme, theme_id)
    if theme is None or theme.survey_id != survey.id or theme.question_id != question_id or theme.merged_into_id:
        raise ThemeError("That theme no longer exists: it may have been merged.")
    return theme


def rename(survey: Survey, question_id: str, theme_id: int, name_en: str, name_cy: str = "") -> None:
    """Name a theme (English required, Welsh optional), audited, and commit."""
    name_en, name_cy = name_en.strip(), name_cy.strip()
    if not name_en:
        raise ThemeError("Give the theme a name in English.")
    if len(name_en) > NAME_LENGTH or len(name_cy) > NAME_LENGTH:
        raise ThemeError(f"A theme's name is at most {NAME_LENGTH} characters.")
    theme = _live(survey, question_id, theme_id)
    theme.name_en, theme.name_cy = name_en, name_cy or None
    audit.record("named a comment theme", survey, question=question_id, theme=theme_id, name=name_en)
    db.session.commit()


def merge(survey: Survey, question_id: str, theme_ids: Collection[int], into: int) -> int:
    """Merge themes into one of them, audited, and commit; return how many were merged into it."""
    target = _live(survey, question_id, into)
    merged = [_live(survey, question_id, t) for t in set(theme_ids) - {into}]
    if not merged:
        raise ThemeError("Choose at least two themes to merge.")
    for theme in merged:
        theme.merged_into_id = target.id
    audit.record(
        "merged comment themes", survey, question=question_id, into=target.id, themes=sorted(t.id for t in merged)
    )
    db.session.commit()
    return len(merged)


def request_split(survey: Survey, question_id: str, theme_id: int) -> bool:
    """Ask the job worker to split a theme in two (re-clustering its comments); audited. Return
    False when there is no job queue (theming runs only in the worker)."""
    _live(survey, question_id, theme_id)
    found = queue.queue()
    if found is None:
        return False
    try:
        queue.enqueue(
            found,
            SPLIT,
            (survey.id, question_id, theme_id),
            job_id=f"{found.name}-split-theme-{int(theme_id)}",
            description=f"split comment theme {int(theme_id)}",
        )
    finally:
        found.connection.close()
    audit.record("asked to split a comment theme", survey, question=question_id, theme=theme_id)
    db.session.commit()
    return True
