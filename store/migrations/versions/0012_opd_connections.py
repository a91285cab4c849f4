"""New OPDs: the subnets carved from the IP plan's pools for them, and links waiting for their router.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "prefix_allocations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("pool", sa.String(63), nullable=False, index=True),
        sa.Column("prefix", sa.String(49), nullable=False, index=True),
        sa.Column("opd", sa.String(63), nullable=False, index=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("live_prefix", sa.String(49), nullable=True, unique=True),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("allocated_by", sa.String(63), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(63), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True, index=True),
    )
    op.create_table(
        "pending_links",
        sa.Column("link", sa.String(63), primary_key=True),
        sa.Column("opd", sa.String(63), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("pending_links")
    op.drop_table("prefix_allocations")
