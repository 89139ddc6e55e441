"""comment themes: the themes of each free-text question's comments, and which theme each is in

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 23:20:00.000000

Found by the job worker (survey/core/themes.py), named, merged and split by organisers. No
comment text and no member identifier is stored here.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "comment_theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=True),
        sa.Column("name_cy", sa.String(length=120), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_comment_theme_survey_id_survey"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["comment_theme.id"],
            name=op.f("fk_comment_theme_merged_into_id_comment_theme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_theme")),
    )
    with op.batch_alter_table("comment_theme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_theme_survey_id"), ["survey_id"], unique=False)
    op.create_table(
        "comment_theme_member",
        sa.Column("response_id", sa.Uuid(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("centrality", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name=op.f("fk_comment_theme_member_response_id_response"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["comment_theme.id"],
            name=op.f("fk_comment_theme_member_theme_id_comment_theme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", "question_id", name=op.f("pk_comment_theme_member")),
    )
    with op.batch_alter_table("comment_theme_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_theme_member_theme_id"), ["theme_id"], unique=False)


def downgrade():
    op.drop_table("comment_theme_member")
    op.drop_table("comment_theme")
