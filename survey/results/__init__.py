"""The results engine: columnar snapshots, statistics, and ONE protection for every output.

Pages, charts, exports, the JSON API and the conference screen call only the functions below;
none of them reads a snapshot directly. No Flask request handling or HTTP here.
See docs/results.md (the method, for readers) and docs/decisions/0010-results-engine.md.
"""

from .answers import question_table, ranked, ranked_of, table_of
from .cache import forget, snapshot_for
from .comments import approved_comments, comments, comments_of
from .dimensions import COMMENT_MINIMUM, MAX_FILTERS, NO_ANSWER, PROTECTED_MINIMUM
from .flags import equality_flags, equality_flags_of
from .held import HeldComment, HeldComments, held_comments, held_of, may_identify, reviewable_responses
from .overview import overview, overview_of, slice_shown
from .queries import (
    UnknownQuestion,
    dimensions,
    dimensions_of,
    filter_rules,
    filter_rules_of,
    query_options,
    query_options_of,
)
from .representation import (
    Membership,
    Representation,
    RepresentationBreakdown,
    RepresentationGroup,
    representation,
    representation_of,
)
from .slices import SurveySlice, is_slice, reopened, slice_parts
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
    Ranked,
    RankedCell,
    RankedRow,
    ScaleSummary,
    Share,
    Table,
    Weighting,
)
from .waves import Waves, wave_changes
from .waves import by_group as waves_by_group
from .weighting import CannotWeight, survey_weighting

__all__ = [
    "COMMENT_MINIMUM",
    "MAX_FILTERS",
    "NO_ANSWER",
    "PROTECTED_MINIMUM",
    "Breakdown",
    "CannotWeight",
    "Cell",
    "Comments",
    "DimensionInfo",
    "DimensionValue",
    "FilterRules",
    "Flag",
    "Group",
    "HeldComment",
    "HeldComments",
    "Membership",
    "NumberSummary",
    "OptionInfo",
    "Overview",
    "QueryOptions",
    "Ranked",
    "RankedCell",
    "RankedRow",
    "Representation",
    "RepresentationBreakdown",
    "RepresentationGroup",
    "ScaleSummary",
    "Share",
    "SurveySlice",
    "Table",
    "UnknownQuestion",
    "Waves",
    "Weighting",
    "approved_comments",
    "comments",
    "comments_of",
    "dimensions",
    "dimensions_of",
    "equality_flags",
    "equality_flags_of",
    "filter_rules",
    "filter_rules_of",
    "forget",
    "held_comments",
    "held_of",
    "is_slice",
    "may_identify",
    "overview",
    "overview_of",
    "query_options",
    "query_options_of",
    "question_table",
    "ranked",
    "ranked_of",
    "reopened",
    "representation",
    "representation_of",
    "reviewable_responses",
    "slice_parts",
    "slice_shown",
    "snapshot_for",
    "survey_weighting",
    "table_of",
    "wave_changes",
    "waves_by_group",
]
