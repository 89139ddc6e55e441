"""What the pages say about the earlier wave: "up 12 points since 2025 (from 40% to 52%)".

Sentences in the reader's language (gettext) from the results engine's wave comparison
(survey/results/waves.py), which reads only the two waves' published counts. Shared by the
dashboards, the published page, the briefing and the API. Nothing here counts anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from .. import results
from ..models import Survey
from ..results import waves as engine
from . import findings

SINCE_SHOWN = 5  # clear changes listed on the published page and the briefing's first pages


@dataclass
class Since:
    """One clear change, as a list of changes shows it."""

    key: str  # the answer key: "C1", "C2.a"
    question: str  # the question to open for more: "C1"
    sentence: str  # "“How has your workload changed …?” – “Increased a lot”: up 12 points since 2025 (…)"
    change: engine.Change


def comparison(survey: Survey, language: str, filters: dict[str, str] | None = None) -> engine.Waves | None:
    """Return the survey against its earlier wave (None: no earlier wave, or too few responses)."""
    return results.wave_changes(survey, language, filters)


def capital(text: str) -> str:
    """Return a fragment with its first letter a capital (the rest untouched: "AI" stays "AI")."""
    return text[:1].upper() + text[1:]


def phrase(change: engine.Change, wave: str) -> str:
    """Return a change in plain words: "up 12 points since 2025 (from 40% to 52%)", or "no clear change"."""
    before, now = round(change.earlier_percent), round(change.percent)
    values = {"wave": wave, "before": f"{before}", "now": f"{now}", "n": f"{abs(now - before)}"}
    if not change.clear:
        return _("no clear change since %(wave)s (%(before)s%% then, %(now)s%% now)", **values)
    if now == before:
        if change.points > 0:
            return _("up less than 1 point since %(wave)s (%(before)s%% then, %(now)s%% now)", **values)
        return _("down less than 1 point since %(wave)s (%(before)s%% then, %(now)s%% now)", **values)
    if abs(now - before) == 1:
        if now > before:
            return _("up 1 point since %(wave)s (from %(before)s%% to %(now)s%%)", **values)
        return _("down 1 point since %(wave)s (from %(before)s%% to %(now)s%%)", **values)
    if now > before:
        return _("up %(n)s points since %(wave)s (from %(before)s%% to %(now)s%%)", **values)
    return _("down %(n)s points since %(wave)s (from %(before)s%% to %(now)s%%)", **values)


def reason(why: str | None, wave: str) -> str:
    """Return why a question is not compared with the earlier wave, in plain words."""
    reasons = {
        engine.NOT_ASKED: _("not compared: not asked in %(wave)s", wave=wave),
        engine.WORDING: _("not compared with %(wave)s: the wording changed", wave=wave),
        engine.ANSWERS: _("not compared with %(wave)s: the answers changed", wave=wave),
        engine.NOT_COUNTED: _("not compared with %(wave)s: number answers are not compared", wave=wave),
        engine.HIDDEN: _("not compared with %(wave)s: too few answered in one of the surveys", wave=wave),
    }
    return reasons.get(why or "", "")


def interval(change: engine.Change) -> str:
    """Return a change's 95% interval in points: "+8.9 to +15.1 points"."""
    return _("%(low)s to %(high)s points", low=f"{change.ci_low:+.1f}", high=f"{change.ci_high:+.1f}")


def answer_label(question_change: engine.QuestionChange, change: engine.Change) -> str:
    """Return what a change counts: the answer, or a scale's positive answers joined with "or"."""
    if change.option == engine.POSITIVE:
        return findings.quote_answers(change.label.split(", "))
    return findings.quote_answers([change.label])


def main_change(question_change: engine.QuestionChange, option: str | None = None) -> engine.Change | None:
    """Return the change that stands for a question on one line: the given answer, else a scale's %
    positive, else the clear change of largest size, else the answer most given now."""
    mine = [c for c in question_change.changes if c.group is None]
    if option is not None:
        return next((c for c in mine if c.option == option), None)
    positive = next((c for c in mine if c.option == engine.POSITIVE), None)
    if positive is not None:
        return positive
    clear = [c for c in mine if c.clear]
    if clear:
        return max(clear, key=lambda c: abs(c.points))
    return max(mine, key=lambda c: c.percent) if mine else None


