"""Synthetic demo responses: seeded, realistic, correlated, with planted equality differences.

`flask --app wsgi demo --responses N --seed S` adds N released responses to the demo survey, so
that a newcomer's dashboards, breakdowns and equality flags have something to show and the
benchmarks have a union-sized survey (issues 5 and 7). The same seed and count give the same
answers; response ids are always fresh and random.

Fast: answers are drawn column by column with numpy, each question's codes as one array
conditioned on earlier columns and on a few hidden traits (age, sex, disability, ethnicity). Each
answer set's JSON is glued from pre-rendered fragments such as `,"A1":"health"` with one
str.join, and rows go in by executemany (SQLite) or COPY (PostgreSQL), a transaction per chunk.

Valid: every draw follows the questionnaire's routing (pages and questions shown by show_if,
sector options offered by service group, exclusive options, max_choices, grid items, write-ins),
and tests/test_demo.py puts generated answer sets through clean_answers() and the member's own
page reader.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from .extensions import db
from .models import LONDON, Response, Survey, SurveyDay, utcnow
from .questionnaire.model import Questionnaire
from .questionnaire.rules import with_derived
from .results.protection import KEYS
from .results.snapshot import prime

CHUNK = 20_000  # answer sets drawn, inserted and committed together
DAYS = 21  # the demo survey's submissions are spread over the last three weeks


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

# --- who answers: weights shaped like the union's membership -----------------------------------

SERVICE_GROUPS = {
    "local_gov": 0.40,
    "health": 0.35,
    "higher_ed": 0.05,
    "police_justice": 0.05,
    "community": 0.06,
    "wet": 0.03,
    "energy": 0.03,
    "dk": 0.03,
}

SECTORS = {
    "health": {
        "acute_hospital": 0.42,
        "ambulance": 0.08,
        "mental_health": 0.12,
        "community_health": 0.15,
        "primary_care": 0.08,
        "nhs_national": 0.03,
        "nhs_contractor": 0.06,
        "health_other": 0.06,
    },
    "local_gov": {
        "adult_social_care": 0.16,
        "childrens_services": 0.12,
        "schools": 0.28,
        "fe_college": 0.04,
        "housing": 0.06,
        "revenues_contact": 0.07,
        "environment_highways": 0.06,
        "libraries_leisure": 0.04,
        "corporate": 0.10,
        "lg_other": 0.05,
        "lg_other_body": 0.02,
    },
    "higher_ed": {"university": 0.85, "campus_contractor": 0.10, "he_other": 0.05},
    "police_justice": {
        "police_ew": 0.62,
        "police_scotland": 0.10,
        "probation": 0.18,
        "cafcass": 0.04,
        "pj_contractor": 0.03,
        "pj_other": 0.03,
    },
    "community": {"charity": 0.45, "housing_association": 0.40, "social_enterprise": 0.10, "comm_other": 0.05},
    "wet": {"water": 0.35, "environment_body": 0.30, "transport": 0.25, "wet_other": 0.10},
    "energy": {"electricity": 0.35, "gas": 0.25, "energy_retail": 0.30, "energy_other": 0.10},
}
SECTOR_OTHER = 0.005  # "Something else (please tell us)", offered to everyone

REGIONS = {
    "eastern": 0.075,
    "east_midlands": 0.07,
    "greater_london": 0.09,
    "northern": 0.07,
    "north_west": 0.12,
    "south_east": 0.09,
    "south_west": 0.08,
    "west_midlands": 0.09,
    "yorkshire_humberside": 0.09,
    "cymru_wales": 0.07,
    "scotland": 0.11,
    "northern_ireland": 0.035,
    "dk": 0.01,
}
ENGLAND = ("eastern", "east_midlands", "greater_london", "northern", "north_west", "south_east", "south_west")
ENGLAND += ("west_midlands", "yorkshire_humberside")
REGIONS_ALLOWED = {  # employers that exist only in some nations
    "police_scotland": ("scotland",),
    "police_ew": (*ENGLAND, "cymru_wales", "dk"),
    "probation": (*ENGLAND, "cymru_wales", "dk"),
    "cafcass": (*ENGLAND, "dk"),
}
WELSH_ANSWERS = {"cymru_wales": 0.22}  # share answering in Welsh; 0.2% elsewhere
WELSH_ELSEWHERE = 0.002

EMPLOYERS = {"public_body": 0.93, "private_contractor": 0.02, "voluntary": 0.01, "agency": 0.03, "other": 0.01}
EMPLOYERS_BY_SECTOR = {
    "adult_social_care": {"public_body": 0.55, "private_contractor": 0.35, "voluntary": 0.07, "agency": 0.03},
    "schools": {"public_body": 0.86, "private_contractor": 0.08, "agency": 0.05, "other": 0.01},
    "nhs_contractor": {"private_contractor": 0.92, "agency": 0.06, "other": 0.02},
    "pj_contractor": {"private_contractor": 0.95, "agency": 0.05},
    "campus_contractor": {"private_contractor": 0.92, "agency": 0.06, "other": 0.02},
    "university": {"uni_college": 0.95, "agency": 0.03, "other": 0.02},
    "he_other": {"uni_college": 0.80, "private_contractor": 0.12, "other": 0.08},
    "fe_college": {"uni_college": 0.94, "agency": 0.04, "other": 0.02},
    "charity": {"voluntary": 0.93, "other": 0.07},
    "housing_association": {"housing_assoc": 0.96, "other": 0.04},
    "social_enterprise": {"voluntary": 0.80, "other": 0.20},
    "comm_other": {"voluntary": 0.60, "housing_assoc": 0.20, "other": 0.20},
    "water": {"utility": 0.95, "agency": 0.05},
    "transport": {"utility": 0.85, "public_body": 0.10, "agency": 0.05},
    "wet_other": {"utility": 0.60, "public_body": 0.35, "other": 0.05},
    "electricity": {"utility": 0.96, "agency": 0.04},
    "gas": {"utility": 0.96, "agency": 0.04},
    "energy_retail": {"utility": 0.90, "agency": 0.10},
    "energy_other": {"utility": 0.90, "other": 0.10},
    "other": {"public_body": 0.5, "private_contractor": 0.2, "voluntary": 0.2, "other": 0.1},
}

ROLES = {
    "frontline": 0.15,
    "control_room": 0.04,
    "casework": 0.06,
    "admin": 0.25,
    "care_clinical": 0.10,
    "technical": 0.08,
    "investigation": 0.01,
    "facilities": 0.12,
    "manager": 0.08,
    "other": 0.02,
}
ROLES_BY_SECTOR = {  # multipliers on ROLES
    "acute_hospital": {"care_clinical": 3, "facilities": 1.5},
    "ambulance": {"control_room": 12, "care_clinical": 1.5},
    "mental_health": {"care_clinical": 3, "frontline": 1.5},
    "community_health": {"care_clinical": 3, "frontline": 1.5},
    "primary_care": {"admin": 2.5},
    "nhs_national": {"admin": 1.5, "technical": 3},
    "adult_social_care": {"care_clinical": 4, "frontline": 2},
    "childrens_services": {"casework": 6},
    "schools": {"frontline": 3, "facilities": 1.5},
    "revenues_contact": {"control_room": 10, "admin": 1.5},
    "energy_retail": {"control_room": 10},
    "corporate": {"admin": 2, "technical": 3},
    "housing": {"frontline": 2, "casework": 2},
    "housing_association": {"frontline": 2, "casework": 2},
    "police_ew": {"control_room": 5, "investigation": 15, "admin": 1.5},
    "police_scotland": {"control_room": 5, "investigation": 15, "admin": 1.5},
    "probation": {"casework": 8},
    "cafcass": {"casework": 8},
    "environment_highways": {"facilities": 2, "technical": 2},
    "water": {"facilities": 2, "technical": 2},
    "transport": {"facilities": 2, "technical": 1.5},
}

# AI in use at work (B1): a log-odds score from the sector and the role.
AI_BASE = -0.8
AI_BY_SECTOR = {
    "ambulance": 0.8,
    "acute_hospital": 0.3,
    "primary_care": 0.5,
    "nhs_national": 0.7,
    "revenues_contact": 0.9,
    "corporate": 0.8,
    "childrens_services": 0.4,
    "adult_social_care": 0.2,
    "police_ew": 0.6,
    "police_scotland": 0.4,
    "probation": 0.8,
    "cafcass": 0.7,
    "energy_retail": 1.0,
    "university": 0.5,
    "schools": -0.6,
    "environment_highways": -0.4,
    "libraries_leisure": -0.5,
    "charity": -0.2,
}
AI_BY_ROLE = {
    "control_room": 1.0,
    "admin": 0.4,
    "technical": 0.8,
    "casework": 0.5,
    "manager": 0.3,
    "care_clinical": -0.2,
    "facilities": -1.0,
}

# Hidden traits, drawn first so that later answers can depend on them.
AGES = {"16_24": 0.04, "25_30": 0.08, "31_39": 0.16, "40_49": 0.23, "50_59": 0.31, "60_64": 0.12, "65_plus": 0.06}
DISABLED_BY_AGE = (0.10, 0.11, 0.12, 0.14, 0.19, 0.24, 0.24)
FEMALE_BY_GROUP = {
    "health": 0.80,
    "local_gov": 0.80,
    "higher_ed": 0.62,
    "police_justice": 0.68,
    "community": 0.75,
    "wet": 0.35,
    "energy": 0.45,
    "dk": 0.78,
}
BLACK_BY_REGION = {  # UNISON's inclusive "Black members" group
    "greater_london": 0.42,
    "west_midlands": 0.20,
    "east_midlands": 0.14,
    "yorkshire_humberside": 0.12,
    "north_west": 0.12,
    "eastern": 0.12,
    "south_east": 0.10,
    "south_west": 0.05,
    "northern": 0.05,
    "cymru_wales": 0.05,
    "scotland": 0.05,
    "northern_ireland": 0.04,
    "dk": 0.12,
}
WHITE_GROUPS = {
    "white_british": 0.90,
    "white_irish": 0.02,
    "gypsy_traveller": 0.003,
    "roma": 0.002,
    "white_other": 0.075,
}
BLACK_GROUPS = {
    "mixed_white_black_caribbean": 0.06,
    "mixed_white_black_african": 0.03,
    "mixed_white_asian": 0.04,
    "mixed_other": 0.03,
    "indian": 0.16,
    "pakistani": 0.09,
    "bangladeshi": 0.04,
    "chinese": 0.03,
    "asian_other": 0.05,
    "caribbean": 0.16,
    "african": 0.22,
    "black_other": 0.02,
    "arab": 0.015,
    "other_ethnic": 0.025,
}
RELIGIONS = {
    "no_religion": 0.47,
    "christian": 0.46,
    "buddhist": 0.005,
    "hindu": 0.003,
    "jewish": 0.005,
    "muslim": 0.01,
    "sikh": 0.002,
    "other": 0.015,
}
RELIGIONS_BY_ETHNICITY = {
    "pakistani": {"muslim": 0.88, "no_religion": 0.08, "other": 0.04},
    "bangladeshi": {"muslim": 0.90, "no_religion": 0.07, "other": 0.03},
    "arab": {"muslim": 0.80, "christian": 0.12, "no_religion": 0.08},
    "indian": {"hindu": 0.45, "sikh": 0.22, "muslim": 0.12, "christian": 0.08, "no_religion": 0.10, "other": 0.03},
    "african": {"christian": 0.72, "muslim": 0.16, "no_religion": 0.10, "other": 0.02},
    "caribbean": {"christian": 0.62, "no_religion": 0.33, "other": 0.05},
    "chinese": {"no_religion": 0.60, "christian": 0.22, "buddhist": 0.15, "other": 0.03},
}

# Free text: a few plain sentences. A few (CONTACT_SHARE) carry an email address or a phone number
# (fictional: example.org and Ofcom's drama range), so the comment-moderation rule has something to
# hold back.
COMMENTS = {
    "en": (
        "The new system writes our case notes, but we spend ages correcting them.",
        "Nobody asked us before the chatbot went live, and now the public get angry with us on the phone.",
        "AI could help with the paperwork if we had proper training and time to learn it.",
        "Our call times are tracked to the second and it is making people ill.",
        "Please make sure a person always checks decisions about vulnerable people.",
        "The rota system ignores my caring responsibilities.",
        "Savings from AI should go back into frontline staff, not into cuts.",
        "I worry my job will be downgraded once the software does half of it.",
        "Transcription saves me about an hour a day. That time should be ours.",
        "We were told the monitoring was for security, but managers use it to check on us.",
    ),
    "cy": (
        "Does neb wedi esbonio sut mae'r system newydd yn gwneud penderfyniadau.",
        "Mae'r offer trawsgrifio'n arbed amser, ond mae angen hyfforddiant arnon ni.",
        "Rydw i'n poeni y bydd fy swydd yn cael ei hisraddio.",
    ),
}
INCIDENTS = {
    "en": (
        "A colleague with dyslexia was marked down by the automatic quality checker.",
        "The voice recognition could not understand my accent, so my calls were flagged for review.",
        "The rota tool kept giving night shifts to staff on reduced hours after maternity leave.",
        "Targets set by the system ignored my reasonable adjustments.",
        "The face recognition at the entrance failed for Black colleagues far more often.",
        "The absence system flagged a disabled colleague for triggers caused by their condition.",
    ),
    "cy": (
        "Cafodd fy nghydweithiwr anabl ei farcio i lawr gan y system.",
        "Doedd y system adnabod llais ddim yn deall fy acen.",
    ),
}
CONTACT = {
    "en": (
        "Happy to talk more about this: email me at sam.jones@example.org",
        "Our branch would like to help with the campaign, ring 07700 900461.",
        "I can explain more if you write to me at j.smith@example.org",
    ),
    "cy": ("Cysylltwch â fi ar 07700 900118 os oes angen mwy o wybodaeth.",),
}
CONTACT_SHARE = 0.05
WRITE_INS = {
    "A2.other": ("Prison healthcare", "A leisure trust", "Court service"),
    "A3.other": ("A trust that runs services for the council", "A joint venture company"),
    "A4.other": ("Porter", "Interpreter", "Trainer"),
    "B2.other": ("Automatic translation", "Number plate recognition"),
    "F2.other": ("Service users", "Pensions"),
    "L3.no": ("Non-binary", "Trans woman", "Trans man"),
    "L4.other": ("Asexual", "Pansexual", "Queer"),
    "L5.white_other": ("Polish", "Italian", "Romanian", "Portuguese"),
    "L5.mixed_other": ("Black and Asian", "Arab and White"),
    "L5.asian_other": ("Sri Lankan", "Filipino", "Nepali"),
    "L5.black_other": ("Black British", "Black Welsh"),
    "L5.other_ethnic": ("Turkish", "Kurdish", "Latin American"),
    "L8.other": ("Pagan", "Spiritualist", "Rastafarian"),
}
WRITE_IN_SHARE = 0.6  # of members who pick an "Other (please tell us)" option


# --- vectorised draws --------------------------------------------------------------------------


def _vec(codes: Iterable[str], weights: Mapping[str, float], default: float = 0.0) -> np.ndarray:
    """Return weights aligned to codes; a weight for a code the questionnaire lacks is a bug."""
    codes = tuple(codes)
    unknown = set(weights) - set(codes)
    if unknown:
        raise ValueError(f"demo tables name codes the questionnaire does not have: {sorted(unknown)}")
    return np.array([weights.get(code, default) for code in codes], dtype=float)


def _matrix(
    rows: Iterable[str],
    codes: Iterable[str],
    table: Mapping[str, Mapping[str, float]],
    default: np.ndarray,
    fill: float = 0.0,
) -> np.ndarray:
    """Return one weight row per parent code: the table's row (others `fill`) where it has one, else `default`."""
    codes = tuple(codes)
    return np.array([_vec(codes, table[row], fill) if row in table else default for row in rows])


