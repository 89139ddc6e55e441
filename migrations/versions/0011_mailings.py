"""mailings: invitation emails and reminders sent from the app

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00.000000

A `mailing` is one sending an organiser started (counts only, no address). Each invitee row
says which mailing sent its invitation email and its latest reminder, so that a mailing a worker
left half-way carries on without sending anyone the same email twice; those marks go with the
invitee rows when the survey closes. `invitee.language` comes from an uploaded list's language
column (docs/decisions/0023-email-invitations.md).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mailing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_invitation_id", sa.Integer(), nullable=False),
        sa.Column("link_prefix", sa.String(length=500), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=32), nullable=True),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_mailing_survey_id"), "mailing", ["survey_id"], unique=False)
    # Plain nullable columns: SQLite adds them in place (no batch copy of a table other rows refer to).
    op.add_column("invitee", sa.Column("language", sa.String(length=2), nullable=True))
    op.add_column("invitee", sa.Column("invitation_mailing_id", sa.Integer(), nullable=True))
    op.add_column("invitee", sa.Column("reminder_mailing_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("invitee", schema=None) as batch_op:
        batch_op.drop_column("reminder_mailing_id")
        batch_op.drop_column("invitation_mailing_id")
        batch_op.drop_column("language")
    op.drop_index(op.f("ix_mailing_survey_id"), table_name="mailing")
    op.drop_table("mailing")
