"""The negotiators' briefing: two A4 pages for one sector (or for all members), then an appendix.

Page 1 says whose views these are, the five largest clear differences between the sector and all
members, the ranked demands and the top priorities; page 2 the equality findings within the sector and the method;
the appendix every published question for the sector. Every number is the results engine's
published (adjusted) number: nothing here counts anything.

A sector is a group of the audience's sector dimension, used as a filter. The engine lets any
non-protected dimension filter, so a briefing works for every sector with enough responses,
whether or not the organiser published sector as a breakdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from .. import results
from ..core import reviews, themes
from ..core.publication import PublicationView
from ..models import Survey
from ..questionnaire.model import TEXT_TYPES, Question, Section
from ..results.flags import cautious_p
from ..results.stats import benjamini_hochberg
from ..results.themes import Themes
from . import findings

DIFFERENCES = 5  # the largest differences on page 1
PRIORITIES = 3  # a priorities question's options on page 1: the most chosen
EQUALITY_SHOWN = 5  # equality findings on page 2; any more go to the appendix
COMMENTS = 8  # comments per question in the appendix
ANSWER_TYPES = ("single", "multi", "scale", "grid")  # questions with one main answer to compare
ALPHA = 0.05  # false discovery rate over a sector's comparisons with the other members
MIN_POINTS = 5  # smaller differences are not worth a line, however clear
# Equality findings are shown for groups (and the rest of the sector) of at least this many who
# answered: in smaller ones a count of 1 or 2, published as 0 or 3, moves a share enough to look
# like a difference.
EQUALITY_MIN_GROUP = 50


@dataclass
class Difference:
    """One question's main answer, for the sector (None for all members' briefing) and for all members."""

    key: str  # the answer key, "C1" or "C2.a"
    question: str  # the question in the reader's language (a grid's statement after it)
    answers: str  # the answer(s) counted, quoted in their own words
    chose: bool  # multiple choice: "chose", else "answered"
    everyone: float  # all members' published percentage
    sector: float | None = None
    points: int = 0  # the shown (rounded) sector percentage less all members', in points
    exact: float = 0.0  # the same, unrounded, for the order


@dataclass
class Demand:
    """A draft statement (a negotiating demand) and its support, for the ranked demands."""

    statement: str
    support: float  # % of those answering who support it
    oppose: float
    net: float  # support less oppose, in points


@dataclass
class Priority:
    """One of a priorities question's most chosen options, with its published shares."""

    label: str
    chosen: float  # % of those answering who chose it (put it in their top N)
    first: float | None = None  # % who ranked it first (ranked questions only)


@dataclass
class Priorities:
    """A priorities question's most chosen options, for page 1."""

    question: str
    rank: int | None  # each member ranked their top this many
    choose: int | None  # or chose exactly this many
    top: list[Priority] = field(default_factory=list)


@dataclass
class Row:
    """One line of an appendix table: an answer (or a grid's statement) and its percentages."""

    label: str
    sector: float | None  # None: not shown
    everyone: float | None


@dataclass
class Compact:
    """One question of the appendix: its answers for the sector and for all members."""

    text: str
    sector_n: int | None  # people who answered it, published; None when not shown
    everyone_n: int | None
    rows: list[Row] = field(default_factory=list)
    counted: str | None = None  # a grid's statements: the answers counted, quoted
    median: tuple[float | None, float | None] | None = None  # number questions: (sector, everyone)
    hidden: str | None = None  # why the sector's answers are not shown


@dataclass
class Briefing:
    """Everything the briefing template shows."""

    sector: results.Group | None  # None: all members
    small: bool  # the sector is too small to show
    responses: int | None  # published count of members whose views these are
    audience: str | None = None  # a sector survey's members, by their sector's name; None: all members
    context: str | None = None  # the wider group that sector is part of (its service group)
    differences: list[Difference] = field(default_factory=list)  # clear differences, largest first
    most: list[Difference] = field(default_factory=list)  # then the answers given by the largest shares
    demands: list[Demand] = field(default_factory=list)
    priorities: list[Priorities] = field(default_factory=list)
    equality: list[str] = field(default_factory=list)  # page 2: sentences, largest gap first
    equality_more: list[str] = field(default_factory=list)  # the rest, for the appendix
    appendix: list[tuple[Section, list[Compact]]] = field(default_factory=list)
    comments: list[tuple[Question, results.Comments]] = field(default_factory=list)
    themes: dict[str, Themes] = field(default_factory=dict)  # by question: top themes, one quote each