def _tilt(base: Iterable[float], t: np.ndarray) -> np.ndarray:
    """Return (n, k) weights: an ordered scale's weights leaning towards its top by t (0 = as is)."""
    base = np.asarray(tuple(base), dtype=float)
    steps = np.arange(len(base)) - (len(base) - 1) / 2
    return base * np.exp(np.multiply.outer(t, steps))


def _share(p: np.ndarray, weights: Iterable[float], inside: Iterable[bool]) -> np.ndarray:
    """Return (n, k) weights that give the `inside` categories share p between them, the rest 1 - p."""
    weights, inside = np.asarray(tuple(weights), float), np.asarray(tuple(inside), bool)
    within = np.where(inside, weights / weights[inside].sum(), 0.0)
    without = np.where(inside, 0.0, weights / weights[~inside].sum())
    return np.multiply.outer(p, within) + np.multiply.outer(1 - p, without)


class _Rows:
    """Answers for a chunk, column by column, turned into one JSON text per member."""

    def __init__(self) -> None:
        self.columns: list[list[str]] = []

    def codes(self, key: str, codes: tuple[str, ...], index: np.ndarray) -> None:
        """Add a single answer per member; index -1 leaves it out."""
        fragments = np.array([f",{json.dumps(key)}:{json.dumps(c, ensure_ascii=False)}" for c in codes] + [""], object)
        self.columns.append(fragments[index].tolist())  # index -1 picks the "" at the end

    def sets(self, key: str, codes: tuple[str, ...], mask: np.ndarray) -> None:
        """Add a multiple-choice answer per member from bit masks over codes; 0 leaves it out."""
        unique, inverse = np.unique(mask, return_inverse=True)
        fragments = np.array([self._set_fragment(key, codes, int(m)) for m in unique], dtype=object)
        self.columns.append(fragments[inverse.reshape(-1)].tolist())

    @staticmethod
    def _set_fragment(key: str, codes: tuple[str, ...], mask: int) -> str:
        chosen = [code for bit, code in enumerate(codes) if mask >> bit & 1]
        return f",{json.dumps(key)}:{json.dumps(chosen)}" if chosen else ""

    def json(self) -> list[str]:
        """Return each member's answers as JSON text (every member answers A1, so none is empty)."""
        return ["{" + row[1:] + "}" for row in map("".join, zip(*self.columns, strict=True))]


