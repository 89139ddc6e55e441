"""The conference screen: one slide per published question, for a 1920×1080 projector in a hall.

Each slide is the question as its title and one chart of large labelled horizontal bars (the
answers in their own words with their published percentages), or, for draft statements, the
ranked list with support and oppose side by side. A QR code and a short address to type sit
beside it. Every slide is its own page (?slide=N), so with JavaScript off the screen is plain
pages with Previous and Next links; static/js/screen.js adds the arrow keys, moving on by itself,
Pause, and (on a live poll) asking every POLL_SECONDS whether a new batch of results was released.

Nothing here counts anything: every number is a published number of the results engine (the same
table the published page shows), and an answer or question too small to show is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _

from .. import current_language, results
from ..models import LONDON, AccessMode, Survey, as_utc
from ..questionnaire.model import Question
from ..results.engine import SUBSTANTIVE_EXCLUDED  # answer codes only; numbers come from results
from . import content
from .access import TEXT_TYPES, Release, default_release

SLIDE_SECONDS = 20  # a slide stays this long before the screen moves on (unless paused)
POLL_SECONDS = 45  # a live poll asks this often whether a new batch was released (ADR 0020)

# How much fits on a 1920×1080 slide with every text at least 48 px: the chart column is 1,312 px
# wide and about 900 px high above the buttons. Answers that do not fit go on to a further slide.
# Characters a line and pixels, measured in Chromium with DejaVu Sans (tests/test_screen.py checks
# that every slide of the demo polls, in English and in Welsh, fits on the screen).
TITLE_CHARS, TITLE_LINE, TITLE_GAP = 40, 65, 28  # the question: 56 px bold
LABEL_CHARS, LINE = 48, 56  # an answer or a statement: 48 px, 1,180 px wide beside its percentage
BAR_ROW = 60  # the bar under a label, and the gap to the next
RANKED_CHARS, RANKED_ROW, SIDE_CHARS = 54, 97, 24  # a statement spans the column; its two sides below
CHART_HEIGHT = 940  # the title and the chart together (the estimates above run a little high)
MAX_ROWS = 8


@dataclass
class Bar:
    """One answer in its own words, with its published percentage."""

    code: str
    label: str
    percent: float


@dataclass
class Row:
    """One statement of a ranked list: the share on each side (e.g. support and oppose), published."""

    code: str
    label: str
    left: float | None
    right: float | None
    net: float | None = None  # statements: % support − % oppose, in points (the ranking)


@dataclass
class Slide:
    """One slide: a question's title and its chart (bars, or a ranked list of statements)."""

    question: str
    title: str
    bars: list[Bar] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    sides: tuple[str, str] | None = None  # a ranked list's two column headings
    net: bool = False  # a ranked list shows net support
    part: int = 1
    parts: int = 1

    @property
    def kind(self) -> str:
        """Return "ranked" for a list of statements with two sides, else "bars"."""
        return "ranked" if self.sides else "bars"

    def codes(self) -> list[str]:
        """Return the codes of what the chart shows, in order (a live update keeps them or reloads)."""
        return [b.code for b in self.bars] or [r.code for r in self.rows]


# --- building slides from the engine's published tables -----------------------------------------


def _excluded(question: Question, code: str) -> bool:
    """Answers that go last, after the ranked ones: don't know, prefer not to say, other."""
    option = next((o for o in question.choices if o.code == code), None)
    return code in SUBSTANTIVE_EXCLUDED or (option is not None and option.other)


def _everyone(table: results.Table) -> list[results.Cell]:
    """Return the shown cells for everyone: an answer too small to show is simply left out."""
    return [
        c
        for c in table.cells
        if c.group is None and not c.suppressed and c.option != results.NO_ANSWER and c.percent is not None
    ]


def _choice(question: Question, table: results.Table, language: str) -> Slide:
    """Single and multiple choice: the answers ranked by their share, "Don't know" and "Other" last."""
    order = {code: i for i, code in enumerate(question.codes)}
    cells = sorted(
        _everyone(table), key=lambda c: (_excluded(question, c.option), -(c.percent or 0), order.get(c.option, 0))
    )
    return Slide(question.id, table.text, bars=[Bar(c.option, c.label, c.percent or 0.0) for c in cells])


