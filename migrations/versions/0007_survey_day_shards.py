"""split each day's started and submitted counts over a few rows (shard)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 08:00:00

On PostgreSQL a submit holds the day's row from its upsert until its commit has reached the
disk, so with one row per survey and day every submit waited for the one before. Existing
counts become shard 0.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("survey_day", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False))
        batch_op.drop_constraint("pk_survey_day", type_="primary")
        batch_op.create_primary_key("pk_survey_day", ["survey_id", "day", "shard"])


def downgrade():
    # Fold the shards back into one row per day before the column goes.
    survey_day = sa.table(
        "survey_day",
        sa.column("survey_id", sa.Integer),
        sa.column("day", sa.Date),
        sa.column("shard", sa.SmallInteger),
        sa.column("started", sa.Integer),
        sa.column("submitted", sa.Integer),
    )
    other = survey_day.alias("other")
    same_day = (other.c.survey_id == survey_day.c.survey_id) & (other.c.day == survey_day.c.day)
    lowest = sa.select(sa.func.min(other.c.shard)).where(same_day).scalar_subquery()
    op.execute(survey_day.update().where(survey_day.c.shard == lowest).values(shard=0))
    for column in ("started", "submitted"):
        total = sa.select(sa.func.sum(other.c[column])).where(same_day).scalar_subquery()
        op.execute(survey_day.update().where(survey_day.c.shard == 0).values({column: total}))
    op.execute(survey_day.delete().where(survey_day.c.shard != 0))
    with op.batch_alter_table("survey_day", schema=None) as batch_op:
        batch_op.drop_constraint("pk_survey_day", type_="primary")
        batch_op.create_primary_key("pk_survey_day", ["survey_id", "day"])
        batch_op.drop_column("shard")