class _Chunk:
    """Draw n members' answers, question by question, each conditioned on what came before."""

    def __init__(self, questionnaire: Questionnaire, rng: np.random.Generator, n: int) -> None:
        self.q, self.rng, self.n = questionnaire, rng, n
        self.rows = _Rows()
        self.index: dict[str, np.ndarray] = {}  # single-choice answers so far, as code indexes (-1 none)

    # -- primitives

    def uniform(self) -> np.ndarray:
        """Return n uniform draws in [0, 1)."""
        return self.rng.random(self.n)

    def chance(self, p: float | np.ndarray) -> np.ndarray:
        """Return n coin tosses, each true with probability p."""
        return self.rng.random(self.n) < p

    def linked(self, shared: np.ndarray, rho: float) -> np.ndarray:
        """Return uniforms equal to `shared` for a share rho of members and fresh otherwise.

        Each is still uniform, so a draw through it keeps its planned shares exactly, while
        answers drawn through the same `shared` go together (a member's general concern).
        """
        return np.where(self.chance(rho), shared, self.uniform())

    def category(self, weights: np.ndarray, u: np.ndarray | None = None) -> np.ndarray:
        """Return one category index per member from (k,) or (n, k) weights (rows need not sum to 1)."""
        cum = np.cumsum(weights, axis=-1)
        cum = cum / cum[..., -1:]
        u = self.uniform() if u is None else u
        if cum.ndim == 1:
            return np.searchsorted(cum, u, side="right")
        return (u[:, None] >= cum).sum(axis=1)

    def codes(self, question_id: str) -> tuple[str, ...]:
        """Return a question's answer codes."""
        return self.q.question(question_id).codes

    def is_(self, question_id: str, *codes: str) -> np.ndarray:
        """Return whether each member's answer to a single-choice question is one of codes."""
        all_codes = self.codes(question_id)
        wanted = [all_codes.index(code) for code in codes]
        return np.isin(self.index[question_id], wanted)

    def answered(self, index: np.ndarray, shown: np.ndarray | bool = True, skip: float = 0.0) -> np.ndarray:
        """Return index with -1 for members not shown the question or choosing to skip it."""
        keep = np.asarray(shown) & ~self.chance(skip) if skip else np.broadcast_to(shown, index.shape)
        return np.where(keep, index, -1)

    # -- answers

    def record(
        self,
        question_id: str,
        index: np.ndarray,
        shown: np.ndarray | bool = True,
        skip: float = 0.0,
        key: str | None = None,
    ) -> np.ndarray:
        """Record a single answer per member (a code index), or one grid item's under `key`."""
        index = self.answered(index, shown, skip)
        self.rows.codes(key or question_id, self.codes(question_id), index)
        if key is None:
            self.index[question_id] = index
            self.write_ins(question_id, index)
        return index

    def single(
        self,
        question_id: str,
        weights: np.ndarray,
        shown: np.ndarray | bool = True,
        skip: float = 0.0,
        u: np.ndarray | None = None,
    ) -> np.ndarray:
        """Draw and record a single-choice answer from (k,) or (n, k) weights over its codes."""
        return self.record(question_id, self.category(weights, u), shown, skip)

    def scale(
        self,
        question_id: str,
        on_scale: np.ndarray,
        off_scale: Mapping[str, float | np.ndarray],
        shown: np.ndarray | bool = True,
        skip: float = 0.0,
        u: np.ndarray | None = None,
        key: str | None = None,
    ) -> np.ndarray:
        """Draw and record a scale answer: first whether it is off the scale, then where on it.

        `u` places members on the scale, so items drawn through related uniforms go together;
        off-scale answers ("Don't know", "Not applicable") are drawn apart from it, so a share
        planted on the scale stays the share among members who answered on the scale.
        """
        codes = self.codes(question_id)
        index = self.category(on_scale, u)
        r, below = self.uniform(), np.zeros(self.n)
        for code, p in off_scale.items():
            index = np.where((r >= below) & (r < below + p), codes.index(code), index)
            below = below + p
        return self.record(question_id, index, shown, skip, key)

    def grid(
        self,
        question_id: str,
        items: Mapping[str, tuple[np.ndarray, Mapping[str, float | np.ndarray], np.ndarray | None]],
        shown: np.ndarray | bool = True,
        skip: float = 0.0,
        skip_item: float = 0.02,
    ) -> dict[str, np.ndarray]:
        """Draw and record a grid: each item (on-scale weights, off-scale shares, uniforms) on its key."""
        question = self.q.question(question_id)
        assert set(items) == {item.code for item in question.items}
        shown = np.asarray(shown) & ~self.chance(skip)
        return {
            code: self.scale(question_id, on, off, shown, skip_item, u, key=f"{question_id}.{code}")
            for code, (on, off, u) in items.items()
        }

    def multi(
        self,
        question_id: str,
        chances: Mapping[str, float | np.ndarray],
        exclusive: Mapping[str, float | np.ndarray] | None = None,
        shown: np.ndarray | bool = True,
        skip: float = 0.0,
    ) -> np.ndarray:
        """Draw and record a multiple choice: each option by its own chance, or one exclusive alone.

        A member whose tosses chose nothing takes the most likely option, so nobody shown a
        required question leaves it empty unless they skip it on purpose.
        """
        codes = self.codes(question_id)
        probs = np.column_stack([np.broadcast_to(np.asarray(chances.get(c, 0.0), float), (self.n,)) for c in codes])
        chosen = self.rng.random(probs.shape) < np.minimum(probs, 0.95)
        empty = ~chosen.any(axis=1)
        chosen[empty, probs[empty].argmax(axis=1)] = True
        mask = chosen.astype(np.int64) @ (1 << np.arange(len(codes), dtype=np.int64))
        r, below = self.uniform(), np.zeros(self.n)
        for code, p in (exclusive or {}).items():
            mask = np.where((r >= below) & (r < below + p), 1 << codes.index(code), mask)
            below = below + p
        return self.record_multi(question_id, mask, shown, skip)

    def top(
        self, question_id: str, weights: Mapping[str, float], counts: Iterable[float], skip: float = 0.0
    ) -> np.ndarray:
        """Draw and record a "choose up to k" question: k by `counts`, then k options by weight."""
        codes = self.codes(question_id)
        w = _vec(codes, weights)
        keys = np.log(np.where(w > 0, w, 1e-300)) - np.log(-np.log(self.rng.random((self.n, len(codes)))))
        rank = np.argsort(np.argsort(-keys, axis=1), axis=1)  # Gumbel top-k: weighted, no repeats
        k = self.category(np.asarray(tuple(counts), float)) + 1
        assert k.max() <= (self.q.question(question_id).max_choices or len(codes))
        chosen = (rank < k[:, None]) & (w > 0)
        mask = chosen.astype(np.int64) @ (1 << np.arange(len(codes), dtype=np.int64))
        return self.record_multi(question_id, mask, True, skip)

    def record_multi(self, question_id: str, mask: np.ndarray, shown: np.ndarray | bool, skip: float) -> np.ndarray:
        """Record multiple-choice bit masks (0 = not answered) and their write-ins."""
        mask = np.where(self.answered(np.ones(self.n, int), shown, skip) >= 0, mask, 0)
        self.rows.sets(question_id, self.codes(question_id), mask)
        codes = self.codes(question_id)
        for option in self.q.question(question_id).options:
            if option.other:
                bit = 1 << codes.index(option.code)
                self.write_in(f"{question_id}.{option.code}", (mask & bit) > 0)
        return mask

    def write_ins(self, question_id: str, index: np.ndarray) -> None:
        """Record write-ins for the "please tell us" options a single-choice answer picked."""
        codes = self.codes(question_id)
        for option in self.q.question(question_id).options:
            if option.other:
                self.write_in(f"{question_id}.{option.code}", index == codes.index(option.code))

    def write_in(self, key: str, picked: np.ndarray) -> None:
        """Record a short write-in for some of the members who picked an "Other" option."""
        pool = WRITE_INS[key]
        which = self.rng.integers(0, len(pool), self.n)
        self.rows.codes(key, pool, np.where(picked & self.chance(WRITE_IN_SHARE), which, -1))

    def text(self, key: str, pool: Mapping[str, tuple[str, ...]], writes: np.ndarray) -> None:
        """Record free text in each member's language: a plain sentence, now and then contact details."""
        contact = self.chance(CONTACT_SHARE)
        texts: list[str] = []
        which = np.full(self.n, -1)
        for language in ("en", "cy"):
            for sentences, picked in ((pool[language], ~contact), (CONTACT[language], contact)):
                mine = picked & (self.welsh == (language == "cy"))
                which = np.where(mine, len(texts) + self.rng.integers(0, len(sentences), self.n), which)
                texts += sentences
        self.rows.codes(key, tuple(texts), np.where(writes, which, -1))

    # -- the questionnaire, section by section

    def draw(self) -> tuple[list[str], list[str]]:
        """Return (language, answers JSON) for every member of the chunk."""
        self.job()
        self.traits()
        self.ai()
        self.workload()
        self.monitoring()
        self.job_security()
        self.pay()
        self.training()
        self.voice()
        self.fairness()
        self.data_and_comments()
        self.about_you()
        return np.where(self.welsh, "cy", "en").tolist(), self.rows.json()

    def job(self) -> None:
        """Section A: service group, sector, employer, role, region, hours, place, union role."""
        groups = self.codes("A1")
        group = self.single("A1", _vec(groups, SERVICE_GROUPS))
        sectors = self.codes("A2")
        by_group = {g: _vec(sectors, {**s, "other": SECTOR_OTHER}) for g, s in SECTORS.items()}
        # "Not sure" is offered every sector: membership-weighted across the groups.
        by_group["dk"] = sum(SERVICE_GROUPS[g] * w / w.sum() for g, w in by_group.items())
        sector = self.single("A2", np.array([by_group[g] for g in groups])[group])
        self.sector = sector

        default = _vec(self.codes("A3"), EMPLOYERS)
        self.single("A3", _matrix(sectors, self.codes("A3"), EMPLOYERS_BY_SECTOR, default)[sector])

        roles = self.codes("A4")
        multipliers = _matrix(sectors, roles, ROLES_BY_SECTOR, np.ones(len(roles)), fill=1.0)
        role = self.single("A4", _vec(roles, ROLES) * multipliers[sector])

        regions = self.codes("A5")
        base = _vec(regions, REGIONS)
        allowed = np.array(
            [
                np.isin(regions, REGIONS_ALLOWED[s]) if s in REGIONS_ALLOWED else np.ones(len(regions), bool)
                for s in sectors
            ]
        )
        region = self.single("A5", base * allowed[sector])
        welsh_share = _vec(regions, WELSH_ANSWERS, WELSH_ELSEWHERE)
        self.welsh = self.chance(welsh_share[region])
        self.wales = self.is_("A5", "cymru_wales") | self.welsh

        # Hidden traits that the job answers depend on: sex drives part-time work.
        self.female = self.chance(_vec(groups, FEMALE_BY_GROUP)[group])
        hours = np.where(self.female[:, None], [[0.52, 0.38, 0.06, 0.04]], [[0.78, 0.14, 0.05, 0.03]])
        self.single("A6", hours)
        self.role = role
        places = np.tile([0.60, 0.20, 0.07, 0.13], (self.n, 1))
        desk = self.is_("A4", "admin", "technical", "casework", "control_room", "manager")
        places[desk] *= [1, 2.5, 2, 0.5]
        places[self.is_("A4", "frontline", "care_clinical")] *= [1, 0.3, 0.1, 2]
        places[self.is_("A4", "facilities")] *= [1.5, 0.1, 0.05, 1.5]
        self.single("A7", places)

        rep = self.chance(0.12)
        roles_held = {"steward": 0.6, "hs_rep": 0.3, "learning_rep": 0.1, "branch_officer": 0.25}
        self.multi("A8", roles_held, {"none": np.where(rep, 0.0, 1.0)}, skip=0.03)

    def traits(self) -> None:
        """Hidden traits (age, disability, ethnicity, religion): asked last, but they shape answers."""
        ages = tuple(AGES)
        self.age = self.category(np.array(tuple(AGES.values())))
        self.young = self.age <= ages.index("25_30")
        self.disabled = self.chance(np.array(DISABLED_BY_AGE)[self.age])
        black_share = _vec(self.codes("A5"), BLACK_BY_REGION)[self.index["A5"]]
        self.black = self.chance(black_share)
        ethnicities = tuple(c for c in self.codes("L5") if c != "pnts")
        white = self.category(_vec(ethnicities, WHITE_GROUPS))
        black = self.category(_vec(ethnicities, BLACK_GROUPS))
        self.ethnicity = np.where(self.black, black, white)
        religions = tuple(c for c in self.codes("L8") if c != "pnts")
        table = _matrix(ethnicities, religions, RELIGIONS_BY_ETHNICITY, _vec(religions, RELIGIONS))
        self.religion = self.category(table[self.ethnicity])
        self.concern = self.uniform()  # general unease about AI and monitoring, shared across answers

    def ai(self) -> None:
        """Section B: whether AI is used, which kinds, how it touches the member's own work."""
        score = (
            AI_BASE + _vec(self.codes("A2"), AI_BY_SECTOR)[self.sector] + _vec(self.codes("A4"), AI_BY_ROLE)[self.role]
        )
        in_use = self.chance(1 / (1 + np.exp(-score)))
        use_me = np.where(self.is_("A4", "control_room", "admin", "technical", "casework"), 0.72, 0.55)
        use_me = np.where(self.is_("A4", "facilities"), 0.35, use_me)
        dont_know = np.where(self.is_("A4", "facilities", "care_clinical"), 0.58, 0.46)
        weights = np.column_stack(
            [
                in_use * use_me,
                in_use * (1 - use_me),
                ~in_use * 0.22,
                ~in_use * (0.78 - dont_know),
                ~in_use * dont_know,
            ]
        )
        self.single("B1", weights)
        self.use_me = self.is_("B1", "use_me")
        self.ai_use = self.is_("B1", "use_me", "use_not_me")
        self.ai_any = self.is_("B1", "use_me", "use_not_me", "planned")
        planned = self.is_("B1", "planned")

        lean = np.where(planned, 0.6, 1.0)  # plans are vaguer than systems already running
        kinds = {
            "genai_assistant": 0.50 * np.where(self.is_("A4", "admin", "technical", "manager"), 1.3, 1.0),
            "transcription": 0.22 * np.where(self.is_("A4", "casework"), 2.2, 1.0),
            "call_triage": 0.08 * np.where(self.is_("A4", "control_room"), 8.0, 1.0),
            "risk_scoring": 0.07 * np.where(self.is_("A4", "casework"), 4.0, 1.0),
            "rostering": 0.12 * np.where(self.is_("A4", "care_clinical", "facilities"), 2.0, 1.0),
            "performance_analytics": 0.14 * np.where(self.is_("A4", "control_room"), 2.5, 1.0),
            "public_chatbot": 0.12 * np.where(self.is_("A2", "revenues_contact", "energy_retail"), 3.0, 1.0),
            "document_processing": 0.16 * np.where(self.is_("A4", "admin"), 1.5, 1.0),
            "hr_screening": 0.06,
            "biometric": 0.03 * np.where(self.is_("A2", "police_ew", "police_scotland"), 3.0, 1.0),
            "clinical_support": 0.04 * np.where(self.is_("A4", "care_clinical") & self.is_("A1", "health"), 4.0, 1.0),
            "other": 0.015,
        }
        kinds = {code: p * lean for code, p in kinds.items()}
        self.multi("B2", kinds, {"dk": np.where(planned, 0.20, 0.08)}, shown=self.ai_any)

        tasks = {
            "writing": 0.45,
            "recording": 0.35 * np.where(self.is_("A4", "casework"), 1.6, 1.0),
            "assessment": 0.15 * np.where(self.is_("A4", "casework"), 2.5, 1.0),
            "prioritising": 0.22 * np.where(self.is_("A4", "control_room"), 2.0, 1.0),
            "scheduling": 0.15 * np.where(self.is_("A4", "care_clinical", "facilities"), 2.0, 1.0),
            "public_contact": 0.18 * np.where(self.is_("A4", "control_room"), 2.0, 1.0),
            "checking": 0.30,
            "monitoring_me": 0.14 * np.where(self.is_("A4", "control_room"), 2.5, 1.0),
        }
        self.multi("B3", tasks, {"none": np.where(self.use_me, 0.05, 0.55)}, shown=self.ai_use, skip=0.05)
        use = np.where(
            self.use_me[:, None], [[0.04, 0.08, 0.12, 0.28, 0.30, 0.18]], [[0.55, 0.20, 0.10, 0.10, 0.04, 0.01]]
        )
        self.single("B4", use, shown=self.ai_use)
        self.single("B5", np.array([0.33, 0.25, 0.08, 0.05, 0.17, 0.12]), shown=self.ai_use, skip=0.04)

    def workload(self) -> None:
        """Section C: workload over the year, what AI changed, impossible targets."""
        change = np.where(self.ai_use[:, None], [[0.02, 0.04, 0.22, 0.32, 0.36]], [[0.03, 0.05, 0.30, 0.32, 0.26]])
        workload = self.scale("C1", change, {"dk": 0.04}, u=self.linked(self.concern, 0.3))
        # Members who hardly use AI themselves mostly report no change.
        calm = np.where(self.use_me, 0.0, 0.5)

        def item(base: list[float], dk: float, towards: int = 1) -> tuple[np.ndarray, dict, np.ndarray]:
            weights = np.multiply.outer(1 - calm, np.array(base) / sum(base)) + np.multiply.outer(calm, [0, 0, 1, 0, 0])
            u = self.linked(self.concern, 0.4)
            return weights, {"dk": dk}, (u if towards > 0 else 1 - u)

        self.grid(
            "C2",
            {
                "a": item([0.02, 0.06, 0.40, 0.30, 0.22], 0.06),
                "b": item([0.02, 0.05, 0.40, 0.30, 0.23], 0.06),
                "c": item([0.08, 0.17, 0.35, 0.24, 0.16], 0.07),
                "d": item([0.10, 0.18, 0.50, 0.14, 0.08], 0.10, -1),
                "e": item([0.02, 0.03, 0.35, 0.35, 0.25], 0.08),
                "f": item([0.02, 0.05, 0.38, 0.30, 0.25], 0.05),
                "g": item([0.12, 0.22, 0.48, 0.12, 0.06], 0.06, -1),
                "h": item([0.08, 0.17, 0.42, 0.22, 0.11], 0.08, -1),
            },
            shown=self.ai_use,
            skip=0.05,
        )
        more = np.isin(workload, [self.codes("C1").index("1"), self.codes("C1").index("2")])
        self.single(
            "C3", np.where(more[:, None], [[0.06, 0.14, 0.35, 0.30, 0.15]], [[0.18, 0.25, 0.35, 0.15, 0.07]]), skip=0.03
        )

    def monitoring(self) -> None:
        """Section D: how members are monitored, what they think of it, whether it was used on them."""
        more = np.where(self.ai_use, 1.25, 1.0)
        calls = self.is_("A4", "control_room")
        desk = self.is_("A4", "admin", "technical")
        police = self.is_("A2", "police_ew", "police_scotland")
        kinds = {
            "email_msgs": 0.30 * np.where(desk, 1.4, 1.0),
            "computer_activity": 0.28 * np.where(calls, 1.8, np.where(desk, 1.6, 1.0)),
            "keystroke_active": 0.08 * np.where(calls, 3.0, np.where(desk, 1.5, 1.0)),
            "call_recording": 0.10 * np.where(calls, 6.0, 1.0),
            "location": 0.10 * np.where(self.is_("A7", "mobile"), 4.0, 1.0),
            "body_worn": 0.04 * np.where(police | self.is_("A2", "ambulance"), 4.0, 1.0),
            "cctv": 0.45,
            "webcam_home": 0.03 * np.where(self.is_("A7", "home"), 4.0, 1.0),
            "productivity_dash": 0.15 * np.where(calls, 3.0, np.where(self.is_("A4", "casework"), 2.5, 1.0)),
            "biometric_clockin": 0.05,
            "wearables": 0.02,
            "emotion": 0.02 * np.where(calls, 3.0, 1.0),
        }
        kinds = {code: p * more for code, p in kinds.items()}
        dont_know = np.where(self.is_("A4", "facilities"), 0.25, 0.14)
        self.multi("D1", kinds, {"none": 0.08, "dk": dont_know})

        # Planted: disabled members more likely to agree monitoring has increased.
        increased = 0.33 + np.where(self.ai_use, 0.08, -0.04) + GAPS["D2.c"] * self.disabled
        watched = _tilt([0.12, 0.30, 0.28, 0.20, 0.10], np.where(self.ai_use, 0.35, 0.0))
        off = {"dk": 0.06, "na": 0.03}
        u = self.linked
        self.grid(
            "D2",
            {
                "a": (np.array([0.15, 0.30, 0.27, 0.22, 0.06]), off, 1 - u(self.concern, 0.3)),
                "b": (np.array([0.10, 0.22, 0.38, 0.24, 0.06]), {"dk": 0.12, "na": 0.04}, 1 - u(self.concern, 0.4)),
                "c": (
                    _share(increased, [0.15, 0.40, 0.45, 0.65, 0.35], [False, False, False, True, True]),
                    {"dk": 0.09, "na": 0.03},
                    u(self.concern, 0.3),
                ),
                "d": (watched, {"dk": 0.04, "na": 0.03}, u(self.concern, 0.5)),
                "e": (np.array([0.05, 0.15, 0.30, 0.32, 0.18]), {"dk": 0.08, "na": 0.03}, u(self.concern, 0.5)),
                "f": (np.array([0.18, 0.32, 0.28, 0.17, 0.05]), {"dk": 0.14, "na": 0.03}, 1 - u(self.concern, 0.3)),
            },
            skip=0.04,
        )
        used = np.where(self.ai_use[:, None], [[0.06, 0.16, 0.34, 0.44]], [[0.03, 0.09, 0.41, 0.47]])
        self.single("D3", used, skip=0.05)

    def job_security(self) -> None:
        """Section E: worries about AI, what has happened already, support or replacement."""
        lean = np.where(self.ai_use, 0.3, 0.0)
        # Planted: women more worried their job will disappear.
        disappear = 0.36 + GAPS["E1.a"] * self.female + np.where(self.ai_use, 0.04, -0.02)
        dk = {"dk": 0.06}
        u = self.linked

        def item(base: list[float], dk_share: float) -> tuple[np.ndarray, dict, np.ndarray]:
            return _tilt(base, lean), {"dk": dk_share}, u(self.concern, 0.5)

        self.grid(
            "E1",
            {
                "a": (
                    _share(disappear, [0.35, 0.65, 0.65, 0.35], [False, False, True, True]),
                    dk,
                    u(self.concern, 0.5),
                ),
                "b": item([0.22, 0.38, 0.27, 0.13], 0.06),
                "c": item([0.18, 0.35, 0.30, 0.17], 0.07),
                "d": item([0.18, 0.34, 0.28, 0.20], 0.08),
                "e": item([0.22, 0.38, 0.26, 0.14], 0.10),
                "f": item([0.08, 0.20, 0.37, 0.35], 0.07),
            },
            skip=0.04,
        )
        happened = {
            "posts_cut": 0.14,
            "vacancies_unfilled": 0.20,
            "restructure": 0.18,
            "tasks_to_ai": 0.22,
            "new_tasks": 0.25,
            "hours_cut": 0.04,
        }
        self.multi("E2", happened, {"none": 0.25, "dk": 0.22}, shown=self.ai_use, skip=0.06)
        planned = self.is_("B1", "planned")
        support = np.where(planned[:, None], [[0.22, 0.22, 0.08, 0.35, 0.13]], [[0.30, 0.30, 0.10, 0.18, 0.12]])
        self.single("E3", support, shown=self.ai_any, skip=0.04)

    def pay(self) -> None:
        """Section F: regrading, who should gain from AI, where savings went."""
        regrade = np.where(
            self.use_me[:, None], [[0.38, 0.03, 0.05, 0.30, 0.06, 0.18]], [[0.60, 0.01, 0.02, 0.15, 0.03, 0.19]]
        )
        self.single("F1", regrade, shown=self.ai_use, skip=0.05)
        gains = {
            "pay": 0.55,
            "time": 0.35,
            "reinvest_services": 0.55,
            "more_staff": 0.50,
            "training": 0.30,
            "lower_costs": 0.05,
            "other": 0.008,
        }
        self.top("F2", gains, [0.15, 0.25, 0.60], skip=0.05)
        savings = {
            "reinvested": 0.08,
            "cut_staff": 0.14,
            "time_back": 0.06,
            "more_work": 0.32,
            "pay_improved": 0.02,
            "no_savings": 0.22,
        }
        self.multi("F3", savings, {"dk": 0.40}, shown=self.ai_use, skip=0.08)

    def training(self) -> None:
        """Section G: training on the AI in use, confidence in support to come."""
        # Planted: young members more likely to have had no training.
        none = 0.48 + GAPS["G1"] * self.young
        had = np.array([0.35, 0.65, 0, 0])
        lacking = np.where(self.use_me[:, None], [[0, 0, 0.78, 0.22]], [[0, 0, 0.55, 0.45]])
        weights = np.multiply.outer(1 - none, had) + none[:, None] * lacking
        training = self.single("G1", weights, shown=self.ai_use, skip=0.03)
        codes = self.codes("G1")
        lean = np.select(
            [training == codes.index("yes_enough"), training == codes.index("no_needed")], [0.8, -0.5], default=0.0
        )
        self.scale("G2", _tilt([0.14, 0.28, 0.30, 0.22, 0.06], lean), {"dk": 0.05}, skip=0.03)

    def voice(self) -> None:
        """Section H: consultation, transparency, priorities for negotiators."""
        self.single("H1", np.array([0.10, 0.17, 0.33, 0.18, 0.22]), shown=self.ai_any, skip=0.04)
        na = np.where(self.ai_any, 0.0, 0.30)  # "Not applicable" where no AI is used, as the hint says

        def item(base: list[float], dk: float, na_share: float) -> tuple[np.ndarray, dict, np.ndarray]:
            return np.array(base), {"dk": dk, "na": na_share + na}, 1 - self.linked(self.concern, 0.3)

        self.grid(
            "H2",
            {
                "a": item([0.14, 0.28, 0.30, 0.22, 0.06], 0.08, 0.05),
                "b": item([0.18, 0.32, 0.28, 0.17, 0.05], 0.10, 0.05),
                "c": item([0.15, 0.27, 0.30, 0.21, 0.07], 0.16, 0.06),
                "d": item([0.25, 0.35, 0.25, 0.11, 0.04], 0.08, 0.04),
                "e": item([0.28, 0.34, 0.26, 0.09, 0.03], 0.18, 0.05),
                "f": item([0.12, 0.26, 0.25, 0.28, 0.09], 0.08, 0.04),
            },
            skip=0.04,
        )
        priorities = {
            "duty_to_consult": 0.45,
            "human_review": 0.50,
            "limit_surveillance": 0.40,
            "job_protection": 0.65,
            "share_gains": 0.25,
            "reinvest": 0.20,
            "equality_assessment": 0.15,
            "data_rights": 0.18,
            "public_control": 0.22,
            "training": 0.30,
        }
        self.top("H3", priorities, [0.10, 0.20, 0.70], skip=0.04)

    def fairness(self) -> None:
        """Section I: who could be treated less fairly, whether it happened, what happened."""
        groups = {
            "disabled": 0.38 * np.where(self.disabled, 1.4, 1.0),
            "ethnic_minority": 0.30 * np.where(self.black, 1.8, 1.0),
            "women": 0.15,
            "older": 0.35,
            "younger": 0.10,
            "lgbt": 0.08,
            "pregnant_carers": 0.22,
            "part_time": 0.20,
            "accents_language": 0.22,
            "welsh_speakers": np.where(self.wales, 0.15, 0.0),  # offered only in Wales or in Welsh
        }
        self.multi("I1", groups, {"none": 0.18, "dk": 0.22}, skip=0.06)
        # Planted: Black members more likely to say it happened to them.
        happened = 0.06 + GAPS["I2"] * self.black
        rest = 1 - happened - 0.10
        weights = np.column_stack([happened * 0.75, np.full(self.n, 0.10), happened * 0.25, rest * 0.6, rest * 0.4])
        told = self.single("I2", weights, skip=0.05)
        codes = self.codes("I2")
        eligible = np.isin(told, [codes.index(c) for c in ("experienced", "witnessed", "both")])
        self.text("I3", INCIDENTS, eligible & self.chance(0.3))

    def data_and_comments(self) -> None:
        """Sections J and K: data and who controls it; open comments."""
        u = self.linked
        self.grid(
            "J1",
            {
                "a": (np.array([0.12, 0.28, 0.25, 0.28, 0.07]), {"dk": 0.05, "na": 0.02}, 1 - u(self.concern, 0.3)),
                "b": (np.array([0.12, 0.22, 0.32, 0.27, 0.07]), {"dk": 0.06, "na": 0.02}, 1 - u(self.concern, 0.5)),
                "c": (np.array([0.12, 0.22, 0.30, 0.22, 0.06]), {"dk": 0.18, "na": 0.08}, 1 - u(self.concern, 0.4)),
                "d": (np.array([0.30, 0.32, 0.22, 0.10, 0.03]), {"dk": 0.10, "na": 0.02}, 1 - u(self.concern, 0.4)),
                "e": (np.array([0.02, 0.04, 0.14, 0.34, 0.46]), {"dk": 0.08, "na": 0.02}, u(self.concern, 0.3)),
            },
            skip=0.04,
        )
        private = self.is_("A3", "private_contractor")
        where = {
            "private_ai_supplier": 0.25,
            "private_data": 0.20,
            "outsourced_tech": 0.06 * np.where(private, 3.0, 1.0),
            "outsourcing_planned": 0.07,
        }
        self.multi("J2", where, {"none": 0.15, "dk": 0.50}, skip=0.05)
        self.text("K1", COMMENTS, self.chance(0.10))

    def about_you(self) -> None:
        """Section L: the equality questions, all optional, from the hidden traits.

        Some members skip the whole page, some single questions; some prefer not to say.
        """
        reticent = self.chance(0.05)

        def told(
            question_id: str, index: np.ndarray, skip: float, pnts: float, shown: np.ndarray | bool = True
        ) -> None:
            index = np.where(self.chance(pnts), self.codes(question_id).index("pnts"), index)
            self.record(question_id, index, shown & ~reticent, skip)

        told("L1", self.age, 0.05, 0.03)
        told("L2", np.where(self.female, 0, 1), 0.05, 0.02)
        trans = self.chance(0.005)
        told("L3", np.where(trans, 1, 0), 0.09, 0.03)
        told("L4", self.category(np.array([0.94, 0.025, 0.03, 0.005, 0.0])), 0.09, 0.05)
        told("L5", self.ethnicity, 0.06, 0.03)
        # A long-term condition (L6) for every disabled member and some others; L7 tells them apart.
        condition = self.disabled | self.chance(0.10)
        told("L6", np.where(condition, 0, 1), 0.07, 0.03)
        limited = np.where(self.disabled, np.where(self.chance(0.35), 0, 1), 2)
        told("L7", limited, 0.03, 0.02, shown=self.is_("L6", "yes"))
        told("L8", self.religion, 0.09, 0.05)
        fluent = np.where(self.welsh[:, None], [[0.80, 0.18, 0.02]], [[0.08, 0.20, 0.72]])
        told("L9", self.category(fluent), 0.07, 0.04, shown=self.wales)


