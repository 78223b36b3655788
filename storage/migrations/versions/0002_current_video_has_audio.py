"""Whether the current video has a sound track, so that it is still known after a restart.

Rows stored before this revision get NULL (not known) until the user sends a video again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("current_videos") as batch:
        batch.add_column(sa.Column("has_audio", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("current_videos") as batch:
        batch.drop_column("has_audio")
