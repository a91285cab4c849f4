"""Five-minute link rollups.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_rollups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("link", sa.String(63), nullable=False),
        sa.Column("opd", sa.String(63), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_seconds", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("in_bps_avg", sa.Float()),
        sa.Column("in_bps_max", sa.Float()),
        sa.Column("out_bps_avg", sa.Float()),
        sa.Column("out_bps_max", sa.Float()),
        sa.Column("loss_ratio", sa.Float()),
        sa.Column("rtt_avg_seconds", sa.Float()),
        sa.UniqueConstraint("link", "period_start", name="uq_link_rollups_link_period"),
    )
    op.create_index("ix_link_rollups_link", "link_rollups", ["link"])
    op.create_index("ix_link_rollups_opd", "link_rollups", ["opd"])


def downgrade() -> None:
    op.drop_table("link_rollups")