def generate(questionnaire: Questionnaire, n: int, seed: int) -> Iterator[tuple[list[str], list[str]]]:
    """Yield (languages, answers JSON) for n members, CHUNK at a time; the same seed and n, the same answers."""
    rng = np.random.default_rng(seed)
    for start in range(0, n, CHUNK):
        yield _Chunk(questionnaire, rng, min(CHUNK, n - start)).draw()


def answer_sets(questionnaire: Questionnaire, n: int, seed: int) -> list[tuple[dict[str, Any], str]]:
    """Return n generated (answers, language) pairs, parsed: for tests and checks."""
    return [
        (json.loads(text), language)
        for languages, texts in generate(questionnaire, n, seed)
        for language, text in zip(languages, texts, strict=True)
    ]


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


# --- writing rows ------------------------------------------------------------------------------

BASE_COLUMNS = ("id", "survey_id", "questionnaire_version_id", "language", "answers")


@dataclass(frozen=True)
class Added:
    """What `add_responses` did."""

    count: int
    seed: int
    seconds: float  # drawing and writing the responses, and the daily counts
    primed_seconds: float = 0.0  # then bringing the stored results snapshot up to date


def random_ids(n: int) -> list[str]:
    """Return n random version-4 UUIDs as 32 hex digits (how SQLAlchemy's Uuid is stored on SQLite).

    This is uuid.uuid4() done n at a time: 16 bytes from os.urandom with the version and variant
    bits set. Ids never come from the seed, so rows added twice with one seed are still new rows.
    """
    raw = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = raw[:, 6] & 0x0F | 0x40
    raw[:, 8] = raw[:, 8] & 0x3F | 0x80
    text = raw.tobytes().hex()
    return [text[i : i + 32] for i in range(0, 32 * n, 32)]


