"""Free-text comments, through their own, stricter gate.

Comments are lists of texts, not counts, so an adversary can intersect them as sets, not only
subtract: comments are therefore shown for everyone, or filtered by ONE non-protected dimension
(the questionnaire's service group) and never by a protected characteristic; every group shown,
and what everyone minus the shown groups leaves, holds at least max(k, 10) comments. Comments
that may identify someone (an email address, a phone number, a membership-number-like string of
digits) are held back and only counted until an organiser approves them; an organiser's decisions
(table comment_review, keyed by response and question) are read per call, so that they hold
whatever snapshot is built. Reviewing is offered only where the question's comments could be
shown at all (at least max(k, 10) of them): the review page never reads a small group's comments.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..questionnaire.rules import LANGUAGE
from .dimensions import NO_ANSWER, comment_threshold, structure
from .engine import UnknownQuestion, _answer_key, _language, fixed_dimensions
from .gate import universe
from .snapshot import Snapshot, snapshot_for
from .tables import Comments

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?<!\w)(\+?\d[\d\s().-]{8,}\d)(?!\w)")  # 10 or more digits with spaces, dots or dashes
DIGITS = re.compile(r"\d{6,}")  # a membership number or any other long number

Decisions = Mapping[str, bool]  # response id (32 hex digits) -> approved (True) or kept hidden (False)


def may_identify(text: str) -> bool:
    """Return whether a comment contains an email address, a phone number or a long number."""
    return bool(_spans(text))


def _spans(text: str) -> list[tuple[int, int, str]]:
    """Return (start, end, what) of every part of a text that may identify someone."""
    found = [(m.start(), m.end(), "an email address") for m in EMAIL.finditer(text)]
    found += [
        (m.start(), m.end(), "a phone number")
        for m in PHONE.finditer(text)
        if sum(ch.isdigit() for ch in m.group(0)) >= 10
    ]
    found += [
        (m.start(), m.end(), "a long number")
        for m in DIGITS.finditer(text)
        if not any(s <= m.start() and m.end() <= e for s, e, _ in found)  # not part of a phone number
    ]
    return sorted(found)


def marked_parts(text: str) -> tuple[list[tuple[str, bool]], list[str]]:
    """Split a comment into (part, may identify) pieces, and say what was found in it."""
    spans = _spans(text)
    merged: list[list[int]] = []
    for start, end, _ in spans:  # overlapping finds (a phone number is also a long number) are one mark
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[tuple[str, bool]] = []
    at = 0
    for start, end in merged:
        parts += [(text[at:start], False), (text[start:end], True)]
        at = end
    parts.append((text[at:], False))
    return [p for p in parts if p[0]], list(dict.fromkeys(what for _, _, what in spans))


@dataclass
class HeldComment:
    """A comment held back because it may identify someone, as an organiser reviews it."""

    key: str  # names the comment in a form; not its response id, and found nowhere else
    text: str
    parts: list[tuple[str, bool]]  # the text in pieces, True where it may identify someone
    found: list[str]  # what was found: "an email address", "a phone number", "a long number"
    approved: bool | None  # None: waiting for a decision; False: kept hidden


@dataclass
class HeldComments:
    """The held-back comments of one free-text question, for review, and how many are decided."""

    question: str
    text: str
    threshold: int
    n: int  # comments on the question, everyone
    refused: str | None  # why nothing can be reviewed (too few comments to show any)
    items: list[HeldComment] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        """Return how many held-back comments wait for a decision."""
        return sum(item.approved is None for item in self.items)

    @property
    def approved(self) -> int:
        """Return how many held-back comments an organiser approved."""
        return sum(item.approved is True for item in self.items)

    @property
    def kept_hidden(self) -> int:
        """Return how many held-back comments an organiser kept hidden."""
        return sum(item.approved is False for item in self.items)


def comments(survey, question_id: str, filters: Mapping[str, str] | None = None, language: str = "en") -> Comments:
    """Return the comments on a free-text question that may be shown, for everyone or one group."""
    snapshot = snapshot_for(survey)
    return comments_of(
        snapshot, survey.threshold, question_id, filters, language, survey.audience, decisions(survey, question_id)
    )


def approved_comments(
    survey, question_id: str, filters: Mapping[str, str] | None = None, language: str = "en"
) -> list[str]:
    """Return the comments any output may quote (briefings, exports): exactly those the gate shows —
    none that may identify someone unless an organiser approved it; nothing when the gate refuses."""
    found = comments(survey, question_id, filters, language)
    return [] if found.refused else list(found.comments)


def decisions(survey, question_id: str) -> dict[str, bool]:
    """Return the organisers' decisions on a question's held-back comments, by response id."""
    from sqlalchemy import select

    from ..extensions import db
    from ..models import CommentReview

    rows = db.session.execute(
        select(CommentReview.response_id, CommentReview.approved).where(
            CommentReview.survey_id == survey.id, CommentReview.question_id == question_id
        )
    )
    return {response_id.hex: approved for response_id, approved in rows}


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
        if (dim_id, index) not in _publish_groups(counts, groups, t):
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
    approved = _approved(snapshot, question_id, decisions or {})
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
    return result


def held_of(snapshot: Snapshot, k: int, question_id: str, decisions: Decisions | None = None) -> HeldComments:
    """Return a question's held-back comments for review, in the order they would be shown; none
    unless the question's comments could be shown to everyone (at least max(k, 10) of them)."""
    question, item = _answer_key(snapshot.questionnaire, question_id)
    if item is not None or question.type not in ("text", "long_text"):
        raise UnknownQuestion(f"{question_id} is not a free-text question")
    t = comment_threshold(k)
    _, _, texts = snapshot.text(question_id)
    result = HeldComments(question_id, question.text["en"], t, len(texts), None)
    if len(texts) < t:
        result.refused = f"Comments are shown, and reviewed, once at least {t} people have written one."
        return result
    order, held = _screened(snapshot, question_id)
    keys = _held_keys(snapshot, question_id)
    decisions = decisions or {}
    for i in order:
        if held[i]:
            response, key = keys[int(i)]
            parts, found = marked_parts(texts[i])
            result.items.append(HeldComment(key, texts[i], parts, found, decisions.get(response)))
    return result


