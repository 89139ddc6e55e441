"""The streamed response-level export (survey/exports), timed in process: rows/s and memory growth.

It runs what the download view streams (response_rows into csv_chunks), minus the audit entry
and HTTP; a thread samples this process's resident memory every 20 ms meanwhile.
"""

from __future__ import annotations

import threading
import time


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def measure(app, survey_id: int) -> dict:
    from sqlalchemy import select

    from survey.exports.responses import FIXED_COLUMNS, answer_columns, released_count, response_rows
    from survey.extensions import db
    from survey.models import Survey
    from survey.spreadsheets import csv_chunks

    survey = db.session.scalar(select(Survey).where(Survey.id == survey_id))
    count, upto = released_count(survey)
    columns = answer_columns(survey)
    start = _rss_mb()
    peak = [start]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    size = 0
    rows = [0]

    def counted(source):
        for row in source:
            rows[0] += 1
            yield row

    for chunk in csv_chunks((*FIXED_COLUMNS, *columns), counted(response_rows(survey, columns, upto)), prepared=True):
        size += len(chunk.encode())
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    db.session.rollback()
    return {
        "status": "measured",
        "rows": rows[0],
        "released": count,
        "columns": len(columns) + len(FIXED_COLUMNS),
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows[0] / seconds) if seconds else None,
        "megabytes": round(size / 2**20, 1),
        "memory_growth_mb": round(peak[0] - start, 1),
        "note": "survey/exports response_rows → csv_chunks, in process (no HTTP, no audit entry)",
    }
