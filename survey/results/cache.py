"""One snapshot per survey, kept in this process and brought up to date as release batches arrive.

`snapshot_for(survey)` returns the survey's snapshot, reading only the rows of batches newer than
the one held (read.py); a process that holds none starts from the stored copy (stored.py).
`prime` stores it at once (after a bulk load, or in the job worker after a release).
"""

from __future__ import annotations

import threading
import time

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Response
from . import read, stored
from .slices import SurveySlice, sliced
from .snapshot import Snapshot

# survey id -> (identity, snapshot, generation, when the database was last asked for new batches)
_snapshots: dict[int, tuple[tuple, Snapshot, str, float]] = {}
_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock(survey_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(survey_id, threading.Lock())


def snapshot_for(survey) -> Snapshot:
    """Return the survey's snapshot, reading only release batches newer than the one held.

    The database is asked for new batches at most every RESULTS_REFRESH_SECONDS (results then
    change at most that often, whatever the rate of batches). A process that holds none starts
    from the stored snapshot (if any), so that a new worker does not re-read every response;
    withdrawn responses are dropped by id; the stored copy is replaced as the snapshot grows, and
    whenever responses were dropped from it.

    A slice of a survey (slices.py) gets the survey's snapshot with only the slice's rows.
    """
    if isinstance(survey, SurveySlice):
        return sliced(snapshot_for(survey.whole), survey.slice_audience)
    questionnaire = survey.questionnaire
    identity = stored.identity(survey)
    # Closing deletes withdrawn responses even when no batch follows: look again once it closed.
    generation = str(survey.closed_at)
    refresh = current_app.config.get("RESULTS_REFRESH_SECONDS", 0)
    with _lock(survey.id):
        held_identity, held, held_generation, asked = _snapshots.get(survey.id, (None, None, None, 0.0))
        if held_identity != identity:
            held = None
        now = time.monotonic()
        if held is not None and held_generation == generation and now - asked < refresh:
            return held
        latest = db.session.scalar(select(func.max(Response.batch)).where(Response.survey_id == survey.id)) or 0
        if held is not None and latest == held.batch and held_generation == generation:
            _snapshots[survey.id] = (identity, held, generation, now)
            return held
        stored_n = None
        if held is None:
            held = copy = stored.load_copy(survey.id, identity, questionnaire)
            stored_n = copy.n if copy is not None else 0
        dropped = False
        if held is None or latest < held.batch:
            fresh = read.build_from(questionnaire, read.responses(survey.id, None, latest), latest)
        else:
            fresh = read.build_from(questionnaire, read.responses(survey.id, held.batch, latest), latest, start=held)
            # A stored copy needs no recount (a full index scan: 0.17 s at a million): deleting
            # withdrawn responses deletes it in the same transaction, and batches commit in the
            # order of their numbers. A copy held in memory may have missed either.
            if stored_n is None:
                fresh, dropped = read.reconcile(survey.id, fresh, latest)
            if fresh is None:  # a batch was numbered out of order: start again
                fresh = read.build_from(questionnaire, read.responses(survey.id, None, latest), latest)
        _snapshots[survey.id] = (identity, fresh, generation, now)
        stored.store_if_due(survey.id, identity, fresh, stored_n, dropped)
        return fresh


def forget(survey_id: int) -> None:
    """Drop a survey's snapshot (after its responses were deleted); the next read rebuilds it."""
    with _lock(survey_id):
        _snapshots.pop(survey_id, None)


def prime(survey) -> Snapshot:
    """Bring the survey's snapshot up to date and store it now, whatever its size or growth.

    For after a bulk load (`flask demo --responses N`): the next process (a gunicorn worker, the
    benchmark) then loads the stored copy instead of parsing every response's JSON. Raises if the
    copy cannot be stored in five tries over ten seconds (each gives up on a lock held for 200 ms).
    """
    snapshot = snapshot_for(survey)  # reads only new batches when a stored copy exists
    identity = stored.identity(survey)
    if stored.is_current(survey.id, identity, snapshot):
        return snapshot
    for wait in (1, 2, 3, 4, None):
        if stored.save(survey.id, identity, snapshot):
            return snapshot
        if wait:
            time.sleep(wait)
    raise RuntimeError(f"the results snapshot of survey {survey.id} could not be stored (the table stayed locked)")
