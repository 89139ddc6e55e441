"""The response-level export, for administrators: one row per released response, answers only.

What a row holds, and what it leaves out (docs/decisions/0014-exports.md):
- the answers, one column per answer key (a grid statement, an "Other (please say)" write-in);
  several choices joined with ";"; free text as written, made inert against formulas;
- the answering language and the questionnaire version;
- no response id (random, but a join key to anything else that ever holds it), no release batch
  (batches are numbered in release order, so a batch is a coarse time), no time of any kind.
Rows come in the order of the random response ids, never in the order they were stored. Only
released responses (never pending ones, nor those being withdrawn) are read: one streaming
statement, a partition at a time, so memory stays flat however many there are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..models import QuestionnaireVersion, Response
from ..results.snapshot import parse_answers
from .files import Row, text

READ_CHUNK = 1000  # rows a partition: ~1 MB of JSON text
FIXED_COLUMNS = ("language", "questionnaire_version")


@dataclass
class ResponseExport:
    """What to stream (response_rows(survey, columns, upto)), and how many rows were recorded."""

    filename: str
    header: tuple[str, ...]
    columns: tuple[str, ...]
    upto: int  # the last release batch counted: rows released later are not in this export
    count: int


def answer_columns(survey) -> tuple[str, ...]:
    """Return every answer key of the survey's questionnaire, in questionnaire order."""
    return tuple(key for question in survey.questionnaire.questions for key in question.answer_keys())


def released_count(survey) -> tuple[int, int]:
    """Return how many released responses the survey has, and the last release batch they are in."""
    count, upto = db.session.execute(
        select(func.count(), func.coalesce(func.max(Response.batch), 0)).where(
            Response.survey_id == survey.id, Response.withdrawing.is_(False)
        )
    ).one()
    return int(count), int(upto)


def export_responses(survey) -> ResponseExport:
    """Record the export in the audit log (who, which survey, how many rows; no content) and return
    what to stream. Commits the audit entry before any row is read."""
    count, upto = released_count(survey)
    audit.record("exported responses", survey, rows=count)
    db.session.commit()
    columns = answer_columns(survey)
    return ResponseExport(
        filename=f"{survey.slug}-responses.csv",
        header=(*FIXED_COLUMNS, *columns),
        columns=columns,
        upto=upto,
        count=count,
    )


@dataclass
class _Columns:
    """Which columns need more than copying: several choices to join, text to make inert."""

    keys: tuple[str, ...]
    joined: list[int]  # multiple choice: a list of codes
    texts: list[int]  # free text, write-ins, and any code that could read as a formula


def _columns(survey, keys: tuple[str, ...]) -> _Columns:
    joined, texts = [], []
    questionnaire = survey.questionnaire
    for i, key in enumerate(keys):
        question = questionnaire.question(key.partition(".")[0])
        if (key != question.id and question.type != "grid") or question.type in ("text", "long_text", "number"):
            texts.append(i)  # a write-in, free text, or a number a member could send as text
        elif any(text(code) != code for code in question.codes):
            texts.append(i)
        if question.type == "multi" and key == question.id:
            joined.append(i)
    return _Columns(keys, joined, texts)


def _inert_text(value):
    """Make a text cell inert; numbers stay numbers (a negative number is not a formula)."""
    return text(value) if isinstance(value, str) else value


# One statement per driver's placeholder style; both constant, every value bound.
SQLITE_QUERY = (
    "SELECT language, questionnaire_version_id, CAST(answers AS TEXT) FROM response "
    "WHERE survey_id = :survey AND batch <= :upto AND NOT withdrawing ORDER BY id"
)
POSTGRESQL_QUERY = (
    "SELECT language, questionnaire_version_id, CAST(answers AS TEXT) FROM response "
    "WHERE survey_id = %(survey)s AND batch <= %(upto)s AND NOT withdrawing ORDER BY id"
)


def _driver_partitions(survey_id: int, upto: int) -> Iterator[list[tuple]]:
    """Yield the released responses' (language, version id, answers as JSON text), READ_CHUNK rows
    at a time, as the driver's own tuples, in the session's transaction.

    The driver's cursor directly (no SQLAlchemy Row per response): on PostgreSQL a named,
    server-side cursor, so only a partition is ever in memory; SQLite steps its cursor as it goes.
    """
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with raw.cursor(name="response_export") as cursor:
            cursor.itersize = READ_CHUNK
            cursor.execute(POSTGRESQL_QUERY, {"survey": survey_id, "upto": upto})
            while rows := cursor.fetchmany(READ_CHUNK):
                yield rows
    else:
        cursor = raw.cursor()
        try:
            cursor.execute(SQLITE_QUERY, {"survey": survey_id, "upto": upto})
            while rows := cursor.fetchmany(READ_CHUNK):
                yield rows
        finally:
            cursor.close()


def response_rows(survey, keys: tuple[str, ...], upto: int) -> Iterator[Row]:
    """Yield (language, version, answers ...) for each released response, in response id order.

    Every text cell is already inert: rows go to csv_chunks(..., prepared=True). Plain SQL on the
    driver's own rows (`_driver_partitions`): the answers as JSON text on both databases (PostgreSQL
    would parse each jsonb into a dict with the standard library), parsed with orjson
    (`parse_answers`). A row is built as it is read, so each response's dict is freed at once (built
    a partition at a time, a column at a time, it was slower: thousands of live dicts, and the
    cyclic collector rescanning them). Only the cells to join or make inert get Python: their
    positions are worked out once.
    """
    columns = _columns(survey, keys)
    versions = {
        vid: text(f"{slug} v{version}")
        for vid, slug, version in db.session.execute(
            select(QuestionnaireVersion.id, QuestionnaireVersion.slug, QuestionnaireVersion.version)
        )
    }
    offset = len(FIXED_COLUMNS)  # the answers' positions in a row come after the fixed columns
    joined = [offset + i for i in columns.joined]
    texts = [offset + i for i in columns.texts]
    join = ";".join
    languages: dict[str, str] = {}
    for rows in _driver_partitions(survey.id, upto):
        for language, version_id, answers in rows:
            if language not in languages:
                languages[language] = text(language)
            row = [languages[language], versions.get(version_id, ""), *map(parse_answers(answers).get, keys)]
            for i in joined:
                if (value := row[i]) is not None:
                    row[i] = join(value)
            for i in texts:
                if (value := row[i]) is not None:
                    row[i] = _inert_text(value)
            # A tuple of plain values leaves the cyclic collector's watch at its first pass; a
            # list would be rescanned until the chunk is written, and every full pass costs.
            yield tuple(row)
