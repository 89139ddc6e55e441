"""The conference screen: one slide per published question, for a 1920×1080 projector in a hall.

Each slide is the question as its title and one chart of large labelled horizontal bars (the
answers in their own words with their published percentages), or, for draft statements, the
ranked list with support and oppose side by side. A QR code and a short address to type sit
beside it. Every slide is its own page (?slide=N), so with JavaScript off the screen is plain
pages with Previous and Next links; static/js/screen.js adds the arrow keys, moving on by itself,
Pause, and (on a live poll) asking every POLL_SECONDS whether a new batch of results was released.

Nothing here counts anything: every number is a published number of the results engine (the same
table the published page shows), and an answer or question too small to show is left out. Shared by
the published screen (survey/published) and a live poll's screen for staff (survey/organise).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from .. import results
from ..core.publication import PublicationView, default_publication
from ..i18n import current_language
from ..models import LONDON, AccessMode, Survey, as_utc
from ..qr import qr_svg
from ..questionnaire.model import TEXT_TYPES, Question
from ..results.consultation import signed
from . import findings

SLIDE_SECONDS = 20  # a slide stays this long before the screen moves on (unless paused)
POLL_SECONDS = 45  # a live poll asks this often whether a new batch was released (ADR 0020)

# How much fits on a 1920×1080 slide with every text at least 48 px. The geometry of
# static/css/screen.css, in pixels at 1080p: keep the two in step. The chart column is what is
# left beside the QR column; its height is what is left above the buttons. Answers that do not fit
# go on to a further slide. Texts are measured with DejaVu Sans, wider than the fonts projector
# laptops have (Segoe UI, Arial, Roboto, San Francisco), each character rounded up, lines broken at
# spaces only, so an estimate is never short; and were one short, the stylesheet moves the buttons
# down rather than let a bar pass under them. tests/test_screen.py checks it in Chromium: the demo
# polls and the shipped consultation's six long draft demands, in English and in Welsh.
CHART_WIDTH = 1920 - 2 * 40 - 480 - 48  # padding, the QR column and the gap to it: 1,312 px
CHART_HEIGHT = 1080 - 2 * 28 - 71 - 16 - 8  # padding, the buttons and the gap to them, 8 px to spare
TEXT, TITLE = 48, 52  # font sizes: every answer and number; the question (bold)
LINE_HEIGHT = 1.15
TITLE_GAP = 16  # under the question
HEAD_GAP = 8  # under a ranked list's headings
RANKED_ROW, RANKED_AFTER = 4 + 2 + 4 + 6, 6  # a statement's rule and padding above, the gap to its bar and below
BAR_ROW, BAR_AFTER = 6 + 36 + 18, 18  # an answer's bar under its label (36 px), and the gaps
VALUE_GAP = 32  # between an answer and its percentage
MAX_ROWS = 8

# Advance widths of DejaVu Sans in thousandths of the font size, for " " to "~" (normal, bold);
# an accented letter is as wide as its letter; anything else counts as wide as "M" and more.
_NORMAL = (318, 401, 460, 838, 637, 951, 780, 275, 391, 391, 500, 838, 318, 361, 318, 337, 637, 637, 637, 637, 637,
           637, 637, 637, 637, 637, 337, 337, 838, 838, 838, 531, 1000, 685, 687, 699, 771, 632, 576, 775, 752, 295,
           295, 656, 558, 863, 749, 788, 604, 788, 695, 635, 611, 732, 685, 989, 686, 611, 686, 391, 337, 391, 838,
           500, 500, 613, 635, 550, 635, 616, 353, 635, 634, 278, 278, 580, 278, 975, 634, 612, 635, 635, 412, 521,
           393, 634, 592, 818, 592, 592, 525, 637, 337, 637, 838)  # fmt: skip
_BOLD = (349, 457, 521, 838, 696, 1002, 873, 307, 458, 458, 523, 838, 380, 416, 380, 366, 696, 696, 696, 696, 696, 696,
         696, 696, 696, 696, 400, 400, 838, 838, 838, 581, 1000, 774, 763, 734, 831, 684, 684, 821, 837, 373, 373, 775,
         638, 996, 837, 851, 733, 851, 771, 721, 683, 813, 774, 1104, 771, 725, 726, 458, 366, 458, 838, 500, 500, 675,
         716, 593, 716, 679, 436, 716, 712, 343, 343, 666, 343, 1042, 712, 688, 716, 716, 494, 596, 479, 712, 652, 924,
         646, 652, 583, 712, 366, 712, 838)  # fmt: skip
_OTHER = {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "M", "…": "M"}


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
    weighted: bool = False  # the percentages are weighted to the membership profile
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
        _everyone(table),
        key=lambda c: (findings.not_substantive(question, c.option), -(c.percent or 0), order.get(c.option, 0)),
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
    short = {i.code: i.short[language] for i in question.items if i.short and language in i.short}
    rows = []
    for row in ranked.shown if ranked is not None and not ranked.refused else []:
        cell = row.cells[0]
        if cell.net is None:
            continue
        rows.append(
            Row(
                row.code,
                short.get(row.code, row.label),  # the statement's few words, where the questionnaire gives them
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
    shown = ranked.shown if ranked is not None and not ranked.refused else []
    bars = [Bar(row.code, row.label, row.cells[0].chosen.percent) for row in shown if row.cells[0].chosen is not None]
    return Slide(question.id, table.text, bars=bars)


BUILDERS = {
    "single": _choice,
    "multi": _choice,
    "scale": _scale,
    "grid": _grid,
    "statements": _statements,
    "priorities": _priorities,
}


def width(text: str, size: float, bold: bool = False) -> float:
    """Return how wide a text is at this font size, in pixels (never less than Chromium draws it
    with DejaVu Sans)."""
    table = _BOLD if bold else _NORMAL
    total = 0
    for char in text:
        char = _OTHER.get(char, unicodedata.normalize("NFD", char)[:1] or char)
        total += table[ord(char) - 32] if " " <= char <= "~" else 1000
    return total * size / 1000


def lines(text: str, room: float, size: float = TEXT, bold: bool = False) -> int:
    """Return how many lines a text takes in `room` pixels, broken at spaces only (a browser may also
    break after a hyphen, which only ever saves a line)."""
    space = width(" ", size, bold)
    count, used = 1, 0.0
    for word in text.split():
        wide = width(word, size, bold)
        if used and used + space + wide > room:
            count, used = count + 1, 0.0
        if not used and wide > room:  # a word wider than a line is broken anywhere (overflow-wrap)
            extra = math.ceil(wide / room) - 1
            count, wide = count + extra, wide - extra * room
        used += (space if used else 0.0) + wide
    return count


def _line(size: float) -> float:
    return size * LINE_HEIGHT


def _value_width(bold: bool = True) -> float:
    return width("100%", TEXT, bold)


def _height(slide: Slide, rows: list, title: str) -> float:
    """Return how high a slide's title (its whole text, "Live poll:" and "(continued)" included)
    and its chart are with these rows, in pixels, as static/css/screen.css lays them out."""
    height = lines(title, CHART_WIDTH, TITLE, bold=True) * _line(TITLE) + TITLE_GAP
    if slide.sides:
        room = CHART_WIDTH - (width(_("Net support"), TEXT, True) + 24 if slide.net else 0)  # the two sides share it
        height += max(lines(side, room / 2 - 12, bold=True) for side in slide.sides) * _line(TEXT) + HEAD_GAP
        rows_high = sum((lines(r.label, CHART_WIDTH) + 1) * _line(TEXT) + RANKED_ROW for r in rows)
        return height + rows_high - RANKED_AFTER  # nothing comes after the last row's gap
    room = CHART_WIDTH - VALUE_GAP - _value_width()
    return height + sum(lines(b.label, room) * _line(TEXT) + BAR_ROW for b in rows) - BAR_AFTER


def _title(slide: Slide, kicker: str, part: int) -> str:
    return f"{kicker}{slide.title}" + (f" {_('(continued)')}" if part > 1 else "")  # a later part says so


def _fits(slide: Slide, chunk: list, kicker: str, part: int) -> bool:
    return len(chunk) <= MAX_ROWS and _height(slide, chunk, _title(slide, kicker, part)) <= CHART_HEIGHT


def _chunks(slide: Slide, items: list, kicker: str) -> list[list]:
    """Return the items in as few slides as hold them, as evenly filled as that allows, in order."""
    greedy: list[list] = []  # as many on each slide as fit: the fewest slides
    for item in items:
        if greedy and _fits(slide, [*greedy[-1], item], kicker, len(greedy)):
            greedy[-1].append(item)
        else:
            greedy.append([item])
    parts = len(greedy)
    size, more = divmod(len(items), parts)
    even, at = [], 0
    for number in range(parts):
        take = size + (1 if number < more else 0)
        even.append(items[at : at + take])
        at += take
    if all(_fits(slide, chunk, kicker, number) for number, chunk in enumerate(even, start=1)):
        return even
    return greedy


def _split(slide: Slide, kicker: str) -> list[Slide]:
    """Return a slide as one or more slides, as few as hold every bar at full size, evenly filled."""
    items = slide.rows if slide.sides else slide.bars
    chunks = _chunks(slide, items, kicker) if items else [[]]
    out = []
    for number, chunk in enumerate(chunks, start=1):
        part = Slide(
            slide.question,
            slide.title,
            sides=slide.sides,
            net=slide.net,
            weighted=slide.weighted,
            part=number,
            parts=len(chunks),
        )
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
        slide.weighted = table.weighting is not None and slide.kind == "bars"
        if slide.codes():
            out.extend(_split(slide, kicker))
    return out


def published_questions(survey: Survey, publication: PublicationView) -> list[str]:
    """Return the questions a published screen shows: those of the findings the organiser chose for
    it, in their order; else every published question, in the publication's order."""
    published = [q for q in publication.questions if q in {q.id for q in survey.questionnaire.questions}]
    if publication.findings:
        chosen = [key.split(":")[1].split(".")[0] for key in publication.findings if ":" in key]  # "q:C2.a" is C2
        return list(dict.fromkeys(q for q in chosen if q in published))
    return [q for q in published if survey.questionnaire.question(q).type not in TEXT_TYPES]


