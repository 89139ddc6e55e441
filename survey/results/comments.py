"""Free-text comments, through their own, stricter gate.

Comments are lists of texts, not counts, so an adversary can intersect them as sets, not only
subtract: comments are therefore shown for everyone, or filtered by ONE non-protected dimension
(the questionnaire's service group) and never by a protected characteristic; every group shown,
and what everyone minus the shown groups leaves, holds at least max(k, 10) comments. Comments
that may identify someone are held back and only counted until an organiser approves them
(held.py); the organisers' decisions are passed in by the caller (survey/core/reviews.py reads
them), so that they hold whatever snapshot is built.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..questionnaire.model import TEXT_TYPES
from ..questionnaire.rules import LANGUAGE
from .cache import snapshot_for
from .dimensions import NO_ANSWER, Structure, comment_threshold, structure
from .gate import universe
from .held import Decisions, held_keys, screened
from .queries import UnknownQuestion, answer_key, fixed_dimensions, language_for
from .slices import SurveySlice, is_slice
from .snapshot import Snapshot
from .tables import Comments


def comments(
    survey,
    question_id: str,
    filters: Mapping[str, str] | None = None,
    language: str = "en",
    *,
    decisions: Decisions,
) -> Comments:
    """Return the comments on a free-text question that may be shown, for everyone or one group;
    `decisions` are the organisers' decisions on its held-back comments (core.reviews.decisions).
    A slice's comments are the whole survey's for its service group, by the same rule (slice_comments)."""
    if is_slice(survey):
        return slice_comments(survey, question_id, filters, language, decisions)
    snapshot = snapshot_for(survey)
    return comments_of(snapshot, survey.threshold, question_id, filters, language, survey.audience, decisions)


NOT_IN_A_SLICE = (
    "Comments are shown for the whole survey or for one service group, never for a smaller or "
    "overlapping group such as a sector or a region: lists of comments of overlapping groups could be "
    "compared to pick out a few members' comments. Staff who see the whole survey can read them."
)


def slice_comments(
    survey: SurveySlice,
    question_id: str,
    filters: Mapping[str, str] | None,
    language: str,
    decisions: Decisions,
) -> Comments:
    """Return a slice's comments: exactly the whole survey's comments filtered to the slice's group,
    when the slice is one group of the survey's comment dimension (a service group), so that no list
    is shown that the whole survey's readers could not see. Any other slice (a sector, a region)
    shows none: its list could be set against a service group's, or another slice's, to pick out a
    few members' comments (the exact rule of _publish_groups holds for one set of groups only)."""
    whole = survey.whole
    snapshot = snapshot_for(whole)
    questionnaire = snapshot.questionnaire
    extra = {key: code for key, code in survey.slice_audience.items() if (whole.audience or {}).get(key) != code}
    dimension = structure(questionnaire).comment_dim
    if dimension in fixed_dimensions(whole.audience, questionnaire):
        dimension = None
    as_filter = {questionnaire.audience.get(key): code for key, code in extra.items()}
    if filters or len(as_filter) != 1 or dimension not in as_filter:
        question, _ = answer_key(questionnaire, question_id)
        if question.type not in TEXT_TYPES:
            raise UnknownQuestion(f"{question_id} is not a free-text question")
        reason = "Comments in a slice are not filtered further." if filters else NOT_IN_A_SLICE
        text = question.text[language_for(questionnaire, language)]
        t = comment_threshold(whole.threshold)
        return Comments(question_id, text, dict(filters or {}), None, t, None, [], None, True, reason, reason)
    return comments_of(snapshot, whole.threshold, question_id, as_filter, language, whole.audience, decisions)


def approved_comments(
    survey,
    question_id: str,
    filters: Mapping[str, str] | None = None,
    language: str = "en",
    *,
    decisions: Decisions,
) -> list[str]:
    """Return the comments any output may quote (briefings, exports): exactly those the gate shows —
    none that may identify someone unless an organiser approved it; nothing when the gate refuses."""
    found = comments(survey, question_id, filters, language, decisions=decisions)
    return [] if found.refused else list(found.comments)


