"""survey waves: a survey may name the earlier survey it is a wave of

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:00:00.000000

An organiser marks a survey as a wave of an earlier, closed one; results then compare the
questions both asked in the same words (survey/core/waves.py, survey/results/waves.py).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

NAME = "fk_survey_previous_survey_id_survey"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # Batch mode makes the survey table again: with foreign keys off, so that dropping the old
        # table runs no ON DELETE CASCADE of the rows that refer to a survey.
        op.execute("PRAGMA foreign_keys=OFF")
        with op.batch_alter_table("survey") as batch:
            batch.add_column(sa.Column("previous_survey_id", sa.Integer(), nullable=True))
            batch.create_foreign_key(NAME, "survey", ["previous_survey_id"], ["id"], ondelete="SET NULL")
        op.execute("PRAGMA foreign_keys=ON")
        return
    op.add_column("survey", sa.Column("previous_survey_id", sa.Integer(), nullable=True))
    op.create_foreign_key(NAME, "survey", "survey", ["previous_survey_id"], ["id"], ondelete="SET NULL")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a column a foreign key uses: make the table again, with foreign keys off
        # so that dropping the old table runs no ON DELETE action.
        op.execute("PRAGMA foreign_keys=OFF")
        with op.batch_alter_table("survey") as batch:
            batch.drop_constraint(NAME, type_="foreignkey")
            batch.drop_column("previous_survey_id")
        op.execute("PRAGMA foreign_keys=ON")
        return
    op.drop_constraint(NAME, "survey", type_="foreignkey")
    op.drop_column("survey", "previous_survey_id")
