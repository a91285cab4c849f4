"""The board among agents sharing the store: each link's latest entry, written by the agent that polls it,
so the page of any agent shows every link.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_board",
        sa.Column("link", sa.String(191), primary_key=True),
        sa.Column("agent", sa.String(63), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("link_board")
