"""``pantau run``: the scheduled agent. APScheduler jobs poll SNMP and probe ICMP; an HTTP server
serves ``/metrics`` (the latest snapshot) and ``/-/healthy``; SIGTERM/SIGINT stop it cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import CollectorRegistry, make_wsgi_app

from agent import maintenance_jobs
from agent.config import Config
from agent.poller import Agent
from agent.schedule import crontab
from exporters.prometheus import SnapshotCollector
from inventory.loader import load_inventory
from store.engine import open_store

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s", format % args)


def http_app(registry: CollectorRegistry, healthy: Callable[[], bool]) -> Callable[..., Iterable[bytes]]:
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path == "/-/healthy":
            ok = healthy()
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"OK\n" if ok else b"not yet polled\n"]
        if path == "/metrics":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"pantau: /metrics or /-/healthy\n"]

    return app


def serve_http(listen: str, app: Callable[..., Iterable[bytes]]) -> WSGIServer:
    host, _, port = listen.rpartition(":")
    server = make_server(host.strip("[]") or "0.0.0.0", int(port), app, handler_class=_QuietHandler)  # noqa: S104
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server


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


async def run_agent(config: Config, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set or SIGTERM/SIGINT arrives."""
    inventory = load_inventory(config.inventory)
    store = open_store(config.database_url)
    agent = Agent(config, inventory, store)
    agent.start()
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: agent.snapshot))
    server = serve_http(config.listen, http_app(registry, lambda: bool(agent.snapshot.devices)))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    maintenance_jobs.use_config(config)
    scheduler = AsyncIOScheduler(timezone=config.timezone)
    scheduler.add_jobstore(maintenance_jobs.jobstore(config), alias=maintenance_jobs.JOBSTORE)
    if config.maintenance.schedule:
        scheduler.add_job(
            maintenance_jobs.FUNCTION,
            crontab(config.maintenance.schedule, config.timezone),
            kwargs={"locations": config.maintenance.locations, "trigger": "plan"},
            id="maintenance-plan",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    poll = config.poll
    for name, job, interval in (
        ("snmp", agent.poll_snmp, poll.snmp_interval),
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
            next_run_time=None,
        )
    log.info(
        "pantau agent serving http://%s/metrics; %d links, %d devices, %d probe targets",
        config.listen,
        len(inventory.links),
        len(inventory.devices),
        len(agent.targets),
    )
    # first round at once, so /metrics has data before the first interval has passed
    await asyncio.gather(
        _timed(agent, "snmp", agent.poll_snmp, poll.snmp_interval)(),
        _timed(agent, "icmp", agent.probe_icmp, poll.icmp_interval)(),
    )
    scheduler.start()
    for name in ("snmp", "icmp"):
        scheduler.resume_job(name)
    try:
        await stop.wait()
    finally:
        log.info("pantau agent stopping")
        scheduler.shutdown(wait=False)
        server.shutdown()
        server.server_close()
        agent.close()
        store.dispose()
