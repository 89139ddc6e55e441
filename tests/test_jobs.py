"""The kept job queue (RQ on the real Redis) and the results it prepares after a release.

A release queues `prepare_results`; a worker (in this process, and the real `flask jobs worker`
in another) stores the survey's snapshot and keeps its equality flags in Redis; a process that
holds nothing then serves the flags from Redis, equal to those worked out directly. Without
Redis everything still works: nothing is queued and the flags are worked out in the request.

Redis database 15 is the tests' own, and each test has a queue of its own there: only its own
keys are deleted. In CI a Redis
that does not answer fails these tests: it is one of the machine's services.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
import subprocess
import sys
import time

import pytest
import redis
from sqlalchemy import select

from survey import queue
from survey.core.publication import default_publication
from survey.core.results_ready import prepare_results
from survey.extensions import db
from survey.models import Role, StoredSnapshot, Survey
from survey.questionnaire.rules import with_derived
from survey.results import cache, shared
from survey.results import flags as flags_module
from survey.results import stored as stored_copy
from survey.results.flags import equality_flags, equality_flags_of
from survey.web.findings import published_flags

from .factories import AI_AT_WORK, insert_responses, make_survey, make_user, random_answers
from .helpers import ROOT, get_page
from .servers import free_port
from .staff import sign_in


@pytest.fixture(autouse=True)
def _fresh_process_state():
    """Each test starts as a new process would: no snapshot held, Redis not marked as down."""
    shared._down_until.clear()
    yield
    shared._down_until.clear()
    cache._snapshots.clear()
    stored_copy._saved.clear()


def _planted(n: int, seed: int) -> list[tuple[dict, str]]:
    """n members' answers, a sixth of them in Welsh, disabled members agreeing with D2.c more often."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        language = "cy" if rng.random() < 1 / 6 else "en"
        answers = random_answers(AI_AT_WORK, rng, skip=0.05, language=language)
        if "D2.c" in answers:
            disabled = with_derived(AI_AT_WORK, answers, language).get("disabled") == "yes"
            agree = rng.random() < (0.8 if disabled else 0.2)
            answers["D2.c"] = rng.choice(["4", "5"] if agree else ["1", "2", "3"])
        out.append((answers, language))
    return out


def _survey(app, slug: str, n: int = 600) -> Survey:
    survey = make_survey(app, slug, AI_AT_WORK, threshold=10)
    insert_responses(app, survey, _planted(n, seed=len(slug)), batch=1)
    return survey


def _forget_everything(survey_id: int) -> None:
    """What a new worker process holds: no snapshot (the stored copy is still in the database)."""
    cache.forget(survey_id)
    cache._snapshots.clear()
    stored_copy._saved.clear()


def _direct(app, survey: Survey, language: str) -> list:
    """The flags worked out directly from a freshly read snapshot, by equality_flags_of."""
    _forget_everything(survey.id)
    with app.app_context():
        current = db.session.get(Survey, survey.id)
        return equality_flags_of(cache.snapshot_for(current), current.threshold, language)


def _served_without_computing(app, survey: Survey, language: str, monkeypatch) -> list:
    """equality_flags in a process that holds nothing, with computing them made impossible."""
    _forget_everything(survey.id)

    def not_here(*args, **kwargs):
        raise AssertionError("the flags were worked out in the request, not read from Redis")

    with monkeypatch.context() as patched:
        patched.setattr(flags_module, "comparisons", not_here)
        with app.app_context():
            return equality_flags(db.session.get(Survey, survey.id), language)


