"""Read-only questionnaire definitions, indexed by id. No Flask here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

Text = dict[str, str]  # language code -> text
Rule = dict[str, Any]  # a declarative rule, see rules.py

CHOICE_TYPES = frozenset({"single", "multi"})
SCALE_TYPES = frozenset({"scale", "grid"})
TEXT_TYPES = frozenset({"text", "long_text"})
# Consultation questions. "statements": draft statements (demands, motion clauses), each answered
# Support / Oppose / Not sure on a scale the loader makes (points support and oppose, off-scale
# unsure; labels configurable), stored like a grid's rows ("D1.a": "support"). "priorities": pick
# exactly `choose` options, or rank the top `rank`; stored as a list of codes, in rank order.
CONSULTATION_TYPES = frozenset({"statements", "priorities"})
ITEM_TYPES = frozenset({"grid", "statements"})  # answered row by row, one answer key per item
STATEMENT_CODES = ("support", "oppose", "unsure")
QUESTION_TYPES = CHOICE_TYPES | SCALE_TYPES | TEXT_TYPES | CONSULTATION_TYPES | {"number"}


@dataclass(frozen=True)
class OptionGroup:
    """A heading over some options, offered only when its rule holds."""

    label: Text
    show_if: Rule | None = None


@dataclass(frozen=True)
class Option:
    """One answer a member can choose, identified by a stable code."""

    code: str
    label: Text
    exclusive: bool = False
    other: bool = False
    show_if: Rule | None = None
    alt_labels: tuple[tuple[Rule, Text], ...] = ()
    group: OptionGroup | None = None


@dataclass(frozen=True)
class Scale:
    """An ordered answer scale with off-scale codes that never count as positive."""

    id: str
    points: tuple[Option, ...]
    off_scale: tuple[Option, ...]
    positive: frozenset[str]
    negative: frozenset[str]


@dataclass(frozen=True)
class GridItem:
    """One row of a grid question, answered on the grid's scale."""

    code: str
    text: Text
    show_if: Rule | None = None
    short: Text | None = None  # a few words for the conference screen, where the whole ranking must fit


@dataclass(frozen=True)
class Question:
    """One question; which fields matter depends on its type."""

    id: str
    type: str
    text: Text
    section_id: str
    position: int
    hint: Text | None = None
    required: bool = False
    show_if: Rule | None = None
    error: Text | None = None  # what to say when a required answer is missing ("Select how your workload has changed")
    options: tuple[Option, ...] = ()
    max_choices: int | None = None
    choose: int | None = None  # priorities: pick exactly this many
    rank: int | None = None  # priorities: rank the top this many (first choice first)
    scale: Scale | None = None
    off_scale: tuple[str, ...] | None = None
    items: tuple[GridItem, ...] = ()
    min: int | None = None
    max: int | None = None
    unit: Text | None = None
    max_length: int | None = None
    other_max_length: int = 200

    @cached_property
    def choices(self) -> tuple[Option, ...]:
        """Return every option a member could pick (scale points and offered off-scale codes)."""
        if self.scale is None:
            return self.options
        offered = self.off_scale
        extra = tuple(o for o in self.scale.off_scale if offered is None or o.code in offered)
        return self.scale.points + extra

    @cached_property
    def conditional_choices(self) -> bool:
        """Return whether a rule decides whether some choice (or its group) is offered."""
        return any(o.show_if is not None or (o.group is not None and o.group.show_if is not None) for o in self.choices)

    @property
    def codes(self) -> tuple[str, ...]:
        """Return the stable codes of every choice."""
        return tuple(o.code for o in self.choices)

    def answer_keys(self) -> tuple[str, ...]:
        """Return the keys this question stores answers under (grid items, write-ins)."""
        if self.type in ITEM_TYPES:
            return tuple(f"{self.id}.{item.code}" for item in self.items)
        return (self.id, *tuple(f"{self.id}.{o.code}" for o in self.options if o.other))


@dataclass(frozen=True)
class Section:
    """One page of the questionnaire."""

    id: str
    title: Text
    questions: tuple[Question, ...]
    intro: Text | None = None
    show_if: Rule | None = None


@dataclass(frozen=True)
class Case:
    """One branch of a derived variable: the first case whose rule holds gives the value."""

    when: Rule
    value: str


@dataclass(frozen=True)
class Derived:
    """A variable computed from answers, by a map from one question or by cases."""

    id: str
    label: Text
    values: tuple[Option, ...]
    source: str | None = None
    mapping: dict[str, str] | None = None
    cases: tuple[Case, ...] = ()


@dataclass(frozen=True)
class Dimension:
    """Something results can be broken down by: a single-choice question or derived variable."""

    id: str
    label: Text
    values: tuple[Option, ...]
    protected: bool = False


@dataclass(frozen=True)
class Questionnaire:
    """A whole, validated questionnaire. Immutable; identified by (id, version)."""

    id: str
    version: int
    languages: tuple[str, ...]
    title: Text
    description: Text
    estimated_minutes: int
    sections: tuple[Section, ...]
    scales: dict[str, Scale] = field(default_factory=dict)
    derived: tuple[Derived, ...] = ()
    dimensions: tuple[Dimension, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    audience: dict[str, str] = field(default_factory=dict)  # "service_group"/"sector"/"region" -> question id
    fixed: dict[str, str] = field(default_factory=dict)  # question id -> answer fixed by a sector survey
    source: str = ""
    checksum: str = ""

    def for_audience(self, audience: Mapping[str, str | None]) -> Questionnaire:
        """Return the questionnaire as a sector survey's members see it.

        The questions the audience already answers (service group "police_justice", sector
        "probation") are not asked: their answers are fixed, and pages left empty disappear.
        """
        fixed = {self.audience[key]: code for key, code in audience.items() if code and key in self.audience}
        if not fixed:
            return self
        sections = (replace(s, questions=tuple(q for q in s.questions if q.id not in fixed)) for s in self.sections)
        return replace(self, sections=tuple(s for s in sections if s.questions), fixed=fixed)

    @property
    def questions(self) -> tuple[Question, ...]:
        """Return every question in order."""
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, question_id: str) -> Question:
        """Return the question with this id."""
        return self._questions[question_id]

    def section(self, section_id: str) -> Section:
        """Return the section with this id."""
        return self._sections[section_id]

    @cached_property
    def _questions(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    @cached_property
    def _sections(self) -> dict[str, Section]:
        return {s.id: s for s in self.sections}

    def section_of(self, question_id: str) -> Section:
        """Return the section that holds this question."""
        return self.section(self.question(question_id).section_id)

    def dimension(self, dimension_id: str) -> Dimension:
        """Return the breakdown dimension with this id."""
        return next(d for d in self.dimensions if d.id == dimension_id)
