"""The members' answers, section by section of the ai-at-work questionnaire, and the generator.

Answers are drawn column by column with numpy, each question's codes as one array conditioned on
earlier columns and on a few hidden traits (age, sex, disability, ethnicity). Every draw follows
the questionnaire's routing (pages and questions shown by show_if, sector options offered by
service group, exclusive options, max_choices, grid items, write-ins).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from survey.questionnaire.model import Questionnaire

from .draws import Draws, matrix, share, tilt, vec
from .planted import BIAS, GAPS
from .tables import (
    AGES,
    AI_BASE,
    AI_BY_ROLE,
    AI_BY_SECTOR,
    BLACK_BY_REGION,
    BLACK_GROUPS,
    COMMENTS,
    DISABLED_BY_AGE,
    EMPLOYERS,
    EMPLOYERS_BY_SECTOR,
    FEMALE_BY_GROUP,
    INCIDENTS,
    REGIONS,
    REGIONS_ALLOWED,
    RELIGIONS,
    RELIGIONS_BY_ETHNICITY,
    ROLES,
    ROLES_BY_SECTOR,
    SECTOR_OTHER,
    SECTORS,
    SERVICE_GROUPS,
    WELSH_ANSWERS,
    WELSH_ELSEWHERE,
    WHITE_GROUPS,
)

CHUNK = 20_000  # answer sets drawn, inserted and committed together


class Chunk(Draws):
    """Draw n members' answers, question by question, each conditioned on what came before."""

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
        group = self.single("A1", vec(groups, SERVICE_GROUPS))
        sectors = self.codes("A2")
        by_group = {g: vec(sectors, {**s, "other": SECTOR_OTHER}) for g, s in SECTORS.items()}
        # "Not sure" is offered every sector: membership-weighted across the groups.
        by_group["dk"] = sum(SERVICE_GROUPS[g] * w / w.sum() for g, w in by_group.items())
        sector = self.single("A2", np.array([by_group[g] for g in groups])[group])
        self.sector = sector

        default = vec(self.codes("A3"), EMPLOYERS)
        self.single("A3", matrix(sectors, self.codes("A3"), EMPLOYERS_BY_SECTOR, default)[sector])

        roles = self.codes("A4")
        multipliers = matrix(sectors, roles, ROLES_BY_SECTOR, np.ones(len(roles)), fill=1.0)
        role = self.single("A4", vec(roles, ROLES) * multipliers[sector])

        regions = self.codes("A5")
        base = vec(regions, REGIONS) * vec(regions, BIAS.response_by_region, 1.0)  # planted: Londoners answer less
        allowed = np.array(
            [
                np.isin(regions, REGIONS_ALLOWED[s]) if s in REGIONS_ALLOWED else np.ones(len(regions), bool)
                for s in sectors
            ]
        )
        region = self.single("A5", base * allowed[sector])
        welsh_share = vec(regions, WELSH_ANSWERS, WELSH_ELSEWHERE)
        self.welsh = self.chance(welsh_share[region])
        self.wales = self.is_("A5", "cymru_wales") | self.welsh

        # Hidden traits that the job answers depend on: sex drives part-time work.
        self.female = self.chance(vec(groups, FEMALE_BY_GROUP)[group])
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
        self.age = self.category(np.array(tuple(AGES.values())) * vec(ages, BIAS.response_by_age, 1.0))  # planted
        self.young = self.age <= ages.index("25_30")
        self.disabled = self.chance(np.array(DISABLED_BY_AGE)[self.age])
        black_share = vec(self.codes("A5"), BLACK_BY_REGION)[self.index["A5"]]
        self.black = self.chance(black_share)
        ethnicities = tuple(c for c in self.codes("L5") if c != "pnts")
        white = self.category(vec(ethnicities, WHITE_GROUPS))
        black = self.category(vec(ethnicities, BLACK_GROUPS))
        self.ethnicity = np.where(self.black, black, white)
        religions = tuple(c for c in self.codes("L8") if c != "pnts")
        table = matrix(ethnicities, religions, RELIGIONS_BY_ETHNICITY, vec(religions, RELIGIONS))
        self.religion = self.category(table[self.ethnicity])
        self.concern = self.uniform()  # general unease about AI and monitoring, shared across answers

    def ai(self) -> None:
        """Section B: whether AI is used, which kinds, how it touches the member's own work."""
        score = (
            AI_BASE + vec(self.codes("A2"), AI_BY_SECTOR)[self.sector] + vec(self.codes("A4"), AI_BY_ROLE)[self.role]
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
        # Planted (demo.planted.BIAS): the share whose workload went up depends on age and region only.
        up = (
            BIAS.base
            + vec(self.codes("L1"), BIAS.by_age)[self.age]
            + vec(self.codes("A5"), BIAS.by_region)[self.index["A5"]]
        )
        change = np.column_stack([(1 - up) * 0.08, (1 - up) * 0.17, (1 - up) * 0.75, up * 0.5, up * 0.5])
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
        watched = tilt([0.12, 0.30, 0.28, 0.20, 0.10], np.where(self.ai_use, 0.35, 0.0))
        off = {"dk": 0.06, "na": 0.03}
        u = self.linked
        self.grid(
            "D2",
            {
                "a": (np.array([0.15, 0.30, 0.27, 0.22, 0.06]), off, 1 - u(self.concern, 0.3)),
                "b": (np.array([0.10, 0.22, 0.38, 0.24, 0.06]), {"dk": 0.12, "na": 0.04}, 1 - u(self.concern, 0.4)),
                "c": (
                    share(increased, [0.15, 0.40, 0.45, 0.65, 0.35], [False, False, False, True, True]),
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
            return tilt(base, lean), {"dk": dk_share}, u(self.concern, 0.5)

        self.grid(
            "E1",
            {
                "a": (
                    share(disappear, [0.35, 0.65, 0.65, 0.35], [False, False, True, True]),
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
        self.scale("G2", tilt([0.14, 0.28, 0.30, 0.22, 0.06], lean), {"dk": 0.05}, skip=0.03)

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
        yield Chunk(questionnaire, rng, min(CHUNK, n - start)).draw()


def answer_sets(questionnaire: Questionnaire, n: int, seed: int) -> list[tuple[dict[str, Any], str]]:
    """Return n generated (answers, language) pairs, parsed: for tests and checks."""
    return [
        (json.loads(text), language)
        for languages, texts in generate(questionnaire, n, seed)
        for language, text in zip(languages, texts, strict=True)
    ]