def _scale(question: Question, table: results.Table, language: str) -> Slide:
    """A scale: every point in the scale's own order, then "Don't know"."""
    return Slide(question.id, table.text, bars=[Bar(c.option, c.label, c.percent or 0.0) for c in _everyone(table)])


def _sides(question: Question, labels: dict[str, str], codes: list[str]) -> str:
    """Return one side of a scale in its own words, the farthest from the middle first:
    "Strongly agree or Agree", "Decreased a lot or Decreased a little"."""
    points = [p.code for p in question.scale.points] if question.scale else list(codes)
    middle = (len(points) - 1) / 2
    ordered = sorted(codes, key=lambda c: -abs(points.index(c) - middle) if c in points else 0)
    names = [labels[c] for c in ordered if c in labels]
    if len(names) < 2:
        return "".join(names)
    return _("%(first)s or %(last)s", first=", ".join(names[:-1]), last=names[-1])


def _grid(question: Question, table: results.Table, language: str) -> Slide:
    """A grid: each statement's share on each side of its scale, in the questionnaire's order."""
    texts = {f"{question.id}.{item.code}": item.text[language] for item in question.items}
    rows = []
    for part in table.items:
        summary = next((s for s in part.scale if s.group is None), None)
        if part.refused or summary is None or summary.suppressed or summary.positive_percent is None:
            continue
        rows.append(
            Row(part.question, texts.get(part.question, part.text), summary.positive_percent, summary.negative_percent)
        )
    labels = {o.code: o.label for o in table.options}
    return Slide(
        question.id,
        table.text,
        rows=rows,
        sides=(_sides(question, labels, table.positive), _sides(question, labels, table.negative)),
    )


def _statements(question: Question, table: results.Table, language: str) -> Slide:
    """Draft statements (demands): ranked by net support, with % support and % oppose of those answering."""
    ranked = table.ranked  # the engine's ranked results (results.ranked gives the same)
    rows = []
    for row in ranked.rows if ranked is not None and not ranked.refused else []:
        cell = row.cells[0] if row.cells else None
        if row.rank is None or cell is None or cell.suppressed or cell.net is None:
            continue
        rows.append(
            Row(
                row.code,
                row.label,
                cell.support.percent if cell.support else 0.0,
                cell.oppose.percent if cell.oppose else 0.0,
                cell.net,
            )
        )
    labels = {o.code: o.label for o in (ranked.options if ranked is not None else table.options)}
    sides = (labels.get("support", _("Support")), labels.get("oppose", _("Oppose")))
    return Slide(question.id, table.text, rows=rows, sides=sides, net=True)


def _priorities(question: Question, table: results.Table, language: str) -> Slide:
    """Priorities: the options ranked by how often they were chosen (in the top N)."""
    ranked = table.ranked  # the engine's ranked results (results.ranked gives the same)
    bars = []
    for row in ranked.rows if ranked is not None and not ranked.refused else []:
        cell = row.cells[0] if row.cells else None
        if row.rank is None or cell is None or cell.suppressed or cell.chosen is None:
            continue
        bars.append(Bar(row.code, row.label, cell.chosen.percent))
    return Slide(question.id, table.text, bars=bars)


BUILDERS = {
    "single": _choice,
    "multi": _choice,
    "scale": _scale,
    "grid": _grid,
    "statements": _statements,
    "priorities": _priorities,
}


