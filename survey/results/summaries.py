"""The one-line summaries of question tables, made from the published numbers only.

Two published counts no further apart than twice the largest adjustment may be in either order in
truth, so a sentence names both ("too close to tell apart").
"""

from __future__ import annotations

from collections.abc import Mapping

from ..questionnaire.model import Question
from . import consultation
from .protection import MAX_NOISE
from .tables import Cell, Table

# Answers left out when naming the answer given most: "Don't know", "Prefer not to say" and the like.
SUBSTANTIVE_EXCLUDED = frozenset({"dk", "na", "pnts", "other", "none", "not_sure"})
CLOSE = 2 * MAX_NOISE


def quote(labels: list[str]) -> str:
    """Return labels quoted and joined with "or": “a”, “b” or “c”."""
    quoted = [f"“{label}”" for label in labels]
    return " or ".join(quoted) if len(quoted) < 3 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _leaders(cells: list[Cell]) -> list[Cell]:
    """Return the cell with the largest published count, and any too close to it to tell apart."""
    ordered = sorted(cells, key=lambda c: -(c.count or 0))
    return [c for c in ordered if (c.count or 0) >= (ordered[0].count or 0) - CLOSE][:3]


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def answers_summary(table: Table, question: Question, everyone_label: str, everyone_n: int, language: str) -> str:
    """Say in a sentence what everyone (or the filter's group) answered, from the published numbers."""
    who = "members" if not table.filters else f"members in “{everyone_label}”"
    if question.type == "number":
        summary = table.numbers[0]
        if summary.median is None:
            return f"{everyone_n:,} {who} answered; too few gave any one answer to read off a median."
        unit = f" {question.unit[language]}" if question.unit else ""
        return f"Half of {who} answered {summary.median:g}{unit} or less (base {everyone_n:,})."
    cells = [c for c in table.cells if c.group is None]
    if question.type == "statements":  # one statement: its answers, and net support
        shares = {c.option: c for c in cells}
        parts = [f"{shares[o.code].percent:g}% “{o.label}”" for o in table.options if o.code in shares]
        net = consultation.statements_net(shares.get("support"), shares.get("oppose"))
        return f"Of {everyone_n:,} {who} who answered, {_and(parts)}: net support {net}."
    if question.scale is not None:
        summary = table.scale[0]
        if not summary.base:
            return f"None of the {everyone_n:,} {who} who answered gave an answer on the scale."
        labels = {o.code: o.label for o in table.options}
        positive = quote([labels[c] for c in table.positive])
        negative = quote([labels[c] for c in table.negative])
        return (
            f"{summary.positive_percent:g}% of {who} answered {positive} and {summary.negative_percent:g}% "
            f"{negative} (base {summary.base:,}, not counting answers off the scale)."
        )
    substantive = [c for c in cells if c.option not in SUBSTANTIVE_EXCLUDED] or cells
    if not substantive:
        return ""
    verb = "chose" if question.type in ("multi", "priorities") else "answered"
    leaders = _leaders(substantive)
    named = _and([f"{c.percent:g}% “{c.label}”" for c in leaders])
    if len(leaders) == 1:
        return f"{leaders[0].percent:g}% of {who} {verb} “{leaders[0].label}” (base {everyone_n:,})."
    return f"The answers {who} gave most were {named}, too close to tell apart (base {everyone_n:,})."


def grid_summary(table: Table) -> str:
    """Name the statement with the largest positive share, for a grid's one-line summary."""
    shown_items = [(t, t.scale[0]) for t in table.items if t.scale and t.scale[0].positive_percent is not None]
    if not shown_items:
        return "The results for these statements are not shown: too few people have answered them."
    ordered = sorted(shown_items, key=lambda pair: -(pair[1].positive_percent or 0))
    item, best = ordered[0]
    labels = {o.code: o.label for o in item.options}
    # Too close to tell apart: within what the adjustment of the two positive counts could move them.
    margin = 100 * CLOSE / max(1, min(s.base or 1 for _, s in ordered))
    close = [t for t, s in ordered[1:3] if (best.positive_percent or 0) - (s.positive_percent or 0) < margin]
    if close:
        names = _and([f"“{t.text}”" for t in [item, *close]])
        return (
            f"Of {len(table.items)} statements, {names} had the largest shares answering "
            f"{quote([labels[c] for c in item.positive])}, too close to tell apart."
        )
    return (
        f"Of {len(table.items)} statements, “{item.text}” had the largest share answering "
        f"{quote([labels[c] for c in item.positive])}: {best.positive_percent:g}% (base {best.base:,})."
    )


def who_summary(table: Table, filters: Mapping[str, str], everyone_label: str, everyone_n: int) -> str:
    """Say in a sentence which answers of a question that says who people are were given most."""
    who = f"members in “{everyone_label}”" if filters else "members"
    shown_cells = [c for c in table.cells if not c.suppressed and c.option not in SUBSTANTIVE_EXCLUDED]
    if not shown_cells:
        return "The answers are not shown: every group is too small to show safely."
    leaders = _leaders(shown_cells)
    if len(leaders) == 1:
        return f"The largest group of {who} was “{leaders[0].label}”: {leaders[0].percent:g}% (base {everyone_n:,})."
    named = _and([f"“{c.label}” ({c.percent:g}%)" for c in leaders])
    return f"The largest groups of {who} were {named}, too close to tell apart (base {everyone_n:,})."


def who_summary_by(table: Table) -> str:
    """Say for how many groups of the breakdown a question that says who people are is shown."""
    groups = table.groups[1:]
    shown_groups = [g for g in groups if not g.suppressed]
    text = f"Shown for {len(shown_groups)} of {len(groups)} groups"
    hidden = len(groups) - len(shown_groups)
    return text + (f"; {hidden} are too small to show." if hidden else ".")
