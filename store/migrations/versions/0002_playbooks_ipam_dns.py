"""Playbook runs and steps, IP allocations and conflicts, DNS change log, registered probe targets.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ip_allocations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("prefix", sa.String(63), nullable=False),
        sa.Column("address", sa.String(45), nullable=False),
        sa.Column("hostname", sa.String(253), nullable=False),
        sa.Column("opd", sa.String(63)),
        sa.Column("mac", sa.String(17)),
        sa.Column("live_address", sa.String(45)),
        sa.Column("live_hostname", sa.String(253)),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("allocated_by", sa.String(63), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True)),
        sa.Column("released_by", sa.String(63)),
        sa.Column("run_id", sa.Integer()),
        sa.UniqueConstraint("prefix", "live_address", name="uq_ip_allocations_live_address"),
        sa.UniqueConstraint("prefix", "live_hostname", name="uq_ip_allocations_live_hostname"),
    )
    for column in ("prefix", "address", "hostname", "run_id"):
        op.create_index(f"ix_ip_allocations_{column}", "ip_allocations", [column])
    op.create_table(
        "ipam_prefixes",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("claims", sa.Integer(), nullable=False),
    )
    op.create_table(
        "ip_conflicts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("prefix", sa.String(63), nullable=False),
        sa.Column("address", sa.String(45), nullable=False),
        sa.Column("mac", sa.String(17)),
        sa.Column("detected_by", sa.String(63), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True)),
        sa.Column("run_id", sa.Integer()),
    )
    op.create_index("ix_ip_conflicts_prefix", "ip_conflicts", ["prefix"])
    op.create_index("ix_ip_conflicts_address", "ip_conflicts", ["address"])
    op.create_table(
        "dns_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("zone", sa.String(253), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("rtype", sa.String(10), nullable=False),
        sa.Column("value", sa.String(253), nullable=False),
        sa.Column("ttl", sa.Integer()),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("by", sa.String(63), nullable=False),
        sa.Column("run_id", sa.Integer()),
    )
    for column in ("at", "name", "run_id"):
        op.create_index(f"ix_dns_changes_{column}", "dns_changes", [column])
    op.create_table(
        "playbook_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("playbook", sa.String(63), nullable=False),
        sa.Column("started_by", sa.String(63), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("summary", sa.Text()),
        sa.Column("host", sa.String(253), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("pid_start", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_playbook_runs_playbook", "playbook_runs", ["playbook"])
    op.create_index("ix_playbook_runs_state", "playbook_runs", ["state"])
    op.create_table(
        "run_steps",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("playbook_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("title", sa.String(253), nullable=False),
        sa.Column("sop_step", sa.String(63), nullable=False),
        sa.Column("allowance_seconds", sa.Float(), nullable=False),
        sa.Column("expected_output", sa.String(253), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("output", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.UniqueConstraint("run_id", "position", name="uq_run_steps_run_position"),
    )
    op.create_index("ix_run_steps_run_id", "run_steps", ["run_id"])
    op.create_table(
        "probe_targets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(253), nullable=False, unique=True),
        sa.Column("address", sa.String(45), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("opd", sa.String(63)),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(63), nullable=False),
        sa.Column("run_id", sa.Integer()),
    )


def downgrade() -> None:
    for table in (
        "probe_targets",
        "run_steps",
        "playbook_runs",
        "dns_changes",
        "ip_conflicts",
        "ipam_prefixes",
        "ip_allocations",
    ):
        op.drop_table(table)
