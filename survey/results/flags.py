"""Equality-impact flags: where a group of a protected characteristic answers differently.

For each ordinary question and each protected dimension, every group the gate shows is compared
with everyone else who answered: scales and grid statements on the positive share, by a
two-proportion z-test; multiple choice on its most chosen substantive answer, likewise; single
choice on the whole distribution of substantive answers, by a chi-square test, reported through
the answer with the largest gap. The p-values of all comparisons are adjusted together
(Benjamini–Hochberg) and a difference is flagged when the adjusted p is at most 0.05 and the gap
is at least 5 points. Groups below the protected threshold are never tested or named; nor is
"Prefer not to say" or "No answer". A flag's numbers are the group's and everyone's cells of the
table "question by dimension": a flag is shown only when that table shows both, so a flag never
reveals a count the tables hide.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .dimensions import NO_ANSWER, Dim, Family, structure
from .engine import SUBSTANTIVE_EXCLUDED, _quote, table_of
from .gate import OneWay, family_cells, one_way, universe
from .snapshot import Snapshot, snapshot_for
from .stats import benjamini_hochberg, chi_square_test, two_proportion_test
from .tables import Flag, Table

ALPHA = 0.05  # false discovery rate over all comparisons
MIN_GAP = 5.0  # points: smaller differences are not worth a headline, however significant
NOT_A_GROUP = frozenset({"pnts", NO_ANSWER})


@dataclass(frozen=True)
class Comparison:
    """One group against everyone else on one outcome, before the correction."""

    question: str
    question_text: str
    outcome: str
    outcome_codes: tuple[str, ...]
    dimension: str
    dimension_label: str
    group: str
    group_label: str
    subject: str  # how the sentence names the group, e.g. "Disabled members"
    count: int
    base: int
    other_count: int
    other_base: int
    # Single choice: the group's and everyone else's counts of every substantive answer, tested
    # together (chi-square); None: the one outcome above is tested (two proportions).
    distribution: tuple[tuple[int, ...], tuple[int, ...]] | None = None

    def p_value(self) -> float:
        """Return the unadjusted p-value of this comparison."""
        if self.distribution is not None:
            return chi_square_test(self.distribution)[2]
        return two_proportion_test(self.count, self.base, self.other_count, self.other_base)[1]


def decide(comparisons: Sequence[Comparison], alpha: float = ALPHA, min_gap: float = MIN_GAP) -> list[Flag]:
    """Return the flags among these comparisons, after adjusting every p-value together."""
    if not comparisons:
        return []
    p_values = [c.p_value() for c in comparisons]
    adjusted = benjamini_hochberg(p_values)
    flags = []
    for c, p, q in zip(comparisons, p_values, adjusted, strict=True):
        percent = 100 * c.count / c.base
        other = 100 * c.other_count / c.other_base
        gap = percent - other
        if q > alpha or abs(gap) < min_gap:
            continue
        shown, other_shown = round(percent), round(other)
        sentence = (
            f"{c.subject} were {abs(shown - other_shown)} points {'more' if gap > 0 else 'less'} likely than "
            f"other members to {c.outcome} ({shown}% vs {other_shown}%)."
        )
        flags.append(
            Flag(
                question=c.question,
                question_text=c.question_text,
                outcome=c.outcome,
                outcome_codes=list(c.outcome_codes),
                dimension=c.dimension,
                dimension_label=c.dimension_label,
                group=c.group,
                group_label=c.group_label,
                percent=round(percent, 1),
                other_percent=round(other, 1),
                gap=round(gap, 1),
                base=c.base,
                other_base=c.other_base,
                p=p,
                adjusted_p=q,
                sentence=sentence,
            )
        )
    return sorted(flags, key=lambda f: (f.adjusted_p, -abs(f.gap), f.question, f.dimension, f.group))


def equality_flags(survey, language: str = "en") -> list[Flag]:
    """Return the equality-impact flags of a survey, strongest evidence first."""
    return equality_flags_of(snapshot_for(survey), survey.threshold, language)


def equality_flags_of(snapshot: Snapshot, k: int, language: str = "en") -> list[Flag]:
    """Return the equality-impact flags from a snapshot (see equality_flags)."""
    key = ("equality flags", k, language)
    if key in snapshot.cache:
        return snapshot.cache[key]
    # Once per snapshot: a second request for them (another thread of this worker) waits for the
    # first instead of doing the same work again.
    with snapshot.cache.setdefault(("equality flags lock", k, language), threading.Lock()):
        if key not in snapshot.cache:
            tables: dict[tuple[str, str], Table] = {}
            shown = []
            for flag in decide(comparisons(snapshot, k, language)):
                if (flag.question, flag.dimension) not in tables:
                    tables[(flag.question, flag.dimension)] = table_of(snapshot, k, flag.question, by=flag.dimension)
                if _shown_by_tables(snapshot, k, flag, tables[(flag.question, flag.dimension)]):
                    shown.append(flag)
            snapshot.cache[key] = shown
    return snapshot.cache[key]


def _shown_by_tables(snapshot: Snapshot, k: int, flag: Flag, table: Table | None = None) -> bool:
    """Return whether the table of the flag's question by its dimension shows the numbers the
    flag is made of: the group's and everyone's share of the outcome, with their bases."""
    if table is None:
        table = table_of(snapshot, k, flag.question, by=flag.dimension)
    if table.refused:
        return False
    if table.scale:
        summaries = {s.group: s for s in table.scale}
        return all(
            s is not None and not s.suppressed and s.positive_count is not None and s.base is not None
            for s in (summaries.get(flag.group), summaries.get(None))
        )
    cells = {(c.group, c.option): c for c in table.cells}
    groups = {g.code: g for g in table.groups}
    return all(g is not None and not g.suppressed for g in (groups.get(flag.group), groups.get(None))) and all(
        (group, code) in cells and not cells[(group, code)].suppressed
        for group in (flag.group, None)
        for code in flag.outcome_codes
    )


def comparisons(snapshot: Snapshot, k: int, language: str = "en") -> list[Comparison]:
    """Return every comparison the flags are chosen from (groups the gate shows, both sides large enough).

    Counted once per answer key and protected family: one bincount of (family cell, slot) over
    every response gives, for each dimension of the family, every group's base and outcome counts
    at once (the family cells of a dimension's group are added up), everyone's from the same
    table, and the people of the key's universe in each family cell, which the gate is given
    instead of counting them again. Nothing is counted per comparison.
    """
    questionnaire = snapshot.questionnaire
    language = language if language in questionnaire.languages else questionnaire.languages[0]
    shape = structure(questionnaire)
    protected = [d for d in shape.dims.values() if d.protected]
    out: list[Comparison] = []
    for question in questionnaire.questions:
        if question.id in shape.sources or question.type not in ("single", "multi", "scale", "grid"):
            continue
        for key in question.answer_keys() if question.type == "grid" else [question.id]:
            outcome = _outcome(snapshot, question, key, language)
            if outcome is None:
                continue
            slot, text, phrases, codes = outcome
            where = universe(snapshot, key)
            slot = np.where(where.mask, np.maximum(slot, IN_UNIVERSE), OUTSIDE)  # slot > 0: in the universe
            tallies: dict[str, tuple[np.ndarray, dict[str, np.ndarray]]] = {}
            for dim in protected:
                if dim.family not in tallies:
                    tallies[dim.family] = _tallies(snapshot, shape.families[dim.family], slot, len(phrases))
                people, tables = tallies[dim.family]
                gate = one_way(snapshot, dim.family, where, k, counts=people)
                out += _compared(dim, gate, tables[dim.id], key, text, phrases, codes, language)
    return out


# Each response's slot for one answer key: outside its universe; in the universe but outside the
# base (a scale's "Don't know"); in the base with none of the outcomes; outcome j at FIRST + j.
OUTSIDE, IN_UNIVERSE, IN_BASE, FIRST = 0, 1, 2, 3
SLOT = np.int16  # a slot per response (not int64: at a million responses that is 8 MB a key)


def _tallies(
    snapshot: Snapshot, family: Family, slot: np.ndarray, outcomes: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Return the people of the universe in each family cell, and for each dimension of the
    family its tally of responses by group and slot: row 0 "no answer", row i+1 the group of
    index i. One bincount over the family's cells, then each dimension's groups as sums of cells.
    """
    cells = family_cells(snapshot, family)
    width = FIRST + outcomes
    joint_keys = cells.keys.astype(np.intp)  # the cells are kept in a small type: widen before multiplying
    joint_keys *= width
    joint_keys += slot
    joint = np.bincount(joint_keys, minlength=cells.size * width).reshape(cells.size, width)
    del joint_keys
    tables = {}
    for dim_id in family.dims:
        tables[dim_id] = np.zeros((len(snapshot.codes(dim_id)) + 1, width), dtype=np.int64)
        np.add.at(tables[dim_id], cells.index[dim_id] + 1, joint)
    return joint[:, IN_UNIVERSE:].sum(axis=1), tables


def _compared(
    dim: Dim,
    gate: OneWay,
    table: np.ndarray,
    key: str,
    text: str,
    phrases: list[str],
    codes: list[tuple[str, ...]],
    language: str,
) -> list[Comparison]:
    """Return the comparisons of one dimension's shown groups on one answer key, from its tally."""
    t = gate.threshold
    totals = table.sum(axis=0)
    total_counted = int(totals[IN_BASE:].sum())
    out = []
    for value in dim.values:
        if value.code in NOT_A_GROUP or (dim.id, value.index) not in gate.published:
            continue
        row = table[value.index + 1]
        n = int(row[IN_BASE:].sum())
        if n < t or total_counted - n < t:
            continue
        xs = [int(x) for x in row[FIRST:]]
        others = [int(total) - x for total, x in zip(totals[FIRST:], xs, strict=True)]
        # Several outcomes (single choice): tested together, told through the largest gap.
        j = max(range(len(xs)), key=lambda i: (abs(xs[i] / n - others[i] / (total_counted - n)), -i))
        rest = (int(row[IN_BASE]), int(totals[IN_BASE] - row[IN_BASE]))  # "Don't know" and the like
        out.append(
            Comparison(
                key,
                text,
                phrases[j],
                codes[j],
                dim.id,
                dim.label[language],
                value.code,
                value.label[language],
                _subject(dim, value.code, value.label[language], language),
                xs[j],
                n,
                others[j],
                total_counted - n,
                (tuple(xs) + rest[:1], tuple(others) + rest[1:]) if len(xs) > 1 else None,
            )
        )
    return out


def _outcome(snapshot: Snapshot, question, key: str, language: str):
    """Return the outcomes compared: (each response's slot: OUTSIDE the base, IN_BASE with none
    of the outcomes, FIRST + j for outcome j; text; a phrase and the codes of each outcome).
    Single choice: one outcome per substantive answer; scales: the positive side; multiple
    choice: the most chosen answer. The base is those who answered (scales: on the scale)."""
    text = question.text[language]
    if question.type == "grid":
        item = key.split(".", 1)[1]
        text = next(i.text[language] for i in question.items if i.code == item)
    labels = {o.code: o.label[language] for o in question.choices}
    codes = snapshot.codes(key)
    if question.scale is not None:
        lookup = np.full(len(codes) + 1, OUTSIDE, dtype=SLOT)  # answer index (-1 reads the last entry) -> slot
        for point in question.scale.points:
            if point.code in codes:
                lookup[codes.index(point.code)] = FIRST if point.code in question.scale.positive else IN_BASE
        ordered = sorted(question.scale.positive, key=codes.index)
        phrase = f"answer {_quote([labels[c] for c in ordered])} to “{text}”"
        return lookup[snapshot.categorical[key]], text, [phrase], [tuple(ordered)]
    substantive = [o.code for o in question.options if o.code not in SUBSTANTIVE_EXCLUDED and not o.other]
    if not substantive:
        return None
    if question.type == "multi":
        bits = snapshot.multi[key]
        counts = {c: int(np.count_nonzero((bits >> codes.index(c)) & 1)) for c in substantive}
        top = max(substantive, key=lambda c: (counts[c], -codes.index(c)))
        slot = np.where(bits != 0, SLOT(IN_BASE), SLOT(OUTSIDE))
        slot[((bits >> codes.index(top)) & 1) != 0] = FIRST
        return slot, text, [f"choose “{labels[top]}” for “{text}”"], [(top,)]
    lookup = np.full(len(codes) + 1, IN_BASE, dtype=SLOT)  # answered, none of the outcomes
    lookup[-1] = OUTSIDE  # no answer
    for j, code in enumerate(substantive):
        lookup[codes.index(code)] = FIRST + j
    phrases = [f"answer “{labels[c]}” to “{text}”" for c in substantive]
    return lookup[snapshot.categorical[key]], text, phrases, [(c,) for c in substantive]


def _subject(dim: Dim, code: str, label: str, language: str) -> str:
    if dim.question is not None:
        return f"Members who answered “{label}” to “{dim.label[language]}”"
    if label.lower() in ("yes", "no", "ie", "na"):  # a yes/no grouping: name the group instead
        return f"Members {'in' if code == 'yes' else 'not in'} the group “{dim.label[language]}”"
    return f"{label} members"
