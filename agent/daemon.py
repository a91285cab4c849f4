"""``pantau run``: the scheduled agent. APScheduler jobs poll SNMP and probe ICMP (the first rounds at
once, as scheduled jobs: a slow first round never holds the scheduler); a threaded HTTP server serves
``/metrics`` (the latest snapshot, the build and the process) and ``/-/healthy`` (503 with the reason
when SNMP polling has stalled); SIGTERM/SIGINT stop it cleanly."""

from __future__ import annotations

import asyncio
import gzip
import logging
import platform
import signal
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, ThreadingWSGIServer

from agent import __version__, maintenance_jobs, memory
from agent.errors import AgentError, ConfigError
from agent.poller import Agent
from agent.schedule import crontab
from agent.wiring import App
from exporters.prometheus import BuildInfoCollector, SnapshotRenderer
from i18n import Msg, message_of
from playbooks.bandwidth import write_change_report
from playbooks.boosts import due_boosts, end_due_boosts
from playbooks.capacity import read_async, servers
from playbooks.errors import PlaybookError
from playbooks.maintenance.run import check_locations
from store.engine import AgentLock
from store.errors import StoreError

log = logging.getLogger(__name__)


HTTP_TIMEOUT = 10.0  # seconds a client may take to send its request: an idle connection is closed after it


class _QuietHandler(WSGIRequestHandler):
    timeout = HTTP_TIMEOUT  # socketserver sets it on the connection

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


