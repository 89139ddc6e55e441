"""Breakdown dimensions, the families they form, and which of them may filter results.

A *family* is a set of dimensions that are worked out from the same answers or whose questions'
visibility depends on each other: age band, young member and age group (all from L1); region,
nation, Welsh speaker and answering language (nation comes from region, the Welsh-speaker
question is asked in Wales or in Welsh). Published numbers for dimensions of one family are
linked by exact sums (or simply nested), so two dimensions of one family are never combined, and
a family with a protected dimension is protected as a whole (docs/decisions/0019-consistent-perturbation.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..questionnaire.model import Questionnaire
from ..questionnaire.rules import LANGUAGE, references
from .layout import layout
from .memo import memo

NO_ANSWER = "_none"  # the group of people who did not answer a dimension's question (never a real code)
NO_ANSWER_LABEL = {"en": "No answer", "cy": "Dim ateb"}
LANGUAGE_LABEL = {"en": "Language of answering", "cy": "Iaith ateb"}
LANGUAGE_NAMES = {"en": {"en": "English", "cy": "Saesneg"}, "cy": {"en": "Welsh", "cy": "Cymraeg"}}
PROTECTED_MINIMUM = 10  # protected characteristics are never shown for fewer than this, whatever k is
COMMENT_MINIMUM = 10  # nor are free-text comments
MAX_FILTERS = 1


@dataclass(frozen=True)
class Value:
    """One group of a dimension."""

    code: str
    label: dict[str, str]
    index: int  # the index in the snapshot column; -1 for NO_ANSWER


@dataclass(frozen=True)
class Dim:
    """A breakdown dimension as the results engine uses it."""

    id: str
    label: dict[str, str]
    protected: bool
    values: tuple[Value, ...]  # in questionnaire order, then NO_ANSWER when it can happen
    family: str
    position: int  # order of declaration
    question: str | None  # the question it is, when it is a question

    def value(self, code: str) -> Value | None:
        """Return the group with this code, or None."""
        return next((v for v in self.values if v.code == code), None)


@dataclass(frozen=True)
class Family:
    """Dimensions that are linked by exact sums, protected as one unit."""

    id: str
    dims: tuple[str, ...]
    protected: bool


@dataclass(frozen=True)
class Structure:
    """Everything the gate needs to know about a questionnaire's dimensions."""

    dims: dict[str, Dim]
    families: dict[str, Family]
    sources: dict[str, str]  # question id -> family, for questions that feed a dimension
    comment_dim: str | None

    def family(self, dim_id: str) -> Family:
        """Return the family of a dimension."""
        return self.families[self.dims[dim_id].family]

    @property
    def filter_dims(self) -> tuple[str, ...]:
        """Return the dimensions results may be filtered by (one at a time): every one not protected."""
        return tuple(d.id for d in self.dims.values() if not d.protected)


def structure(questionnaire: Questionnaire) -> Structure:
    """Return the dimension structure of a questionnaire (computed once per questionnaire)."""
    return memo(questionnaire, "structure", _make_structure)


def base_questions(questionnaire: Questionnaire, ref: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """Return the questions (and "language") an answer key or derived variable rests on."""
    if ref in seen:
        return set()
    seen = seen | {ref}
    if ref == LANGUAGE:
        return {LANGUAGE}
    derived = {d.id: d for d in questionnaire.derived}
    if ref in derived:
        variable = derived[ref]
        refs = [variable.source] if variable.source else [r for c in variable.cases for r, _ in references(c.when)]
        return set().union(*(base_questions(questionnaire, str(r), seen) for r in refs if r))
    question_id = ref.split(".")[0]
    try:
        question = questionnaire.question(question_id)
    except KeyError:
        return set()
    rules = [question.show_if, questionnaire.section(question.section_id).show_if]
    rules += [o.show_if for o in question.options] + [o.group.show_if for o in question.options if o.group]
    refs = {r for rule in rules for r, _ in references(rule)}
    return {question_id}.union(*(base_questions(questionnaire, r, seen) for r in refs))


def can_be_missing(questionnaire: Questionnaire, dim_id: str) -> bool:
    if dim_id == LANGUAGE:
        return False
    derived = {d.id: d for d in questionnaire.derived}
    if dim_id in derived:
        variable = derived[dim_id]
        if variable.mapping is None or not variable.source:
            return True
        source_codes = layout(questionnaire).categorical.get(variable.source, ())
        return can_be_missing(questionnaire, variable.source) or any(c not in variable.mapping for c in source_codes)
    try:
        question = questionnaire.question(dim_id)
    except KeyError:
        return True
    return not (question.required and question.show_if is None and questionnaire.section_of(dim_id).show_if is None)


def _make_structure(questionnaire: Questionnaire) -> Structure:
    declared = list(questionnaire.dimensions)
    question_ids = {q.id for q in questionnaire.questions}
    entries = [(d.id, d.label, d.protected, [(v.code, v.label) for v in d.values]) for d in declared]
    if LANGUAGE not in {d.id for d in declared} and len(questionnaire.languages) > 1:
        entries.append(
            (
                LANGUAGE,
                LANGUAGE_LABEL,
                False,
                [(c, LANGUAGE_NAMES.get(c, {"en": c, "cy": c})) for c in questionnaire.languages],
            )
        )
    codes = layout(questionnaire).categorical
    bases = {dim_id: base_questions(questionnaire, dim_id) for dim_id, *_ in entries}
    # Families: dimensions joined whenever they rest on a common answer (union-find).
    parent = {dim_id: dim_id for dim_id, *_ in entries}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ids = [dim_id for dim_id, *_ in entries]
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if bases[a] & bases[b]:
                parent[root(b)] = root(a)
    first: dict[str, str] = {}  # a family is named after its first dimension
    for dim_id in ids:
        first.setdefault(root(dim_id), dim_id)
    dims: dict[str, Dim] = {}
    for position, (dim_id, label, protected, values) in enumerate(entries):
        column = codes[dim_id]
        found = [Value(code, text, column.index(code)) for code, text in values if code in column]
        if can_be_missing(questionnaire, dim_id):
            found.append(Value(NO_ANSWER, NO_ANSWER_LABEL, -1))
        question = dim_id if dim_id in question_ids else None
        dims[dim_id] = Dim(dim_id, label, protected, tuple(found), first[root(dim_id)], position, question)
    families: dict[str, Family] = {}
    for family_id in dict.fromkeys(d.family for d in dims.values()):
        members = tuple(d.id for d in dims.values() if d.family == family_id)
        families[family_id] = Family(family_id, members, any(dims[m].protected for m in members))
    sources: dict[str, str] = {}
    for dim in dims.values():
        for base in bases[dim.id]:
            if base in question_ids:
                sources.setdefault(base, dim.family)
    comment_dim = questionnaire.audience.get("service_group")
    if comment_dim not in dims or dims[comment_dim].protected:
        comment_dim = next((d.id for d in dims.values() if not d.protected and d.id != LANGUAGE), None)
    return Structure(dims, families, sources, comment_dim)


def threshold_for(k: int, protected: bool) -> int:
    """Return the smallest group a number may come from: k, or at least 10 for protected characteristics."""
    return max(k, PROTECTED_MINIMUM) if protected else k


def comment_threshold(k: int) -> int:
    """Return the smallest group whose comments may be shown."""
    return max(k, COMMENT_MINIMUM)