def build(
    survey: Survey,
    publication: PublicationView,
    overview: results.Overview,
    dimension: str | None,
    code: str | None,
    language: str,
) -> Briefing | None:
    """Return the briefing for the group `code` of the sector `dimension` (code None: all members);
    None when there is no such sector."""
    sector = None
    audience, context = audience_names(survey, language)
    if code is not None:
        sector = _sector(survey, overview, dimension, code)
        if sector is None:
            return None
        if sector.suppressed:
            return Briefing(sector, True, None, audience, context)
    filters = {dimension: code} if sector else {}
    everyone = _tables(survey, publication, {}, language)
    mine = _tables(survey, publication, filters, language) if sector else everyone
    found = equality(survey, publication, filters, sector, language)
    clear, most = differences(survey, everyone, mine if sector else None)
    return Briefing(
        sector=sector,
        small=False,
        responses=sector.n if sector else overview.responses,
        audience=audience,
        context=context,
        differences=clear,
        most=most,
        demands=ranked_demands(survey, publication, filters, language),
        priorities=top_priorities(survey, publication, filters, language),
        equality=found[:EQUALITY_SHOWN],
        equality_more=found[EQUALITY_SHOWN:],
        appendix=appendix(survey, everyone, mine if sector else None, language),
        comments=[
            (q, results.comments(survey, q.id, {}, language, decisions=reviews.decisions(survey, q.id)))
            for q in survey.questionnaire.questions
            if q.id in publication.questions and q.type in TEXT_TYPES
        ],
        themes={
            q.id: themes.themes(survey, q.id, {}, language, quotes=1)
            for q in survey.questionnaire.questions
            if q.id in publication.questions and q.type in TEXT_TYPES
        },
    )


def audience_names(survey: Survey, language: str) -> tuple[str | None, str | None]:
    """Return a sector survey's members by their own name ("Probation Service (England and
    Wales)", with a region after it when the survey has one) and the wider group their sector is
    part of ("Police and justice (police staff, probation, CAFCASS)"); (None, None) for a survey
    of all members."""
    questionnaire = survey.questionnaire
    labels: dict[str, str] = {}
    for key, code in (survey.audience or {}).items():
        question_id = questionnaire.audience.get(key)
        if not code or question_id is None:
            continue
        option = next((o for o in questionnaire.question(question_id).choices if o.code == code), None)
        labels[key] = (option.label.get(language) or option.label["en"]) if option else code
    named = labels.get("sector") or labels.get("service_group")
    names = [n for n in (named, labels.get("region")) if n]
    if not names:
        return None, None
    return ", ".join(names), labels.get("service_group") if labels.get("sector") else None


def _sector(survey: Survey, overview: results.Overview, dimension: str | None, code: str) -> results.Group | None:
    """Return the sector's group in the overview (published size, or suppressed), or None."""
    if dimension is None or dimension not in results.filter_rules(survey).filter_dimensions:
        return None
    breakdown = next((b for b in overview.breakdowns if b.dimension == dimension), None)
    found = next((g for g in breakdown.groups if g.code == code), None) if breakdown else None
    return found if found is not None and found.code != results.NO_ANSWER else None


def _tables(
    survey: Survey, publication: PublicationView, filters: dict[str, str], language: str
) -> dict[str, results.Table]:
    """Return the published questions' tables (for everyone, or filtered), by question id."""
    allowed = set(results.filter_rules(survey).filter_dimensions)
    out = {}
    for question in survey.questionnaire.questions:
        if question.id not in publication.questions or question.type in TEXT_TYPES:
            continue
        if filters and not set(filters) <= set(results.query_options(survey, question.id).filters) & allowed:
            continue  # the sector's own question (and any made from the same answers)
        out[question.id] = results.question_table(survey, question.id, None, filters, language)
    return out


