"""IPAM claims without reading every live address: a sortable key of the live address, indexed per
prefix, and each prefix's floor (the last lowest free address chosen).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from ipaddress import ip_address

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ip_allocations") as batch:
        batch.add_column(sa.Column("live_key", sa.String(32)))
        batch.create_index("ix_ip_allocations_prefix_live_key", ["prefix", "live_key"])
    with op.batch_alter_table("ipam_prefixes") as batch:
        batch.add_column(sa.Column("floor", sa.String(32)))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, live_address FROM ip_allocations WHERE live_address IS NOT NULL")).all()
    for row_id, live in rows:
        value = ip_address(live)
        key = format(int(value), "08x" if value.version == 4 else "032x")
        bind.execute(sa.text("UPDATE ip_allocations SET live_key = :k WHERE id = :i"), {"k": key, "i": row_id})


def downgrade() -> None:
    with op.batch_alter_table("ipam_prefixes") as batch:
        batch.drop_column("floor")
    with op.batch_alter_table("ip_allocations") as batch:
        batch.drop_index("ix_ip_allocations_prefix_live_key")
        batch.drop_column("live_key")