def test_a_worker_prepares_the_results_that_another_process_reads(app, redis_url, monkeypatch):
    survey = _survey(app, "jobs-prepared")
    with app.app_context():
        job = queue.enqueue_prepare(survey.id)
        assert job is not None
        assert queue.enqueue_prepare(survey.id) is None  # one waits already: it will see this release too
        worker = queue.worker(app)
        assert worker.work(burst=True)
        job.refresh()
        assert job.is_finished, job.latest_result().exc_string if job.latest_result() else job.get_status()
        assert job.return_value()["responses"] == 600 and job.return_value()["batch"] == 1
        stored = db.session.execute(
            select(StoredSnapshot.batch, StoredSnapshot.n).where(StoredSnapshot.survey_id == survey.id)
        ).one()
        assert tuple(stored) == (1, 600)  # the snapshot was stored, whatever its size

    client = redis.Redis.from_url(redis_url)
    for language in AI_AT_WORK.languages:
        served = _served_without_computing(app, survey, language, monkeypatch)
        direct = _direct(app, survey, language)
        assert served == direct
        with app.app_context():
            current = db.session.get(Survey, survey.id)
            key = shared.flags_key(current, cache.snapshot_for(current), current.threshold, language)
        assert json.loads(client.get(key)) == [dataclasses.asdict(flag) for flag in direct]
        assert 0 < client.ttl(key) <= shared.KEPT_FOR
    planted = [f for f in _direct(app, survey, "en") if f.question == "D2.c" and f.dimension == "disabled"]
    assert planted, "the planted difference should be flagged, so that the flags compared are not empty"

    # After the job a new release queues a new one; and a newer snapshot is never served old flags.
    with app.app_context():
        assert queue.enqueue_prepare(survey.id) is not None
    insert_responses(app, survey, _planted(200, seed=99), batch=2)
    _forget_everything(survey.id)
    calls = []
    real = flags_module.comparisons
    with monkeypatch.context() as patched, app.app_context():
        patched.setattr(flags_module, "comparisons", lambda *a, **k: calls.append(1) or real(*a, **k))
        fresh = equality_flags(db.session.get(Survey, survey.id))
    assert calls, "batch 2 must not be served the flags of batch 1"
    assert fresh == _direct(app, survey, "en")