# --- page 1: the largest differences ---------------------------------------------------------


def _main_answer(table: results.Table, question: Question, answer: str | None = None):
    """Return (answer codes, percent, count, base) of a table's main answer for its first group,
    all published: a scale's positive side, else the most chosen substantive answer (or the given one)."""
    if table.refused:
        return None
    if table.scale:
        summary = table.scale[0]
        if summary.suppressed or summary.positive_percent is None or not summary.base:
            return None
        return tuple(table.positive), summary.positive_percent, summary.positive_count or 0, summary.base
    cells = [
        c
        for c in table.cells
        if c.group is None and not c.suppressed and c.percent is not None and c.option != results.NO_ANSWER
    ]
    if answer is None:
        cells = [c for c in cells if not findings.not_substantive(question, c.option)]
        top = max(cells, key=lambda c: (c.count or 0, -table.cells.index(c)), default=None)
    else:
        top = next((c for c in cells if c.option == answer), None)
    return None if top is None or not top.base else ((top.option,), top.percent, top.count or 0, top.base)


def _parts(table: results.Table) -> list[results.Table]:
    return table.items or [table]


def _who_members_are(survey: Survey) -> set[str]:
    """Return the questions that only say who members are: the sections of the audience's
    questions (sector, region, job) and the equality sections, which come last. A breakdown made
    from an experience elsewhere, such as whether AI is used at work, stays a finding."""
    questionnaire = survey.questionnaire
    dimensions = {d.id: d for d in results.dimensions(survey)}
    asked = {q.id: q for q in questionnaire.questions}
    audience = {asked[q].section_id for q in questionnaire.audience.values() if q in asked}
    out: set[str] = set()
    equality = False
    for section in questionnaire.sections:
        equality = equality or any(dimensions.get(q.id) and dimensions[q.id].protected for q in section.questions)
        if equality or section.id in audience:
            out |= {q.id for q in section.questions}
    return out


def differences(
    survey: Survey, everyone: dict[str, results.Table], sector: dict[str, results.Table] | None
) -> tuple[list[Difference], list[Difference]]:
    """Return the largest differences between the sector and all members on each question's main
    answer (at most DIFFERENCES, largest first), where the data show one, and the main answers
    given by the largest shares to make up DIFFERENCES lines (for all members: only those).

    A difference is shown when the sector and the other members (all members less the sector,
    from the published counts) differ by more than chance would explain: a two-proportion test
    on each question's main answer, the p-values of all questions adjusted together
    (Benjamini–Hochberg, false discovery rate ALPHA), as the equality flags are decided."""
    about = _who_members_are(survey)
    found: list[tuple[Difference, float]] = []
    for question in survey.questionnaire.questions:
        table = everyone.get(question.id)
        if table is None or question.id in about or question.type not in ANSWER_TYPES:
            continue
        mine = sector.get(question.id) if sector is not None else None
        if sector is not None and (mine is None or mine.refused):
            continue
        for i, part in enumerate(_parts(table)):
            all_main = _main_answer(part, question)
            if all_main is None:
                continue
            codes, percent, count, base = all_main
            labels = {o.code: o.label for o in part.options}
            text = part.text if part is table else f"{table.text} – {part.text}"
            answers = findings.quote_answers([labels[c] for c in codes])
            item = Difference(part.question, text, answers, question.type == "multi", percent)
            p = 1.0
            if mine is not None:
                sector_main = _main_answer(_parts(mine)[i], question, None if part.scale else codes[0])
                if sector_main is None:
                    continue
                _, item.sector, sector_count, sector_base = sector_main
                other_base = base - sector_base
                if other_base < table.threshold:
                    continue  # the sector is (nearly) everyone: nothing to compare it with
                other_count = min(max(0, count - sector_count), other_base)
                p = cautious_p(min(sector_count, sector_base), sector_base, other_count, other_base)
                item.exact = item.sector - percent
                item.points = round(item.sector) - round(percent)
            found.append((item, p))
    if sector is None:
        return [], most_said([d for d, _p in found], [])
    adjusted = benjamini_hochberg([p for _d, p in found]) if found else []
    shown = [d for (d, _p), q in zip(found, adjusted, strict=True) if q <= ALPHA and abs(d.points) >= MIN_POINTS]
    shown.sort(key=lambda d: (-abs(d.exact), d.key))
    shown = shown[:DIFFERENCES]
    return shown, most_said([d for d, _p in found], shown)


