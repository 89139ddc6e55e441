"""Reading a survey's released responses from the database into a snapshot, a chunk at a time.

`responses` reads the rows of some release batches (`response.batch`) as records; `build_from`
turns them into columns (columns.py), added to a snapshot already held; `reconcile` drops the
rows of responses withdrawn since.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import orjson
from sqlalchemy import func, select, text

from ..extensions import db
from ..models import Response
from ..questionnaire.model import Questionnaire
from .columns import Record
from .snapshot import Snapshot, build, with_batch, without
from .texts import id_bytes


def parse_answers(raw: str | bytes | Mapping | None) -> Mapping[str, Any]:
    """Return a response's answers from the driver's value: JSON text (parsed with orjson, about
    twice as fast as the standard library), or a dict already parsed, or nothing.

    Text orjson refuses (a lone surrogate escape, NaN, a number beyond a double) goes to the
    standard library, which reads it as the app wrote it. One difference remains: orjson reads an
    integer beyond 64 bits as a float; number answers never are (the questionnaire's min and max
    bound them), and the snapshot turns numbers into floats anyway.
    """
    if isinstance(raw, str | bytes):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            return json.loads(raw)
    return raw or {}


READ_CHUNK = 5_000  # responses parsed at a time: ~40 MB of parsed answers, whatever the survey's size


def responses(survey_id: int, after: int | None, upto: int) -> Iterator[list[Record]]:
    """Read released responses of a survey, in batches (after, upto], a chunk of records at a time.

    Plain SQL on the driver's rows, the answers and the id as text on both databases (PostgreSQL
    would hand back each jsonb as a dict parsed by the standard library, and each id as a UUID),
    then parsed here with orjson (`parse_answers`).
    """
    query = (
        "SELECT CAST(answers AS TEXT), language, CAST(id AS TEXT), record_key FROM response "
        "WHERE survey_id = :survey AND batch <= :upto"
    )
    if after is not None:
        query += " AND batch > :after"
    parameters = {"survey": survey_id, "upto": upto, "after": after}
    # Stream this one statement only: options set on the connection would turn every later
    # statement in the transaction into a server-side cursor, which PostgreSQL refuses for INSERT.
    result = db.session.execute(text(query).execution_options(stream_results=True), parameters)
    for rows in result.partitions(READ_CHUNK):
        yield [(parse_answers(answers), language, str(rid), key) for answers, language, rid, key in rows]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while answers are read and turned into columns.

    Parsing makes thousands of dicts and lists that live on (each partition is held while it is
    turned into columns), so the collector runs again and again and rescans every object in the
    process each time: two thirds of the parsing time at 100,000 responses. Answers hold no
    reference cycles, so there is nothing for it to find; reference counting still frees each
    partition at once. The pause is process-wide: other threads' cyclic garbage waits for the end
    of the build (a few seconds; a minute for a million responses on a busy box, which only a
    process without a stored copy pays). Only a pause this block began is ended by it (another
    thread's pause, or a collector switched off for good, is left as it was).
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def build_from(
    questionnaire: Questionnaire, chunks: Iterable[Sequence[Record]], batch: int, start: Snapshot | None = None
) -> Snapshot:
    """Return a snapshot of records arriving in chunks, added to `start` when given."""
    snapshot = start
    with collector_paused():  # chunks are usually read and parsed as this loop asks for them
        for chunk in chunks:
            snapshot = build(questionnaire, chunk, batch) if snapshot is None else snapshot.extend(chunk, batch)
    if snapshot is None:
        return build(questionnaire, [], batch)
    return snapshot if snapshot.batch == batch else with_batch(snapshot, batch)


def reconcile(survey_id: int, snapshot: Snapshot, latest: int) -> tuple[Snapshot | None, bool]:
    """Drop rows whose responses were deleted (withdrawn), and say whether any were.

    Returns None for the snapshot when the database holds rows it never saw.
    """
    where = (Response.survey_id == survey_id, Response.batch <= latest)
    stored = db.session.scalar(select(func.count()).select_from(Response).where(*where))
    if stored == snapshot.n:
        return snapshot, False
    present = id_bytes(db.session.scalars(select(Response.id).where(*where)))
    as_keys = np.dtype((np.void, 16))
    keep = np.isin(snapshot.ids.view(as_keys).ravel(), present.view(as_keys).ravel())
    if int(keep.sum()) != stored:  # rows the snapshot never saw
        return None, False
    return without(snapshot, keep), True