def random_keys(n: int) -> list[int]:
    """Return n record keys in [0, KEYS), as release_batch draws them (protection.draw_keys), but
    n at a time: numpy's generator seeded from the operating system's random source, never from
    the demo's seed."""
    return np.random.default_rng(secrets.randbits(128)).integers(0, KEYS, size=n).tolist()


def _columns(table: sa.Table) -> tuple[str, ...]:
    """Return the columns to write: the known ones, then `record_key` and `batch` (last) when the
    response table has them.

    Read at run time so that a column added by a later migration is either filled or refused
    here, never silently left to a default that may mean something.
    """
    names = list(BASE_COLUMNS)
    extra = {column.name for column in table.columns} - set(names)
    for column in table.columns:
        if column.name in names or column.name in ("record_key", "batch"):
            continue
        if not column.nullable and column.server_default is None:
            raise RuntimeError(f"response.{column.name} is new: teach survey/demo.py how to fill it")
    return (*names, *(name for name in ("record_key", "batch") if name in extra))


# A chunk's release batch number is only known under the survey lock, in the chunk's own
# transaction; PostgreSQL payloads carry this marker where it goes (JSON text never holds a NUL).
BATCH_MARK = "\x00"


def _sqlite_rows(columns: tuple[str, ...], rows: list[tuple]) -> tuple[str, list[tuple], bool]:
    """Return an INSERT for executemany and its rows (the JSON is already text, as the JSON type stores it)."""
    statement = f"INSERT INTO response ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    return statement, rows, "batch" in columns


