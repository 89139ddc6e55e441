"""Export pages and downloads: thin views over survey/exports/tables.py and responses.py.

Every download's first bytes leave before anything is counted (ADR 0014: the whole-survey
workbook of a large survey takes minutes to count, and a download that says nothing for that
long looks broken, and is cut off by proxies)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from flask import Response, abort, current_app, render_template, request

from .. import results
from ..extensions import db
from ..models import Role, Survey
from ..spreadsheets import Sheet, csv_chunks, xlsx_chunks
from ..web.access import ALL_STAFF, roles, slice_ok, survey_or_404
from . import bp, tables
from .responses import answer_columns, export_responses, released_count, response_rows

BOM = "\ufeff"  # so that Excel reads the CSV as UTF-8
CSV = "text/csv; charset=utf-8"
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(chunks: Iterator, content_type: str, filename: str) -> Response:
    """Stream a file as an attachment (no cache keeps it: survey/web/security.py)."""
    response = Response(chunks, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _streamed(survey: Survey, chunks: Callable[[Survey], Iterator]) -> Iterator:
    """Make the file while it is sent, in an application context (and database session) of its own.

    The request's context is gone by then; a context of its own is pushed only once the server
    starts reading, and popped when the file ends or the download is dropped. Nothing here may
    use the request or the signed-in user: the view checked them, and recorded any audit entry.
    The survey is read again there, as the view saw it: the whole survey, or the same slice.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    survey_id = survey.id

    def generate() -> Iterator:
        with app.app_context():
            yield from chunks(results.reopened(survey, db.session.get(Survey, survey_id)))

    return generate()


def _csv(survey: Survey, sheet: Callable[[Survey], Sheet], filename: str) -> Response:
    """Stream a table as CSV: the byte-order mark goes at once, before any table is counted."""

    def chunks(survey: Survey) -> Iterator[str]:
        yield BOM
        made = sheet(survey)
        yield from csv_chunks(made.header, made.rows, bom=False)

    return _download(_streamed(survey, chunks), CSV, filename)


def _xlsx(survey: Survey, sheets: Callable[[Survey], list[Sheet]], filename: str) -> Response:
    """Stream a workbook: its first parts go at once, each sheet follows as it is counted."""

    def lazily(survey: Survey) -> Iterator[Sheet]:
        yield from sheets(survey)  # asked for only once the first bytes have gone

    return _download(_streamed(survey, lambda survey: xlsx_chunks(lazily(survey))), XLSX, filename)


def _name(survey: Survey) -> str:
    """Return the start of a download's file name: the survey's address, and the slice's audience."""
    if results.is_slice(survey):
        codes = "-".join(results.slice_parts(survey.slice_audience).values())
        return f"{survey.slug}-{SAFE_NAME.sub('', codes)}-slice"
    return survey.slug


def _query() -> tuple[str | None, dict[str, str]]:
    """Read ?by=<dimension> and ?filter=<dimension>:<code>, as the dashboard does."""
    by = request.args.get("by") or None
    dimension, _, code = (request.args.get("filter") or "").partition(":")
    return by, ({dimension: code} if dimension and code else {})


def _question_or_404(survey, question_id: str):
    if question_id not in {q.id for q in survey.questionnaire.questions}:
        abort(404)
    return survey.questionnaire.question(question_id)


@bp.get("/")
@roles(*ALL_STAFF)
@slice_ok
def index(survey_id: int):
    """Every export of a survey, with what each holds."""
    survey = survey_or_404(survey_id)
    return render_template(
        "exports/index.html",
        survey=survey,
        overview=results.overview(survey),
        questions=survey.questionnaire.questions,
    )


@bp.get("/survey.xlsx")
@roles(*ALL_STAFF)
@slice_ok
def survey_xlsx(survey_id: int):
    """The whole survey in one workbook: responses by group, every closed question, flags, comments."""
    survey = survey_or_404(survey_id)
    return _xlsx(survey, tables.survey_export, f"{_name(survey)}-results.xlsx")


SURVEY_CSV = {
    "results": lambda survey: Sheet("Results", tables.RESULT_HEADER, tables.survey_result_rows(survey)),
    "responses-by-group": lambda survey: Sheet("Responses", tables.OVERVIEW_HEADER, tables.overview_rows(survey)),
    "equality-flags": lambda survey: Sheet("Equality flags", tables.FLAG_HEADER, tables.flag_rows(survey)),
    "comments": lambda survey: Sheet("Comments", tables.COMMENT_HEADER, tables.survey_comment_rows(survey)),
    "themes": lambda survey: Sheet("Themes", tables.THEME_HEADER, tables.theme_rows(survey)),
}


@bp.get("/<any(results, 'responses-by-group', 'equality-flags', comments, themes):part>.csv")
@roles(*ALL_STAFF)
@slice_ok
def survey_csv(survey_id: int, part: str):
    """One table of the whole-survey export as CSV."""
    survey = survey_or_404(survey_id)
    return _csv(survey, SURVEY_CSV[part], f"{_name(survey)}-{part}.csv")


@bp.get("/q/<question_id>.<any(csv, xlsx):fmt>")
@roles(*ALL_STAFF)
@slice_ok
def question(survey_id: int, question_id: str, fmt: str):
    """One question, with the dashboard's breakdown and filter (?by=&filter=)."""
    survey = survey_or_404(survey_id)
    asked = _question_or_404(survey, question_id)
    by, filters = _query()

    def sheets(found: Survey) -> list[Sheet]:
        return tables.question_export(found, asked, by, filters)

    parts = [_name(survey), question_id, *([f"by-{by}"] if by else []), *(f"{d}-{c}" for d, c in filters.items())]
    filename = SAFE_NAME.sub("", "-".join(parts))[:150] + f".{fmt}"
    if fmt == "csv":
        return _csv(survey, lambda found: sheets(found)[0], filename)
    return _xlsx(survey, sheets, filename)


@bp.get("/responses")
@roles(Role.ADMIN)
def responses_page(survey_id: int):
    """What the response-level file holds and how to keep it, before an administrator confirms."""
    survey = survey_or_404(survey_id)
    count, _ = released_count(survey)
    return render_template("exports/responses.html", survey=survey, count=count, columns=len(answer_columns(survey)))


@bp.post("/responses")
@roles(Role.ADMIN)
def responses_download(survey_id: int):
    """Record the export in the audit log, then stream every released response as CSV."""
    survey = survey_or_404(survey_id)
    found = export_responses(survey)

    def chunks(survey: Survey) -> Iterator[str]:
        return csv_chunks(found.header, response_rows(survey, found.columns, found.upto), prepared=True)

    return _download(_streamed(survey, chunks), CSV, found.filename)