def most_said(found: list[Difference], shown: list[Difference]) -> list[Difference]:
    """Return the main answers given by the largest shares (of the sector, or of all members) that
    are not already among the differences shown, to make up DIFFERENCES lines on page 1."""
    keys = {d.key for d in shown}
    rest = [d for d in found if d.key not in keys]
    rest.sort(key=lambda d: (-(d.sector if d.sector is not None else d.everyone), d.key))
    return rest[: DIFFERENCES - len(shown)]


# --- page 1: the ranked demands --------------------------------------------------------------


def _published_ranked(survey: Survey, publication: PublicationView, kind: str, filters: dict[str, str], language: str):
    """Yield the engine's ranked results of each published question of this kind ("statements",
    "priorities") for the sector (or everyone), leaving out those it refuses."""
    for question in survey.questionnaire.questions:
        if question.type == kind and publication.has_question(question.id):
            found = results.ranked(survey, question.id, filters=filters or None, language=language)
            if not found.refused:
                yield found


def ranked_demands(
    survey: Survey, publication: PublicationView, filters: dict[str, str], language: str
) -> list[Demand]:
    """Return the consultation's draft statements for the sector (or everyone), most net support
    first, from the engine's ranked results (the published counts every other page shows); empty
    when the survey asks none."""
    demands = [
        Demand(row.label, row.cells[0].support.percent, row.cells[0].oppose.percent, row.cells[0].net)
        for found in _published_ranked(survey, publication, "statements", filters, language)
        for row in found.shown
        if row.cells[0].support is not None and row.cells[0].oppose is not None
    ]
    demands.sort(key=lambda d: -d.net)
    return demands


def top_priorities(
    survey: Survey, publication: PublicationView, filters: dict[str, str], language: str
) -> list[Priorities]:
    """Return each published priorities question's PRIORITIES most chosen options for the sector
    (or everyone), from the engine's ranked results; empty when the survey asks none."""
    out = []
    for found in _published_ranked(survey, publication, "priorities", filters, language):
        top = [
            Priority(row.label, row.cells[0].chosen.percent, row.cells[0].first.percent if row.cells[0].first else None)
            for row in found.shown
            if row.cells[0].chosen is not None
        ]
        if top:
            out.append(Priorities(found.text, found.rank, found.choose, top[:PRIORITIES]))
    return out


# --- page 2: equality findings ---------------------------------------------------------------


def equality(
    survey: Survey, publication: PublicationView, filters: dict[str, str], sector: results.Group | None, language: str
) -> list[str]:
    """Return the equality flags within the sector (or among all members) about published questions
    and breakdowns, as plain sentences, largest gap first."""
    flags = [
        f
        for f in results.equality_flags(survey, language, filters=filters or None) or []
        if publication.has_question(f.question)
        and f.dimension in publication.breakdowns
        and min(f.base, f.other_base) >= EQUALITY_MIN_GROUP
    ]
    flags.sort(key=lambda f: (-abs(f.gap), f.adjusted_p, f.question, f.dimension, f.group))
    return [_flag_sentence(f, survey, sector, language) for f in flags]