def live_questions(survey: Survey) -> list[str]:
    """Return the questions a live poll shows: every question but free text and the equality
    questions (a hall screen is no place for who people are, beyond the breakdowns)."""
    dimensions = {d.id: d for d in results.dimensions(survey)}
    private = findings.about_members(survey) - {d for d, info in dimensions.items() if not info.protected}
    return [q for q in default_publication(survey).questions if q not in private]


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


def breakable(text: str, after: str) -> Markup:
    """Return a text that may break onto a new line only after these characters (and nowhere else,
    the stylesheet says): "r/draft-ai-demands-probation-1bc237" after "/" and "-"."""
    return Markup("").join(Markup("{}<wbr>").format(c) if c in after else c for c in text)


def updated(survey: Survey) -> str | None:
    """Return when a live poll's results last changed, to the minute in UK time: the release time
    of its latest batch of totals (never a time beside anyone's answer)."""
    if survey.released_at is None:
        return None
    return f"{as_utc(survey.released_at).astimezone(LONDON):%H:%M}"


def _number() -> int:
    """Return the slide asked for (1 = the first); anything else is the first."""
    return request.args.get("slide", 1, type=int)


def published_screen(survey: Survey, publication: PublicationView) -> Screen:
    """Return the published screen: the chosen questions, and a QR code of the results page."""
    language = current_language()
    overview = results.overview(survey, language)
    shown = [] if overview.suppressed else slides(survey, published_questions(survey, publication), language)
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
        breakable=breakable,
        qr=_qr(screen.link) if screen.link else None,
        waiting=_waiting(screen),
        percent=percent,
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


def _qr(link: str) -> str:
    """Return the QR code of a link as an SVG element (segno), sized by the stylesheet."""
    return qr_svg(link, _("QR code for %(link)s", link=link), standalone=False)
