"""record keys, the time of the last live release, and unused invitations

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 09:00:00

Responses carry a random record key for consistent perturbation (drawn at release; existing
responses get one here), and so do invitations (for the responded counts per segment). An
unused invitation is now a row of `unused_invitation`, deleted by the submit that uses it, so the
submit never writes the invitation row (docs/decisions/0020-release-at-close-and-unlinkable-invitations.md).
Existing unused invitations of surveys not yet closed get their row here. `survey.released_at`
paces the live releases of open-link surveys.
"""

import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEYS = 4096  # survey/results/protection.py KEYS: copied, so this migration never changes with the code
CHUNK = 10_000


def _draw_keys(table_name: str, key_type) -> None:
    """Give every row of a table a fresh random record key, from the operating system's random source."""
    table = sa.table(table_name, sa.column("id", key_type), sa.column("record_key", sa.SmallInteger))
    connection = op.get_bind()
    ids = connection.execute(sa.select(table.c.id)).scalars().all()
    statement = table.update().where(table.c.id == sa.bindparam("row_id")).values(record_key=sa.bindparam("key"))
    for start in range(0, len(ids), CHUNK):
        rows = [{"row_id": row_id, "key": secrets.randbelow(KEYS)} for row_id in ids[start : start + CHUNK]]
        connection.execute(statement, rows)


def upgrade():
    op.add_column("survey", sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))

    sqlite = op.get_bind().dialect.name == "sqlite"
    for table_name, key_type in (("response", sa.Uuid()), ("invitation", sa.Integer())):
        if sqlite:
            # SQLite adds a NOT NULL column only with a default, and making the table again (batch
            # mode) would drop it under the rows that refer to it (their ON DELETE CASCADE runs).
            # The default is never used: every key is drawn below, and the app always gives one.
            op.add_column(table_name, sa.Column("record_key", sa.SmallInteger(), server_default="0", nullable=False))
            _draw_keys(table_name, key_type)
        else:
            op.add_column(table_name, sa.Column("record_key", sa.SmallInteger(), nullable=True))
            _draw_keys(table_name, key_type)
            op.alter_column(table_name, "record_key", existing_type=sa.SmallInteger(), nullable=False)

    op.create_table(
        "unused_invitation",
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_unused_invitation_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["survey_id"], ["survey.id"], name=op.f("fk_unused_invitation_survey_id_survey")),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("pk_unused_invitation")),
    )
    with op.batch_alter_table("unused_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unused_invitation_survey_id"), ["survey_id"], unique=False)
    # Closing replaces an invitation's hash with "closed:<id>": those are finished, used or not.
    op.execute(
        "INSERT INTO unused_invitation (invitation_id, survey_id)"
        " SELECT id, survey_id FROM invitation WHERE NOT used AND token_hash NOT LIKE 'closed:%'"
    )


def downgrade():
    # Before this revision a submit marked the invitation itself: keep what the rows say.
    op.execute(
        "UPDATE invitation SET used = (id NOT IN (SELECT invitation_id FROM unused_invitation))"
        " WHERE token_hash NOT LIKE 'closed:%'"
    )
    with op.batch_alter_table("unused_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unused_invitation_survey_id"))
    op.drop_table("unused_invitation")
    # A plain DROP COLUMN (SQLite 3.35 and later): batch mode would make these tables again, and
    # dropping the old one would run the ON DELETE CASCADE of the rows that refer to it.
    for table_name, column in (("invitation", "record_key"), ("response", "record_key"), ("survey", "released_at")):
        op.execute(f"ALTER TABLE {table_name} DROP COLUMN {column}")