def _sqlite_write(connection: Any, payload: tuple[str, list[tuple], bool], survey_id: int) -> None:
    statement, rows, batched = payload
    cursor = connection.cursor()
    cursor.execute("BEGIN IMMEDIATE")  # the write lock before reading the last batch number
    if batched:
        batch = _next_batch(cursor, survey_id, "?")
        rows = [(*row, batch) for row in rows]
    cursor.executemany(statement, rows)
    cursor.close()


def _postgresql_rows(columns: tuple[str, ...], rows: list[tuple]) -> tuple[str, str, bool]:
    """Return a COPY statement and its data in text format: tab-separated, backslashes doubled, no NULLs."""
    end = f"\t{BATCH_MARK}\n" if "batch" in columns else "\n"
    data = "".join("\t".join(map(str, row)) + end for row in rows).replace("\\", "\\\\")
    return f"COPY response ({', '.join(columns)}) FROM STDIN", data, "batch" in columns


def _postgresql_write(connection: Any, payload: tuple[str, str, bool], survey_id: int) -> None:
    statement, data, batched = payload
    with connection.cursor() as cursor:
        if batched:
            # The lock release_batch takes: batches of one survey commit in the order of their numbers.
            cursor.execute("SELECT id FROM survey WHERE id = %s FOR UPDATE", (survey_id,))
            data = data.replace(BATCH_MARK, str(_next_batch(cursor, survey_id, "%s")))
        with cursor.copy(statement) as copy:
            copy.write(data)


