"""Slices: one audience's part of a wider survey (Probation's members in a national survey).

A staff member scoped to an audience sees a national (or wider) survey *as if it were a survey
for their audience*: every result is worked out from a snapshot that holds only the responses
whose audience answers (service group, sector, region) match the slice, and the slice's
audience questions are fixed, as a sector survey's are (no breakdown or filter by them; other
groups of them never appear). The rows keep their record keys, so every published count is the
one the whole survey's reader gets for the same set of people: a slice's table is the whole
survey's table filtered to the slice, number for number (protection.py).

`SurveySlice` wraps a survey for the engine: pass it wherever a survey goes (question_table,
overview, equality_flags, comments, representation ...) and nothing outside the slice is
counted. Written answers are lists, not counts, and follow their own rule (comments.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .gate import everyone_count, universe
from .protection import shown
from .snapshot import Snapshot, without


class SurveySlice:
    """A survey seen through one audience: reads like the survey, counts only the slice."""

    def __init__(self, survey: Any, audience: Mapping[str, str], label: str, index: int = 0) -> None:
        self.whole = survey
        self.slice_audience = {key: code for key, code in audience.items() if code}
        self.label = label  # the audience in words: "Police and justice: Probation"
        self.index = index  # which of the account's slices of this survey (one per scope)

    def __getattr__(self, name: str) -> Any:  # everything but the audience reads the survey's
        return getattr(self.whole, name)

    @property
    def audience(self) -> dict[str, str]:
        """The survey's own audience with the slice's parts: what every result is fixed to."""
        return {**(self.whole.audience or {}), **self.slice_audience}

    def __repr__(self) -> str:
        return f"<SurveySlice {self.whole.id} {self.slice_audience}>"


def is_slice(survey: Any) -> bool:
    """Return whether results are asked for one audience's slice of a survey."""
    return isinstance(survey, SurveySlice)


def slice_parts(audience: Mapping[str, str]) -> dict[str, str]:
    """Return the audience answers that pick a slice's members out: its sector stands for itself
    (a member who is "Not sure" of their service group but works in Probation is in Probation's
    slice, as in the whole survey's filter by sector), else its service group; and its region."""
    parts = {key: code for key, code in audience.items() if code}
    if "sector" in parts:
        parts.pop("service_group", None)
    return parts


def slice_rows(snapshot: Snapshot, audience: Mapping[str, str]) -> np.ndarray:
    """Return which rows of a snapshot are in the slice (slice_parts): exactly the rows a filter by
    the same answers picks out of the whole survey."""
    questionnaire = snapshot.questionnaire
    keep = np.ones(snapshot.n, dtype=bool)
    for key, code in slice_parts(audience).items():
        question_id = questionnaire.audience.get(key)
        codes = snapshot.codes(question_id) if question_id in snapshot.categorical else ()
        if code not in codes:  # not a group of this questionnaire: nobody is in the slice
            return np.zeros(snapshot.n, dtype=bool)
        keep &= snapshot.categorical[question_id] == codes.index(code)  # type: ignore[index]
    return keep


SLICED_BY = "sliced by"  # a slice's snapshot keeps the dimensions that picked its rows out


def slice_dimensions(questionnaire: Any, audience: Mapping[str, str]) -> tuple[str, ...]:
    """Return the dimensions (audience questions) a slice is a filter by."""
    return tuple(questionnaire.audience[key] for key in slice_parts(audience) if key in questionnaire.audience)


def sliced_by(snapshot: Snapshot) -> tuple[str, ...]:
    """Return the dimensions a snapshot was sliced by (none for a whole survey's): the query rules
    count them as a filter already used, so a slice allows only what its filter would."""
    return snapshot.cache.get(SLICED_BY, ())


def sliced(snapshot: Snapshot, audience: Mapping[str, str]) -> Snapshot:
    """Return the snapshot of a slice's responses (kept with the whole survey's snapshot, so that it
    is made once per release batch and goes with it)."""
    key = ("slice", tuple(sorted(audience.items())))
    found = snapshot.cache.get(key)
    if found is None:
        found = without(snapshot, slice_rows(snapshot, audience))
        found.cache[SLICED_BY] = slice_dimensions(snapshot.questionnaire, audience)
        snapshot.cache[key] = found
    return found


def enough(snapshot: Snapshot, k: int) -> bool:
    """Return whether a (sliced) snapshot has enough responses to show anything: at least k, as
    counted and as published (the group rule of gate.py)."""
    true, public = everyone_count(snapshot, universe(snapshot, None))
    return shown(true, public, k)


def reopened(view: Any, survey: Any) -> Any:
    """Return the same view of a survey read again (a download made in a context of its own): the
    same slice of it, or the whole survey when the view was the whole survey."""
    if isinstance(view, SurveySlice):
        return SurveySlice(survey, view.slice_audience, view.label, view.index)
    return survey
