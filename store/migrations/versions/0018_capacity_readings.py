"""Servers' capacity readings (processors and their use, RAM, the largest disk): the hosting SOP's capacity
check and its trend.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capacity_readings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vcpus", sa.Integer(), nullable=False),
        sa.Column("cpu_used", sa.Float(), nullable=True),
        sa.Column("ram", sa.BigInteger(), nullable=True),
        sa.Column("ram_used", sa.BigInteger(), nullable=True),
        sa.Column("disk", sa.BigInteger(), nullable=True),
        sa.Column("disk_used", sa.BigInteger(), nullable=True),
        sa.Column("disk_mount", sa.String(255), nullable=True),
    )
    op.create_index("ix_capacity_readings_device_at", "capacity_readings", ["device", "at"])


def downgrade() -> None:
    op.drop_index("ix_capacity_readings_device_at", "capacity_readings")
    op.drop_table("capacity_readings")
