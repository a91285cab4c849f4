"""Maintenance runs, their results and device facts, configuration backups, reports and their signatures.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenance_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("plan", sa.String(253)),
        sa.Column("by", sa.String(63), nullable=False),
    )
    op.create_index("ix_maintenance_runs_started_at", "maintenance_runs", ["started_at"])
    run_fk = sa.ForeignKey("maintenance_runs.id", ondelete="CASCADE")
    op.create_table(
        "maintenance_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), run_fk, nullable=False),
        sa.Column("location", sa.String(63), nullable=False),
        sa.Column("device", sa.String(253), nullable=False),
        sa.Column("check", sa.String(63), nullable=False),
        sa.Column("subject", sa.String(253), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("finding_en", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("follow_up_en", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_maintenance_results_run_id", "maintenance_results", ["run_id"])
    op.create_index("ix_maintenance_results_location", "maintenance_results", ["location"])
    op.create_table(
        "device_facts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("maintenance_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
    )
    op.create_index("ix_device_facts_run_id", "device_facts", ["run_id"])
    op.create_index("ix_device_facts_device", "device_facts", ["device"])
    op.create_table(
        "config_backups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer()),
    )
    op.create_index("ix_config_backups_device", "config_backups", ["device"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("maintenance_runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("location", sa.String(63), nullable=False),
        sa.Column("number", sa.String(63), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("directory", sa.Text(), nullable=False),
    )
    op.create_index("ix_reports_run_id", "reports", ["run_id"])
    op.create_table(
        "report_signatures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(253), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_report_signatures_report_id", "report_signatures", ["report_id"])


def downgrade() -> None:
    for table in (
        "report_signatures",
        "reports",
        "config_backups",
        "device_facts",
        "maintenance_results",
        "maintenance_runs",
    ):
        op.drop_table(table)
