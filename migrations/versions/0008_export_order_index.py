"""index on responses in export order: survey, then the random id

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 08:20:00.000000

The response-level export reads a survey's released responses in the order of their random ids
(never as stored). With this index both databases read them in that order as they go, instead of
sorting every response's answers before the first row (docs/decisions/0014-exports.md).
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.create_index("ix_response_survey_id_id", ["survey_id", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_index("ix_response_survey_id_id")
