"""The response-level export, for administrators: one row per released response, answers only.

What a row holds, and what it leaves out (docs/decisions/0014-exports.md):
- the answers, one column per answer key (a grid statement, a draft statement, an "Other
  (please say)" write-in); several choices joined with ";" (priorities in rank order, first
  choice first: "pay;safety"); free text as written, made inert against formulas;
- the answering language and the questionnaire version;
- no response id (random, but a join key to anything else that ever holds it), no release batch
  (batches are numbered in release order, so a batch is a coarse time), no time of any kind.
Rows come in the order of the random response ids, never in the order they were stored. Only
released responses (never pending ones, nor those being withdrawn) are read: one streaming
statement, a partition at a time, so memory stays flat however many there are.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select

from ..core import audit
from ..extensions import db
from ..models import QuestionnaireVersion, Response
from ..questionnaire.model import ITEM_TYPES, TEXT_TYPES
from ..results.read import parse_answers
from ..spreadsheets import Row, text

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
        if (key != question.id and question.type not in ITEM_TYPES) or question.type in TEXT_TYPES | {"number"}:
            texts.append(i)  # a write-in, free text, or a number a member could send as text
        elif any(text(code) != code for code in question.codes):
            texts.append(i)
        if question.type in ("multi", "priorities") and key == question.id:
            joined.append(i)
    return _Columns(keys, joined, texts)


def _inert_text(value):
    """Make a text cell inert; numbers stay numbers (a negative number is not a formula)."""
    return text(value) if isinstance(value, str) else value


# One statement per driver's placeholder style; both constant, every value bound. PostgreSQL's
# cursor reads ix_response_survey_id_id, in export order. SQLite sorts the survey's rows first:
# walking that index means a random read of the table per row, slower at 1M (ADR 0014).
SQLITE_QUERY = (
    "SELECT language, questionnaire_version_id, CAST(answers AS TEXT) FROM response "
    "WHERE survey_id = :survey AND batch <= :upto AND NOT withdrawing ORDER BY id"
)
POSTGRESQL_QUERY = (
    "SELECT language, questionnaire_version_id, CAST(answers AS TEXT) FROM response "
    "WHERE survey_id = %(survey)s AND batch <= %(upto)s AND NOT withdrawing ORDER BY id"
)


def _driver_partitions(raw, postgresql: bool, survey_id: int, upto: int) -> Iterator[list[tuple]]:
    """Yield the released responses' (language, version id, answers as JSON text), READ_CHUNK rows
    at a time, as the driver's own tuples, from the driver's connection `raw` (the session's).

    The driver's cursor directly (no SQLAlchemy Row per response): on PostgreSQL a named,
    server-side cursor, so only a partition is ever in memory (and, a cursor being planned for its
    first rows, an index scan in id order rather than a sort of every response before the first
    row); SQLite steps its cursor as it goes.
    """
    if postgresql:
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


_END = object()


def _read_ahead(partitions: Iterator[list[tuple]]) -> Iterator[list[tuple]]:
    """Yield what `partitions` yields, reading the next partition on a second thread meanwhile.

    Reading is mostly the database's own work (the PostgreSQL server in its process, sqlite3_step
    without the GIL); building rows is Python. Read in turn, each partition waited for the
    database, then for Python; read ahead, the two overlap whenever a second core is free. At most
    three partitions are alive at once. The reader's error is raised here; when the consumer stops
    early (a download cancelled), the reader is told to stop, and closes its cursor, before this
    returns.
    """
    ahead: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def read() -> None:
        try:
            for rows in partitions:
                ahead.put(rows)
                if stop.is_set():
                    break
            ahead.put(_END)
        except BaseException as error:  # handed to the consumer, raised there
            ahead.put(error)
        finally:
            partitions.close()

    reader = threading.Thread(target=read, name="response-export-reader", daemon=True)
    reader.start()
    try:
        while (rows := ahead.get()) is not _END:
            if isinstance(rows, BaseException):
                raise rows
            yield rows
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting to put, until it sees `stop`
            with contextlib.suppress(queue.Empty):
                ahead.get(timeout=0.05)
        reader.join()


def response_rows(survey, keys: tuple[str, ...], upto: int) -> Iterator[Row]:
    """Yield (language, version, answers ...) for each released response, in response id order.

    Every text cell is already inert, and a missing answer is an empty string: rows go to
    csv_chunks(..., prepared=True), which writes a row of plain text without the csv module. Plain
    SQL on the driver's own rows (`_driver_partitions`), read a partition ahead on a second thread
    (`_read_ahead`): the answers as JSON text on both databases (PostgreSQL would parse each jsonb
    into a dict with the standard library), parsed with orjson (`parse_answers`). A row is built
    as it is read, so each response's dict is freed at once (built a partition at a time, a column
    at a time, it was slower: thousands of live dicts, and the cyclic collector rescanning them).
    Only the cells to join or make inert get Python: their positions are worked out once.
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
    blanks = ("",) * len(keys)  # what a missing answer reads as
    join = ";".join
    languages: dict[str, str] = {}
    connection = db.session.connection()  # the session's transaction, taken on this thread
    partitions = _driver_partitions(
        connection.connection.driver_connection, connection.dialect.name == "postgresql", survey.id, upto
    )
    for rows in _read_ahead(partitions):
        for language, version_id, answers in rows:
            if language not in languages:
                languages[language] = text(language)
            row = [languages[language], versions.get(version_id, ""), *map(parse_answers(answers).get, keys, blanks)]
            for i in joined:
                if (value := row[i]) not in ("", None):  # missing, or stored as null; "" joins to ""
                    row[i] = join(value)
            for i in texts:
                if value := row[i]:  # "" stays "", and so does any other falsy value (0, 0.0, False)
                    row[i] = _inert_text(value)
            # A tuple of plain values leaves the cyclic collector's watch at its first pass; a
            # list would be rescanned until the chunk is written, and every full pass costs.
            yield tuple(row)