def test_the_flask_jobs_worker_command_runs_the_queue(app, database_url, redis_url, monkeypatch):
    """The real `flask jobs worker --burst`, in its own process with the app create_app() makes."""
    survey = _survey(app, "jobs-command", n=300)
    with app.app_context():
        job = queue.enqueue_prepare(survey.id)
    assert job is not None
    environment = os.environ | {
        "FLASK_APP": "wsgi",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SURVEY_ENV": "development",
        "JOBS_QUEUE": app.config["JOBS_QUEUE"],
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "jobs", "worker", "--burst"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    job.refresh()
    assert job.is_finished, done.stderr
    with app.app_context():
        assert db.session.scalar(select(StoredSnapshot.n).where(StoredSnapshot.survey_id == survey.id)) == 300
    for language in AI_AT_WORK.languages:
        assert _served_without_computing(app, survey, language, monkeypatch) == _direct(app, survey, language)


def test_without_redis_nothing_is_queued_and_flags_are_worked_out_in_the_request(app, caplog):
    survey = _survey(app, "jobs-no-redis", n=300)
    assert app.config["REDIS_URL"] is None
    with app.app_context(), caplog.at_level(logging.WARNING, logger="survey.queue"):
        assert queue.queue() is None
        assert queue.enqueue_prepare(survey.id) is None
        assert "no job queue" in caplog.text
        flags = equality_flags(db.session.get(Survey, survey.id))
    assert flags == _direct(app, survey, "en")
    # The job itself runs without Redis too (called directly): it stores the snapshot.
    with app.app_context():
        assert prepare_results(survey.id)["responses"] == 300
        assert db.session.scalar(select(StoredSnapshot.n).where(StoredSnapshot.survey_id == survey.id)) == 300


def test_a_redis_that_does_not_answer_costs_little_and_changes_nothing(app, monkeypatch, caplog):
    survey = _survey(app, "jobs-dead-redis", n=300)
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    with app.app_context(), caplog.at_level(logging.WARNING):
        started = time.monotonic()
        assert queue.enqueue_prepare(survey.id) is None
        flags = equality_flags(db.session.get(Survey, survey.id))
        assert time.monotonic() - started < 5
        assert shared.client() is None  # marked as down: the next requests do not ask it again
    assert flags == _direct(app, survey, "en")
    assert "did not answer" in caplog.text


def test_a_large_surveys_flags_wait_for_the_worker_and_its_pages_say_so(app, client, redis_url, monkeypatch):
    # At a million responses the flags take 14 s: a page does not work them out while a job
    # worker will. FLAGS_IN_REQUEST is lowered so that 300 responses count as a large survey.
    monkeypatch.setattr(flags_module, "FLAGS_IN_REQUEST", 100)
    survey = _survey(app, "jobs-wait", n=300)
    make_user(app, "wait@example.org", Role.ADMIN)
    sign_in(client, app, "wait@example.org")
    listening = queue.worker(app)  # a worker listening on the queue (`flask jobs worker` in production)
    listening.register_birth()
    try:
        _forget_everything(survey.id)
        with app.app_context():
            current = db.session.get(Survey, survey.id)
            assert equality_flags(current, when_ready=True) is None
            assert equality_flags(current, when_ready=True) is None
            assert queue.queue().count == 1  # one job queued, however many pages asked
        page = get_page(client, f"/organise/surveys/{survey.id}/results/")
        assert "being worked out for the latest results" in page
        api = client.get(f"/api/v1/surveys/{survey.slug}/equality")
        assert (api.status_code, api.json["ready"], api.headers["Retry-After"]) == (202, False, "60")
        with app.app_context():  # the published page says so too
            current = db.session.get(Survey, survey.id)
            assert published_flags(current, default_publication(current), "en") is None
            assert queue.queue().count == 1
    finally:
        listening.register_death()
    assert listening.work(burst=True)  # the worker does the job (and leaves the queue when done)
    served = _served_without_computing(app, survey, "en", monkeypatch)
    assert served == _direct(app, survey, "en") and served
    page = client.get(f"/organise/surveys/{survey.id}/results/")
    assert "being worked out" not in page.text and served[0].sentence in page.text

    # No worker listening: the page works them out itself, as it always could.
    other = _survey(app, "jobs-nobody", n=300)
    with app.app_context():
        assert equality_flags(db.session.get(Survey, other.id), when_ready=True) == _direct(app, other, "en")


def test_the_worker_screens_comments_once_for_every_process(app, redis_url, monkeypatch):
    from survey.results import held

    survey = _survey(app, "jobs-screened")
    with app.app_context():
        result = prepare_results(survey.id)
        current = db.session.get(Survey, survey.id)
        snapshot = cache.snapshot_for(current)
        questions = [q for q in snapshot.texts if len(snapshot.text(q)[1])]
        assert questions and result["screened"] == sum(len(snapshot.text(q)[1]) for q in snapshot.texts)
        found = {q: held.screened(snapshot, q)[1].copy() for q in questions}
    _forget_everything(survey.id)
    with monkeypatch.context() as patched, app.app_context():
        patched.setattr(held, "may_identify", lambda *a, **k: pytest.fail("screened again in a request"))
        snapshot = cache.snapshot_for(db.session.get(Survey, survey.id))
        for question, mask in found.items():
            assert (held.screened(snapshot, question)[1] == mask).all()


def test_the_worker_keeps_each_staff_slices_flags_for_its_pages(app, redis_url, monkeypatch):
    from survey.results.slices import SurveySlice

    survey = _survey(app, "jobs-slices", n=900)
    make_user(app, "lg@example.org", Role.ORGANISER, [{"service_group": "local_gov"}])
    with app.app_context():
        assert prepare_results(survey.id)["slices"] == 1
    _forget_everything(survey.id)
    local = {"service_group": "local_gov"}
    with app.app_context():
        direct = equality_flags_of(
            cache.snapshot_for(SurveySlice(db.session.get(Survey, survey.id), local, "Local government")), 10, "en"
        )
    _forget_everything(survey.id)
    with monkeypatch.context() as patched, app.app_context():
        patched.setattr(flags_module, "comparisons", lambda *a, **k: pytest.fail("worked out again in a request"))
        sliced = SurveySlice(db.session.get(Survey, survey.id), local, "Local government")
        assert equality_flags(sliced, "en") == direct
        whole = db.session.get(Survey, survey.id)
        keys = {shared.flags_key(s, cache.snapshot_for(s), 10, "en") for s in (sliced, whole)}
    assert len(keys) == 2 and all(redis.Redis.from_url(redis_url).exists(key) for key in keys)  # each its own
