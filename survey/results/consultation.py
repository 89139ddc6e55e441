"""Consultation results: draft statements ranked by net support, priorities by how often chosen.

Built from the engine's own tables (answers.py calls these), so every count here is the published
count the table of the same answer key shows, wherever it appears; percentages, intervals, net
support, ranks and the summary are worked out from those published counts only. Read through
results.ranked(survey, question_id, by=None, filters=None, language="en") -> Ranked (tables.py),
the one call the dashboards, the published page, the conference screen and the briefing use.

- statements: for each statement and group, % support, % oppose and % not sure of the members who
  answered the statement, each with its Wilson interval, and net support (% support − % oppose,
  in points) with Newcombe's hybrid score interval (stats.net_interval); ranked by net support
  among everyone (or the filter's group), then by support, then in questionnaire order.
- priorities: for each option and group, the share who chose it (ranked it in their top N) and,
  when ranked, the share who ranked it first, of the members who answered the question; ranked by
  how often chosen, then by first choices, then in questionnaire order.

Two rows are "too close to tell apart" when the adjustment of their published counts could put
them either way: two counts by up to 2 × 3 (engine.CLOSE); a net support, being two counts, by
up to 2 × 3 itself, so two nets by up to 4 × 3 members.
"""

from __future__ import annotations

from itertools import pairwise

from ..questionnaire.model import Question
from .protection import MAX_NOISE
from .stats import net_interval
from .tables import Cell, Group, Ranked, RankedCell, RankedRow, Share, Table

CLOSE = 2 * MAX_NOISE  # two published counts this close may be in either order in truth
NET_CLOSE = 2 * CLOSE  # two net supports (each two counts) this close, in members


def _share(cell: Cell | None) -> Share | None:
    if cell is None or cell.suppressed or cell.count is None or cell.percent is None:
        return None
    return Share(cell.count, cell.percent, cell.ci_low, cell.ci_high)  # type: ignore[arg-type]


def _shell(table: Table, question: Question) -> Ranked:
    return Ranked(
        question=table.question,
        type=question.type,
        text=table.text,
        language=table.language,
        by=table.by,
        filters=dict(table.filters),
        threshold=table.threshold,
        options=list(table.options),
        choose=question.choose,
        rank=question.rank,
        refused=table.refused,
        summary=table.refused or "",
    )


def _quoted(label: str) -> str:
    return f"“{label}”"


def _and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def signed(points: float | None) -> str:
    """Return net support in whole points with its sign, as every page shows it: +62, −8, 0 ("" for none)."""
    if points is None:
        return ""
    whole = round(points)
    return f"+{whole}" if whole > 0 else (f"−{-whole}" if whole < 0 else "0")


# --- statements -------------------------------------------------------------------------------


def net_support(support: int, oppose: int, base: int) -> float:
    """Return net support in points (% support − % oppose, to one decimal) from published counts."""
    support, oppose = min(support, base), min(oppose, base)  # a count may be published a little over its base
    return round(100 * (support - oppose) / base, 1)


def statements_net(support: Cell | None, oppose: Cell | None) -> str:
    """Return net support as a summary says it ("+62 points"), from one group's published cells."""
    base = (support or oppose).base if (support or oppose) else None
    if not base:
        return "not shown"
    support_count = support.count or 0 if support else 0
    oppose_count = oppose.count or 0 if oppose else 0
    return f"{signed(net_support(support_count, oppose_count, base))} points"


def statements(table: Table, question: Question, groups: list[Group], threshold: int) -> Ranked:
    """Return a statements question's ranked results from its statements' tables (table.items) and
    the question's groups (members of each group who answered any statement, published)."""
    ranked = _shell(table, question)
    ranked.threshold = max([threshold, *(t.threshold for t in table.items if not t.refused)])
    if table.refused:
        return ranked
    ranked.groups = groups
    if groups[0].suppressed:  # as the engine says it of any question's everyone or filter's group
        ranked.refused = ranked.summary = (
            f"This group is too small to show: results are shown only for groups of at least {threshold} members."
            if table.filters
            else f"Results are shown once at least {threshold} people have answered this question."
        )
        return ranked
    rows = []
    for position, (item, part) in enumerate(zip(question.items, table.items, strict=True)):
        row = RankedRow(item.code, part.question, part.text, None, False)
        for group in groups:
            row.cells.append(_statement_cell(part, group))
        rows.append((position, row))
    ranked.rows = _order(rows, lambda row: _net_key(row.cells[0]))
    _mark_close_statements(ranked)
    ranked.hidden_groups = any(g.suppressed for g in groups[1:]) or any(t.hidden_groups for t in table.items)
    if ranked.hidden_groups:
        ranked.notes.append(f"A group is shown only when it has at least {ranked.threshold} members.")
    ranked.summary = _statements_summary(ranked)
    return ranked


def _statement_cell(part: Table, group: Group) -> RankedCell:
    """Return one statement's shares in one group, from the statement's published table."""
    mine = next((g for g in part.groups if g.code == group.code), None)
    if group.suppressed or part.refused or mine is None or mine.suppressed or not mine.n:
        return RankedCell(group.code, None, True)
    cells = {c.option: c for c in part.cells if c.group == group.code}
    support, oppose, unsure = (_share(cells.get(code)) for code in ("support", "oppose", "unsure"))
    cell = RankedCell(group.code, mine.n, False, support, oppose, unsure)
    s = support.count if support else 0
    o = oppose.count if oppose else 0
    low, high = net_interval(s, o, mine.n)
    cell.net = net_support(s, o, mine.n)
    cell.net_low, cell.net_high = round(100 * low, 1), round(100 * high, 1)
    return cell


