"""SOP 13's bandwidth maps: each plan numbered, with its limits per OPD, approved by the Kabid.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bandwidth_plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("number", sa.String(63), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("capacity_bps", sa.Float(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("directory", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.String(128), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("bandwidth_plans")
