"""``make demo``: the lab up, traffic on some OPD links, the agent on the NMS node with its status page,
Prometheus scraping it, a complaint to triage and a demo account to log in with.

Everything runs inside the lab's namespaces; the host reaches the agent, its page and Prometheus over the
lab's management bridge. Ctrl-C (or SIGTERM, or ``--duration``) stops it all and takes the lab down, the
demo's store and its account with it.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from lab.errors import LabError
from lab.faults import Faults
from lab.runner import LAB_INVENTORY, Runner

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "exporters" / "prometheus" / "rules.yml"
DEMO_TRAFFIC = (("dinkes", "in", None), ("disdik", "both", 8.0), ("bappeda", "out", 30.0))
#: the status page's account for the demo (a technician: may open, triage and work tickets)
DEMO_USER = "demo"
#: the complaint the demo opens, so the ticket pages and a triage have something to show
DEMO_COMPLAINT = ("dinkes", "Internet lambat sejak pagi, aplikasi SIMPUS sering terputus", "Bu Sari (Puskesmas)")


def _prepare(runner: Runner, state: Path) -> str:
    """The demo's account (a fresh password each run, printed once: it lives in the demo's store, which the
    lab takes down with it) and one open complaint; the password."""
    password = secrets.token_urlsafe(12)
    pantau = [sys.executable, "-m", "agent"]
    where = ["--state-dir", str(state)]
    subprocess.run([*pantau, "user", "remove", DEMO_USER, *where], capture_output=True, check=False, cwd=ROOT)
    add = [*pantau, "user", "add", DEMO_USER, "--role", "technician", "--password-stdin", *where]
    for argv, stdin in (
        (add, password + "\n"),
        ([*pantau, "ticket", "open", DEMO_COMPLAINT[1], "--opd", DEMO_COMPLAINT[0], "--channel", "phone",
          "--reporter", DEMO_COMPLAINT[2], "--inventory", str(LAB_INVENTORY), *where], None),
    ):  # fmt: skip
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False, cwd=ROOT)
        if done.returncode != 0:
            raise LabError(f"preparing the demo failed: {done.stderr.strip()}")
    return password


def run_demo(runner: Runner, say: Callable[[str], None], duration: float | None = None) -> None:
    """Run until interrupted (or for ``duration`` seconds), then tear everything down."""
    stop = {"now": False}

    def on_signal(_sig: int, _frame: FrameType | None) -> None:
        stop["now"] = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        report = runner.up()
        say(f"lab {runner.topo.name} up in {report.seconds_total:.1f} s")
        nms = runner.topo.vantage
        address = str(nms.mgmt_ipv4)
        state = runner.run_dir / "demo"
        state.mkdir(exist_ok=True)
        faults = Faults(runner)
        for opd, direction, mbit in DEMO_TRAFFIC:
            for line in faults.start_traffic(opd, direction, mbit=mbit, saturate=mbit is None):
                say(line)
        password = _prepare(runner, state)
        agent_log = (state / "agent.log").open("wb")
        logs.append(agent_log)
        agent = ["env", f"PANTAU_WEB__LISTEN={address}:9480", sys.executable, "-m", "agent", "run"]
        agent += ["--state-dir", str(state), "--listen", f"{address}:9469"]
        procs.append(
            subprocess.Popen(runner.in_node(nms.name, agent), stdout=agent_log, stderr=subprocess.STDOUT, cwd=ROOT)
        )
        config = state / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 15s, evaluation_interval: 15s}\n"
            f"rule_files: [{RULES}]\n"
            "scrape_configs:\n"
            f"  - job_name: pantau\n    static_configs: [{{targets: ['{address}:9469']}}]\n"
        )
        prom_log = (state / "prometheus.log").open("wb")
        logs.append(prom_log)
        prom = [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={state / 'tsdb'}",
            f"--web.listen-address={address}:9090",
        ]
        procs.append(subprocess.Popen(runner.in_node(nms.name, prom), stdout=prom_log, stderr=subprocess.STDOUT))
        say(f"pantau agent on {nms.name}:  http://{address}:9469/metrics   (log {state / 'agent.log'})")
        say(f"status page:              http://{address}:9480/   user {DEMO_USER}, password {password}")
        say(f"  a complaint from {DEMO_COMPLAINT[0]} is open there: ticket 1, with its triage button")
        say(f"Prometheus on {nms.name}:    http://{address}:9090   (alert rules: {RULES.relative_to(ROOT)})")
        say(f"one live poll:            pantau lab exec {nms.name} -- {sys.executable} -m agent links")
        say("Ctrl-C stops the demo and takes the lab down")
        deadline = None if duration is None else time.monotonic() + duration
        while not stop["now"] and (deadline is None or time.monotonic() < deadline):
            for name, proc in zip(("pantau agent", "prometheus"), procs, strict=True):
                if proc.poll() is not None:
                    raise LabError(f"{name} exited (code {proc.returncode}); see its log in {state}")
            time.sleep(0.5)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()
        say("taking the lab down")
        runner.down()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
