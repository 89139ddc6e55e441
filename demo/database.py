"""Writing the demo's rows: responses by executemany (SQLite) or COPY (PostgreSQL), a transaction
per chunk on a writer thread, then the daily counts and the stored results snapshot.
"""

from __future__ import annotations

import os
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa

from survey.extensions import db
from survey.models import LONDON, Response, Survey, SurveyDay, utcnow
from survey.results.cache import prime
from survey.results.protection import KEYS

from .answers import generate

DAYS = 21  # the demo survey's submissions are spread over the last three weeks

BASE_COLUMNS = ("id", "survey_id", "questionnaire_version_id", "language", "answers")


@dataclass(frozen=True)
class Added:
    """What `add_responses` did."""

    count: int
    seed: int
    seconds: float  # drawing and writing the responses, and the daily counts
    primed_seconds: float = 0.0  # then bringing the stored results snapshot up to date


def random_ids(n: int) -> list[str]:
    """Return n random version-4 UUIDs as 32 hex digits (how SQLAlchemy's Uuid is stored on SQLite).

    This is uuid.uuid4() done n at a time: 16 bytes from os.urandom with the version and variant
    bits set. Ids never come from the seed, so rows added twice with one seed are still new rows.
    """
    raw = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = raw[:, 6] & 0x0F | 0x40
    raw[:, 8] = raw[:, 8] & 0x3F | 0x80
    text = raw.tobytes().hex()
    return [text[i : i + 32] for i in range(0, 32 * n, 32)]


def random_keys(n: int) -> list[int]:
    """Return n record keys in [0, KEYS), as release_batch draws them (protection.draw_keys), but
    n at a time: numpy's generator seeded from the operating system's random source, never from
    the demo's seed."""
    return np.random.default_rng(secrets.randbits(128)).integers(0, KEYS, size=n).tolist()


def response_columns(table: sa.Table) -> tuple[str, ...]:
    """Return the columns to write: the known ones, then `record_key` and `batch` (last) when the
    response table has them.

    Read at run time so that a column added by a later migration is either filled or refused
    here, never silently left to a default that may mean something.
    """
    names = list(BASE_COLUMNS)
    extra = {column.name for column in table.columns} - set(names)
    for column in table.columns:
        if column.name in names or column.name in ("record_key", "batch"):
            continue
        if not column.nullable and column.server_default is None:
            raise RuntimeError(f"response.{column.name} is new: teach demo/database.py how to fill it")
    return (*names, *(name for name in ("record_key", "batch") if name in extra))


# A chunk's release batch number is only known under the survey lock, in the chunk's own
# transaction; PostgreSQL payloads carry this marker where it goes (JSON text never holds a NUL).
BATCH_MARK = "\x00"


def _sqlite_rows(columns: tuple[str, ...], rows: list[tuple]) -> tuple[str, list[tuple], bool]:
    """Return an INSERT for executemany and its rows (the JSON is already text, as the JSON type stores it)."""
    statement = f"INSERT INTO response ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    return statement, rows, "batch" in columns


def _sqlite_write(connection: Any, payload: tuple[str, list[tuple], bool], survey_id: int) -> None:
    statement, rows, batched = payload
    cursor = connection.cursor()
    cursor.execute("BEGIN IMMEDIATE")  # the write lock before reading the last batch number
    if batched:
        batch = _next_batch(cursor, survey_id, "?")
        rows = [(*row, batch) for row in rows]
    cursor.executemany(statement, rows)
    cursor.close()


def _postgresql_rows(columns: tuple[str, ...], rows: list[tuple]) -> tuple[str, str, bool]:
    """Return a COPY statement and its data in text format: tab-separated, backslashes doubled, no NULLs."""
    end = f"\t{BATCH_MARK}\n" if "batch" in columns else "\n"
    data = "".join("\t".join(map(str, row)) + end for row in rows).replace("\\", "\\\\")
    return f"COPY response ({', '.join(columns)}) FROM STDIN", data, "batch" in columns


def _postgresql_write(connection: Any, payload: tuple[str, str, bool], survey_id: int) -> None:
    statement, data, batched = payload
    with connection.cursor() as cursor:
        if batched:
            # The lock release_batch takes: batches of one survey commit in the order of their numbers.
            cursor.execute("SELECT id FROM survey WHERE id = %s FOR UPDATE", (survey_id,))
            data = data.replace(BATCH_MARK, str(_next_batch(cursor, survey_id, "%s")))
        with cursor.copy(statement) as copy:
            copy.write(data)


def _next_batch(cursor: Any, survey_id: int, placeholder: str) -> int:
    """Return the survey's next release batch number: one above its last."""
    cursor.execute(f"SELECT MAX(batch) FROM response WHERE survey_id = {placeholder}", (survey_id,))
    (last,) = cursor.fetchone()
    return (last or 0) + 1


# How each database takes a chunk: (prepare the payload while drawing, write it on the writer thread).
WRITERS: dict[str, tuple[Callable[[tuple[str, ...], list[tuple]], Any], Callable[[Any, Any, int], None]]] = {
    "sqlite": (_sqlite_rows, _sqlite_write),
    "postgresql": (_postgresql_rows, _postgresql_write),
}


