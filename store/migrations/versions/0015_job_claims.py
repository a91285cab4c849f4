"""Jobs one agent must run, among agents sharing the store: each firing of a job (the maintenance plan's
cron, a run staff scheduled) is claimed by one agent before it runs; the others find the claim and skip.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_claims",
        sa.Column("job", sa.String(191), primary_key=True),
        sa.Column("due", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("agent", sa.String(63), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_claims")
