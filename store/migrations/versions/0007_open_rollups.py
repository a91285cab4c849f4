"""The rollup period still accumulating, per link, kept across agent restarts.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_rollups_open",
        sa.Column("link", sa.String(63), primary_key=True),
        sa.Column("opd", sa.String(63), nullable=False),
        sa.Column("period_start", sa.Float(), nullable=False),
        sa.Column("series", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("link_rollups_open")
