"""membership profile: the union's counts of members by breakdown, dated (counts only)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 21:00:00.000000

An administrator uploads how many members the union holds in each group of a breakdown
(service group, region, age band …), as of a date; results compare respondents with members
(survey/results/representation.py). Never a member list.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "membership_profile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=320), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_membership_profile_as_of"), "membership_profile", ["as_of"], unique=False)
    op.create_table(
        "membership_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=200), nullable=False),
        sa.Column("dimension", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["profile_id"], ["membership_profile.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("profile_id", "audience", "dimension", "code"),
    )
    op.create_index(op.f("ix_membership_count_profile_id"), "membership_count", ["profile_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_membership_count_profile_id"), table_name="membership_count")
    op.drop_table("membership_count")
    op.drop_index(op.f("ix_membership_profile_as_of"), table_name="membership_profile")
    op.drop_table("membership_profile")