def note(waves: engine.Waves | None, key: str, option: str | None = None) -> str:
    """Return one line's word on the earlier wave ("" when there is none to say)."""
    if waves is None:
        return ""
    found = waves.question(key)
    if found is None:
        return ""
    if not found.compared:  # numbers are never compared: nothing to say on each of their lines
        return "" if found.reason == engine.NOT_COUNTED else capital(reason(found.reason, waves.earlier_label))
    change = main_change(found, option)
    if change is None:
        return ""
    label = answer_label(found, change)
    return f"{label}: {phrase(change, waves.earlier_label)}"


def largest(waves: engine.Waves | None, exclude: set[str] = frozenset()) -> list[Since]:
    """Return the largest clear changes, one per answer key (a scale's % positive when it changed
    clearly, else the key's largest), largest first."""
    if waves is None:
        return []
    out = []
    for found in waves.questions:
        base = found.question.split(".")[0]
        clear = [c for c in found.changes if c.clear and c.group is None]
        if base in exclude or not clear:
            continue
        positive = [c for c in clear if c.option == engine.POSITIVE]  # a scale: what its line shows
        change = positive[0] if positive else max(clear, key=lambda c: abs(c.points))
        sentence = _(
            "“%(question)s” – %(answers)s: %(change)s",
            question=found.text,
            answers=answer_label(found, change),
            change=phrase(change, waves.earlier_label),
        )
        out.append(Since(found.question, base, sentence, change))
    out.sort(key=lambda s: (-abs(s.change.points), s.key))
    return out


def not_compared(waves: engine.Waves | None) -> list[engine.QuestionChange]:
    """Return the questions not compared because their words or answers changed (the pages say so)."""
    if waves is None:
        return []
    return [q for q in waves.questions if q.reason in (engine.WORDING, engine.ANSWERS)]


def summary(waves: engine.Waves | None) -> str:
    """Return one line for an overview: how many answers changed clearly, and what was not compared."""
    if waves is None:
        return ""
    clear = [c for q in waves.questions for c in q.changes if c.clear and c.group is None]
    up = sum(c.points > 0 for c in clear)
    compared = sum(q.compared for q in waves.questions)
    return _(
        "Compared with %(wave)s on %(compared)s questions and statements: %(up)s answers clearly up, "
        "%(down)s clearly down; %(changed)s not compared because their wording or answers changed.",
        wave=waves.earlier_label,
        compared=compared,
        up=up,
        down=len(clear) - up,
        changed=len(not_compared(waves)),
    )


@dataclass
class Row:
    """One compared answer on a staff dashboard."""

    text: str  # the question, or the grid's statement
    group: str  # "Everyone", or the group of the breakdown
    answer: str
    before: str  # "40% (of 1,234)"
    now: str
    change: engine.Change
    words: str  # "Up 12 points", "No clear change"
    interval: str  # "+8.9 to +15.1 points"


@dataclass
class Panel:
    """A dashboard question's comparison with the earlier wave."""

    wave: str
    earlier: str  # the earlier survey's name
    rows: list[Row]
    not_compared: list[tuple[str, str]]  # (text, why)


def short(change: engine.Change) -> str:
    """Return a change in a table's few words: "Up 12 points", "Down 1 point", "No clear change"."""
    before, now = round(change.earlier_percent), round(change.percent)
    if not change.clear:
        return _("No clear change")
    size = abs(now - before)
    if size == 0:
        return _("Up less than 1 point") if change.points > 0 else _("Down less than 1 point")
    if now > before:
        return _("Up 1 point") if size == 1 else _("Up %(n)s points", n=size)
    return _("Down 1 point") if size == 1 else _("Down %(n)s points", n=size)


def _row(found: engine.QuestionChange, change: engine.Change, group: str, wave: str) -> Row:
    return Row(
        found.text,
        group,
        answer_label(found, change),
        f"{change.earlier_percent:.0f}% (of {change.earlier_base:,})",
        f"{change.percent:.0f}% (of {change.base:,})",
        change,
        short(change),
        interval(change),
    )


