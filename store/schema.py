"""The store's tables (SQLAlchemy 2 declarative models). Every datetime column is :class:`UtcDateTime`:
aware UTC in, aware UTC out, on SQLite (which keeps no zone) as on PostgreSQL.

Schema changes go through migrations in ``store/migrations``.
"""

# size: the database's map in one file: every table beside the others, one metadata that Alembic's
# comparison test checks the migrations against

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time stored in UTC. SQLite hands datetimes back naive (it stores no zone): they were
    written in UTC, so they come back as UTC; a naive value is refused on the way in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value} given to the store; pass an aware datetime (UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if not isinstance(value, datetime):
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class LinkRollup(Base):
    """Five-minute summary of one OPD link: the evidence for bandwidth planning (SOP 13) and baselines."""

    __tablename__ = "link_rollups"
    __table_args__ = (UniqueConstraint("link", "period_start", name="uq_link_rollups_link_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link: Mapped[str] = mapped_column(String(63), index=True)
    opd: Mapped[str] = mapped_column(String(63), index=True)
    period_start: Mapped[datetime] = mapped_column(UtcDateTime())
    period_seconds: Mapped[int] = mapped_column(Integer)
    samples: Mapped[int] = mapped_column(Integer)
    in_bps_avg: Mapped[float | None] = mapped_column(Float)
    in_bps_max: Mapped[float | None] = mapped_column(Float)
    out_bps_avg: Mapped[float | None] = mapped_column(Float)
    out_bps_max: Mapped[float | None] = mapped_column(Float)
    loss_ratio: Mapped[float | None] = mapped_column(Float)
    rtt_avg_seconds: Mapped[float | None] = mapped_column(Float)


class IpAllocation(Base):
    """An address handed out from a prefix. ``live_address``/``live_hostname`` are set while the allocation is
    live and cleared on release: the unique constraints on them are what keeps two allocations at once from
    getting the same address (NULLs never collide, on SQLite as on PostgreSQL), and what makes asking twice
    for the same hostname return the same row. The live address is unique across every prefix: nested
    prefixes (a parent and its child) never both hand out one address. Released rows stay as history."""

    __tablename__ = "ip_allocations"
    __table_args__ = (
        UniqueConstraint("live_address", name="uq_ip_allocations_live_address_any"),
        UniqueConstraint("prefix", "live_hostname", name="uq_ip_allocations_live_hostname"),
        Index("ix_ip_allocations_prefix_live_key", "prefix", "live_key"),
        Index("ix_ip_allocations_live_key", "live_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(63), index=True)
    address: Mapped[str] = mapped_column(String(45), index=True)
    hostname: Mapped[str] = mapped_column(String(253), index=True)
    opd: Mapped[str | None] = mapped_column(String(63))
    mac: Mapped[str | None] = mapped_column(String(17))
    live_address: Mapped[str | None] = mapped_column(String(45))
    live_hostname: Mapped[str | None] = mapped_column(String(253))
    # the live address as fixed-width hex (8 digits IPv4, 32 IPv6): text order is address order, so a claim
    # reads the live addresses above its prefix's floor in order through the index, not every one of them
    live_key: Mapped[str | None] = mapped_column(String(32))
    allocated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    allocated_by: Mapped[str] = mapped_column(String(63))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    released_by: Mapped[str | None] = mapped_column(String(63))
    run_id: Mapped[int | None] = mapped_column(Integer, index=True)
    released_run_id: Mapped[int | None] = mapped_column(Integer)  # the run that released it (its undo included)


class IpamPrefix(Base):
    """One row per prefix allocated from: allocations in a prefix update it first, which serializes them
    (a row lock on PostgreSQL, the write lock on SQLite) without blocking other prefixes on PostgreSQL."""

    __tablename__ = "ipam_prefixes"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    claims: Mapped[int] = mapped_column(Integer)
    # the last address a claim chose as the lowest free one (its live_key form): a claim starts there when
    # every address below it is still taken (a count says so), else from the prefix's first address
    floor: Mapped[str | None] = mapped_column(String(32))


class IpConflict(Base):
    """An address found in use by a host IPAM does not know; skipped until someone clears it (``pantau ipam
    conflicts clear``, after checking that nobody answers there any more)."""

    __tablename__ = "ip_conflicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(63), index=True)
    address: Mapped[str] = mapped_column(String(45), index=True)
    mac: Mapped[str | None] = mapped_column(String(17))
    detected_by: Mapped[str] = mapped_column(String(63))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cleared_by: Mapped[str | None] = mapped_column(String(63))
    run_id: Mapped[int | None] = mapped_column(Integer)


class DnsChange(Base):
    """One record added to or deleted from a zone by an RFC 2136 update (the DNS change log)."""

    __tablename__ = "dns_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    zone: Mapped[str] = mapped_column(String(253))
    name: Mapped[str] = mapped_column(String(253), index=True)
    rtype: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(253))
    ttl: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))  # add | delete | replace
    by: Mapped[str] = mapped_column(String(63))
    run_id: Mapped[int | None] = mapped_column(Integer, index=True)


class PlaybookRun(Base):
    """One run of a playbook: who, with what, how it ended; ``facts`` is what the steps learned (JSON),
    kept after every step so that a crashed run can be compensated by ``pantau runs recover``."""

    __tablename__ = "playbook_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    playbook: Mapped[str] = mapped_column(String(63), index=True)
    started_by: Mapped[str] = mapped_column(String(63))
    params: Mapped[str] = mapped_column(Text)
    facts: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(16), index=True)  # running | succeeded | failed | broken
    reason: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(253))
    pid: Mapped[int] = mapped_column(Integer)
    pid_start: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RunStep(Base):
    """One step of a run, timed against its Mutu Baku allowance."""

    __tablename__ = "run_steps"
    __table_args__ = (UniqueConstraint("run_id", "position", name="uq_run_steps_run_position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("playbook_runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(String(253))
    sop_step: Mapped[str] = mapped_column(String(63))
    allowance_seconds: Mapped[float] = mapped_column(Float)
    expected_output: Mapped[str] = mapped_column(String(253))
    state: Mapped[str] = mapped_column(String(16))  # running | ok | failed | compensated | compensation-failed
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    output: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class ProbeTargetRow(Base):
    """A target registered for monitoring by a playbook (SOP 14 step 8); the agent probes it with the
    inventory's targets and picks new ones up on its next interval."""

    __tablename__ = "probe_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(253), unique=True)
    address: Mapped[str] = mapped_column(String(45))
    kind: Mapped[str] = mapped_column(String(16))
    opd: Mapped[str | None] = mapped_column(String(63))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime())
    added_by: Mapped[str] = mapped_column(String(63))
    run_id: Mapped[int | None] = mapped_column(Integer)


class MaintenanceRun(Base):
    """One periodic maintenance (Batam SOP 05): when, over which locations, started how and by whom."""

    __tablename__ = "maintenance_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    trigger: Mapped[str] = mapped_column(String(16))  # manual | scheduled | plan
    scope: Mapped[str] = mapped_column(Text)  # JSON list of locations
    plan: Mapped[str | None] = mapped_column(String(253))
    by: Mapped[str] = mapped_column(String(63))


class MaintenanceResult(Base):
    """One check's result in a maintenance run."""

    __tablename__ = "maintenance_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("maintenance_runs.id", ondelete="CASCADE"), index=True)
    location: Mapped[str] = mapped_column(String(63), index=True)
    device: Mapped[str] = mapped_column(String(253))
    check: Mapped[str] = mapped_column(String(63))
    subject: Mapped[str] = mapped_column(String(253))
    status: Mapped[str] = mapped_column(String(8))
    finding: Mapped[str] = mapped_column(Text)
    finding_en: Mapped[str] = mapped_column(Text)
    follow_up: Mapped[str] = mapped_column(Text)
    follow_up_en: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text)