def _lines(text: str, width: int) -> int:
    """Return how many lines a text wraps to at about `width` characters a line."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines + (used > width) * math.ceil((used - width) / width)


def _height(slide: Slide, rows: list, kicker: str = "") -> int:
    """Return about how high a slide's title (after `kicker`, its other words) and chart are, in
    pixels, with these rows."""
    height = _lines(f"{kicker}{slide.title}", TITLE_CHARS) * TITLE_LINE + TITLE_GAP
    if slide.sides:
        height += max(_lines(side, SIDE_CHARS) for side in slide.sides) * LINE + 14
        return height + sum(_lines(r.label, RANKED_CHARS) * LINE + RANKED_ROW for r in rows)
    return height + sum(_lines(b.label, LABEL_CHARS) * LINE + BAR_ROW for b in rows)


def _split(slide: Slide, kicker: str) -> list[Slide]:
    """Return a slide as one or more slides, as few as hold every bar at full size, evenly filled."""
    items = slide.rows if slide.sides else slide.bars
    parts = 1
    while parts < len(items):
        size = math.ceil(len(items) / parts)
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        title = kicker if parts == 1 else f"{kicker}{_('(continued)')} "  # a later part says so in its title
        if all(len(c) <= MAX_ROWS and _height(slide, c, title) <= CHART_HEIGHT for c in chunks):
            break
        parts += 1
    size = math.ceil(len(items) / parts) if items else 1
    chunks = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
    out = []
    for number, chunk in enumerate(chunks, start=1):
        part = Slide(slide.question, slide.title, sides=slide.sides, net=slide.net, part=number, parts=len(chunks))
        if slide.sides:
            part.rows = chunk
        else:
            part.bars = chunk
        out.append(part)
    return out


def slides(survey: Survey, questions: list[str], language: str, live: bool = False) -> list[Slide]:
    """Return the slides of these questions, in this order: one per question (more when its answers
    do not fit on one), leaving out free text and any question with nothing that may be shown."""
    out = []
    kicker = _("Live poll") + ": " if live else ""  # the title's first words on a live poll
    for question_id in questions:
        question = survey.questionnaire.question(question_id)
        build = BUILDERS.get(question.type)
        if build is None:
            continue  # free text and numbers have no bars
        table = results.question_table(survey, question.id, None, {}, language)
        if table.refused:
            continue
        slide = build(question, table, language)
        if slide.codes():
            out.extend(_split(slide, kicker))
    return out


def published_questions(survey: Survey, release: Release) -> list[str]:
    """Return the questions a published screen shows: those of the findings the organiser chose for
    it, in their order; else every published question, in the release's order."""
    published = [q for q in release.questions if q in {q.id for q in survey.questionnaire.questions}]
    if release.findings:
        chosen = [key.split(":")[1].split(".")[0] for key in release.findings if ":" in key]  # "q:C2.a" is C2
        return list(dict.fromkeys(q for q in chosen if q in published))
    return [q for q in published if survey.questionnaire.question(q).type not in TEXT_TYPES]


def live_questions(survey: Survey) -> list[str]:
    """Return the questions a live poll shows: every question but free text and the equality
    questions (a hall screen is no place for who people are, beyond the breakdowns)."""
    dimensions = {d.id: d for d in results.dimensions(survey)}
    private = content.about_members(survey) - {d for d, info in dimensions.items() if not info.protected}
    return [q for q in default_release(survey).questions if q not in private]


# --- the page and its JSON ----------------------------------------------------------------------


@dataclass
class Screen:
    """What a screen shows: its slides, where they live, and how to take part or read more."""

    survey: Survey
    slides: list[Slide]
    overview: results.Overview
    endpoint: str  # the slides' own address, e.g. "published.screen"
    address: dict
    link: str | None  # what the QR code opens: the survey (live poll) or its published results
    live: bool
    data_url: str | None = None  # a live poll's JSON

    def url(self, number: int, **extra) -> str:
        """Return the address of slide `number` (1 = the first)."""
        return url_for(self.endpoint, **self.address, slide=number, **extra)


def short_link(link: str) -> str:
    """Return a link as people type it: without https://."""
    return link.removeprefix("https://").removeprefix("http://")


def updated(survey: Survey) -> str | None:
    """Return when a live poll's results last changed, to the minute in UK time: the release time
    of its latest batch of totals (never a time beside anyone's answer)."""
    if survey.released_at is None:
        return None
    return f"{as_utc(survey.released_at).astimezone(LONDON):%H:%M}"


def _number() -> int:
    """Return the slide asked for (1 = the first); anything else is the first."""
    return request.args.get("slide", 1, type=int)


def published_screen(survey: Survey, release: Release) -> Screen:
    """Return the published screen: the chosen questions, and a QR code of the results page."""
    language = current_language()
    overview = results.overview(survey, language)
    shown = [] if overview.suppressed else slides(survey, published_questions(survey, release), language)
    link = url_for("published.page", slug=survey.slug, _external=True)
    return Screen(survey, shown, overview, "published.screen", {"slug": survey.slug}, link, live=False)


