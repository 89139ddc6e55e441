"""Alembic migrations are the only way the schema changes: they must match the models."""

from __future__ import annotations

from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from survey import create_app
from survey.config import TestConfig
from survey.extensions import db

from .factories import make_survey


def test_models_and_migrations_agree(app):
    # The session's database was built by `flask db upgrade`; any model change without a
    # migration shows up here as a difference.
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_reach_head(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == "0016"


def test_going_back_before_day_shards_keeps_each_days_totals(tmp_path):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'back.db'}"})
    rows = [  # (day, shard, started, submitted): one day without a shard 0
        (date(2026, 11, 1), 0, 5, 4),
        (date(2026, 11, 1), 3, 2, 2),
        (date(2026, 11, 1), 15, 1, 0),
        (date(2026, 11, 2), 4, 7, 6),
        (date(2026, 11, 2), 9, 1, 1),
    ]
    with app.app_context():
        upgrade()
    survey = make_survey(app)
    with app.app_context():
        with db.engine.begin() as connection:
            for day, shard, started, submitted in rows:
                connection.execute(
                    text(
                        "INSERT INTO survey_day (survey_id, day, shard, started, submitted)"
                        " VALUES (:survey, :day, :shard, :started, :submitted)"
                    ),
                    {"survey": survey.id, "day": day, "shard": shard, "started": started, "submitted": submitted},
                )
        downgrade(revision="0006")
        with db.engine.connect() as connection:
            kept = connection.execute(text("SELECT day, started, submitted FROM survey_day ORDER BY day")).all()
        upgrade()
        db.engine.dispose()
    assert [tuple(row) for row in kept] == [("2026-11-01", 8, 6), ("2026-11-02", 8, 7)]
