"""weighting: a survey's percentages weighted to the membership profile, switched on by organisers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 23:00:00.000000

survey.weighted: when true (and a membership profile applies), every output shows percentages
and intervals weighted to the newest profile (survey/results/weighting.py, ADR 0027).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("survey") as batch_op:
        batch_op.add_column(sa.Column("weighted", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("survey") as batch_op:
        batch_op.drop_column("weighted")
