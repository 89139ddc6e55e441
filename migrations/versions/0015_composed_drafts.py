"""composed drafts: an organiser's survey composed from the question bank, kept between requests

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 23:00:00.000000

Bank questions are kept by questionnaire and id, the organiser's own questions with their texts;
submitting turns the draft into an ordinary questionnaire upload (survey/core/compose.py).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "composed_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("submitted_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["staff_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_composed_draft_owner_id"), "composed_draft", ["owner_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_composed_draft_owner_id"), table_name="composed_draft")
    op.drop_table("composed_draft")
