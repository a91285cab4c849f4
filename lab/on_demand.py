"""The lab's on-demand nodes (label ``pantau.on-demand``): a new OPD's office router that ``lab up`` leaves
out. ``add`` brings it and its links (the provider has delivered the circuit: the core sees a new port);
``configure`` applies a configuration file with ``vtysh -f`` inside it, as the technician who installs the
router does, and pins its SSH host key at the addresses it then has; ``remove`` takes it away again."""

from __future__ import annotations

import shutil
from pathlib import Path

from lab import host
from lab.errors import LabError
from lab.runner import FRR_ETC, FRR_RUN, Runner


def _on_demand(runner: Runner, name: str) -> str:
    node = f"opd-{name}" if not name.startswith("opd-") else name
    names = [n.name for n in runner.full.nodes if n.on_demand]
    if node not in names:
        raise LabError(f"lab {runner.full.name} has no on-demand node {node}; it has: {', '.join(names) or 'none'}")
    return node


def add(runner: Runner, name: str) -> str:
    """Bring the on-demand node ``name`` (``opd-NAME``) with its links and services; its node name."""
    runner.require_up()
    node_name = _on_demand(runner, name)
    ns = runner.topo.netns(node_name)
    if ns in host.netns_list():
        raise LabError(f"{node_name} is already there; pantau lab opd remove {name} first")
    node = runner.full.node(node_name)
    try:
        runner._create_node(0, node)
        runner._create_links(runner.full.links_of(node_name))
        runner._run_exec((node,))
        for service in node.services:
            runner.start_service(node_name, service)
    except BaseException:
        remove(runner, name)
        raise
    return node_name


def configure(runner: Runner, name: str, config: Path) -> list[str]:
    """Apply ``config`` (FRR configuration) in the node as its technician would, then pin its host key at
    its new addresses; those addresses."""
    node_name = _on_demand(runner, name)
    if not config.is_file():
        raise LabError(f"{config}: no such file")
    done = runner.exec(node_name, ["vtysh", "-N", runner.topo.netns(node_name), "-f", str(config)], check=False)
    if done.returncode != 0 or done.stdout.strip():
        raise LabError(f"{node_name} refused {config}: {(done.stdout + done.stderr).strip()}")
    key = runner.node_dir(node_name) / "ssh_host_ed25519_key.pub"
    if key.exists():
        runner._pin_host_key(runner.full.node(node_name), key)
    return runner.node_addresses(node_name)


def remove(runner: Runner, name: str) -> None:
    """Take the node away: its daemons ended, its namespace (and with it its links) deleted."""
    node_name = _on_demand(runner, name)
    ns = runner.topo.netns(node_name)
    if ns in host.netns_list():
        watch = host.read_pid(FRR_RUN / ns / "watchfrr.pid")
        if watch is not None and watch in host.netns_pids(ns):
            host.terminate([watch])
        for _ in range(5):
            pids = host.netns_pids(ns)
            if not pids:
                break
            host.terminate(pids)
        host.run(["ip", "netns", "del", ns], check=False)
    shutil.rmtree(FRR_ETC / ns, ignore_errors=True)
    shutil.rmtree(FRR_RUN / ns, ignore_errors=True)
    shutil.rmtree(runner.node_dir(node_name), ignore_errors=True)
    uts = runner.uts_file(node_name)
    if uts.exists():
        host.run(["umount", str(uts)], check=False)  # the node's UTS namespace, bind-mounted there
        uts.unlink(missing_ok=True)