def _next_batch(cursor: Any, survey_id: int, placeholder: str) -> int:
    """Return the survey's next release batch number: one above its last."""
    cursor.execute(f"SELECT MAX(batch) FROM response WHERE survey_id = {placeholder}", (survey_id,))
    (last,) = cursor.fetchone()
    return (last or 0) + 1


# How each database takes a chunk: (prepare the payload while drawing, write it on the writer thread).
WRITERS: dict[str, tuple[Callable[[tuple[str, ...], list[tuple]], Any], Callable[[Any, Any, int], None]]] = {
    "sqlite": (_sqlite_rows, _sqlite_write),
    "postgresql": (_postgresql_rows, _postgresql_write),
}


def add_responses(survey: Survey, n: int, seed: int) -> Added:
    """Add n synthetic, already released responses to a survey, spread them over its daily counts,
    and store the survey's results snapshot.

    Each chunk of CHUNK rows is one transaction and, when responses carry release batch
    numbers, one batch: a failure part-way leaves whole chunks only. Storing the snapshot
    (`survey.results.snapshot.prime`) reads the new rows once here, so that no worker has to
    parse every response's JSON for its first dashboard: each loads the stored columns instead.
    """
    started = time.perf_counter()
    dialect = db.engine.dialect.name
    if dialect not in WRITERS:
        raise RuntimeError(f"demo responses can be written to SQLite or PostgreSQL, not {dialect}")
    prepare, write = WRITERS[dialect]
    columns = _columns(Response.__table__)
    questionnaire, survey_id, version_id = survey.questionnaire, survey.id, survey.questionnaire_version_id
    db.session.commit()  # nothing of ours left open while the writer's connection writes

    def payloads() -> Iterator[Any]:
        for languages, texts in generate(questionnaire, n, seed):
            ids = random_ids(len(texts))
            rows = [(i, survey_id, version_id, lang, text) for i, lang, text in zip(ids, languages, texts, strict=True)]
            if "record_key" in columns:  # drawn for each response, as a release draws them
                rows = [(*row, key) for row, key in zip(rows, random_keys(len(rows)), strict=True)]
            yield prepare(columns, rows)

    _write_behind(db.engine, lambda connection, payload: write(connection, payload, survey_id), payloads())
    count_days(survey, n)
    if dialect == "postgresql":  # fresh planner statistics, so reads of the new rows plan for their size
        with db.engine.connect() as connection:
            connection.execute(sa.text("ANALYZE response"))
            connection.commit()
    written = time.perf_counter()
    prime(survey)
    return Added(n, seed, written - started, time.perf_counter() - written)


