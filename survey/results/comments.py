"""Free-text comments, through their own, stricter gate.

Comments are lists of texts, not counts, so an adversary can intersect them as sets, not only
subtract: comments are therefore shown for everyone, or filtered by ONE non-protected dimension
(the questionnaire's service group) and never by a protected characteristic; every group shown,
and what everyone minus the shown groups leaves, holds at least max(k, 10) comments. Comments
that may identify someone (an email address, a phone number, a membership-number-like string of
digits) are held back and only counted: an organiser approval step can come later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from .dimensions import NO_ANSWER, comment_threshold, structure
from .engine import UnknownQuestion, _answer_key, _language, fixed_dimensions
from .gate import publish_groups, universe
from .snapshot import Snapshot, snapshot_for
from .tables import Comments

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<!\w)(\+?\d[\d\s().-]{8,}\d)(?!\w)")  # 10 or more digits with spaces, dots or dashes
DIGITS = re.compile(r"\d{6,}")  # a membership number or any other long number


def may_identify(text: str) -> bool:
    """Return whether a comment contains an email address, a phone number or a long number."""
    if EMAIL.search(text) or DIGITS.search(text):
        return True
    return any(sum(ch.isdigit() for ch in match.group(0)) >= 10 for match in PHONE.finditer(text))


def comments(survey, question_id: str, filters: Mapping[str, str] | None = None, language: str = "en") -> Comments:
    """Return the comments on a free-text question that may be shown, for everyone or one group."""
    return comments_of(snapshot_for(survey), survey.threshold, question_id, filters, language, survey.audience)


def comments_of(
    snapshot: Snapshot,
    k: int,
    question_id: str,
    filters: Mapping[str, str] | None = None,
    language: str = "en",
    audience: Mapping[str, str] | None = None,
) -> Comments:
    """Return comments from a snapshot (see comments)."""
    questionnaire = snapshot.questionnaire
    language = _language(questionnaire, language)
    question, _ = _answer_key(questionnaire, question_id)
    shape = structure(questionnaire)
    filters = dict(filters or {})
    t = comment_threshold(k)
    dimension = shape.comment_dim if shape.comment_dim not in fixed_dimensions(audience, questionnaire) else None
    result = Comments(question_id, question.text[language], filters, dimension, t, None, [], None, True, None, "")
    if question.type not in ("text", "long_text"):
        raise UnknownQuestion(f"{question_id} is not a free-text question")
    refusal = _refusal(shape, dimension, filters)
    if refusal:
        result.refused = result.summary = refusal
        return result
    rows, _, texts = snapshot.text(question_id)
    where = universe(snapshot, question_id)
    chosen = np.ones(len(rows), dtype=bool)
    if filters:
        ((dim_id, code),) = filters.items()
        dim = shape.dims[dim_id]
        index = dim.value(code).index  # type: ignore[union-attr]
        column = snapshot.categorical[dim_id]
        cells = np.arange(-1, len(snapshot.codes(dim_id)))  # every group, and no answer
        counts = np.bincount(column[where.mask].astype(np.int64) + 1, minlength=len(cells))
        groups = [((dim_id, v.index), cells == v.index) for v in dim.values]
        if (dim_id, index) not in publish_groups(counts, groups, t):
            result.refused = result.summary = (
                f"Comments are shown only for groups of at least {t} people who commented, and never where "
                "that would let a smaller group's comments be picked out."
            )
            return result
        chosen = column[rows] == index
    n = int(chosen.sum())
    if n < t:
        result.refused = result.summary = f"Comments are shown once at least {t} people have written one."
        return result
    order, held = _screened(snapshot, question_id)
    shown = [texts[i] for i in order if chosen[i] and not held[i]]
    result.n, result.comments, result.suppressed = n, shown, False
    result.held_for_review = n - len(shown)
    result.summary = f"{n:,} comments; {len(shown):,} shown" + (
        f", {result.held_for_review:,} held back because they may identify someone." if result.held_for_review else "."
    )
    return result


def _screened(snapshot: Snapshot, question_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the comments' order (by their random response ids: an order that says nothing) and
    which ones may identify someone; worked out once per snapshot."""
    key = ("comments", question_id)
    if key not in snapshot.cache:
        _, ids, texts = snapshot.text(question_id)
        order = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)
        held = np.array([may_identify(text) for text in texts], dtype=bool)
        snapshot.cache[key] = (order, held)
    return snapshot.cache[key]


def _refusal(shape, dimension: str | None, filters: Mapping[str, str]) -> str | None:
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