def held_comments(survey, question_id: str) -> HeldComments:
    """Return a question's held-back comments with the organisers' decisions, for review."""
    return held_of(snapshot_for(survey), survey.threshold, question_id, decisions(survey, question_id))


def decide_comments(survey, question_id: str, keys: Collection[str], approve: bool) -> int:
    """Record an organiser's decision on held-back comments named by their keys (the caller
    commits); return how many comments it covered. Keys of nothing reviewable are ignored."""
    from sqlalchemy.dialects import postgresql, sqlite

    from ..extensions import db
    from ..models import CommentReview

    snapshot = snapshot_for(survey)
    _answer_key(snapshot.questionnaire, question_id)  # an unknown question raises UnknownQuestion
    if question_id not in snapshot.texts or len(snapshot.text(question_id)[2]) < comment_threshold(survey.threshold):
        return 0  # nothing here may be shown, so nothing may be reviewed
    by_key = {key: response for response, key in _held_keys(snapshot, question_id).values()}
    responses = sorted({by_key[key] for key in set(keys) if key in by_key})
    if not responses:
        return 0
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
    return len(responses)


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


def _held_keys(snapshot: Snapshot, question_id: str) -> dict[int, tuple[str, str]]:
    """Return, for each held-back comment's position, its response id (32 hex digits, whatever
    the database's spelling) and its key for forms; worked out once per snapshot."""
    cache_key = ("held comments", question_id)
    if cache_key not in snapshot.cache:
        _, ids, _ = snapshot.text(question_id)
        _, held = _screened(snapshot, question_id)
        found = {}
        for i in np.flatnonzero(held).tolist():
            response = _response_hex(ids[i])
            found[i] = (response, hashlib.sha256(f"{question_id}:{response}".encode()).hexdigest()[:20])
        snapshot.cache[cache_key] = found
    return snapshot.cache[cache_key]


def _approved(snapshot: Snapshot, question_id: str, decisions: Decisions) -> set[int]:
    """Return the positions of held-back comments an organiser approved."""
    if not any(decisions.values()):
        return set()
    return {i for i, (response, _) in _held_keys(snapshot, question_id).items() if decisions.get(response)}


def _response_hex(response_id: str) -> str:
    try:
        return uuid.UUID(response_id).hex
    except ValueError:
        return response_id


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
