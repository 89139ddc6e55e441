"""Fixtures: one app per test session on a real database (SQLite, or PostgreSQL when asked), and
the fixtures many test modules share: surveys, signed-in staff clients, Redis, rate limits.

The browser fixtures (`browser`, `demo_server`) are in tests/browser.py, a plugin listed here;
the things tests make are in tests/factories.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from survey import create_app
from survey.cli import make_demo_survey
from survey.config import TestConfig
from survey.extensions import db
from survey.models import Role, Survey

from .factories import PROBATION, invited_survey, make_survey, make_user
from .staff import sign_in

pytest_plugins = ["tests.browser"]

IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail the run (never skip) when PostgreSQL was asked for and cannot be reached."""
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"):
        engine = sa.create_engine(TEST_DATABASE_URL, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as error:
            pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {error}", returncode=1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that touch no database; leave PostgreSQL-only tests out of the SQLite pass,
    and SQLite-only ones out of the PostgreSQL pass (deselected, never skipped).

    `.ci/run` runs the database-free tests (the results adversaries, the questionnaire checks) in
    its SQLite pass only: the PostgreSQL pass would repeat them unchanged.
    """
    for item in items:
        if not {"app", "database_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database_free)
    other = "sqlite" if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql") else "postgres"
    left_out = [item for item in items if item.get_closest_marker(other)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker(other)]


def reset_database(url: str) -> None:
    """Start from an empty database, so that the migrations build every table."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the test database address: TEST_DATABASE_URL, or a fresh SQLite file."""
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    reset_database(url)
    return url


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """Return the app, with the schema built by running the real migrations."""
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that used the database."""
    yield
    if "app" not in request.fixturenames:
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client."""
    return app.test_client()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    """Run the test inside an application context."""
    with app.app_context():
        yield
        db.session.remove()


# --- surveys -------------------------------------------------------------------------------------


@pytest.fixture
def tiny(app: Flask) -> Survey:
    """An open open-link survey of the tiny questionnaire at /s/tiny, threshold 5."""
    return make_survey(app, "tiny")


@pytest.fixture
def invited(app: Flask) -> list[str]:
    """The tokens of three invitations to an open invitation survey of the tiny questionnaire (/s/invited)."""
    return invited_survey(app, 3)


@pytest.fixture
def demo_survey(app: Flask) -> str:
    """The open demo survey (`flask demo`'s, without responses); return its slug."""
    with app.app_context():
        return make_demo_survey().slug


# --- staff, signed in ----------------------------------------------------------------------------


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> FlaskClient:
    """The test client, signed in as an administrator (ada@example.org, two-factor sign-in set up)."""
    make_user(app, "ada@example.org", Role.ADMIN)
    assert sign_in(client, app, "ada@example.org").status_code == 302
    return client


@pytest.fixture
def organiser(app: Flask, client: FlaskClient) -> FlaskClient:
    """The test client, signed in as an organiser for probation (pat@example.org)."""
    make_user(app, "pat@example.org", Role.ORGANISER, [PROBATION])
    assert sign_in(client, app, "pat@example.org").status_code == 302
    return client


TEST_REDIS_URL = os.environ.get("TEST_JOBS_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url(app: Flask, monkeypatch) -> Iterator[str]:
    """The real Redis, database 15, as the app's REDIS_URL for this test, with a queue of the
    test's own (another test run on the same Redis neither takes its jobs nor loses its keys).
    Afterwards the test's keys are deleted (its queue's, a killed worker's, the equality flags kept
    for this database's surveys, screened comments), and no others. In CI a Redis that does not
    answer fails the test."""
    import uuid

    import redis
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import Survey
    from survey.results import shared
    from survey.results.stored import identity, identity_text

    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError as error:
        if IN_CI:
            pytest.fail(f"Redis does not answer at {TEST_REDIS_URL}: {error}")
        pytest.skip(f"Redis does not answer at {TEST_REDIS_URL}")
    name = f"test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(app.config, "REDIS_URL", TEST_REDIS_URL)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", name)
    yield TEST_REDIS_URL
    with app.app_context():
        surveys = db.session.scalars(select(Survey)).all()
        ours = [f"{shared.PREFIX}flags:*:{s.id}:{identity_text(identity(s))}:*" for s in surveys]
    ours.append(f"{shared.PREFIX}held:*")  # comments screened (named by their response ids, not a survey)
    keys = {key for pattern in (f"*{name}*", *ours) for key in client.scan_iter(pattern, count=1000)}
    for key in client.scan_iter("rq:worker:*", count=1000):
        worker = key.removesuffix(b":executions")
        if client.type(worker) == b"hash" and client.hget(worker, "queues") == name.encode():
            keys |= {worker, worker + b":executions"}
            client.srem("rq:workers", worker)
    if keys:
        client.delete(*keys)
    client.srem("rq:queues", f"rq:queue:{name}")
    client.close()


@pytest.fixture
def limits(app: Flask) -> Iterator[dict]:
    """Let a test set real rate limits, starting from empty counts; the suite's are put back after."""
    from survey.web.limits import limiter

    saved = {k: v for k, v in app.config.items() if k.startswith("RATE_")}
    limiter.reset()
    yield app.config
    app.config.update(saved)
    limiter.reset()
