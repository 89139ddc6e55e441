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
    effective_n: int | None = None  # weighted tables: the group's effective sample size (Kish)


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
    unweighted_percent: float | None = None  # weighted tables: the percentage before weighting


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
    unweighted_positive_percent: float | None = None  # weighted tables: before weighting
    unweighted_negative_percent: float | None = None


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
    ranked: Ranked | None = None  # statements and priorities: the ranked results (see Ranked)
    refused: str | None = None  # a plain sentence when nothing of this query can be shown
    hidden_groups: bool = False  # some groups of the breakdown are hidden by the rule
    summary: str = ""  # one plain sentence (English)
    notes: list[str] = field(default_factory=list)  # plain sentences on what was hidden and why
    weighting: Weighting | None = None  # set when the percentages are weighted to the membership


@dataclass
class Weighting:
    """How a survey's percentages are weighted to its membership profile (weighting.py).

    Every figure is worked out from published counts: `design_effect` is Kish's, n Σw² / (Σw)² over
    the published counts of the weighting classes; `respondents` the published number of responses
    (as the overview), and `effective` respondents / design effect (the effective sample size).
    """

    profile: str
    as_of: str  # the profile's date, ISO
    dimensions: list[str]  # labels of the breakdowns weighted to (English)
    respondents: int
    effective: int
    design_effect: float
    trim: tuple[float, float]  # weights are kept within these multiples of the mean weight
    trimmed: int  # weighting classes whose weight was trimmed
    labels: dict[str, list[str]] = field(default_factory=dict)  # the dimensions' labels by language


@dataclass
class Share:
    """A published count and its percentage of a base, with its 95% Wilson interval."""

    count: int
    percent: float
    ci_low: float
    ci_high: float


@dataclass
class RankedCell:
    """One statement (or priority option) in one group; every number None when not shown.

    Statements fill support, oppose, unsure (each of the members of the group who answered the
    statement, "Not sure" included) and net support: % support − % oppose, in points, with its 95%
    interval. Priorities fill chosen (picked, or ranked in the top N) and, when ranked, first
    (ranked first), each of the members of the group who answered the question.
    """

    group: str | None
    base: int | None  # what the percentages are of (a published count)
    suppressed: bool
    support: Share | None = None
    oppose: Share | None = None
    unsure: Share | None = None
    net: float | None = None
    net_low: float | None = None
    net_high: float | None = None
    chosen: Share | None = None
    first: Share | None = None


@dataclass
class RankedRow:
    """One statement or option, with a cell per group (in the order of Ranked.groups)."""

    code: str  # the statement's item code, or the option's code
    key: str  # its answer key in exports and the API: "D1.a" (a statement), "D2" (priorities)
    label: str
    rank: int | None  # 1 = most support (or most chosen) among everyone or the filter's group; None: not shown
    close: bool  # too close to tell apart from the row above (the adjustment could swap them)
    cells: list[RankedCell] = field(default_factory=list)


@dataclass
class Ranked:
    """A consultation question's results, ranked: the draft statements by net support, or the
    priorities by how often they were chosen (in the top N). One call gives them to every page:
    results.ranked(survey, question_id, by=None, filters=None, language="en").

    `groups` are everyone (or the filter's group) and each group of the breakdown, side by side:
    n is how many of the group answered the question (any statement), and a group not shown reads
    "Not shown (small group)". `options` are a statement's answers (Support, Oppose, Not sure, with
    the questionnaire's labels) or the priorities' options.
    """

    question: str
    type: str  # "statements" or "priorities"
    text: str
    language: str
    by: str | None
    filters: dict[str, str]
    threshold: int
    options: list[OptionInfo] = field(default_factory=list)
    choose: int | None = None  # priorities: each member chose exactly this many
    rank: int | None = None  # priorities: each member ranked their top this many
    groups: list[Group] = field(default_factory=list)
    rows: list[RankedRow] = field(default_factory=list)  # in rank order; rows not shown last
    summary: str = ""  # one plain sentence (English)
    notes: list[str] = field(default_factory=list)
    refused: str | None = None
    hidden_groups: bool = False

    @property
    def shown(self) -> list[RankedRow]:
        """The rows shown for everyone (or the filter's group), in rank order: those with a rank."""
        return [row for row in self.rows if row.rank is not None]


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
    # The language each shown comment's member answered in ("en", "cy"), in the order of
    # `comments`: pages mark a comment in the other language with lang, for screen readers.
    languages: list[str] = field(default_factory=list)
