"""What may be asked of the results: answer keys, breakdowns and filters, and which queries are refused.

Also the listings a page offers from: the breakdown dimensions, the filter rules, and each
question's allowed breakdowns and filters (so that a page offers only those).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from ..questionnaire.model import ITEM_TYPES, TEXT_TYPES, Question, Questionnaire
from .dimensions import MAX_FILTERS, NO_ANSWER, Structure, comment_threshold, structure, threshold_for
from .slices import is_slice, slice_dimensions
from .tables import DimensionInfo, DimensionValue, FilterRules, QueryOptions


class UnknownQuestion(LookupError):
    """No question (or grid statement, or rank position) has this id."""


def language_for(questionnaire: Questionnaire, language: str | None) -> str:
    """Return the language asked for when the questionnaire has it, else the questionnaire's first."""
    return language if language in questionnaire.languages else questionnaire.languages[0]


def fixed_dimensions(survey_audience: Mapping[str, str] | None, questionnaire: Questionnaire) -> set[str]:
    """Return the dimensions a sector survey's audience fixes (everyone has the same answer)."""
    fixed = set()
    for key, code in (survey_audience or {}).items():
        if code and key in questionnaire.audience:
            fixed.add(questionnaire.audience[key])
    return fixed


def answer_key(questionnaire: Questionnaire, question_id: str) -> tuple[Question, str | None]:
    """Return the question and item for an answer key: "C2", a grid's or statements' row "C2.a", or
    a ranked priorities question's rank position "D2.1" (first choices)."""
    base, _, item = question_id.partition(".")
    try:
        question = questionnaire.question(base)
    except KeyError:
        raise UnknownQuestion(question_id) from None
    if item and not (
        (question.type in ITEM_TYPES and item in {i.code for i in question.items}) or rank_position(question, item)
    ):
        raise UnknownQuestion(question_id)
    return question, item or None


def rank_position(question: Question, item: str | None) -> int | None:
    """Return the rank position an item names ("1" = first choices) in a ranked priorities question."""
    if question.type != "priorities" or not question.rank or not item or not item.isdigit():
        return None
    return int(item) if 1 <= int(item) <= question.rank else None


def check_query(
    shape: Structure,
    question: Question,
    by: str | None,
    filters: Mapping[str, str],
    fixed: set[str],
    sliced: Collection[str] = (),
) -> str | None:
    """Return a plain sentence saying why a query is refused, or None when it is allowed.

    `sliced`: the dimensions a slice of a wider survey picks its members out by (slices.py); their
    families count as used, as the whole survey's filter to the slice would, so a slice never
    combines what that filter may not."""
    if question.type in TEXT_TYPES:
        return "Written answers are not counted; read them as comments, where they may be shown."
    if question.id in shape.sources and question.id not in shape.dims:
        family = shape.families[shape.sources[question.id]]
        names = ", ".join(shape.dims[d].label["en"] for d in family.dims)
        return f"This question is reported through the breakdowns made from it: {names}."
    if len(filters) > MAX_FILTERS:
        return f"Results can be filtered by one thing at a time (asked for {len(filters)})."
    for dim_id, code in filters.items():
        reason = _filter_problem(shape, dim_id, code, fixed)
        if reason:
            return reason
    if by is not None:
        if by not in shape.dims:
            return f"There is no breakdown called “{by}”."
        if by in fixed:
            return "Everyone in this survey is in the same group of this breakdown."
    own = shape.dims[question.id].family if question.id in shape.dims else None
    used = [d for d in [by, *filters] if d is not None]
    families = [shape.dims[d].family for d in used] + ([own] if own else [])
    if {shape.dims[d].family for d in sliced if d in shape.dims} & set(families):
        return (
            "This is made from the same answers as your slice (its service group, sector or region), "
            "so it cannot be shown within it."
        )
    if len(families) != len(set(families)):
        return "These two breakdowns are made from the same answers, so they cannot be combined."
    if sum(shape.families[f].protected for f in families) > 1:
        return "Two protected characteristics are never combined: the groups would be too small to show safely."
    return None