def panel(survey: Survey, question_id: str, by: str | None, filters: dict[str, str]) -> Panel | None:
    """Return a dashboard question's changes since the earlier wave, for everyone (or the filter's
    group) and, with a breakdown, each group shown in both waves; None without an earlier wave."""
    waves = comparison(survey, "en", filters)
    if waves is None:
        return None
    question = survey.questionnaire.question(question_id.split(".")[0])
    keys = [question_id] if "." in question_id or question.type not in ("grid", "statements") else []
    keys = keys or question.answer_keys()
    out = Panel(waves.earlier_label, waves.earlier_name, [], [])
    for key in keys:
        found = waves.question(key)
        if found is None:
            continue
        if not found.compared:
            out.not_compared.append((found.text, capital(reason(found.reason, waves.earlier_label))))
            continue
        out.rows += [
            _row(found, c, "Everyone" if not filters else "This group", waves.earlier_label) for c in found.changes
        ]
        main = main_change(found)
        groups = results.waves_by_group(survey, key, by, "en", filters) if by and main else None
        labels = {g.code: g.label["en"] for d in results.dimensions(survey) if d.id == by for g in d.values}
        for change in groups.changes if groups else []:  # each group: the main answer only
            if change.option == main.option:  # type: ignore[union-attr]
                out.rows.append(_row(found, change, labels.get(change.group, change.group or ""), waves.earlier_label))
    return out


def overview_line(survey: Survey) -> str:
    """Return the dashboards overview's line on the earlier wave ("" when there is none)."""
    return summary(comparison(survey, "en"))


def line_notes(
    shown: list[findings.Shown], lines: dict[str, list[findings.Line]], waves: engine.Waves | None
) -> dict[tuple[str, int], str]:
    """Return each published line's word on the earlier wave, by (question id, line number): the
    change of what the line shows (a scale's % positive, the answer it names, a statement's support)."""
    out: dict[tuple[str, int], str] = {}
    if waves is None:
        return out
    for item in shown:
        table = item.table
        if table is None or table.refused:
            continue
        if table.ranked is not None:
            if table.ranked.type == "priorities" and table.ranked.rank:
                continue  # its line shows first choices, which are not compared
            for i, row in enumerate(table.ranked.rows):
                if row.rank is not None and table.ranked.type == "statements":
                    out[(item.question.id, i)] = note(waves, row.key, "support")
                elif row.rank is not None:
                    out[(item.question.id, i)] = note(waves, table.question, row.code)
            continue
        for i, (part, line) in enumerate(zip(table.items or [table], lines.get(item.question.id, []), strict=False)):
            option = None
            if not part.positive and line.parts:
                codes = {o.label: o.code for o in part.options}
                option = codes.get(line.parts[0].label)
            out[(item.question.id, i)] = note(waves, part.question, option)
    return {key: text for key, text in out.items() if text}


def published(survey: Survey, publication, language: str, lines: dict, shown: list) -> dict:
    """Return what the published page says of the earlier wave: the largest clear changes among the
    published questions, the questions not compared, and each line's note."""
    waves = comparison(survey, language)
    if waves is None:
        return {"waves": None, "since": [], "not_compared": [], "line_notes": {}}
    exclude = findings.about_members(survey)
    since = [s for s in largest(waves, exclude) if publication.has_question(s.key)]
    changed = [q for q in not_compared(waves) if publication.has_question(q.question)]
    return {
        "waves": waves,
        "since": since[:SINCE_SHOWN],
        "not_compared": changed,
        "line_notes": line_notes(shown, lines, waves),
    }


BRIEFING_SHOWN = 3  # clear changes on the briefing's second page; the rest are counted


def briefing(survey: Survey, publication, filters: dict[str, str], language: str) -> dict:
    """Return the briefing's "Since <earlier wave>" list: the largest clear changes among the
    published questions, for all members or the sector's (a filter), and how many more there are."""
    waves = comparison(survey, language, filters)
    if waves is None:
        return {"since_wave": None, "since": [], "since_more": 0}
    found = [s for s in largest(waves, findings.about_members(survey)) if publication.has_question(s.key)]
    return {
        "since_wave": waves.earlier_label,
        "since": found[:BRIEFING_SHOWN],
        "since_more": len(found[BRIEFING_SHOWN:]),
    }


def question_words(found: engine.QuestionChange, wave: str) -> list[str]:
    """Return a compared question's changes in plain words (everyone), or why it is not compared."""
    if not found.compared:
        return [capital(reason(found.reason, wave))]
    return [f"{answer_label(found, c)}: {phrase(c, wave)}" for c in found.changes if c.group is None]
