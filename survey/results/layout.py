"""A snapshot's column layout: which columns a questionnaire gives, and the codes behind each index.

One numpy array per answer key: option indexes for single choice, scales, grid items, derived
variables and the answering language (int8 or int16, -1 = no answer); bit sets for multiple
choice (one unsigned integer per response); floats for numbers (NaN = no answer); free text as
lists (texts.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..questionnaire.model import ITEM_TYPES, Questionnaire
from ..questionnaire.rules import LANGUAGE
from .memo import memo

NONE = -1  # the index that means "no answer" in a categorical column


@dataclass(frozen=True)
class Layout:
    """Which columns a questionnaire gives, and the codes behind each index."""

    categorical: dict[str, tuple[str, ...]]  # key -> codes; includes grid items, derived, "language"
    multi: dict[str, tuple[str, ...]]
    numbers: tuple[str, ...]
    texts: tuple[str, ...]
    derived: tuple[str, ...]  # categorical keys computed from the others, in questionnaire order
    # A ranked priorities question's rank positions: key ("D2.1" = first choices) -> (question id,
    # position from 0), categorical columns read from the position in the stored list of codes.
    ranks: dict[str, tuple[str, int]] = field(default_factory=dict)


def layout(questionnaire: Questionnaire) -> Layout:
    """Return the column layout of a questionnaire (cached per questionnaire)."""
    return memo(questionnaire, "layout", _make_layout)


def _make_layout(questionnaire: Questionnaire) -> Layout:
    categorical: dict[str, tuple[str, ...]] = {}
    multi: dict[str, tuple[str, ...]] = {}
    numbers: list[str] = []
    texts: list[str] = []
    ranks: dict[str, tuple[str, int]] = {}
    for question in questionnaire.questions:
        if question.type in ("single", "scale"):
            categorical[question.id] = question.codes
        elif question.type in ITEM_TYPES:  # grids and statements: one column per row (statement)
            for key in question.answer_keys():
                categorical[key] = question.codes
        elif question.type in ("multi", "priorities"):
            if len(question.options) > 64:
                raise ValueError(f"question {question.id}: more than 64 options cannot be held as a bit set")
            multi[question.id] = tuple(o.code for o in question.options)  # priorities: chosen (in the top N)
            for position in range(question.rank or 0):  # ranked: who is first, second ... (D2.1, D2.2 ...)
                categorical[f"{question.id}.{position + 1}"] = multi[question.id]
                ranks[f"{question.id}.{position + 1}"] = (question.id, position)
        elif question.type == "number":
            numbers.append(question.id)
        else:
            texts.append(question.id)
    for variable in questionnaire.derived:
        categorical[variable.id] = tuple(v.code for v in variable.values)
    categorical[LANGUAGE] = tuple(questionnaire.languages)
    derived = tuple(v.id for v in questionnaire.derived)
    return Layout(categorical, multi, tuple(numbers), tuple(texts), derived, ranks)


def code_dtype(codes: Sequence[str]) -> type:
    """Return the smallest signed integer type that holds the indexes of these codes and -1."""
    return np.int8 if len(codes) < 127 else np.int16


def bits_dtype(codes: Sequence[str]) -> type:
    """Return the smallest unsigned integer type with a bit for each of these codes."""
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        if len(codes) <= np.iinfo(dtype).bits:
            return dtype
    raise ValueError("more than 64 options")