class DeviceFactsRow(Base):
    """What a maintenance run collected from a device (JSON): the baseline of the next run."""

    __tablename__ = "device_facts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("maintenance_runs.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(63), index=True)
    facts: Mapped[str] = mapped_column(Text)


class ConfigBackup(Base):
    """A device's running configuration (volatile lines removed), kept when it differs from the last one."""

    __tablename__ = "config_backups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device: Mapped[str] = mapped_column(String(63), index=True)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)


class Report(Base):
    """A Berita Acara (one location of a maintenance run) or the run's summary (location '*')."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("maintenance_runs.id", ondelete="CASCADE"), index=True)
    location: Mapped[str] = mapped_column(String(63))
    number: Mapped[str] = mapped_column(String(63), unique=True)
    state: Mapped[str] = mapped_column(String(16))  # drafted | acknowledged | checked | forwarded | reviewed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    directory: Mapped[str] = mapped_column(Text)


class BandwidthPlan(Base):
    """One SOP 13 bandwidth map: the month it was made from, its number, the capacity shared and the
    plan itself (JSON), who made it and the Kabid's approval (only an approved plan may be applied)."""

    __tablename__ = "bandwidth_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    number: Mapped[str] = mapped_column(String(63), unique=True)
    state: Mapped[str] = mapped_column(String(16))  # drafted | approved
    capacity_bps: Mapped[float] = mapped_column(Float)
    plan: Mapped[str] = mapped_column(Text)  # the plan as JSON: shares per OPD, why, headroom
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    directory: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ReportSequence(Base):
    """The last number given to a kind of document (``berita_acara``, ``laporan``) in a year: the
    agency's numbering restarts each year."""

    __tablename__ = "report_sequences"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class ReportSignature(Base):
    """Who moved a report to its next review state, and when (each step is allowed 1 day by SOP 05)."""

    __tablename__ = "report_signatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(253))  # as it is printed in the report
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    account: Mapped[str | None] = mapped_column(String(64))  # who signed: the page's login, the CLI's operator