def http_app(
    registry: CollectorRegistry, unhealthy: Callable[[], str | None], snapshot: Callable[[], str] = str
) -> Callable[..., Iterable[bytes]]:
    """``/metrics`` (``snapshot()``'s text, then ``registry``'s) and ``/-/healthy``; ``unhealthy()`` gives
    the reason the agent is not healthy, or None. Gzipped when the client accepts it, as Prometheus does."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/-/healthy":
            why = unhealthy()
            start_response("200 OK" if why is None else "503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"OK\n" if why is None else why.encode() + b"\n"]
        if path == "/metrics":
            body = snapshot().encode() + generate_latest(registry)
            headers = [("Content-Type", CONTENT_TYPE_PLAIN_0_0_4)]
            if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
                body = gzip.compress(body, compresslevel=1)  # 1,000 links: 9 ms, 223 kB (level 9: 92 ms, 197 kB)
                headers.append(("Content-Encoding", "gzip"))
            start_response("200 OK", headers)
            return [body]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"pantau: /metrics or /-/healthy\n"]

    return app


def serve_http(listen: str, app: Callable[..., Iterable[bytes]]) -> WSGIServer:
    """Serve ``app`` on ``listen`` in threads (one per connection, as prometheus_client's own server): an
    idle or slow client holds only its own thread, and only for HTTP_TIMEOUT."""
    host, _, port = listen.rpartition(":")
    try:
        server = make_server(
            host.strip("[]") or "0.0.0.0",  # noqa: S104
            int(port),
            app,
            server_class=ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
    except OSError as exc:
        raise AgentError(
            Msg(
                "cannot listen on {listen}: {why}; is another agent running there? set listen "
                "(PANTAU_LISTEN, --listen) to a free HOST:PORT",
                listen=listen,
                why=exc.strerror,
            )
        ) from exc
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server


class WebServer:
    """The status page (agent.web) served by uvicorn in a thread of its own, with its own event loop: a slow
    page or triage never holds a poll, and a poll never holds the page."""

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self.server, self.thread = server, thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


def serve_web(app: App, agent: Agent) -> WebServer:
    import uvicorn  # noqa: PLC0415 (only when the page is configured)

    from agent.web.app import create_app  # noqa: PLC0415 (idem: Starlette and the templates)

    config = app.config
    assert config.web.listen is not None
    host, _, port = config.web.listen.rpartition(":")
    page = create_app(app, lambda: agent.snapshot, lambda: dict(agent.since))
    try:  # bind here, so a busy port is the agent's error at start, not a thread's later
        sock = socket.socket(socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]") or "0.0.0.0", int(port)))  # noqa: S104
    except OSError as exc:
        raise AgentError(
            Msg(
                "web.listen {listen}: {why}; set web.listen to a free HOST:PORT",
                listen=config.web.listen,
                why=exc.strerror,
            )
        ) from exc
    # proxy_headers off: the page decides itself whom to believe (web.trusted_proxies), from the real peer
    server = uvicorn.Server(
        uvicorn.Config(page, log_level="warning", access_log=False, lifespan="off", proxy_headers=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="web", daemon=True)
    thread.start()
    log.info("status page on http://%s/", config.web.listen)
    return WebServer(server, thread)


def stalled(agent: Agent, interval: float, now: float | None = None) -> str | None:
    """Why the agent is unhealthy: no SNMP round has completed yet, or the last one ended more than
    three intervals ago (polling has stalled); None when it is healthy."""
    last = agent.last_success.get("snmp")
    if last is None:
        return "not yet polled: no SNMP round has completed"
    age = (time.time() if now is None else now) - last
    if age > 3 * interval:
        return f"SNMP polling stalled: the last complete round ended {age:.0f} s ago (interval {interval:.0f} s)"
    return None


def _timed(
    agent: Agent, name: str, job: Callable[[], Coroutine[Any, Any, None]], interval: float
) -> Callable[[], Coroutine[Any, Any, None]]:
    async def run() -> None:
        start = time.monotonic()
        try:
            await job()
        except Exception:
            agent.errors[(name, "exception")] += 1
            log.exception("job %s failed", name)
        took = time.monotonic() - start
        if took > interval:
            agent.errors[(name, "overrun")] += 1
            log.warning("job %s took %.1f s, longer than its %.0f s interval", name, took, interval)

    return run


#: how often the agent looks for bandwidth boosts (``bandwidth set --until``) whose end is due
BOOST_INTERVAL = 30.0
CAPACITY_INTERVAL = 3600.0  # the servers' capacity: an hour's readings make a month's trend


async def _end_boosts(wired: App, agent: Agent) -> None:
    """Put back the limits of every boost whose time is up, in a thread (SSH to the shapers); among agents
    sharing the store, the first live one by name does it."""
    if not agent.leads():
        return
    now = datetime.now(UTC)
    if not await asyncio.to_thread(due_boosts, wired.store, now):
        return
    runner = wired.playbook_runner(live_check=False)
    config = wired.config

    def report(run_id: int) -> None:
        directory = config.state_dir / "reports" / "bandwidth"
        langs = list(config.maintenance.languages)
        write_change_report(wired.store, wired.inventory, run_id, directory, langs, datetime.now(UTC))

    for line in await asyncio.to_thread(end_due_boosts, runner, "pantau-agent", now, report):
        log.info("%s", line)


async def _read_capacity(wired: App, agent: Agent) -> None:
    """The servers' capacity readings, kept for ``pantau capacity``'s trend; among agents sharing the store,
    the first live one by name reads them."""
    if agent.leads() and servers(wired.inventory):
        poll = wired.config.poll
        await read_async(wired.store, wired.inventory, wired.probes, poll.snmp_timeout, poll.device_deadline)


def _single_maintenance(scheduler: AsyncIOScheduler, wired: App) -> None:
    """One agent: the job store is its scheduler's; the plan's cron runs there, within an hour of its time
    (an agent restarted meanwhile still runs it)."""
    config = wired.config
    scheduler.add_jobstore(maintenance_jobs.jobstore(config), alias=maintenance_jobs.JOBSTORE)
    if config.maintenance.schedule:
        scheduler.add_job(
            maintenance_jobs.FUNCTION,
            crontab(config.maintenance.schedule, config.timezone),
            kwargs={"locations": config.maintenance.locations, "trigger": "plan"},
            id=maintenance_jobs.PLAN_JOB,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )


#: how often each agent sharing the store looks for maintenance staff scheduled that is due
SHARED_JOBS_INTERVAL = 15.0


def _shared_maintenance(scheduler: AsyncIOScheduler, wired: App, agent: Agent) -> None:
    """Agents sharing the store: APScheduler's job store is one scheduler's, so none owns it; each agent
    fires the plan's cron and reads the staff's jobs, and each firing runs on the agent that claims it."""
    config, membership = wired.config, agent.membership
    assert membership is not None
    if config.maintenance.schedule:
        trigger = crontab(config.maintenance.schedule, config.timezone)
        scheduler.add_job(
            maintenance_jobs.claimed_plan,
            trigger,
            args=(wired, lambda: membership.fence, trigger),
            id=maintenance_jobs.PLAN_JOB,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=maintenance_jobs.CLAIM_GRACE,
        )
    shared = maintenance_jobs.SharedJobs(wired)
    scheduler.add_listener(lambda _: shared.close(), EVENT_SCHEDULER_SHUTDOWN)

    async def take_due() -> None:
        fence = membership.fence
        if fence is None:
            return
        try:
            due = await asyncio.to_thread(shared.take_due, fence, datetime.now(UTC))
        except StoreError as exc:  # the store away or this agent fenced: the next look, or another agent
            log.warning("scheduled maintenance not read: %s", message_of(exc) or exc)
            return
        for kwargs in due:
            scheduler.add_job(maintenance_jobs.scheduled_maintenance, kwargs=kwargs)  # now, in a thread

    scheduler.add_job(
        _timed(agent, "shared-maintenance", take_due, SHARED_JOBS_INTERVAL),
        "interval",
        seconds=SHARED_JOBS_INTERVAL,
        id="shared-maintenance",
        max_instances=1,
        coalesce=True,
    )


def _scheduler(wired: App, agent: Agent) -> AsyncIOScheduler:
    """The agent's jobs: SNMP and ICMP rounds (the first at once, so /metrics has data early), the
    maintenance plan on its crontab, and the end of bandwidth boosts."""
    config = wired.config
    maintenance_jobs.use_app(wired)
    scheduler = AsyncIOScheduler(timezone=config.timezone)
    if agent.membership is None:
        _single_maintenance(scheduler, wired)
    else:
        _shared_maintenance(scheduler, wired, agent)
    poll = config.poll
    now = datetime.now(ZoneInfo(config.timezone))  # the first rounds at once: /metrics has data early

    async def snmp_round() -> None:
        await agent.poll_snmp()
        memory.collect()  # the one full collection a round (memory.PACE), after it

    for name, job, interval in (
        ("snmp", snmp_round, poll.snmp_interval),
        ("icmp", agent.probe_icmp, poll.icmp_interval),
    ):
        scheduler.add_job(
            _timed(agent, name, job, interval),
            "interval",
            seconds=interval,
            jitter=poll.jitter,
            id=name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(interval),
            next_run_time=now,
        )
    agent.poll_soon = lambda: scheduler.modify_job("snmp", next_run_time=datetime.now(ZoneInfo(config.timezone)))
    if agent.membership is not None:
        beat = config.cluster.heartbeat_seconds
        scheduler.add_job(
            _timed(agent, "membership", agent.keep_membership, beat),
            "interval",
            seconds=beat,
            id="membership",
            max_instances=1,
            coalesce=True,
        )
    scheduler.add_job(
        _timed(agent, "capacity", lambda: _read_capacity(wired, agent), CAPACITY_INTERVAL),
        "interval",
        seconds=CAPACITY_INTERVAL,
        id="capacity",
        max_instances=1,
        coalesce=True,
        next_run_time=now + timedelta(seconds=poll.snmp_interval),  # after the first rounds, not with them
    )
    scheduler.add_job(
        _timed(agent, "boosts", lambda: _end_boosts(wired, agent), BOOST_INTERVAL),
        "interval",
        seconds=BOOST_INTERVAL,
        id="boosts",
        max_instances=1,
        coalesce=True,
        next_run_time=now,
    )
    return scheduler


async def run_agent(wired: App, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set or SIGTERM/SIGINT arrives."""
    config, inventory = wired.config, wired.inventory
    try:
        check_locations(inventory, list(config.maintenance.locations))
    except PlaybookError as exc:
        raise ConfigError(Msg("maintenance.locations: {problem}", problem=message_of(exc) or str(exc))) from None
    store = wired.store
    if config.cluster.enabled and store.dialect.name != "postgresql":
        raise ConfigError(
            Msg(
                "cluster.enabled: agents share a PostgreSQL store (store_url: postgresql+psycopg://...); a SQLite "
                "file is one agent's"
            )
        )
    lock = AgentLock(store)  # one agent per SQLite store; refused with the holder named
    agent = Agent(wired, store)
    agent.start()
    await agent.keep_membership()  # join, and this agent's share, before its first round
    await agent.resume()
    memory.hold_long_lived()  # the inventory and the agent's state: never walked by the collector again
    agent.after_reload = memory.hold_long_lived  # a new inventory too, the replaced one's cycles freed
    registry = CollectorRegistry()
    registry.register(BuildInfoCollector(__version__, platform.python_version()))
    ProcessCollector(registry=registry)
    renderer = SnapshotRenderer(deprecated=config.deprecated_metrics)
    app = http_app(registry, lambda: stalled(agent, config.poll.snmp_interval), lambda: renderer.render(agent.snapshot))
    server: WSGIServer | None = None
    try:
        server = serve_http(config.listen, app)
        web = serve_web(wired, agent) if config.web.listen is not None else None
    except AgentError:  # a listener taken: nothing is left running
        if server is not None:
            server.shutdown()
            server.server_close()
        agent.close()
        lock.release()
        wired.close()
        raise
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, agent.request_reload)  # the inventory read again before the next round
    scheduler = _scheduler(wired, agent)
    log.info(
        "pantau agent serving http://%s/metrics; %d links, %d devices, %d probe targets",
        config.listen,
        len(inventory.links),
        len(inventory.devices),
        len(agent.targets),
    )
    scheduler.start()
    try:
        with memory.paced():  # young collections less often, the full one after each SNMP round
            await stop.wait()
    finally:
        log.info("pantau agent stopping")
        scheduler.shutdown(wait=False)
        if agent.membership is not None:
            await agent.membership.leave(agent.beats)
        if web is not None:
            web.stop()
        server.shutdown()
        server.server_close()
        agent.close()
        lock.release()
        wired.close()
        memory.release()  # the process as it was: what the agent held is the collector's again
