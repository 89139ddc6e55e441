"""The kept job queue: RQ on Redis (docs/decisions/0021-job-queue.md).

Work that must not run inside a member's or a staff member's request goes here. Jobs are queued
by the dotted name of the function that runs them, which lives beside the code it runs: getting a
survey's results ready after a release (`PREPARE`: its snapshot brought up to date and stored,
and its equality flags worked out and kept in Redis for every worker, survey/results/shared.py),
and sending invitation emails and reminders (`SEND`, docs/decisions/0023-email-invitations.md).
This module imports none of them: it only knows their names.

`flask jobs worker` runs the worker (`make run` starts one beside the app). Without REDIS_URL,
or when Redis does not answer, nothing is queued: a warning is logged and the first request that
needs the results works them out, as it always could (DESIGN §8: Redis is optional).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid

import click
import redis
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup
from rq import Queue, SimpleWorker, Worker
from rq.job import Job, Retry
from rq.serializers import JSONSerializer

QUEUE = "survey"  # the default queue; JOBS_QUEUE names another (deployments sharing one Redis)
TIMEOUT = 0.5  # seconds: how long a request waits for Redis to answer before giving up on it
JOB_TIMEOUT = 3600  # seconds: a million responses take well under a minute
WAITING_FOR = 900  # seconds: how long a queued job stands for later releases of its survey
PREPARE = "survey.core.results_ready.prepare_results"
SEND = "survey.core.mailings.send_job"

log = logging.getLogger(__name__)


def connection(url: str | None = None, timeout: float | None = TIMEOUT) -> redis.Redis | None:
    """Return a Redis connection to REDIS_URL that answered a ping, or None.

    Requests use the short timeout; the worker passes None, since it waits on Redis for jobs.
    """
    url = url or (current_app.config.get("REDIS_URL") if has_app_context() else None)
    if not url:
        return None
    found = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=timeout)
    try:
        found.ping()
    except redis.RedisError as error:
        log.warning("Redis at REDIS_URL does not answer: %s", error)
        found.close()
        return None
    return found


def queue_name() -> str:
    """Return the queue's name: the app's JOBS_QUEUE setting, else the JOBS_QUEUE variable, else "survey"."""
    name = (current_app.config.get("JOBS_QUEUE") if has_app_context() else None) or os.environ.get("JOBS_QUEUE")
    if name and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        raise ValueError("JOBS_QUEUE may hold only letters, digits, - and _ (at most 64)")
    return name or QUEUE


def queue(url: str | None = None, timeout: float | None = TIMEOUT) -> Queue | None:
    """Return the app's job queue, or None without REDIS_URL or when Redis does not answer within 0.5 s.

    Jobs are stored as JSON, not pickles: whoever can write to Redis cannot make the worker run code.
    """
    found = connection(url, timeout)
    return None if found is None else Queue(queue_name(), connection=found, serializer=JSONSerializer)


def enqueue(found: Queue, name: str, args: tuple, *, job_id: str, description: str, retry: Retry | None = None) -> Job:
    """Queue the function with this dotted name ("survey.core.mailings.send_job") on a queue."""
    return found.enqueue_call(
        name,
        args=args,
        job_id=job_id,
        timeout=JOB_TIMEOUT,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        retry=retry,
        description=description,
    )


# --- getting a survey's results ready after a release ------------------------------------------


def _waiting_key(survey_id: int) -> str:
    return f"survey:jobs:{queue_name()}:prepare-results:waiting:{int(survey_id)}"


def enqueue_prepare(survey_id: int) -> Job | None:
    """Queue `PREPARE` for a survey (after a release); return the job, or None.

    One waiting job per survey: while one waits, later releases add none (it reads the survey
    when it starts, so it sees them). Returns quietly, with a warning in the log, when there is
    no queue: the results are then worked out by the first request that needs them.
    """
    found = queue()
    if found is None:
        log.warning("no job queue (no Redis): survey %s's results will be worked out when first read", survey_id)
        return None
    job_id = f"{found.name}-prepare-results-{int(survey_id)}-{uuid.uuid4().hex[:12]}"
    try:
        if not found.connection.set(_waiting_key(survey_id), job_id, nx=True, ex=WAITING_FOR):
            return None  # one is waiting already
        description = f"prepare the results of survey {int(survey_id)}"
        return enqueue(found, PREPARE, (int(survey_id),), job_id=job_id, description=description)
    except redis.RedisError as error:
        log.warning("could not queue the results of survey %s: %s", survey_id, error)
        with contextlib.suppress(redis.RedisError):  # so that the next release tries again
            found.connection.delete(_waiting_key(survey_id))
        return None
    finally:
        found.connection.close()


def stop_waiting(survey_id: int) -> None:
    """Say that the survey's waiting `PREPARE` job has started: a release from now on queues a new
    one, which will see what this one does not."""
    found = connection()
    if found is not None:
        with found:
            found.delete(_waiting_key(survey_id))


def prepare_soon(survey_id: int) -> bool:
    """Say whether a worker will prepare the survey's results soon: a worker listens on the queue,
    and a `PREPARE` job is queued (one is queued now unless one waits already).

    For a request that would otherwise work heavy results out itself (the equality flags of a
    large survey): when this is True it can say "being worked out" and answer at once.
    """
    found = queue()
    if found is None:
        return False
    try:
        with found.connection:
            if not Worker.count(queue=found):
                return False
    except redis.RedisError:
        return False
    enqueue_prepare(survey_id)
    return True


def worker_listening() -> bool | None:
    """Return whether a worker listens on the queue now; None when there is no queue (no Redis)."""
    found = queue()
    if found is None:
        return None
    try:
        with found.connection:
            return Worker.count(queue=found) > 0
    except redis.RedisError:
        return None


# --- sending a mailing ---------------------------------------------------------------------------


def enqueue_mailing(mailing_id: int, holder: str | None = None) -> Job | None:
    """Queue a turn of `SEND` (the first, or the next with the same holder); return the job, or
    None when there is no queue (a warning is logged; the page offers the CSV files)."""
    found = queue()
    if found is None:
        log.warning("no job queue (no Redis): mailing %s cannot be sent", mailing_id)
        return None
    holder = holder or uuid.uuid4().hex
    try:
        return enqueue(
            found,
            SEND,
            (int(mailing_id), holder),
            job_id=f"{found.name}-mailing-{int(mailing_id)}-{uuid.uuid4().hex[:12]}",
            retry=Retry(max=3),  # also for a turn whose worker died: the next worker's clean-up queues it again
            description=f"send mailing {int(mailing_id)}",
        )
    except redis.RedisError as error:
        log.warning("could not queue mailing %s: %s", mailing_id, error)
        return None
    finally:
        found.connection.close()


# --- the worker: `flask jobs worker` -------------------------------------------------------------


class AppWorker(SimpleWorker):
    """An RQ worker that runs each job in the app's context, in its own process (no fork): the
    snapshots it reads stay in its memory for the next release of the same survey."""

    app: Flask

    def execute_job(self, job, queue):
        """Run the job inside a fresh app context (its own database session)."""
        with self.app.app_context():
            return super().execute_job(job, queue)


def worker(app: Flask, url: str | None = None) -> AppWorker | None:
    """Return a worker on the app's queue, or None without a queue."""
    with app.app_context():
        found = queue(url or app.config.get("REDIS_URL"), timeout=None)
    if found is None:
        return None
    made = AppWorker([found], connection=found.connection, serializer=JSONSerializer)
    made.app = app
    return made


jobs_cli = AppGroup("jobs", help="The job queue (RQ on REDIS_URL).")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting, then stop.")
def worker_command(burst: bool) -> None:
    """Run a worker: getting results ready after each release, sending emails, and any other queued job."""
    app = current_app._get_current_object()
    # The worker works for the newest release: never wait RESULTS_REFRESH_SECONDS to look for one.
    app.config["RESULTS_REFRESH_SECONDS"] = 0
    made = worker(app)
    if made is None:
        raise click.ClickException("REDIS_URL is not set, or Redis does not answer there: no queue to work on")
    made.work(burst=burst, logging_level="INFO")


def init_app(app: Flask) -> None:
    """Register `flask jobs`."""
    app.cli.add_command(jobs_cli)