def live_screen(survey: Survey) -> Screen:
    """Return a live poll's screen (for a signed-in projector): its numbers change only when a batch
    of responses is released, and the QR code takes part while an open-link survey is open."""
    language = current_language()
    overview = results.overview(survey, language)
    shown = [] if overview.suppressed else slides(survey, live_questions(survey), language, live=True)
    taking_part = survey.state() == "open" and survey.access == AccessMode.OPEN_LINK
    link = url_for("responses.start", slug=survey.slug, _external=True) if taking_part else None
    address = {"survey_id": survey.id}
    data_url = url_for("organise.live_screen_data", **address)
    return Screen(survey, shown, overview, "organise.live_screen", address, link, live=True, data_url=data_url)


def render_screen(screen: Screen) -> str:
    """Render one slide of a conference screen (?slide=N, from 1; past the end goes round again)."""
    total = len(screen.slides)
    number = (_number() - 1) % total + 1 if total else 1
    slide = screen.slides[number - 1] if total else None
    config = current_app.config
    return render_template(
        "published/screen.html",
        screen=screen,
        survey=screen.survey,
        slide=slide,
        number=number,
        total=total,
        previous_url=screen.url((number - 2) % total + 1 if total else 1),
        next_url=screen.url(number % total + 1 if total else 1),
        seconds=config.get("SCREEN_SLIDE_SECONDS", SLIDE_SECONDS),
        poll_seconds=config.get("SCREEN_POLL_SECONDS", POLL_SECONDS),
        updated=updated(screen.survey) if screen.live else None,
        short_link=short_link(screen.link) if screen.link else None,
        qr=_qr(screen.link) if screen.link else None,
        waiting=_waiting(screen),
        percent=percent,
        signed=signed,
    )


def _waiting(screen: Screen) -> str:
    """Return what a screen with nothing to show yet says."""
    if screen.survey.access == AccessMode.INVITATION and screen.survey.state() != "closed":
        return _("Results will appear here when the survey closes.")
    return _("Results will appear here when there are enough responses to show them safely.")


def screen_data(screen: Screen) -> dict:
    """Return a live poll's current numbers for one slide, as JSON: the screen updates its bars in
    place when the same answers are shown, and reloads the slide when they are not."""
    total = len(screen.slides)
    number = (_number() - 1) % total + 1 if total else 1
    # The slide of the same question, wherever a new batch put it (a newly shown answer can add one).
    wanted = (request.args.get("question"), request.args.get("part", 1, type=int))
    number = next((n for n, s in enumerate(screen.slides, start=1) if (s.question, s.part) == wanted), number)
    slide = screen.slides[number - 1] if total else None
    data = {
        "url": screen.url(number),
        "batch": screen.overview.batch,
        "updated": updated(screen.survey),
        "updated_text": _("Updated at %(time)s", time=updated(screen.survey)) if screen.survey.released_at else "",
        "total": total,
        "slide": number,
        "question": slide.question if slide else None,
        "part": slide.part if slide else None,
        "codes": slide.codes() if slide else [],
        "bars": [{"code": b.code, "percent": b.percent, "text": percent(b.percent)} for b in slide.bars]
        if slide
        else [],
        "rows": [
            {
                "code": r.code,
                "left": r.left,
                "right": r.right,
                "net": r.net,
                "text": [percent(r.left), percent(r.right), signed(r.net)],
            }
            for r in slide.rows
        ]
        if slide
        else [],
    }
    return data


def percent(value: float | None) -> str:
    """Return a published percentage as the screen shows it: "45%"."""
    return "" if value is None else f"{value:.0f}%"


def signed(points: float | None) -> str:
    """Return net support in whole points with its sign: +62, −8, 0."""
    if points is None:
        return ""
    whole = round(points)
    return f"+{whole}" if whole > 0 else (f"−{-whole}" if whole < 0 else "0")


def _qr(link: str) -> str:
    """Return the QR code of a link as an SVG element (segno), sized by the stylesheet."""
    from ..organise.distribution import qr_svg  # imported here: organise imports this package

    return qr_svg(link, _("QR code for %(link)s", link=link), standalone=False)
