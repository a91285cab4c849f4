"""The run that released an allocation (a decommission, or the compensation of a failed or recovered run),
so that an address's history links every release to its run.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ip_allocations") as batch:
        batch.add_column(sa.Column("released_run_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ip_allocations") as batch:
        batch.drop_column("released_run_id")
