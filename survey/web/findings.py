"""What the published page, the conference screen and the briefing say (findings: key results and
equality flags as sentences; each question's line), built from the results engine's public
functions only. Shared by survey/published and the organisers' publication pages.

Sentences are made here, in the reader's language (gettext), from the published (adjusted)
numbers: the engine's own summaries are English. Nothing here counts anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from .. import results
from ..core.publication import PublicationView
from ..models import Survey
from ..questionnaire.model import TEXT_TYPES, Question
from ..results.consultation import signed
from ..results.summaries import SUBSTANTIVE_EXCLUDED  # answer codes only; numbers come from results

HEADLINES = 5  # key results and equality flags shown first


@dataclass
class Finding:
    """One plain sentence with its number, for the headline, the screen and the briefing."""

    key: str  # "q:C2.a" (a key result) or "flag:D2.c:disabled:yes" (an equality flag)
    question: str  # the question to open for more, e.g. "C2"
    by: str | None  # the breakdown that shows it
    percent: float
    sentence: str
    base: int
    other_percent: float | None = None  # equality flags: everyone else's percentage
    answer: str | None = None  # single and multiple choice: the answer counted
    words: str = ""  # the sentence after its percentage, for a page that sets the number large


def quote_answers(labels: list[str], both: bool = False) -> str:
    """Quote answers and join them with "or" (any of them), or with "and" (both=True)."""
    quoted = [f"“{label}”" for label in labels]
    if len(quoted) < 2:
        return "".join(quoted)
    if both:
        return _("%(first)s and %(last)s", first=", ".join(quoted[:-1]), last=quoted[-1])
    return _("%(first)s or %(last)s", first=", ".join(quoted[:-1]), last=quoted[-1])


KEEP_CAPITAL = ("Black", "Welsh", "English", "UNISON", "LGBT")  # words English writes with a capital anywhere


def by_label(dimension: results.DimensionInfo, language: str) -> str:
    """Return how a breakdown is offered: "By region" (English lowers the first letter of a
    dimension's name unless it is a name or an acronym), "Fesul: Rhanbarth"."""
    label = dimension.label.get(language) or dimension.label["en"]
    if language == "en" and not label.startswith(KEEP_CAPITAL) and label[1:2].islower():
        label = label[0].lower() + label[1:]
    return _("By %(dimension)s", dimension=label)


def number(value: int | None) -> str:
    """Format a count with thousands separators."""
    return "" if value is None else f"{value:,}"


def percent(value: float | None) -> str:
    """Format a percentage to a whole number, as the tables do."""
    return "" if value is None else f"{value:.0f}"


def key_result(
    table: results.Table, question: Question, group: str | None = None, answer: str | None = None
) -> Finding | None:
    """Return a table's key result for one group (default everyone): % positive on a scale, else
    the most chosen substantive answer (or the given answer); None when it is not shown."""
    if table.refused:
        return None
    labels = {o.code: o.label for o in table.options}
    if table.scale:
        summary = next((s for s in table.scale if s.group == group), None)
        if summary is None or summary.suppressed or summary.positive_percent is None or not summary.base:
            return None
        values = {
            "percent": percent(summary.positive_percent),
            "answers": quote_answers([labels[c] for c in table.positive]),
            "question": table.text,
        }
        left_out = [o.label for o in table.options if o.code in _off_scale(question)]
        if left_out:  # the share is of the answers on the scale: say which answers it leaves out
            values["left_out"] = quote_answers(left_out, both=True)
            sentence = _("%(percent)s%% said %(answers)s to “%(question)s” (leaving out %(left_out)s).", **values)
            words = _("said %(answers)s to “%(question)s” (leaving out %(left_out)s)", **values)
        else:
            sentence = _("%(percent)s%% said %(answers)s to “%(question)s”.", **values)
            words = _("said %(answers)s to “%(question)s”", **values)
        found = Finding(f"q:{table.question}", question.id, None, summary.positive_percent, sentence, summary.base)
        found.words = words
        return found
    if question.type not in ("single", "multi") or table.numbers:
        return None
    cells = [
        c
        for c in table.cells
        if c.group == group and not c.suppressed and c.option != results.NO_ANSWER and c.count is not None
    ]
    substantive = [c for c in cells if (c.option == answer if answer else not not_substantive(question, c.option))]
    if not substantive:
        return None
    top = max(substantive, key=lambda c: c.count or 0)
    values = {
        "percent": percent(top.percent),
        "answer": labels.get(top.option, top.label),
        "question": table.text,
    }
    if question.type == "multi":
        sentence = _("%(percent)s%% chose “%(answer)s” for “%(question)s”.", **values)
        words = _("chose “%(answer)s” for “%(question)s”", **values)
    else:
        sentence = _("%(percent)s%% said “%(answer)s” to “%(question)s”.", **values)
        words = _("said “%(answer)s” to “%(question)s”", **values)
    found = Finding(f"q:{table.question}", question.id, None, top.percent or 0.0, sentence, top.base or 0)
    found.answer = top.option
    found.words = words
    return found


def _off_scale(question: Question) -> set[str]:
    """Return a scale's off-scale answer codes (Don't know, Not applicable)."""
    return {o.code for o in question.scale.off_scale} if question.scale else set()


def not_substantive(question: Question, code: str) -> bool:
    """Answers that are not a finding in themselves, and go last on a slide: don't know, prefer not to
    say, other."""
    option = next((o for o in question.choices if o.code == code), None)
    return code in SUBSTANTIVE_EXCLUDED or (option is not None and option.other)


def flag_finding(flag: results.Flag, survey: Survey, language: str) -> Finding:
    """Return an equality flag as a sentence in the reader's language."""
    question = survey.questionnaire.question(flag.question.split(".")[0])
    labels = {o.code: o.label[language] for o in question.choices}
    values = {
        "dimension": flag.dimension_label,
        "group": flag.group_label,
        "percent": percent(flag.percent),
        "answers": quote_answers([labels.get(c, c) for c in flag.outcome_codes]),
        "question": flag.question_text,
        "other": percent(flag.other_percent),
    }
    if question.type == "multi":
        sentence = _(
            "%(dimension)s – %(group)s: %(percent)s%% chose %(answers)s for “%(question)s”, "
            "compared with %(other)s%% of everyone else.",
            **values,
        )
    else:
        sentence = _(
            "%(dimension)s – %(group)s: %(percent)s%% said %(answers)s to “%(question)s”, "
            "compared with %(other)s%% of everyone else.",
            **values,
        )
    return Finding(
        f"flag:{flag.question}:{flag.dimension}:{flag.group}",
        question.id,
        flag.dimension,
        flag.percent,
        sentence,
        flag.base,
        flag.other_percent,
    )


def published_flags(survey: Survey, publication: PublicationView, language: str) -> list[Finding] | None:
    """Return the equality flags about published questions and breakdowns, largest gap first
    (None while a large survey's are being worked out by the job worker)."""
    found = results.equality_flags(survey, language, when_ready=True)
    if found is None:
        return None
    flags = [f for f in found if publication.has_question(f.question) and f.dimension in publication.breakdowns]
    flags.sort(key=lambda f: (-abs(f.gap), f.adjusted_p, f.question, f.dimension, f.group))
    return [flag_finding(f, survey, language) for f in flags]


@dataclass
class Shown:
    """One published question's overall results, as the page shows them."""

    question: Question
    table: results.Table | None  # None for free text
    findings: list[Finding]  # its key result (one per statement for a grid)


def overall(
    survey: Survey, publication: PublicationView, language: str, filters: dict[str, str] | None = None
) -> list[Shown]:
    """Return every published question's table for everyone (or one filter group), with key results."""
    shown = []
    for question in survey.questionnaire.questions:
        if question.id not in publication.questions:
            continue
        if question.type in TEXT_TYPES:
            shown.append(Shown(question, None, []))
            continue
        table = results.question_table(survey, question.id, None, filters or {}, language)
        if table.ranked is not None:
            shown.append(Shown(question, table, ranked_findings(table.ranked)))
            continue
        parts = table.items or [table]
        found = [key_result(part, question) for part in parts]
        shown.append(Shown(question, table, [f for f in found if f is not None]))
    return shown


def ranked_findings(ranked: results.Ranked) -> list[Finding]:
    """A consultation question's key results for everyone (or the filter's group): each statement's
    support, or the priority chosen most; the headline and the screen pick from them."""
    found = []
    shown = ranked.shown
    # The statement with most support and the one with least (often the news), or the top priority.
    for row in [*shown[:1], *shown[1:][-1:]] if ranked.type == "statements" else shown[:1]:
        cell = row.cells[0]
        share = cell.support if ranked.type == "statements" else cell.chosen
        values = {"percent": percent(share.percent), "statement": row.label, "question": ranked.text}
        if ranked.type == "statements":
            values["oppose"] = percent(cell.oppose.percent)
            sentence = _("%(percent)s%% support “%(statement)s”; %(oppose)s%% oppose it.", **values)
            words = _("support “%(statement)s”; %(oppose)s%% oppose it", **values)
        else:
            sentence = _("%(percent)s%% chose “%(statement)s” among their priorities in “%(question)s”.", **values)
            words = _("chose “%(statement)s” among their priorities", **values)
        finding = Finding(f"q:{row.key}", ranked.question, None, share.percent, sentence, cell.base or 0)
        finding.words = words
        found.append(finding)
    return found


@dataclass
class Part:
    """One answer in its own words and the share of everyone who gave it."""

    label: str
    percent: float
    tone: str = ""  # "for" or "against": a statement's support and opposition, drawn in their colours


@dataclass
class Line:
    """A question (or one statement of a grid) in one line with one bar: its key answers."""

    text: str
    parts: list[Part]  # the answers the bar is made of, in the question's order
    note: str = ""  # said instead of parts: a median, or why nothing is shown
    after: str = ""  # said after the parts, outside the bar: a statement's opposition and net support


def lines(shown: Shown, language: str) -> list[Line]:
    """Return a published question's lines for the collapsed page: one per statement of a grid,
    else one, each naming its key answers with their shares of everyone who answered."""
    if shown.table is None:
        return []
    if shown.table.refused:  # the engine says why in English: a page in either language says this
        note = _("Its answers are shown as groups to compare other answers by, not on their own.")
        return [Line(shown.table.text, [], note)]
    if shown.table.ranked is not None:
        return _ranked_lines(shown.table.ranked)
    return [_line(part, shown.question, language) for part in (shown.table.items or [shown.table])]


def _ranked_lines(ranked: results.Ranked) -> list[Line]:
    """A consultation question's lines, in rank order: each statement's support in the bar, then its
    opposition and net support; each priority's share choosing it (or ranking it first)."""
    labels = {o.code: o.label for o in ranked.options}
    out = []
    for row in ranked.rows:
        cell = row.cells[0]
        if row.rank is None or cell.suppressed:
            out.append(Line(row.label, [], _("Not shown (small group)")))
        elif ranked.type == "statements":
            parts = [
                Part(labels.get("support", _("Support")), cell.support.percent, "for"),
                Part(labels.get("oppose", _("Oppose")), cell.oppose.percent, "against"),
            ]
            after = _("net support %(net)s", net=signed(cell.net))
            out.append(Line(f"{row.rank}. {row.label}", parts, after=after))
        else:
            word = _("Ranked first") if ranked.rank else _("Chose it")
            share = cell.first if ranked.rank and cell.first is not None else cell.chosen
            out.append(Line(f"{row.rank}. {row.label}", [Part(word, share.percent)]))
    return out


def _line(table: results.Table, question: Question, language: str) -> Line:
    text = table.text
    if table.refused:
        return Line(text, [], _("Not shown (small group)"))
    if table.numbers:
        summary = next((n for n in table.numbers if n.group is None), None)
        if summary is None or summary.suppressed or summary.median is None:
            return Line(text, [], _("Not shown (small group)"))
        unit = f" {question.unit[language]}" if question.unit else ""
        return Line(text, [], _("Half answered %(median)s%(unit)s or less.", median=f"{summary.median:g}", unit=unit))
    everyone = next((g for g in table.groups if g.code is None), None)
    if everyone is None or everyone.suppressed:
        return Line(text, [], _("Not shown (small group)"))
    labels = {o.code: o.label for o in table.options}
    cells = {
        c.option: c
        for c in table.cells
        if c.group is None and not c.suppressed and c.percent is not None and c.option != results.NO_ANSWER
    }
    if table.positive:  # a scale: the answers at its positive end, each with its own share, strongest first
        order = [o.code for o in table.options]
        ends_high = max(map(order.index, table.positive)) > max(map(order.index, table.negative or [order[0]]))
        codes = list(reversed(table.positive)) if ends_high else table.positive
        return Line(text, [Part(labels[code], cells[code].percent) for code in codes if code in cells])
    substantive = [c for c in cells.values() if not not_substantive(question, c.option)] or list(cells.values())
    if not substantive:
        return Line(text, [], _("Not shown (small group)"))
    top = max(substantive, key=lambda c: c.count or 0)
    return Line(text, [Part(labels.get(top.option, top.label), top.percent)])


def about_members(survey: Survey) -> set[str]:
    """Return the questions that say who members are (dimensions, and the equality questions,
    which come last): their answers are breakdowns, not findings for the headline."""
    questionnaire = survey.questionnaire
    dimensions = {d.id: d for d in results.dimensions(survey)}
    out = {q.id for q in questionnaire.questions if q.id in dimensions}
    equality = False
    for section in questionnaire.sections:
        equality = equality or any(dimensions.get(q.id) and dimensions[q.id].protected for q in section.questions)
        if equality:
            out |= {q.id for q in section.questions}
    return out


def headline(
    shown: list[Shown], flags: list[Finding], exclude: set[str] = frozenset()
) -> tuple[list[Finding], list[Finding]]:
    """Return the headline: the largest key results, then the largest equality gaps."""
    found = [f for s in shown if s.question.id not in exclude for f in s.findings]
    found.sort(key=lambda f: (-f.percent, f.key))
    return found[:HEADLINES], flags[:HEADLINES]


def findings_by_key(shown: list[Shown], flags: list[Finding]) -> dict[str, Finding]:
    """Return every finding that can be put on the conference screen, by its key."""
    return {f.key: f for f in [*(f for s in shown for f in s.findings), *flags]}
