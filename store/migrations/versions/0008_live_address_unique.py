"""A live address is unique across every prefix, not per prefix: nested prefixes (a parent and its child)
could both hand out one address. Live keys are indexed alone, for the claims' range reads. A cleared IP
conflict records who cleared it.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.errors import StoreError

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    twice = (
        bind.execute(
            sa.text(
                "SELECT live_address FROM ip_allocations WHERE live_address IS NOT NULL "
                "GROUP BY live_address HAVING count(*) > 1"
            )
        )
        .scalars()
        .all()
    )
    if twice:
        raise StoreError(
            "addresses live twice, in nested prefixes: " + ", ".join(sorted(twice)) + "; decommission one "
            "holder of each (pantau ipam history ADDRESS shows both), then start pantau again"
        )
    with op.batch_alter_table("ip_allocations") as batch:
        batch.drop_constraint("uq_ip_allocations_live_address", type_="unique")
        batch.create_unique_constraint("uq_ip_allocations_live_address_any", ["live_address"])
        batch.create_index("ix_ip_allocations_live_key", ["live_key"])
    with op.batch_alter_table("ip_conflicts") as batch:
        batch.add_column(sa.Column("cleared_by", sa.String(63)))


def downgrade() -> None:
    with op.batch_alter_table("ip_conflicts") as batch:
        batch.drop_column("cleared_by")
    with op.batch_alter_table("ip_allocations") as batch:
        batch.drop_index("ix_ip_allocations_live_key")
        batch.drop_constraint("uq_ip_allocations_live_address_any", type_="unique")
        batch.create_unique_constraint("uq_ip_allocations_live_address", ["prefix", "live_address"])