def _net_key(cell: RankedCell) -> tuple:
    if cell.suppressed or cell.net is None:
        return (1, 0.0, 0)
    return (0, -cell.net, -(cell.support.percent if cell.support else 0))


def _order(rows: list[tuple[int, RankedRow]], key) -> list[RankedRow]:
    """Return the rows in rank order (ties kept in questionnaire order), numbering the shown ones."""
    ordered = [row for _, row in sorted(rows, key=lambda pair: (key(pair[1]), pair[0]))]
    for number, row in enumerate((r for r in ordered if not r.cells[0].suppressed), start=1):
        row.rank = number
    return ordered


def _net_margin(a: RankedCell, b: RankedCell) -> float:
    """Return how far apart (in points) two net supports may be published and still be either way in truth."""
    return 100 * NET_CLOSE / max(1, min(a.base or 1, b.base or 1))


def _nets_close(a: RankedCell, b: RankedCell) -> bool:
    return abs((a.net or 0) - (b.net or 0)) <= _net_margin(a, b)


def _mark_close_statements(ranked: Ranked) -> None:
    for above, row in pairwise(ranked.shown):
        row.close = _nets_close(above.cells[0], row.cells[0])


def _who(ranked: Ranked) -> str:
    return f" among members in “{ranked.groups[0].label}”" if ranked.filters else ""


def _statements_summary(ranked: Ranked) -> str:
    shown = ranked.shown
    if not shown:
        return "The results for these statements are not shown: too few people have answered them."
    best = shown[0]
    leaders = [best, *[r for r in shown[1:] if _nets_close(best.cells[0], r.cells[0])][:2]]
    named = _and([f"{_quoted(r.label)} (net {signed(r.cells[0].net or 0)})" for r in leaders])
    tie = ", too close to tell apart" if len(leaders) > 1 else ""
    if (best.cells[0].net or 0) < 0:
        return f"Every statement had more opposition than support{_who(ranked)}; the least opposed: {named}{tie}."
    return f"Most support{_who(ranked)}: {named}{tie}."


# --- priorities -------------------------------------------------------------------------------


def priorities(table: Table, first: Table | None, question: Question) -> Ranked:
    """Return a priorities question's ranked results from its table (chosen, or in the top N) and,
    when ranked, the table of first choices (answer key "D2.1")."""
    ranked = _shell(table, question)
    if table.refused:
        return ranked
    ranked.groups = list(table.groups)
    labels = {o.code: o.label for o in table.options}
    rows = []
    for position, option in enumerate(question.options):
        row = RankedRow(option.code, table.question, labels.get(option.code, option.code), None, False)
        for group in table.groups:
            row.cells.append(_priority_cell(table, first, group, option.code))
        rows.append((position, row))
    ranked.rows = _order(rows, lambda row: _chosen_key(row.cells[0]))
    shown = ranked.shown
    for above, row in pairwise(shown):
        row.close = _counts_close(above.cells[0].chosen, row.cells[0].chosen)
    ranked.hidden_groups = table.hidden_groups
    ranked.notes = list(table.notes)
    ranked.summary = _priorities_summary(ranked)
    return ranked


def _priority_cell(table: Table, first: Table | None, group: Group, code: str) -> RankedCell:
    if group.suppressed or not group.n:
        return RankedCell(group.code, None, True)
    chosen = next((c for c in table.cells if c.group == group.code and c.option == code), None)
    cell = RankedCell(group.code, group.n, False, chosen=_share(chosen))
    if first is not None and not first.refused:
        found = next((c for c in first.cells if c.group == group.code and c.option == code), None)
        cell.first = _share(found)
    return cell


def _chosen_key(cell: RankedCell) -> tuple:
    if cell.suppressed or cell.chosen is None:
        return (1, 0, 0)
    return (0, -cell.chosen.count, -(cell.first.count if cell.first else 0))


def _counts_close(a: Share | None, b: Share | None) -> bool:
    return a is not None and b is not None and abs(a.count - b.count) <= CLOSE


def _leaders(rows: list[RankedRow], share) -> list[RankedRow]:
    """Return the row with the largest published count of a share, and any too close to it to tell apart."""
    found = [r for r in rows if share(r.cells[0]) is not None]
    if not found:
        return []
    found.sort(key=lambda r: -share(r.cells[0]).count)
    top = share(found[0].cells[0])
    return [r for r in found if _counts_close(top, share(r.cells[0]))][:3]


def _named(rows: list[RankedRow], share) -> str:
    named = _and([f"{_quoted(r.label)} ({share(r.cells[0]).percent:.0f}%)" for r in rows])
    return named + (", too close to tell apart" if len(rows) > 1 else "")


def _priorities_summary(ranked: Ranked) -> str:
    shown = ranked.shown
    base = ranked.groups[0].n
    chosen = _leaders(shown, lambda c: c.chosen)
    if not chosen or base is None:
        return "The results for these priorities are not shown: too few people have answered."
    who = _who(ranked)
    if ranked.rank:
        first = _leaders(shown, lambda c: c.first)
        most_first = f"; most first choices: {_named(first, lambda c: c.first)}" if first else ""
        return (
            f"Most often in the top {ranked.rank}{who}: {_named(chosen, lambda c: c.chosen)}{most_first} "
            f"(base {base:,})."
        )
    named = _named(chosen, lambda c: c.chosen)
    return f"Chosen most often{who} (each member chose {ranked.choose}): {named} (base {base:,})."


__all__ = ["CLOSE", "NET_CLOSE", "net_support", "priorities", "signed", "statements", "statements_net"]
