"""Link state changes seen by the agent: the outage timeline triage and escalations quote.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("link", sa.String(63), nullable=False),
        sa.Column("opd", sa.String(63), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("reasons", sa.String(255), nullable=False),
        sa.Column("cause", sa.String(32), nullable=False),
    )
    op.create_index("ix_link_events_link_at", "link_events", ["link", "at"])


def downgrade() -> None:
    op.drop_table("link_events")
