"""stored snapshot: the SHA-256 of its bytes, naming its shared file

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 16:40:00.000000

A process that stores a survey's results snapshot also writes the same bytes to a file named by
their digest (SNAPSHOT_DIR); the other processes on that machine map the file instead of reading
the copy from the database. The digest in the row says which file holds exactly this copy
(docs/decisions/0022-shared-snapshot-files.md).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stored_snapshot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("stored_snapshot", schema=None) as batch_op:
        batch_op.drop_column("digest")
