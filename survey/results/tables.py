"""What the results engine returns: plain dataclasses that serialise with dataclasses.asdict.

Every count is published (perturbed: protection.py) and everything else is worked out from
published counts. `suppressed` means "not shown": a group too small to show (or, in a question
that says who people are, an answer too small to show); every number beside it (n, count,
percent, interval, median) is then None, never a number. Percentages and interval ends are in
percent (0–100), to one decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class OptionInfo:
    """An answer option (or scale point, or dimension group) as shown."""

    code: str
    label: str


@dataclass
class Group:
    """One column of a table: everyone (code None) or one group of the breakdown."""

    code: str | None
    label: str
    n: int | None  # people in the group who answered the question
    suppressed: bool


@dataclass
class Cell:
    """How many in a group gave one answer."""

    group: str | None
    option: str
    label: str
    count: int | None
    percent: float | None
    ci_low: float | None
    ci_high: float | None
    base: int | None  # what the percentage is of
    suppressed: bool


@dataclass
class ScaleSummary:
    """A group's share on the positive and on the negative side of a scale.

    The base counts answers on the scale only: "Don't know" and "Not applicable" are left out.
    """

    group: str | None
    base: int | None
    positive_count: int | None
    positive_percent: float | None
    positive_ci_low: float | None
    positive_ci_high: float | None
    negative_count: int | None
    negative_percent: float | None
    negative_ci_low: float | None
    negative_ci_high: float | None
    suppressed: bool


@dataclass
class NumberSummary:
    """A group's median and quartiles for a number question."""

    group: str | None
    n: int | None
    median: float | None
    q1: float | None
    q3: float | None
    suppressed: bool


@dataclass
class Table:
    """One question's results, with its breakdown and filter, every number published.

    For a grid, `items` holds one Table per statement (question id "C2.a" and so on) and the
    grid's own groups and cells are empty.
    """

    question: str
    type: str
    text: str
    language: str
    by: str | None
    filters: dict[str, str]
    threshold: int  # the smallest group any number here comes from
    options: list[OptionInfo] = field(default_factory=list)
    positive: list[str] = field(default_factory=list)  # scale codes that count as positive
    negative: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    scale: list[ScaleSummary] = field(default_factory=list)
    numbers: list[NumberSummary] = field(default_factory=list)
    items: list[Table] = field(default_factory=list)
    refused: str | None = None  # a plain sentence when nothing of this query can be shown
    hidden_groups: bool = False  # some groups of the breakdown are hidden by the rule
    summary: str = ""  # one plain sentence (English)
    notes: list[str] = field(default_factory=list)  # plain sentences on what was hidden and why


@dataclass
class Flag:
    """A group of a protected characteristic answering differently from everyone else."""

    question: str  # answer key, e.g. "D2.c"
    question_text: str
    outcome: str  # what is compared, e.g. 'answered "Agree" or "Strongly agree"'
    outcome_codes: list[str]
    dimension: str
    dimension_label: str
    group: str
    group_label: str
    percent: float  # the group's percentage
    other_percent: float  # everyone else's
    gap: float  # percent - other_percent, in points
    base: int
    other_base: int
    p: float
    adjusted_p: float  # Benjamini–Hochberg over every comparison made
    sentence: str


@dataclass
class DimensionValue:
    """A group of a dimension, with its label in each language."""

    code: str
    label: dict[str, str]


@dataclass
class DimensionInfo:
    """A breakdown dimension, for the API and the breakdown selector."""

    id: str
    label: dict[str, str]
    protected: bool
    values: list[DimensionValue]
    family: str  # dimensions of one family are never combined with each other
    filter: bool  # whether results may be filtered by it
    fixed: bool  # the survey's audience fixes it (a sector survey): it does not break anything down


@dataclass
class FilterRules:
    """Which breakdowns and filters the engine allows, for the UI to offer only those."""

    max_filters: int
    filter_dimensions: list[str]
    comment_dimension: str | None  # the one dimension comments may be filtered by
    threshold: int  # k
    protected_threshold: int  # max(k, 10)
    comment_threshold: int  # max(k, 10)
    explanation: str


@dataclass
class QueryOptions:
    """The breakdowns and filters one question allows."""

    question: str
    by: list[str]  # dimensions it may be broken down by, without a filter
    filters: list[str]  # dimensions it may be filtered by, without a breakdown
    by_with_filter: dict[str, list[str]]  # filter dimension -> breakdowns allowed with it
    refused: str | None  # why the question has no table at all (free text), else None


@dataclass
class Breakdown:
    """Released responses by the groups of one dimension."""

    dimension: str
    label: str
    groups: list[Group]
    hidden_groups: bool


@dataclass
class Overview:
    """How many responses there are, in total and by each non-protected dimension."""

    responses: int | None
    suppressed: bool
    threshold: int
    batch: int  # the release batch the results are up to (results change a batch at a time)
    breakdowns: list[Breakdown]


@dataclass
class Comments:
    """Free-text answers to one question that may be shown, with those held back counted."""

    question: str
    text: str
    filters: dict[str, str]
    dimension: str | None  # the one dimension comments may be filtered by
    threshold: int
    n: int | None  # comments in the group, including held ones
    comments: list[str]
    held_for_review: int | None  # comments held back because they may identify someone
    suppressed: bool
    refused: str | None
    summary: str
