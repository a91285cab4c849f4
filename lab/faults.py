"""Traffic and fault injection in the lab, each recorded so ``lab status`` lists it and ``clear`` undoes it.

OPD names map to lab nodes and interfaces through the inventory (``inventory/example`` describes the
lab): the link's data-center end is where shaping and loss act, its CPE end is where the link is cut.
The kernel here has no ``sch_netem``, so there is no pure delay fault: delay only comes from
congestion (a saturated, shaped link queues up to the tbf latency of 50 ms).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from ipaddress import ip_interface
from pathlib import Path
from typing import Any

from inventory.loader import load_inventory
from inventory.models import Inventory, Link, Purpose
from lab import host
from lab.errors import LabError
from lab.runner import Runner
from lab.topology import IPERF3_PORTS, SERVICES

EXAMPLE_INVENTORY = Path(__file__).resolve().parent.parent / "inventory" / "example"
TRAFFIC_SERVER = "srv-app1"
KINDS = ("link-down", "lan-down", "loss", "uplink-down", "shape", "daemon-stop", "snmpd-restart", "congestion")


@dataclass(frozen=True)
class OpdPorts:
    """Where one OPD sits in the lab."""

    slug: str
    link: Link
    dc_node: str
    dc_iface: str
    cpe_node: str
    cpe_wan: str
    lan_iface: str
    lan_gateway: str
    subscribed_mbps: int
    ports: tuple[int, int]  # iperf3 server ports on TRAFFIC_SERVER: (into the OPD, out of it)


class Faults:
    """Traffic and faults of one running lab."""

    def __init__(self, runner: Runner, inventory: Inventory | None = None) -> None:
        self.runner = runner
        self._inventory = inventory
        self.file = runner.run_dir / "faults.json"

    @property
    def inventory(self) -> Inventory:
        if self._inventory is None:
            self._inventory = load_inventory(EXAMPLE_INVENTORY)
        return self._inventory

    def opd(self, slug: str) -> OpdPorts:
        inv = self.inventory
        slugs = [link.opd for link in inv.links]
        if slug not in slugs:
            raise LabError(f"no OPD '{slug}' in the lab; OPDs: {', '.join(slugs)}")
        index = slugs.index(slug)
        link = inv.links[index]
        cpe = inv.device(link.cpe.device)
        lans = [p.prefix for p in inv.prefixes if p.purpose is Purpose.OPD_LAN and p.opd == slug]
        lan = next((i for i in cpe.interfaces if i.address is not None and any(i.address.ip in n for n in lans)), None)
        if lan is None or lan.address is None:
            raise LabError(f"OPD '{slug}': its CPE {cpe.name} has no interface in an opd-lan prefix of the inventory")
        ports = list(IPERF3_PORTS)[2 * index : 2 * index + 2]
        return OpdPorts(
            slug,
            link,
            link.dc.device,
            link.dc.interface,
            cpe.name,
            link.cpe.interface,
            lan.name,
            str(ip_interface(lan.address).ip),
            link.subscribed_mbps,
            (ports[0], ports[1]),
        )

    # ---- records --------------------------------------------------------------------------------
    def _load(self) -> dict[str, list[dict[str, Any]]]:
        try:
            data: dict[str, list[dict[str, Any]]] = json.loads(self.file.read_text())
            return data
        except (OSError, ValueError):
            return {"faults": [], "traffic": []}

    def _save(self, data: dict[str, list[dict[str, Any]]]) -> None:
        self.file.write_text(json.dumps(data, indent=2))

    def active(self) -> dict[str, list[dict[str, Any]]]:
        data = self._load()
        data["traffic"] = [t for t in data["traffic"] if host.alive(t["pid"])]
        return data

    def _record(self, kind: str, description: str, undo: list[dict[str, Any]]) -> None:
        data = self._load()
        data["faults"].append({"kind": kind, "description": description, "undo": undo})
        self._save(data)

    # ---- faults ---------------------------------------------------------------------------------
    def inject(
        self,
        kind: str,
        opd: str | None = None,
        node: str | None = None,
        daemon: str | None = None,
        percent: float | None = None,
        mbit: float | None = None,
    ) -> str:
        """Inject a fault and return its description.

        Raises:
            LabError: an unknown kind, or an argument the kind needs is missing.
        """
        r = self.runner
        if kind in ("link-down", "lan-down", "loss", "shape", "congestion"):
            if opd is None:
                raise LabError(f"fault {kind} needs --opd SLUG")
            o = self.opd(opd)
        if kind == "link-down":
            self._ip(o.cpe_node, ["link", "set", o.cpe_wan, "down"])
            desc = f"link-down: {o.link.name} cut at {o.cpe_node}:{o.cpe_wan}"
            self._record(kind, desc, [{"ip": [o.cpe_node, "link", "set", o.cpe_wan, "up"]}])
        elif kind == "lan-down":
            self._ip(o.cpe_node, ["link", "set", o.lan_iface, "down"])
            desc = f"lan-down: {o.cpe_node}:{o.lan_iface} ({opd}'s LAN) down"
            self._record(kind, desc, [{"ip": [o.cpe_node, "link", "set", o.lan_iface, "up"]}])
        elif kind == "loss":
            if percent is None or not 0 < percent <= 100:
                raise LabError("fault loss needs --percent N with 0 < N <= 100")
            table = f"pantau_loss_{opd}".replace("-", "_")
            # numgen's range is 0-99: "< 100" is refused, and 100 % needs no sampling at all
            sample = "" if percent >= 100 else f"numgen random mod 100 < {int(percent)}"
            rules = (
                f"table inet {table} {{\n chain forward_drop {{\n"
                "  type filter hook forward priority 0; policy accept;\n"
                f'  oifname "{o.dc_iface}" {sample} counter drop\n }}\n}}\n'
            )
            self._nft(o.dc_node, rules)
            desc = f"loss: {int(percent)} % of packets towards {opd} dropped at {o.dc_node}:{o.dc_iface}"
            self._record(kind, desc, [{"cmd": [o.dc_node, "nft", "delete", "table", "inet", table]}])
        elif kind == "uplink-down":
            node_name, iface = self._uplink()
            self._ip(node_name, ["link", "set", iface, "down"])
            desc = f"uplink-down: {node_name}:{iface} (towards upstream) down"
            self._record(kind, desc, [{"ip": [node_name, "link", "set", iface, "up"]}])
        elif kind == "shape":
            if mbit is None or mbit <= 0:
                raise LabError("fault shape needs --mbit N (N > 0)")
            self._shape(o, mbit)
            desc = f"shape: {o.link.name} shaped to {mbit:g} Mbit/s (subscribed {o.subscribed_mbps})"
            self._record(kind, desc, [{"shape": [opd, o.subscribed_mbps]}])
        elif kind in ("daemon-stop", "snmpd-restart"):
            if node is None:
                raise LabError(f"fault {kind} needs --node NODE")
            daemon = "snmpd" if kind == "snmpd-restart" else daemon
            if daemon not in SERVICES or daemon not in r.topo.node(node).services:
                raise LabError(
                    f"node {node} runs {', '.join(r.topo.node(node).services) or 'no daemons'}; "
                    f"--daemon must be one of them"
                )
            r.stop_service(node, daemon)
            if kind == "snmpd-restart":
                r.start_service(node, daemon)
                return f"snmpd-restart: snmpd on {node} restarted (sysUpTime starts again at 0)"
            desc = f"daemon-stop: {daemon} on {node} stopped"
            self._record(kind, desc, [{"service": [node, daemon]}])
        elif kind == "congestion":
            pid = self._iperf(o, "in", saturate=True)
            desc = f"congestion: {o.link.name} saturated towards {opd} (queueing delay up to the 50 ms tbf latency)"
            self._record(kind, desc, [{"kill": pid}])
        else:
            raise LabError(f"unknown fault '{kind}'; kinds: {', '.join(KINDS)}")
        return desc

    def clear(self) -> int:
        """Undo every recorded fault and stop all traffic, newest first; returns how many were undone."""
        data = self._load()
        count = 0
        for fault in reversed(data["faults"]):
            for step in fault["undo"]:
                self._undo(step)
            count += 1
        self.stop_traffic()
        self._save({"faults": [], "traffic": []})
        return count

    def _undo(self, step: dict[str, Any]) -> None:
        if "ip" in step:
            node, *args = step["ip"]
            self._ip(node, args)
        elif "cmd" in step:
            node, *argv = step["cmd"]
            self.runner.exec(node, argv, check=False)
        elif "shape" in step:
            slug, mbit = step["shape"]
            self._shape(self.opd(slug), mbit)
        elif "service" in step:
            node, daemon = step["service"]
            if not self.runner.service_alive(node, daemon):
                self.runner.start_service(node, daemon)
        elif "kill" in step:
            host.terminate([step["kill"]])

    # ---- traffic --------------------------------------------------------------------------------
    def start_traffic(
        self, opd: str, direction: str = "in", mbit: float | None = None, saturate: bool = False
    ) -> list[str]:
        if direction not in ("in", "out", "both"):
            raise LabError("--direction is in, out or both")
        if not saturate and (mbit is None or mbit <= 0):
            raise LabError("give --saturate or --rate MBIT")
        o = self.opd(opd)
        out = []
        for d in ("in", "out") if direction == "both" else (direction,):
            self._iperf(o, d, saturate=saturate, mbit=mbit)
            out.append(f"traffic {d} {opd}: {'saturating' if saturate else f'{mbit:g} Mbit/s'}")
        return out

    def stop_traffic(self) -> int:
        data = self._load()
        pids = [t["pid"] for t in data["traffic"]]
        host.terminate(pids)
        data["traffic"] = []
        self._save(data)
        return len(pids)

    def _iperf(self, o: OpdPorts, direction: str, saturate: bool, mbit: float | None = None) -> int:
        server = self.runner.node_addresses(TRAFFIC_SERVER, include_mgmt=False)[0]
        port = o.ports[0] if direction == "in" else o.ports[1]
        argv = ["iperf3", "-c", server, "-p", str(port), "-B", o.lan_gateway, "-t", "86400", "-i", "0"]
        if direction == "in":
            argv.append("-R")  # the server sends: data flows into the OPD
        if not saturate:
            argv += ["-b", f"{mbit}M"]
        nd = self.runner.node_dir(o.cpe_node)
        pid_file = nd / f"traffic-{direction}.pid"
        pid_file.unlink(missing_ok=True)
        host.spawn(self.runner.in_node(o.cpe_node, [*argv, "-I", str(pid_file)]), nd / f"traffic-{direction}.log")
        pid = self._wait_pid(pid_file)
        data = self._load()
        desc = f"{direction} {o.slug} {'saturate' if saturate else f'{mbit:g} Mbit/s'} (iperf3 pid {pid})"
        data["traffic"].append({"opd": o.slug, "direction": direction, "pid": pid, "description": desc})
        self._save(data)
        return pid

    @staticmethod
    def _wait_pid(pid_file: Path, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = host.read_pid(pid_file)
            if pid is not None:
                return pid
            time.sleep(0.02)
        raise LabError(f"iperf3 did not start (no {pid_file}); see the .log beside it")

    # ---- helpers --------------------------------------------------------------------------------
    def _ip(self, node: str, args: list[str]) -> None:
        host.run(["ip", "-n", self.runner.topo.netns(node), *args], node=node)

    def _nft(self, node: str, rules: str) -> None:
        host.run(self.runner.in_node(node, ["nft", "-f", "-"]), node=node, input_text=rules)

    def _uplink(self) -> tuple[str, str]:
        for link in self.runner.topo.links:
            if link.b[0] == "upstream":
                return link.a
            if link.a[0] == "upstream":
                return link.b
        raise LabError("the lab has no link to a node named 'upstream'")

    def _shape(self, o: OpdPorts, mbit: float) -> None:
        ns = self.runner.topo.netns(o.dc_node)
        filters = json.loads(
            host.run(["ip", "netns", "exec", ns, "tc", "-j", "filter", "show", "dev", o.dc_iface, "ingress"]).stdout
            or "[]"
        )
        ifb = _find_key(filters, "to_dev")
        burst = "32kb" if mbit <= 20 else "64kb"
        for dev in (o.dc_iface, ifb):
            if dev is None:
                continue
            host.run(
                [
                    "ip",
                    "netns",
                    "exec",
                    ns,
                    "tc",
                    "qdisc",
                    "replace",
                    "dev",
                    dev,
                    "root",
                    "tbf",
                    "rate",
                    f"{mbit}mbit",
                    "burst",
                    burst,
                    "latency",
                    "50ms",
                ],
                node=o.dc_node,
            )


def _find_key(data: Any, key: str) -> Any:
    if isinstance(data, dict):
        if key in data:
            return data[key]
        data = list(data.values())
    if isinstance(data, list):
        for item in data:
            found = _find_key(item, key)
            if found is not None:
                return found
    return None
