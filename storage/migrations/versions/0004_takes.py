"""A job may make several takes of its music for its member to choose from: the take chosen is kept
(`jobs.chosen_take`, from 1; NULL: one take, or none chosen yet). A job waiting for the choice is in the state
"choosing" (a VARCHAR value: no schema change).

Revision ID: 0004_takes
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_takes"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("chosen_take", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("chosen_take")
