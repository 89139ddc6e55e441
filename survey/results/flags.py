"""Equality-impact flags: where a group of a protected characteristic answers differently.

For each ordinary question's key outcome (scales and grid statements: the positive share; single
and multiple choice: the most chosen substantive answer) and each protected dimension, every
group the gate shows is compared with everyone else who answered, by a two-proportion z-test.
The p-values of all comparisons are adjusted together (Benjamini–Hochberg) and a difference is
flagged when the adjusted p is at most 0.05 and the gap is at least 5 points. Groups below the
protected threshold are never tested or named; nor is "Prefer not to say" or "No answer".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .dimensions import NO_ANSWER, Dim, structure
from .engine import SUBSTANTIVE_EXCLUDED, _quote
from .gate import one_way, universe
from .snapshot import Snapshot, snapshot_for
from .stats import benjamini_hochberg, two_proportion_test
from .tables import Flag

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


def decide(comparisons: Sequence[Comparison], alpha: float = ALPHA, min_gap: float = MIN_GAP) -> list[Flag]:
    """Return the flags among these comparisons, after adjusting every p-value together."""
    if not comparisons:
        return []
    tests = [two_proportion_test(c.count, c.base, c.other_count, c.other_base) for c in comparisons]
    adjusted = benjamini_hochberg([p for _, p in tests])
    flags = []
    for c, (_, p), q in zip(comparisons, tests, adjusted, strict=True):
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
    return decide(comparisons(snapshot, k, language))


def comparisons(snapshot: Snapshot, k: int, language: str = "en") -> list[Comparison]:
    """Return every comparison the flags are chosen from (groups the gate shows, both sides large enough)."""
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
            hit, counted, text, phrase, codes = outcome
            where = universe(snapshot, key)
            total_hit, total_counted = int(hit[where.mask].sum()), int(counted[where.mask].sum())
            for dim in protected:
                gate = one_way(snapshot, dim.family, where, k)
                t = gate.threshold
                column = snapshot.categorical[dim.id][where.mask].astype(np.int64) + 1
                width = len(snapshot.codes(dim.id)) + 1
                hits = np.bincount(column, weights=hit[where.mask], minlength=width)
                bases = np.bincount(column, weights=counted[where.mask], minlength=width)
                for value in dim.values:
                    if value.code in NOT_A_GROUP or (dim.id, value.index) not in gate.published:
                        continue
                    x, n = int(hits[value.index + 1]), int(bases[value.index + 1])
                    if n < t or total_counted - n < t:
                        continue
                    out.append(
                        Comparison(
                            key,
                            text,
                            phrase,
                            codes,
                            dim.id,
                            dim.label[language],
                            value.code,
                            value.label[language],
                            _subject(dim, value.code, value.label[language], language),
                            x,
                            n,
                            total_hit - x,
                            total_counted - n,
                        )
                    )
    return out


def _outcome(snapshot: Snapshot, question, key: str, language: str):
    """Return (hit per response, counted per response, text, outcome phrase, codes) for a key outcome."""
    text = question.text[language]
    if question.type == "grid":
        item = key.split(".", 1)[1]
        text = next(i.text[language] for i in question.items if i.code == item)
    labels = {o.code: o.label[language] for o in question.choices}
    if question.scale is not None:
        codes = snapshot.codes(key)
        column = snapshot.categorical[key]
        positive = [codes.index(c) for c in question.scale.positive if c in codes]
        points = [codes.index(p.code) for p in question.scale.points if p.code in codes]
        ordered = sorted(question.scale.positive, key=codes.index)
        phrase = f"answer {_quote([labels[c] for c in ordered])} to “{text}”"
        return np.isin(column, positive), np.isin(column, points), text, phrase, tuple(ordered)
    substantive = [o.code for o in question.options if o.code not in SUBSTANTIVE_EXCLUDED and not o.other]
    if not substantive:
        return None
    codes = snapshot.codes(key)
    if question.type == "multi":
        bits = snapshot.multi[key]
        counts = {c: int(np.count_nonzero((bits >> codes.index(c)) & 1)) for c in substantive}
        top = max(substantive, key=lambda c: (counts[c], -codes.index(c)))
        hit = ((bits >> codes.index(top)) & 1).astype(bool)
        return hit, bits != 0, text, f"choose “{labels[top]}” for “{text}”", (top,)
    column = snapshot.categorical[key]
    counts = np.bincount(column[column >= 0], minlength=len(codes))
    top = max(substantive, key=lambda c: (counts[codes.index(c)], -codes.index(c)))
    return column == codes.index(top), column >= 0, text, f"answer “{labels[top]}” to “{text}”", (top,)


def _subject(dim: Dim, code: str, label: str, language: str) -> str:
    if dim.question is not None:
        return f"Members who answered “{label}” to “{dim.label[language]}”"
    if label.lower() in ("yes", "no", "ie", "na"):  # a yes/no grouping: name the group instead
        return f"Members {'in' if code == 'yes' else 'not in'} the group “{dim.label[language]}”"
    return f"{label} members"
