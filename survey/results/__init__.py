"""The results engine: columnar snapshots, statistics, and ONE protection for every output.

Pages, charts, exports, the JSON API and the conference screen call only the functions below;
none of them reads a snapshot directly. No Flask request handling or HTTP here.
See docs/results.md (the method, for readers) and docs/decisions/0010-results-engine.md.
"""

from .comments import (
    HeldComment,
    HeldComments,
    approved_comments,
    comments,
    comments_of,
    decide_comments,
    held_comments,
    held_of,
    may_identify,
)
from .dimensions import COMMENT_MINIMUM, MAX_FILTERS, NO_ANSWER, PROTECTED_MINIMUM
from .engine import (
    UnknownQuestion,
    dimensions,
    dimensions_of,
    filter_rules,
    filter_rules_of,
    overview,
    overview_of,
    query_options,
    query_options_of,
    question_table,
    table_of,
)
from .flags import equality_flags, equality_flags_of
from .snapshot import forget, snapshot_for
from .tables import (
    Breakdown,
    Cell,
    Comments,
    DimensionInfo,
    DimensionValue,
    FilterRules,
    Flag,
    Group,
    NumberSummary,
    OptionInfo,
    Overview,
    QueryOptions,
    ScaleSummary,
    Table,
)

__all__ = [
    "COMMENT_MINIMUM",
    "MAX_FILTERS",
    "NO_ANSWER",
    "PROTECTED_MINIMUM",
    "Breakdown",
    "Cell",
    "Comments",
    "DimensionInfo",
    "DimensionValue",
    "FilterRules",
    "Flag",
    "Group",
    "HeldComment",
    "HeldComments",
    "NumberSummary",
    "OptionInfo",
    "Overview",
    "QueryOptions",
    "ScaleSummary",
    "Table",
    "UnknownQuestion",
    "approved_comments",
    "comments",
    "comments_of",
    "decide_comments",
    "dimensions",
    "dimensions_of",
    "equality_flags",
    "equality_flags_of",
    "filter_rules",
    "filter_rules_of",
    "forget",
    "held_comments",
    "held_of",
    "may_identify",
    "overview",
    "overview_of",
    "query_options",
    "query_options_of",
    "question_table",
    "snapshot_for",
    "table_of",
]
