"""Who answered, against the membership: respondents and members by breakdown, and response rates.

The members come from the union's membership profile (survey/core/membership.py): its own
counts, not about anyone who answered. The respondents are the overview's published counts
(overview.py), gated exactly as the overview gates them: a group too small to show is hidden
here too ("Not shown (small group)"), and so are its share of respondents and its response rate.
Every figure is worked out from those published counts and the profile's members, so nothing
here says more about the respondents than the overview already does. Protected characteristics
in the profile are not compared here (they are only shown through the equality flags); they are
listed as kept for weighting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from .dimensions import Dim, structure
from .overview import overview
from .tables import Group, Overview


@dataclass(frozen=True)
class Membership:
    """A membership profile's counts for one survey's audience."""

    name: str
    as_of: date
    counts: Mapping[str, Mapping[str, int]]  # dimension id -> group code -> members
    audience: bool = False  # counts of the survey's audience only (a sector survey), not every member


@dataclass
class RepresentationGroup:
    """One group: its members, its (published) respondents, and the shares and rate they give."""

    code: str
    label: str
    members: int
    member_share: float | None  # % of the dimension's members in the profile
    respondents: int | None  # the overview's published count; None when not shown
    respondent_share: float | None  # % of the published responses
    response_rate: float | None  # published respondents / members, %
    suppressed: bool


@dataclass
class RepresentationBreakdown:
    """Respondents against members by the groups of one dimension."""

    dimension: str
    label: str
    members: int
    groups: list[RepresentationGroup]
    hidden_groups: bool


@dataclass
class Representation:
    """Who answered, against the membership profile, for one survey."""

    name: str
    as_of: date
    audience: bool
    responses: int | None  # published, as the overview; None when too few to show
    threshold: int
    breakdowns: list[RepresentationBreakdown]
    weighting_only: list[str] = field(default_factory=list)  # protected dimensions in the profile (labels)
    not_compared: list[str] = field(default_factory=list)  # in the profile, but not a breakdown of this survey


def representation(survey, membership: Membership, language: str = "en") -> Representation:
    """Return respondents against members for each non-protected breakdown in the profile."""
    return representation_of(overview(survey, language), membership, survey.questionnaire, language)


def representation_of(found: Overview, membership: Membership, questionnaire, language: str = "en") -> Representation:
    """Return the comparison from a survey's overview (see representation)."""
    dims = structure(questionnaire).dims
    by_id = {b.dimension: b for b in found.breakdowns}
    shown = None if found.suppressed else found.responses
    result = Representation(membership.name, membership.as_of, membership.audience, shown, found.threshold, [])
    for dim_id in sorted(membership.counts, key=lambda d: dims[d].position if d in dims else len(dims)):
        dim = dims.get(dim_id)
        if dim is None:  # a breakdown of the profile this survey's questionnaire does not have
            continue
        label = dim.label.get(language) or dim.label["en"]
        if dim.protected:
            result.weighting_only.append(label)
        elif shown is None:  # too few responses to show anything: nothing to compare yet
            continue
        elif dim_id not in by_id:  # fixed by the survey's audience
            result.not_compared.append(label)
        else:
            groups = {g.code: g for g in by_id[dim_id].groups}
            result.breakdowns.append(_compared(dim, label, membership.counts[dim_id], groups, shown, language))
    return result


def _compared(
    dim: Dim, label: str, members: Mapping[str, int], groups: Mapping[str, Group], responses: int, language: str
) -> RepresentationBreakdown:
    """Return one dimension's groups in the questionnaire's order, with what may be shown of each."""
    total = sum(members.values())
    order = [v.code for v in dim.values]
    rows = []
    for code in sorted(members, key=lambda code: order.index(code) if code in order else len(order)):
        group = groups.get(code)
        n = None if group is None or group.suppressed else group.n
        value = dim.value(code)
        rows.append(
            RepresentationGroup(
                code=code,
                label=group.label if group is not None else (value.label[language] if value else code),
                members=members[code],
                member_share=_percent(members[code], total),
                respondents=n,
                respondent_share=_percent(n, responses),
                response_rate=_percent(n, members[code], 2),
                suppressed=n is None,
            )
        )
    return RepresentationBreakdown(dim.id, label, total, rows, any(r.suppressed for r in rows))


def _percent(part: int | None, whole: int | None, places: int = 1) -> float | None:
    if part is None or not whole:
        return None
    return round(100 * part / whole, places)
