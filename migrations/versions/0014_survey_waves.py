"""survey waves: a survey may name the earlier survey it is a wave of

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06 23:00:00.000000

An organiser marks a survey as a wave of an earlier, closed one; results then compare the
questions both asked in the same words (survey/core/waves.py, survey/results/waves.py).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("survey") as batch:
        batch.add_column(sa.Column("previous_survey_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_survey_previous_survey_id_survey", "survey", ["previous_survey_id"], ["id"], ondelete="SET NULL"
        )


def downgrade():
    with op.batch_alter_table("survey") as batch:
        batch.drop_constraint("fk_survey_previous_survey_id_survey", type_="foreignkey")
        batch.drop_column("previous_survey_id")
