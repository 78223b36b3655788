"""A job keeps the whole video it was made from (storage.video_ref.VideoRef): its picture size and whether it
has sound too, so a job run again ("new seed", "another part") is checked like the member's current video.

Jobs stored before this revision get NULL (not known).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("video_width", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("video_height", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("video_has_audio", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("video_has_audio")
        batch.drop_column("video_height")
        batch.drop_column("video_width")