def add_responses(
    survey: Survey, n: int, seed: int, chunks: Iterable[tuple[list[str], list[str]]] | None = None
) -> Added:
    """Add n synthetic, already released responses to a survey, spread them over its daily counts,
    and store the survey's results snapshot.

    Each chunk of CHUNK rows is one transaction and, when responses carry release batch
    numbers, one batch: a failure part-way leaves whole chunks only. Storing the snapshot
    (`survey.results.cache.prime`) reads the new rows once here, so that no worker has to
    parse every response's JSON for its first dashboard: each loads the stored columns instead.
    `chunks` (languages, answers JSON) replace the generator's draws: the demo's earlier wave.
    """
    started = time.perf_counter()
    dialect = db.engine.dialect.name
    if dialect not in WRITERS:
        raise RuntimeError(f"demo responses can be written to SQLite or PostgreSQL, not {dialect}")
    prepare, write = WRITERS[dialect]
    columns = response_columns(Response.__table__)
    questionnaire, survey_id, version_id = survey.questionnaire, survey.id, survey.questionnaire_version_id
    db.session.commit()  # nothing of ours left open while the writer's connection writes

    def payloads() -> Iterator[Any]:
        for languages, texts in generate(questionnaire, n, seed) if chunks is None else chunks:
            ids = random_ids(len(texts))
            rows = [(i, survey_id, version_id, lang, text) for i, lang, text in zip(ids, languages, texts, strict=True)]
            if "record_key" in columns:  # drawn for each response, as a release draws them
                rows = [(*row, key) for row, key in zip(rows, random_keys(len(rows)), strict=True)]
            yield prepare(columns, rows)

    _write_behind(db.engine, lambda connection, payload: write(connection, payload, survey_id), payloads())
    count_days(survey, n)
    if dialect == "postgresql":  # fresh planner statistics, so reads of the new rows plan for their size
        with db.engine.connect() as connection:
            connection.execute(sa.text("ANALYZE response"))
            connection.commit()
    written = time.perf_counter()
    prime(survey)
    return Added(n, seed, written - started, time.perf_counter() - written)


def _write_behind(engine: sa.Engine, write: Callable[[Any, Any], None], payloads: Iterable[Any]) -> None:
    """Write and commit each payload on a second thread while the next one is drawn on this one.

    Drawing is Python and numpy; writing mostly waits on the database (sqlite3_step and the
    PostgreSQL server run without the GIL), so on two cores the two overlap. The first error on
    either side stops both and is raised here.
    """
    pending: queue.Queue = queue.Queue(maxsize=2)
    failed: list[BaseException] = []
    stop = threading.Event()

    def work() -> None:
        pooled = None
        try:
            pooled = engine.raw_connection()
            connection = pooled.driver_connection
            while (payload := pending.get()) is not None:
                if not stop.is_set():
                    write(connection, payload)
                    connection.commit()
        except BaseException as error:
            failed.append(error)
            stop.set()
            while pending.get() is not None:  # let the drawing side finish putting
                pass
        finally:
            if pooled is not None:
                pooled.close()  # rolls back anything uncommitted

    writer = threading.Thread(target=work, name="demo-writer", daemon=True)
    writer.start()
    try:
        for payload in payloads:
            if stop.is_set():
                break
            pending.put(payload)
    except BaseException:
        stop.set()
        raise
    finally:
        pending.put(None)
        writer.join()
    if failed:
        raise failed[0]


def count_days(survey: Survey, n: int) -> None:
    """Add n submissions (and a few more starts) to the survey's daily counts over the last three weeks.

    A launch-day peak that tails off, a reminder bump after ten days, quieter weekends.
    """
    today = utcnow().astimezone(LONDON).date()
    days = [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    since = np.arange(DAYS)
    weights = np.exp(-since / 4) + np.where(since >= 10, 0.5 * np.exp(-(since - 10) / 2.5), 0) + 0.06
    weights *= [0.45 if day.weekday() >= 5 else 1.0 for day in days]
    submitted = _apportion(n, weights)
    stored = {
        row.day: row
        for row in db.session.scalars(
            sa.select(SurveyDay).where(SurveyDay.survey_id == survey.id, SurveyDay.day.in_(days), SurveyDay.shard == 0)
        )
    }
    for day, count in zip(days, submitted, strict=True):
        if not count:
            continue
        row = stored.get(day) or SurveyDay(survey_id=survey.id, day=day, started=0, submitted=0)
        db.session.add(row)
        row.submitted += count
        row.started += count + round(count * 0.22)  # some who start never submit
    db.session.commit()


def _apportion(n: int, weights: np.ndarray) -> list[int]:
    """Return whole numbers in proportion to weights that add up to exactly n (largest remainder)."""
    exact = n * weights / weights.sum()
    whole = np.floor(exact).astype(int)
    short = n - int(whole.sum())
    whole[np.argsort(whole - exact)[:short]] += 1
    return whole.tolist()