def _write_behind(engine: sa.Engine, write: Callable[[Any, Any], None], payloads: Iterable[Any]) -> None:
    """Write and commit each payload on a second thread while the next one is drawn on this one.

    Drawing is Python and numpy; writing mostly waits on the database (sqlite3_step and the
    PostgreSQL server run without the GIL), so on two cores the two overlap. The first error on
    either side stops both and is raised here.
    """
    pending: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []
    stop = threading.Event()

    def work() -> None:
        pooled = None
        try:
            pooled = engine.raw_connection()
            connection = pooled.driver_connection
            while (payload := pending.get()) is not None:
                if not stop.is_set():
                    write(connection, payload)
                    connection.commit()
        except BaseException as error:
            failed.append(error)
            stop.set()
            while pending.get() is not None:  # let the drawing side finish putting
                pass
        finally:
            if pooled is not None:
                pooled.close()  # rolls back anything uncommitted

    writer = threading.Thread(target=work, name="demo-writer", daemon=True)
    writer.start()
    try:
        for payload in payloads:
            if stop.is_set():
                break
            pending.put(payload)
    except BaseException:
        stop.set()
        raise
    finally:
        pending.put(None)
        writer.join()
    if failed:
        raise failed[0]


def count_days(survey: Survey, n: int) -> None:
    """Add n submissions (and a few more starts) to the survey's daily counts over the last three weeks.

    A launch-day peak that tails off, a reminder bump after ten days, quieter weekends.
    """
    today = utcnow().astimezone(LONDON).date()
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    since = np.arange(DAYS)
    weights = np.exp(-since / 4) + np.where(since >= 10, 0.5 * np.exp(-(since - 10) / 2.5), 0) + 0.06
    weights *= [0.45 if day.weekday() >= 5 else 1.0 for day in days]
    submitted = _apportion(n, weights)
    stored = {
        row.day: row
        for row in db.session.scalars(
            sa.select(SurveyDay).where(SurveyDay.survey_id == survey.id, SurveyDay.day.in_(days), SurveyDay.shard == 0)
        )
    }
    for day, count in zip(days, submitted, strict=True):
        if not count:
            continue
        row = stored.get(day) or SurveyDay(survey_id=survey.id, day=day, started=0, submitted=0)
        db.session.add(row)
        row.submitted += count
        row.started += count + round(count * 0.22)  # some who start never submit
    db.session.commit()


def _apportion(n: int, weights: np.ndarray) -> list[int]:
    """Return whole numbers in proportion to weights that add up to exactly n (largest remainder)."""
    exact = n * weights / weights.sum()
    whole = np.floor(exact).astype(int)
    short = n - int(whole.sum())
    whole[np.argsort(whole - exact)[:short]] += 1
    return whole.tolist()
