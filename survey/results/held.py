"""Comments held back because they may identify someone, and their review by an organiser.

A comment that may identify someone (a name, a workplace, an email address in any written-out form,
a phone, membership or staff number, an address or postcode, or a description that singles someone
out: survey/results/personal.py finds them, in English and Welsh) is held back (only counted)
until an organiser approves it. An organiser's decisions (table
comment_review, keyed by response and question; survey/core/reviews.py reads and writes them) are
passed in as data, so that they hold whatever snapshot is built. Reviewing is offered only where
the question's comments could be shown at all (at least max(k, 10) of them): the review page
never reads a small group's comments.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np

from ..questionnaire.model import TEXT_TYPES
from . import shared
from .cache import snapshot_for
from .dimensions import comment_threshold
from .personal import DESCRIBED, Span, find_personal, language_of
from .queries import UnknownQuestion, answer_key
from .snapshot import Snapshot

Decisions = Mapping[str, bool]  # response id (32 hex digits) -> approved (True) or kept hidden (False)


def may_identify(text: str, language: str | None = None) -> bool:
    """Return whether a comment may identify someone: a name, a workplace, an email address, a
    phone, membership or staff number, an address or a description that singles someone out."""
    return bool(_finds(text, language))


@functools.lru_cache(maxsize=50_000)
def _finds(text: str, language: str | None = None) -> tuple[Span, ...]:
    """The comment's finds, kept for the comments of the next snapshot (most are the same)."""
    return tuple(find_personal(text, language or language_of(text)))


def _spans(text: str) -> list[tuple[int, int, str]]:
    """Return (start, end, what) of every part of a text that may identify someone."""
    return [(span.start, span.end, DESCRIBED[span.kind]) for span in _finds(text)]


def marked_parts(text: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """Split a comment into (part, kind) pieces, the kind (None: nothing found) of what may identify
    someone ("name", "email", ..., two joined by " + " where they overlap), and say what was found."""
    finds = _finds(text)
    merged: list[list] = []  # [start, end, kinds]
    for span in finds:  # overlapping finds ("the only one in the Newport office") are one mark
        if merged and span.start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], span.end)
            merged[-1][2] = list(dict.fromkeys([*merged[-1][2], span.kind]))
        else:
            merged.append([span.start, span.end, [span.kind]])
    parts: list[tuple[str, str | None]] = []
    at = 0
    for start, end, kinds in merged:
        parts += [(text[at:start], None), (text[start:end], " + ".join(kinds))]
        at = end
    parts.append((text[at:], None))
    return [p for p in parts if p[0]], list(dict.fromkeys(DESCRIBED[span.kind] for span in finds))


@dataclass
class HeldComment:
    """A comment held back because it may identify someone, as an organiser reviews it."""

    key: str  # names the comment in a form; not its response id, and found nowhere else
    text: str
    parts: list[tuple[str, str | None]]  # the text in pieces, each with the kind found in it (None: nothing)
    found: list[str]  # what was found: "a name", "an email address", "a phone number", ...
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


def held_of(snapshot: Snapshot, k: int, question_id: str, decisions: Decisions | None = None) -> HeldComments:
    """Return a question's held-back comments for review, in the order they would be shown; none
    unless the question's comments could be shown to everyone (at least max(k, 10) of them)."""
    question, item = answer_key(snapshot.questionnaire, question_id)
    if item is not None or question.type not in TEXT_TYPES:
        raise UnknownQuestion(f"{question_id} is not a free-text question")
    t = comment_threshold(k)
    _, _, texts = snapshot.text(question_id)
    result = HeldComments(question_id, question.text["en"], t, len(texts), None)
    if len(texts) < t:
        result.refused = f"Comments are shown, and reviewed, once at least {t} people have written one."
        return result
    order, held = screened(snapshot, question_id)
    keys = held_keys(snapshot, question_id)
    decisions = decisions or {}
    for i in order:
        if held[i]:
            response, key = keys[int(i)]
            parts, found = marked_parts(texts[i])
            result.items.append(HeldComment(key, texts[i], parts, found, decisions.get(response)))
    return result


def held_comments(survey, question_id: str, decisions: Decisions) -> HeldComments:
    """Return a question's held-back comments with the organisers' decisions, for review."""
    return held_of(snapshot_for(survey), survey.threshold, question_id, decisions)


def reviewable_responses(survey, question_id: str, keys: Collection[str]) -> list[str]:
    """Return the response ids (32 hex digits, sorted) of the held-back comments these keys name,
    for recording an organiser's decision on them. Keys of nothing reviewable are ignored; none
    when the question's comments could not be shown at all (so nothing may be reviewed)."""
    snapshot = snapshot_for(survey)
    answer_key(snapshot.questionnaire, question_id)  # an unknown question raises UnknownQuestion
    if question_id not in snapshot.texts or len(snapshot.text(question_id)[2]) < comment_threshold(survey.threshold):
        return []  # nothing here may be shown, so nothing may be reviewed
    by_key = {key: response for response, key in held_keys(snapshot, question_id).values()}
    return sorted({by_key[key] for key in set(keys) if key in by_key})


def screened(snapshot: Snapshot, question_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the comments' order (by their random response ids: an order that says nothing) and
    which ones may identify someone; worked out once per snapshot, and with Redis once per release
    for every worker (the job worker screens each release's comments: screen_all)."""
    key = ("comments", question_id)
    if key not in snapshot.cache:
        _, ids, texts = snapshot.text(question_id)
        ids = list(ids)
        order = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)
        kept = shared.held_key(question_id, ids)
        positions = shared.read_held(kept)
        if positions is None:
            held = np.array([may_identify(text) for text in texts], dtype=bool)
            shared.keep_held(kept, np.flatnonzero(held).tolist())
        else:
            held = np.zeros(len(ids), dtype=bool)
            held[positions] = True
        snapshot.cache[key] = (order, held)
    return snapshot.cache[key]


def screen_all(survey) -> int:
    """Screen every free-text question's comments of a survey's snapshot (the job worker, after a
    release, so that no request pays for it); return how many comments were screened."""
    snapshot = snapshot_for(survey)
    return sum(len(screened(snapshot, question_id)[1]) for question_id in snapshot.texts)


def held_keys(snapshot: Snapshot, question_id: str) -> dict[int, tuple[str, str]]:
    """Return, for each held-back comment's position, its response id (32 hex digits, whatever
    the database's spelling) and its key for forms; worked out once per snapshot."""
    cache_key = ("held comments", question_id)
    if cache_key not in snapshot.cache:
        _, ids, _ = snapshot.text(question_id)
        _, held = screened(snapshot, question_id)
        found = {}
        for i in np.flatnonzero(held).tolist():
            response = _response_hex(ids[i])
            found[i] = (response, hashlib.sha256(f"{question_id}:{response}".encode()).hexdigest()[:20])
        snapshot.cache[cache_key] = found
    return snapshot.cache[cache_key]


def _response_hex(response_id: str) -> str:
    try:
        return uuid.UUID(response_id).hex
    except ValueError:
        return response_id
