"""Equality-impact flags: where a group of a protected characteristic answers differently.

For each ordinary question and each protected dimension, every group the table "question by
dimension" shows is compared with everyone else who answered: scales and grid statements on the
positive share, by a two-proportion z-test; a consultation's draft statements on the share who
support each (of everyone who answered it, "Not sure" included, as its table shows), likewise;
multiple choice on its most chosen substantive answer,
likewise; single choice on the whole distribution of answers, by a chi-square test, reported
through the answer with the largest gap. Every number comes from that table's published counts
(everyone else = everyone less the group), so a flag, its percentages and its p-value reveal
nothing the tables do not. The p-values of all comparisons are adjusted together
(Benjamini–Hochberg); a difference is flagged when the adjusted p is at most 0.05 and the gap is
at least 5 points; and one flag is kept per question and characteristic family (age band, age
group and young member are one family; so are disabled and not disabled): the strongest. Groups
below the protected threshold are never tested or named; nor is "Prefer not to say" or "No
answer". p-values are given to two significant figures. Priorities are not flagged: a ranked
list has no one outcome to compare, and each option tested would add comparisons that weaken
every other flag's correction.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .. import queue
from ..questionnaire.model import ITEM_TYPES
from . import shared
from .answers import table_of
from .cache import snapshot_for
from .dimensions import NO_ANSWER, Dim, structure
from .protection import MAX_NOISE
from .queries import language_for
from .snapshot import Snapshot
from .stats import benjamini_hochberg, chi_square_test, significant, two_proportion_test
from .summaries import SUBSTANTIVE_EXCLUDED, quote
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
    family: str
    group: str
    group_label: str
    subject: str  # how the sentence names the group, e.g. "Disabled members"
    count: int
    base: int
    other_count: int
    other_base: int
    # Single choice: the group's and everyone else's counts of every answer, tested together
    # (chi-square); None: the one outcome above is tested (two proportions).
    distribution: tuple[tuple[int, ...], tuple[int, ...]] | None = None

    def p_value(self) -> float:
        """Return the unadjusted p-value of this comparison."""
        if self.distribution is not None:
            return chi_square_test(self.distribution)[2]
        return two_proportion_test(self.count, self.base, self.other_count, self.other_base)[1]


def cautious_p(count: int, base: int, other_count: int, other_base: int) -> float:
    """Return the p-value of a two-proportion test of a group against everyone else, with each
    count first moved towards the other by the most the perturbation could have moved it: D for
    the group's published count, 2·D for everyone else's (a difference of two published counts).

    In small counts the published numbers alone can look like a difference that is not there
    (true counts of 1 or 2 are published as 0 or 3; "everyone else" can be 6 people off).
    """
    mine, others = count / base, other_count / other_base
    if mine > others:
        count = max(count - MAX_NOISE, round(others * base))
        other_count = min(other_count + 2 * MAX_NOISE, round(mine * other_base))
    elif mine < others:
        count = min(count + MAX_NOISE, round(others * base))
        other_count = max(other_count - 2 * MAX_NOISE, round(mine * other_base))
    return two_proportion_test(count, base, other_count, other_base)[1]


def decide(comparisons: Sequence[Comparison], alpha: float = ALPHA, min_gap: float = MIN_GAP) -> list[Flag]:
    """Return the flags among these comparisons, after adjusting every p-value together: the
    strongest one per question and characteristic family.

    A flag must also hold with its counts moved towards each other as far as the perturbation
    could have moved them (`cautious_p`, at the same correction for the many comparisons): no
    flag rests on the noise added to protect members.
    """
    if not comparisons:
        return []
    p_values = [c.p_value() for c in comparisons]
    adjusted = benjamini_hochberg(p_values)
    best: dict[tuple[str, str], tuple[tuple, Flag]] = {}
    for c, p, q in zip(comparisons, p_values, adjusted, strict=True):
        percent = 100 * c.count / c.base
        other = 100 * c.other_count / c.other_base
        gap = percent - other
        if q > alpha or abs(gap) < min_gap:
            continue
        correction = q / p if p > 0 else 1.0
        if cautious_p(c.count, c.base, c.other_count, c.other_base) * correction > alpha:
            continue
        shown, other_shown = round(percent), round(other)
        sentence = (
            f"{c.subject} were {abs(shown - other_shown)} points {'more' if gap > 0 else 'less'} likely than "
            f"other members to {c.outcome} ({shown}% vs {other_shown}%)."
        )
        flag = Flag(
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
            p=significant(p),
            adjusted_p=significant(q),
            sentence=sentence,
        )
        strength = (q, -abs(gap), c.dimension, c.group)
        held = best.get((c.question, c.family))
        if held is None or strength < held[0]:
            best[(c.question, c.family)] = (strength, flag)
    flags = [flag for _, flag in best.values()]
    return sorted(flags, key=lambda f: (f.adjusted_p, -abs(f.gap), f.question, f.dimension, f.group))


# Responses: up to this many, a request works the flags out itself when they are not ready
# (about 0.3 s at 20,000; 1.5 s at 100,000 and 14 s at a million).
FLAGS_IN_REQUEST = 20_000


def equality_flags(
    survey, language: str = "en", filters: Mapping[str, str] | None = None, when_ready: bool = False
) -> list[Flag] | None:
    """Return the equality-impact flags of a survey (or of one filter's group), strongest evidence first.

    Computed once per snapshot in this process; with Redis, once per release for every worker:
    the job queue's worker (survey/core/results_ready.py) keeps them in Redis after each release (shared.py),
    and a worker that misses them there computes them and keeps them for the others.
    `when_ready`: for a page that must answer at once. None when they are not ready, the survey is
    larger than FLAGS_IN_REQUEST and a job worker will work them out (one is queued if none waits).
    """
    snapshot, k = snapshot_for(survey), survey.threshold
    language = language_for(snapshot.questionnaire, language)  # as comparisons() reads it
    if filters:  # one group's flags (a briefing's sector): kept with the snapshot only
        return equality_flags_of(snapshot, k, language, filters)
    # The whole survey's, or a slice's (the job worker works out the slice of every staff scope).
    computed, kept = ("equality flags", k, language), ("equality flags kept", k, language)
    if computed not in snapshot.cache:
        found = shared.read_flags(survey, snapshot, k, language)
        if found is not None:
            snapshot.cache[kept] = True
            return snapshot.cache.setdefault(computed, found)
        if when_ready and snapshot.n > FLAGS_IN_REQUEST and queue.prepare_soon(survey.id):
            return None
    flags = equality_flags_of(snapshot, k, language)
    if kept not in snapshot.cache:  # once per snapshot, even when Redis could not keep them
        snapshot.cache[kept] = shared.keep_flags(survey, snapshot, k, language, flags)
    return flags


def equality_flags_of(
    snapshot: Snapshot, k: int, language: str = "en", filters: Mapping[str, str] | None = None
) -> list[Flag]:
    """Return the equality-impact flags from a snapshot (see equality_flags)."""
    key = ("equality flags", k, language, *sorted((filters or {}).items()))
    if key in snapshot.cache:
        return snapshot.cache[key]
    # Once per snapshot: a second request for them (another thread of this worker) waits for the
    # first instead of doing the same work again.
    with snapshot.cache.setdefault(("equality flags lock", *key[1:]), threading.Lock()):
        if key not in snapshot.cache:
            snapshot.cache[key] = decide(comparisons(snapshot, k, language, filters))
    return snapshot.cache[key]


def comparisons(
    snapshot: Snapshot, k: int, language: str = "en", filters: Mapping[str, str] | None = None
) -> list[Comparison]:
    """Return every comparison the flags are chosen from: each shown group of each protected
    dimension, on each ordinary answer key, from the published table of that key by that dimension
    (within the filter's group, when one is given: everyone else is then the rest of that group)."""
    questionnaire = snapshot.questionnaire
    language = language_for(questionnaire, language)
    shape = structure(questionnaire)
    protected = [d for d in shape.dims.values() if d.protected]
    out: list[Comparison] = []
    for question in questionnaire.questions:
        if question.id in shape.sources or question.type not in FLAGGED:
            continue
        for key in question.answer_keys() if question.type in ITEM_TYPES else [question.id]:
            for dim in protected:
                table = table_of(snapshot, k, key, by=dim.id, filters=filters, language=language)
                if not table.refused:
                    out += _compared(question, dim, table, language)
    return out


FLAGGED = ("single", "multi", "scale", "grid", "statements")


def _compared(question, dim: Dim, table: Table, language: str) -> list[Comparison]:
    """Return the comparisons of one table's shown groups with everyone else who answered."""
    t = table.threshold
    cells = {(c.group, c.option): c.count or 0 for c in table.cells}
    codes = [o.code for o in table.options]
    everyone = table.groups[0]
    summaries = {s.group: s for s in table.scale}
    outcome = _outcome(question, table, cells, codes)
    if outcome is None:
        return []
    out = []
    for group in table.groups[1:]:
        if group.suppressed or group.code in NOT_A_GROUP:
            continue
        if question.type == "statements":  # support, of everyone in the group who answered the statement
            n, total = group.n or 0, everyone.n or 0
            xs, totals = [cells[(group.code, "support")]], [cells[(None, "support")]]
        elif question.scale is not None:
            mine, all_ = summaries[group.code], summaries[None]
            if not mine.base or not all_.base:
                continue
            n, total = mine.base, all_.base
            xs, totals = [mine.positive_count or 0], [all_.positive_count or 0]
        else:
            n, total = group.n or 0, everyone.n or 0
            xs = [cells[(group.code, c)] for c in outcome.codes]
            totals = [cells[(None, c)] for c in outcome.codes]
        others = [max(0, a - b) for a, b in zip(totals, xs, strict=True)]
        other_n = total - n
        if n < t or other_n < t:
            continue
        xs = [min(x, n) for x in xs]
        others = [min(x, other_n) for x in others]
        j = max(range(len(xs)), key=lambda i: (abs(xs[i] / n - others[i] / other_n), -i))
        distribution = None
        if outcome.whole:  # single choice: every answer, and the others ("Don't know" ...) together
            rest = [c for c in codes if c not in outcome.codes]
            mine_rest = sum(cells[(group.code, c)] for c in rest)
            others_rest = max(0, sum(cells[(None, c)] for c in rest) - mine_rest)
            distribution = ((*xs, mine_rest), (*others, others_rest))
        out.append(
            Comparison(
                table.question,
                table.text,
                outcome.phrases[j],
                (outcome.codes[j],) if outcome.whole or question.type == "multi" else tuple(table.positive),
                dim.id,
                dim.label[language],
                dim.family,
                group.code or "",
                group.label,
                _subject(dim, group.code or "", group.label, language),
                xs[j],
                n,
                others[j],
                other_n,
                distribution,
            )
        )
    return out


@dataclass(frozen=True)
class _Outcome:
    codes: list[str]  # the answers compared (scales: the positive side, as one outcome)
    phrases: list[str]
    whole: bool  # single choice: the whole distribution is tested


def _outcome(question, table: Table, cells: dict, codes: list[str]) -> _Outcome | None:
    """Return what a table's groups are compared on: a scale's positive side; multiple choice's most
    chosen substantive answer (by everyone's published count); single choice's substantive answers."""
    labels = {o.code: o.label for o in table.options}
    text = table.text
    if question.scale is not None:
        phrase = f"answer {quote([labels[c] for c in table.positive])} to “{text}”"
        return _Outcome(table.positive, [phrase], False)
    substantive = [o.code for o in question.options if o.code not in SUBSTANTIVE_EXCLUDED and not o.other]
    if not substantive:
        return None
    if question.type == "multi":
        top = max(substantive, key=lambda c: (cells.get((None, c), 0), -codes.index(c)))
        return _Outcome([top], [f"choose “{labels[top]}” for “{text}”"], False)
    return _Outcome(substantive, [f"answer “{labels[c]}” to “{text}”" for c in substantive], True)


def _subject(dim: Dim, code: str, label: str, language: str) -> str:
    if dim.question is not None:
        return f"Members who answered “{label}” to “{dim.label[language]}”"
    if label.lower() in ("yes", "no", "ie", "na"):  # a yes/no grouping: name the group instead
        return f"Members {'in' if code == 'yes' else 'not in'} the group “{dim.label[language]}”"
    return f"{label} members"