def comments_of(
    snapshot: Snapshot,
    k: int,
    question_id: str,
    filters: Mapping[str, str] | None = None,
    language: str = "en",
    audience: Mapping[str, str] | None = None,
    decisions: Decisions | None = None,
) -> Comments:
    """Return comments from a snapshot (see comments); `decisions` are the organisers' approvals."""
    questionnaire = snapshot.questionnaire
    language = language_for(questionnaire, language)
    question, _ = answer_key(questionnaire, question_id)
    shape = structure(questionnaire)
    filters = dict(filters or {})
    t = comment_threshold(k)
    dimension = shape.comment_dim if shape.comment_dim not in fixed_dimensions(audience, questionnaire) else None
    result = Comments(question_id, question.text[language], filters, dimension, t, None, [], None, True, None, "")
    if question.type not in TEXT_TYPES:
        raise UnknownQuestion(f"{question_id} is not a free-text question")
    refusal = _refusal(shape, dimension, filters)
    if refusal:
        result.refused = result.summary = refusal
        return result
    rows, _, texts = snapshot.text(question_id)
    chosen = _chosen(snapshot, shape, question_id, rows, filters, t)
    if chosen is None:
        result.refused = result.summary = (
            f"Comments are shown only for groups of at least {t} people who commented, and never where "
            "that would let a smaller group's comments be picked out."
        )
        return result
    n = int(chosen.sum())
    if n < t:
        result.refused = result.summary = f"Comments are shown once at least {t} people have written one."
        return result
    _show(result, snapshot, question_id, rows, texts, chosen, n, decisions or {})
    return result


def _chosen(
    snapshot: Snapshot,
    shape: Structure,
    question_id: str,
    rows: np.ndarray,
    filters: Mapping[str, str],
    t: int,
) -> np.ndarray | None:
    """Return which comments are in the filter's group (every one, without a filter); None when
    that group's comments may not be shown (_publish_groups)."""
    where = universe(snapshot, question_id)
    if not filters:
        return np.ones(len(rows), dtype=bool)
    ((dim_id, code),) = filters.items()
    dim = shape.dims[dim_id]
    index = dim.value(code).index  # type: ignore[union-attr]
    column = snapshot.categorical[dim_id]
    cells = np.arange(-1, len(snapshot.codes(dim_id)))  # every group, and no answer
    counts = np.bincount(column[where.mask].astype(np.int64) + 1, minlength=len(cells))
    groups = [((dim_id, v.index), cells == v.index) for v in dim.values]
    if (dim_id, index) not in _publish_groups(counts, groups, t):
        return None
    return column[rows] == index


def _show(
    result: Comments,
    snapshot: Snapshot,
    question_id: str,
    rows: np.ndarray,
    texts,
    chosen: np.ndarray,
    n: int,
    decisions: Decisions,
) -> None:
    """Fill in the comments shown: the chosen ones that may not identify anyone, or that an
    organiser approved, in an order that says nothing; and a sentence saying how many."""
    order, held = screened(snapshot, question_id)
    approved = _approved(snapshot, question_id, decisions)
    shown_rows = [i for i in order if chosen[i] and (not held[i] or i in approved)]
    shown = [texts[i] for i in shown_rows]
    released = sum(1 for i in approved if chosen[i])
    result.n, result.comments, result.suppressed = n, shown, False
    answered_in, languages = snapshot.categorical[LANGUAGE], snapshot.codes(LANGUAGE)
    result.languages = [languages[answered_in[rows[i]]] if answered_in[rows[i]] >= 0 else "" for i in shown_rows]
    result.held_for_review = n - len(shown)
    result.summary = (
        f"{n:,} comments; {len(shown):,} shown"
        + (f" ({released:,} approved by an organiser)" if released else "")
        + (
            f", {result.held_for_review:,} held back because they may identify someone."
            if result.held_for_review
            else "."
        )
    )


def _publish_groups(counts: np.ndarray, groups: list[tuple[tuple[str, int], np.ndarray]], t: int) -> set:
    """Return the groups whose comments may be shown: each holds at least t comments, and so do the
    comments of everyone less the shown groups (or none), so that no small group's comments can be
    picked out by comparing lists. Comments are texts, not counts: this exact rule is theirs alone."""
    sizes = {gid: int(counts[mask].sum()) for gid, mask in groups}
    published = {gid for gid, size in sizes.items() if size >= t}
    while published:
        rest = int(counts.sum()) - sum(sizes[g] for g in published)
        if rest == 0 or rest >= t:
            break
        published.discard(min(published, key=lambda g: (sizes[g], g)))
    return published


def _approved(snapshot: Snapshot, question_id: str, decisions: Decisions) -> set[int]:
    """Return the positions of held-back comments an organiser approved."""
    if not any(decisions.values()):
        return set()
    return {i for i, (response, _) in held_keys(snapshot, question_id).items() if decisions.get(response)}


def _refusal(shape: Structure, dimension: str | None, filters: Mapping[str, str]) -> str | None:
    if not filters:
        return None
    if len(filters) > 1:
        return "Comments can be filtered by one thing at a time."
    ((dim_id, code),) = filters.items()
    dim = shape.dims.get(dim_id)
    if dim is not None and dim.protected:
        return "Comments are never shown by protected characteristic."
    if dim_id != dimension or dim is None:
        label = shape.dims[dimension].label["en"] if dimension else None
        return (
            f"Comments can be filtered only by “{label}”." if label else "Comments cannot be filtered in this survey."
        )
    value = dim.value(code)
    if value is None or value.code == NO_ANSWER:
        return f"“{code}” is not a group of this filter."
    return None