def _flag_sentence(flag: results.Flag, survey: Survey, sector: results.Group | None, language: str) -> str:
    question = survey.questionnaire.question(flag.question.split(".")[0])
    labels = {o.code: o.label[language] for o in question.choices}
    values = {
        "group": flag.group_label,
        "dimension": flag.dimension_label,
        "percent": findings.percent(flag.percent),
        "answers": findings.quote_answers([labels.get(c, c) for c in flag.outcome_codes]),
        "question": flag.question_text,
        "other": findings.percent(flag.other_percent),
    }
    if sector is not None:
        values["sector"] = sector.label
        if question.type == "multi":
            return _(
                "%(dimension)s – %(group)s: %(percent)s%% chose %(answers)s for “%(question)s”, "
                "compared with %(other)s%% of everyone else in %(sector)s.",
                **values,
            )
        return _(
            "%(dimension)s – %(group)s: %(percent)s%% answered %(answers)s to “%(question)s”, "
            "compared with %(other)s%% of everyone else in %(sector)s.",
            **values,
        )
    if question.type == "multi":
        return _(
            "%(dimension)s – %(group)s: %(percent)s%% chose %(answers)s for “%(question)s”, "
            "compared with %(other)s%% of everyone else.",
            **values,
        )
    return _(
        "%(dimension)s – %(group)s: %(percent)s%% answered %(answers)s to “%(question)s”, "
        "compared with %(other)s%% of everyone else.",
        **values,
    )


# --- appendix: the full tables ---------------------------------------------------------------


def appendix(
    survey: Survey, everyone: dict[str, results.Table], sector: dict[str, results.Table] | None, language: str
) -> list[tuple[Section, list[Compact]]]:
    """Return every published question's answers for the sector and for all members, section by section."""
    out = []
    for section in survey.questionnaire.sections:
        found = []
        for question in section.questions:
            table = everyone.get(question.id)
            if table is None or (sector is not None and question.id not in sector):
                continue
            found.append(_compact(question, table, sector[question.id] if sector is not None else None, language))
        if found:
            out.append((section, found))
    return out


def _shown_n(table: results.Table | None) -> int | None:
    if table is None or table.refused:
        return None
    first = table.items[0] if table.items else table
    return None if first.refused or not first.groups or first.groups[0].suppressed else first.groups[0].n


def _compact(question: Question, everyone: results.Table, sector: results.Table | None, language: str) -> Compact:
    """Return one question's compact table: each answer's percentage (grids: each statement's
    share on the positive side)."""
    text = question.text[language]
    compact = Compact(text, _shown_n(sector), _shown_n(everyone))
    if sector is not None and sector.refused:
        compact.hidden = _("Not shown (small group)")
    if everyone.refused:
        compact.hidden = _("Not shown (small group)")
        return compact
    if everyone.items:
        first = everyone.items[0]
        labels = {o.code: o.label for o in first.options}
        compact.counted = findings.quote_answers([labels[c] for c in first.positive])
        mine = {t.question: t for t in sector.items} if sector is not None and not sector.refused else {}
        for item in everyone.items:
            compact.rows.append(Row(item.text, _positive(mine.get(item.question)), _positive(item)))
        return compact
    if everyone.numbers:
        compact.median = (_median(sector), _median(everyone))
        return compact
    mine_cells = _percents(sector) if sector is not None and not sector.refused else {}
    for option in everyone.options:
        cell = next((c for c in everyone.cells if c.group is None and c.option == option.code), None)
        if cell is None:
            continue
        compact.rows.append(Row(option.label, mine_cells.get(option.code), cell.percent))
    return compact


def _positive(table: results.Table | None) -> float | None:
    """Return a grid statement's share on the positive side (a draft statement's: its support)."""
    if table is None or table.refused:
        return None
    if table.scale:
        return None if table.scale[0].suppressed else table.scale[0].positive_percent
    cells = [c for c in table.cells if c.group is None and c.option in table.positive]
    return cells[0].percent if len(cells) == 1 else None


def _median(table: results.Table | None) -> float | None:
    if table is None or table.refused or not table.numbers or table.numbers[0].suppressed:
        return None
    return table.numbers[0].median


def _percents(table: results.Table) -> dict[str, float | None]:
    return {c.option: c.percent for c in table.cells if c.group is None}
