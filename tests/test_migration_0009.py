"""Migration 0009 on existing data, both ways: record keys drawn, unused invitations listed, nothing lost."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from survey import create_app
from survey.config import TestConfig
from survey.extensions import db

from .factories import make_survey

INVITATION = sa.table(
    "invitation",
    sa.column("id", sa.Integer),
    sa.column("survey_id", sa.Integer),
    sa.column("token_hash", sa.String),
    sa.column("used", sa.Boolean),
)
INVITEE = sa.table(
    "invitee",
    sa.column("invitation_id", sa.Integer),
    sa.column("survey_id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("sealed_token", sa.LargeBinary),
)
RESPONSE = sa.table(
    "response",
    sa.column("id", sa.Uuid),
    sa.column("survey_id", sa.Integer),
    sa.column("questionnaire_version_id", sa.Integer),
    sa.column("language", sa.String),
    sa.column("answers", sa.JSON),
    sa.column("batch", sa.Integer),
)
REVIEW = sa.table(
    "comment_review",
    sa.column("response_id", sa.Uuid),
    sa.column("question_id", sa.String),
    sa.column("survey_id", sa.Integer),
    sa.column("approved", sa.Boolean),
)


def test_0009_keeps_every_row_draws_keys_and_goes_back(app, database_url, tmp_path):
    on_postgresql = database_url.startswith("postgresql")
    target = (
        app if on_postgresql else create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"})
    )
    if not on_postgresql:
        with target.app_context():
            upgrade()
    survey = make_survey(target)
    ids = [uuid.uuid4() for _ in range(40)]
    with target.app_context():
        try:
            downgrade(revision="0008")
            with db.engine.begin() as connection:
                connection.execute(
                    INVITATION.insert(),
                    [
                        {"id": 1, "survey_id": survey.id, "token_hash": "a" * 64, "used": True},
                        {"id": 2, "survey_id": survey.id, "token_hash": "b" * 64, "used": False},
                        {"id": 3, "survey_id": survey.id, "token_hash": "c" * 64, "used": False},
                        {"id": 4, "survey_id": survey.id, "token_hash": "closed:4", "used": False},  # a closed survey's
                    ],
                )
                connection.execute(
                    INVITEE.insert(),
                    [{"invitation_id": 2, "survey_id": survey.id, "email": "x@example.org", "sealed_token": b"x"}],
                )
                connection.execute(
                    RESPONSE.insert(),
                    [
                        {
                            "id": i,
                            "survey_id": survey.id,
                            "questionnaire_version_id": survey.questionnaire_version_id,
                            "language": "en",
                            "answers": {"years": 3},
                            "batch": 1,
                        }
                        for i in ids
                    ],
                )
                connection.execute(
                    REVIEW.insert(),
                    [{"response_id": ids[0], "question_id": "ai_detail", "survey_id": survey.id, "approved": True}],
                )
            upgrade()
            with db.engine.connect() as connection:
                keys = connection.scalars(sa.text("SELECT record_key FROM response")).all()
                invitation_keys = connection.scalars(sa.text("SELECT record_key FROM invitation")).all()
                unused = set(connection.scalars(sa.text("SELECT invitation_id FROM unused_invitation")))
                kept = [connection.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in ("invitee", "comment_review")]
                released_at = connection.scalar(sa.text("SELECT released_at FROM survey"))
            assert (
                len(keys) == 40 and all(0 <= key < 4096 for key in keys) and len(set(keys)) > 20
            )  # drawn, not a default
            assert len(invitation_keys) == 4 and all(0 <= key < 4096 for key in invitation_keys)
            assert unused == {2, 3} and kept == [1, 1] and released_at is None

            with db.engine.begin() as connection:  # invitation 3 is used after the upgrade
                connection.execute(sa.text("DELETE FROM unused_invitation WHERE invitation_id = 3"))
            downgrade(revision="0008")
            with db.engine.connect() as connection:
                used = dict(connection.execute(sa.text("SELECT id, used FROM invitation ORDER BY id")).all())
                kept = [
                    connection.scalar(sa.text(f"SELECT count(*) FROM {t}"))
                    for t in ("invitee", "comment_review", "response")
                ]
            assert {k: bool(v) for k, v in used.items()} == {1: True, 2: False, 3: True, 4: False}
            assert kept == [1, 1, 40]
        finally:
            upgrade()
            if not on_postgresql:
                db.engine.dispose()
