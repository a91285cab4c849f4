"""Several agents on one store: their heartbeats (membership and a fencing epoch), and the open rollup
periods kept per agent (each agent rewrites only its own).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "link_rollups_open_by_agent",
        sa.Column("agent", sa.String(63), primary_key=True),
        sa.Column("link", sa.String(63), primary_key=True),
        sa.Column("opd", sa.String(63), nullable=False),
        sa.Column("period_start", sa.Float(), nullable=False),
        sa.Column("series", sa.Text(), nullable=False),
    )
    # the single agent's periods so far belong to no agent in particular: the first to start takes them up
    op.execute(
        "INSERT INTO link_rollups_open_by_agent (agent, link, opd, period_start, series) "
        "SELECT '', link, opd, period_start, series FROM link_rollups_open"
    )
    op.drop_table("link_rollups_open")
    op.rename_table("link_rollups_open_by_agent", "link_rollups_open")


def downgrade() -> None:
    op.create_table(
        "link_rollups_open_single",
        sa.Column("link", sa.String(63), primary_key=True),
        sa.Column("opd", sa.String(63), nullable=False),
        sa.Column("period_start", sa.Float(), nullable=False),
        sa.Column("series", sa.Text(), nullable=False),
    )
    op.execute(
        "INSERT INTO link_rollups_open_single (link, opd, period_start, series) "
        "SELECT link, MIN(opd), MIN(period_start), MIN(series) FROM link_rollups_open GROUP BY link"
    )
    op.drop_table("link_rollups_open")
    op.rename_table("link_rollups_open_single", "link_rollups_open")
    op.drop_table("agents")