class Ticket(Base):
    """An outage complaint (Aduan) handled by SOP 15, from report to result."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opd: Mapped[str] = mapped_column(String(63), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # core.sop.CHANNELS
    ref: Mapped[str | None] = mapped_column(String(63))
    reporter: Mapped[str] = mapped_column(String(253))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)  # open | assigned | escalated | resolved
    assignee: Mapped[str | None] = mapped_column(String(253))
    verdict: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TicketEvent(Base):
    """One SOP 15 step of a ticket, timed from the step before it against its allowance."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(16))  # open | assign | triage | escalate | progress | resolve
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    by: Mapped[str] = mapped_column(String(63))
    text: Mapped[str] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Float)  # since the previous step
    allowance_seconds: Mapped[float | None] = mapped_column(Float)
    breached: Mapped[bool] = mapped_column(Boolean)


class LinkEvent(Base):
    """A change of an OPD link's state, as the agent saw it (like LibreNMS' event log): flaps and outage starts."""

    __tablename__ = "link_events"
    __table_args__ = (Index("ix_link_events_link_at", "link", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    link: Mapped[str] = mapped_column(String(63))
    opd: Mapped[str] = mapped_column(String(63))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[str] = mapped_column(String(255))  # comma-separated
    cause: Mapped[str] = mapped_column(String(32))


class OpenRollup(Base):
    """The rollup period of a link still accumulating, kept as it grows (count, sum, max of each measure)
    so that an agent restarted within the period takes it up again instead of losing its samples."""

    __tablename__ = "link_rollups_open"

    agent: Mapped[str] = mapped_column(String(63), primary_key=True)  # '' before agents had ids
    link: Mapped[str] = mapped_column(String(63), primary_key=True)
    opd: Mapped[str] = mapped_column(String(63))
    period_start: Mapped[float] = mapped_column(Float)  # Unix seconds
    series: Mapped[str] = mapped_column(Text)  # JSON: measure -> [count, sum, max]


class User(Base):
    """Someone who may log in to the status page, with one role (viewer, technician, kasi, kabid, kadis)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(128))  # bcrypt; never the password
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebSession(Base):
    """A logged-in browser: the SHA-256 of its cookie's token (the token itself is never kept), its CSRF
    token, and when it ends."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class PrefixAllocation(Base):
    """A subnet carved from a pool of the IP plan for a new OPD (its point-to-point link, its LAN, its
    router's loopback). ``live_prefix`` is set while it is allocated and cleared on release: its unique
    constraint keeps two OPDs from getting one subnet (a pool carves one length, aligned, so overlapping
    subnets are the same text). Released rows stay as history."""

    __tablename__ = "prefix_allocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pool: Mapped[str] = mapped_column(String(63), index=True)
    prefix: Mapped[str] = mapped_column(String(49), index=True)
    opd: Mapped[str] = mapped_column(String(63), index=True)
    role: Mapped[str] = mapped_column(String(16))  # p2p | lan | loopback
    live_prefix: Mapped[str | None] = mapped_column(String(49), unique=True)
    allocated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    allocated_by: Mapped[str] = mapped_column(String(63))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    released_by: Mapped[str | None] = mapped_column(String(63))
    run_id: Mapped[int | None] = mapped_column(Integer, index=True)


class PendingLink(Base):
    """A link connected by ``pantau opd add`` whose OPD router has not answered yet: shown ``pending``
    (not ``down``, no page) until it does, then removed by the agent."""

    __tablename__ = "pending_links"

    link: Mapped[str] = mapped_column(String(63), primary_key=True)
    opd: Mapped[str] = mapped_column(String(63))
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    run_id: Mapped[int | None] = mapped_column(Integer)


class AgentRow(Base):
    """An agent sharing the store: its heartbeat says it is alive (membership: the agents whose heartbeat
    is fresh), its epoch names its incarnation (raised on every start): a write carrying an older epoch, or
    from an agent whose heartbeat is stale, is refused by the store (fencing)."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(253))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime())


class JobClaim(Base):
    """One firing of a job that one agent must run (the maintenance plan's cron, a run staff scheduled),
    claimed by the agent that runs it: among agents sharing the store, the first to insert the row runs the
    job and the others skip it (the primary key is the arbiter)."""

    __tablename__ = "job_claims"

    job: Mapped[str] = mapped_column(String(191), primary_key=True)
    due: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)  # when the firing was due
    agent: Mapped[str] = mapped_column(String(63))
    epoch: Mapped[int] = mapped_column(Integer)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LinkBoardRow(Base):
    """A link's entry on the board (:class:`core.board.Entry`, as JSON) as the agent that polls it last
    wrote it: among agents sharing the store, every agent's page shows the whole board from these."""

    __tablename__ = "link_board"

    link: Mapped[str] = mapped_column(String(191), primary_key=True)
    agent: Mapped[str] = mapped_column(String(63))
    epoch: Mapped[int] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    entry: Mapped[str] = mapped_column(Text)


class CapacityReading(Base):
    """One reading of a server's capacity (:class:`core.capacity.Reading`): ``pantau capacity`` keeps one
    each time it reads the servers, the trend is made of them."""

    __tablename__ = "capacity_readings"
    __table_args__ = (Index("ix_capacity_readings_device_at", "device", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device: Mapped[str] = mapped_column(String(63))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    vcpus: Mapped[int] = mapped_column(Integer)
    cpu_used: Mapped[float | None] = mapped_column(Float)
    ram: Mapped[int | None] = mapped_column(BigInteger)
    ram_used: Mapped[int | None] = mapped_column(BigInteger)
    disk: Mapped[int | None] = mapped_column(BigInteger)
    disk_used: Mapped[int | None] = mapped_column(BigInteger)
    disk_mount: Mapped[str | None] = mapped_column(String(255))
