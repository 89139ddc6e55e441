"""The differences planted in the demo data, and a plain check that they are there.

The equality-impact flags should find each `Planted` difference; `planted_shares` recomputes a
difference straight from answer sets, independent of the results engine, for tests and docs.

`BIAS` is the planted response bias that weighting should correct: young members and London
members answer less often than their share of the membership (demo/membership.csv) and say more
often that their workload went up, so the unweighted share is too low; `BIAS.truth()` is the
share among all members, which the weighted share should find.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from survey.questionnaire.model import Questionnaire
from survey.questionnaire.rules import with_derived


@dataclass(frozen=True)
class Planted:
    """A difference built into the demo data that the equality-impact flags should find."""

    dimension: str  # a breakdown dimension of ai-at-work: a question or derived variable id
    group: str  # the group's code in that dimension
    answer: str  # the answer key: a question id, or a grid item such as "D2.c"
    codes: tuple[str, ...]  # the answers that count as the outcome
    points: int  # the gap planted: the group's share minus everyone else's, in percentage points
    summary: str


# The shares are of members who gave an answer on the scale ("Don't know" and "Not applicable"
# left out, as in % positive) or, for single-choice questions, of members who answered. "Everyone
# else" is every member who answered the dimension with another code ("Prefer not to say" aside).
PLANTED: tuple[Planted, ...] = (
    Planted(
        "disabled",
        "yes",
        "D2.c",
        ("4", "5"),
        14,
        "Disabled members are more likely to agree that monitoring has increased in the last two years.",
    ),
    Planted(
        "black_members",
        "yes",
        "I2",
        ("experienced", "both"),
        10,
        "Black members are more likely to say AI or monitoring put them at a disadvantage because of who they are.",
    ),
    Planted("L2", "female", "E1.a", ("3", "4"), 10, "Women are more worried that AI will make their job disappear."),
    Planted(
        "young_member",
        "yes",
        "G1",
        ("no_needed", "no_not_needed"),
        20,
        "Young members are more likely to have had no training on the AI they use or that affects their work.",
    ),
)

GAPS = {planted.answer: planted.points / 100 for planted in PLANTED}  # what the draws below add


def planted_shares(
    planted: Planted, questionnaire: Questionnaire, sets: Iterable[tuple[Mapping[str, Any], str]]
) -> tuple[float, float, int, int]:
    """Return (share in the group, share in everyone else, group base, everyone else's base).

    A plain recomputation from answer sets, independent of the results engine, so tests and
    docs can check that a planted difference is really there.
    """
    question = questionnaire.question(planted.answer.split(".")[0])
    off_scale = {o.code for o in question.scale.off_scale} if question.scale else set()
    hits, bases = [0, 0], [0, 0]
    for answers, language in sets:
        answer = answers.get(planted.answer)
        if answer is None or answer in off_scale:
            continue
        value = with_derived(questionnaire, answers, language).get(planted.dimension)
        if value in (None, "pnts"):
            continue
        side = 0 if value == planted.group else 1
        bases[side] += 1
        hits[side] += answer in planted.codes
    return hits[0] / max(bases[0], 1), hits[1] / max(bases[1], 1), bases[0], bases[1]


# --- the response bias weighting corrects ---------------------------------------------------------

MEMBERSHIP = Path(__file__).with_name("membership.csv")


@dataclass(frozen=True)
class Bias:
    """A response bias planted against the demo membership profile.

    A member's chance of answering `codes` of `answer` (among answers on the scale) is `base` plus
    the effect of their age band plus that of their region, and nothing else; members of the age
    bands and regions in `response` answer the survey at that rate relative to everyone else.
    """

    answer: str
    codes: tuple[str, ...]
    base: float
    by_age: Mapping[str, float]  # L1 code -> added chance
    by_region: Mapping[str, float]  # A5 code -> added chance
    response_by_age: Mapping[str, float]  # L1 code -> relative chance of answering the survey
    response_by_region: Mapping[str, float]  # A5 code -> relative chance of answering the survey
    summary: str

    def truth(self, questionnaire: Questionnaire) -> float:
        """Return the share among all members (the membership profile's age bands and regions),
        as a fraction: what a survey of everyone would find."""
        shares = membership_shares(questionnaire)
        age = sum(shares["L1"].get(code, 0.0) * added for code, added in self.by_age.items())
        region = sum(shares["A5"].get(code, 0.0) * added for code, added in self.by_region.items())
        return self.base + age + region


BIAS = Bias(
    answer="C1",
    codes=("1", "2"),
    base=0.50,
    by_age={"16_24": 0.25, "25_30": 0.20},
    by_region={"greater_london": 0.20},
    response_by_age={"16_24": 0.6, "25_30": 0.7},
    response_by_region={"greater_london": 0.45},
    summary=(
        "Young members and Londoners answer less often and more often say their workload went up, "
        "so unweighted results understate the share whose workload increased."
    ),
)


def membership_shares(questionnaire: Questionnaire) -> dict[str, dict[str, float]]:
    """Return each dimension's shares of members in demo/membership.csv, by dimension id and code."""
    by_label = {d.label["en"]: d for d in questionnaire.dimensions}
    counts: dict[str, dict[str, int]] = {}
    with MEMBERSHIP.open(newline="") as file:
        for row in csv.DictReader(file):
            dimension = by_label[row["dimension"]]
            code = next(o.code for o in dimension.values if row["group"] in o.label.values() or row["group"] == o.code)
            counts.setdefault(dimension.id, {})[code] = int(row["members"])
    return {d: {code: n / sum(c.values()) for code, n in c.items()} for d, c in counts.items()}