def _filter_problem(shape: Structure, dim_id: str, code: str, fixed: set[str]) -> str | None:
    dim = shape.dims.get(dim_id)
    if dim is None:
        return f"There is no filter called “{dim_id}”."
    if dim.protected:
        return "Results are never filtered by a protected characteristic; choose it as the breakdown instead."
    if dim_id in fixed:
        return "Everyone in this survey is in the same group of this filter."
    value = dim.value(code)
    if value is None or value.code == NO_ANSWER:
        return f"“{code}” is not a group of this filter."
    return None


def dimensions(survey) -> list[DimensionInfo]:
    """Return every breakdown dimension with its groups, labels in each language, and whether it filters."""
    questionnaire = survey.questionnaire
    return dimensions_of(questionnaire, fixed_dimensions(survey.audience, questionnaire))


def dimensions_of(questionnaire: Questionnaire, fixed: set[str] | None = None) -> list[DimensionInfo]:
    """Return the dimension listing of a questionnaire (see dimensions)."""
    shape = structure(questionnaire)
    fixed = fixed or set()
    return [
        DimensionInfo(
            id=dim.id,
            label=dict(dim.label),
            protected=dim.protected,
            values=[DimensionValue(v.code, dict(v.label)) for v in dim.values],
            family=dim.family,
            filter=dim.id in shape.filter_dims and dim.id not in fixed,
            fixed=dim.id in fixed,
        )
        for dim in shape.dims.values()
    ]


def filter_rules(survey) -> FilterRules:
    """Return the allowed filter family: which dimensions filter, how many at once, and the thresholds."""
    questionnaire = survey.questionnaire
    return filter_rules_of(questionnaire, survey.threshold, fixed_dimensions(survey.audience, questionnaire))


def filter_rules_of(questionnaire: Questionnaire, k: int, fixed: set[str] | None = None) -> FilterRules:
    """Return the filter rules of a questionnaire and threshold (see filter_rules)."""
    shape = structure(questionnaire)
    fixed = fixed or set()
    return FilterRules(
        max_filters=MAX_FILTERS,
        filter_dimensions=[d for d in shape.filter_dims if d not in fixed],
        comment_dimension=shape.comment_dim if shape.comment_dim not in fixed else None,
        threshold=k,
        protected_threshold=threshold_for(k, True),
        comment_threshold=comment_threshold(k),
        explanation=(
            "Results can be broken down by any one dimension, and filtered by one group of another "
            "(never a protected characteristic). Two dimensions made from the same answers are never "
            "combined, nor are two protected characteristics. A group is shown only when it has at least "
            "the threshold's number of members; every number is adjusted slightly to protect members."
        ),
    )


def query_options(survey, question_id: str) -> QueryOptions:
    """Return the breakdowns and filters a question allows, so that a page offers only those."""
    questionnaire = survey.questionnaire
    fixed = fixed_dimensions(survey.audience, questionnaire)
    sliced = slice_dimensions(questionnaire, survey.slice_audience) if is_slice(survey) else ()
    return query_options_of(questionnaire, question_id, fixed, sliced)


def query_options_of(
    questionnaire: Questionnaire, question_id: str, fixed: set[str] | None = None, sliced: Collection[str] = ()
) -> QueryOptions:
    """Return the query options of a question (see query_options)."""
    shape = structure(questionnaire)
    fixed = fixed or set()
    question, _ = answer_key(questionnaire, question_id)
    refused = check_query(shape, question, None, {}, fixed, sliced)
    if refused:
        return QueryOptions(question_id, [], [], {}, refused)

    def allowed(by: str | None, filter_dim: str | None) -> bool:
        filters = {}
        if filter_dim:
            code = next(v.code for v in shape.dims[filter_dim].values if v.code != NO_ANSWER)
            filters = {filter_dim: code}
        return check_query(shape, question, by, filters, fixed, sliced) is None

    dims = [d for d in shape.dims if d not in fixed]
    filters = [d for d in shape.filter_dims if d not in fixed and allowed(None, d)]
    return QueryOptions(
        question=question_id,
        by=[d for d in dims if allowed(d, None)],
        filters=filters,
        by_with_filter={f: [d for d in dims if allowed(d, f)] for f in filters},
        refused=None,
    )
