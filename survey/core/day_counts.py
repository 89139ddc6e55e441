"""Each survey's counts of started and submitted answers per day: a day in the UK, nothing finer."""

from __future__ import annotations

import random
from functools import cache
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.expression import Executable

from ..extensions import db
from ..models import LONDON, SurveyDay, utcnow
from .member_survey import AnySurvey

DAY_SHARDS = 16  # rows a day's counts are split over: more than the requests one server runs at once


def count_day(survey: AnySurvey, column: str) -> None:
    """Add one to today's count of started or submitted surveys (a day in the UK, nothing finer),
    in the caller's transaction: one statement, safe when two requests make today's row at once.
    It adds to one of the day's DAY_SHARDS rows, at random, so concurrent submits do not queue
    on one row (readers add the rows up).

    It joins the transaction that starts a draft or adds a pending submission, so the member's
    work and the count take one commit. The row holds a survey, a day and counts: nothing that
    can be joined to an invitation, and its rows never reach `response` (release_batch moves them
    in another transaction), so sharing that transaction's id links nothing.
    """
    today = utcnow().astimezone(LONDON).date()
    dialect = db.session.get_bind().dialect.name
    shard = random.randrange(DAY_SHARDS)
    db.session.execute(_count_day(dialect, column), {"day_survey": survey.id, "day_date": today, "day_shard": shard})


@cache
def _count_day(dialect: str, column: str) -> Executable:
    """Return the upsert that adds one to a day's count (built once per dialect and column)."""
    table = SurveyDay.__table__
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    row: dict[str, Any] = {
        "survey_id": bindparam("day_survey"),
        "day": bindparam("day_date"),
        "shard": bindparam("day_shard"),
    }
    return (
        insert(table)
        .values(row | {"started": 0, "submitted": 0, column: 1})
        .on_conflict_do_update(
            index_elements=[table.c.survey_id, table.c.day, table.c.shard], set_={column: table.c[column] + 1}
        )
    )
