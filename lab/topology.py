"""The lab's topology: a containerlab file read into plain data, and the names the runner derives.

Pure: reading the YAML text is the caller's job; nothing here touches the host.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from lab.errors import TopologyError

IFNAMSIZ = 15  # Linux interface names: at most 15 bytes
RUN_ROOT = Path("/run/pantau-lab")
SERVICES = ("frr", "sshd", "snmpd", "named", "iperf3")
LABEL_SERVICES = "pantau.services"
LABEL_MANAGED_AT = "pantau.managed-at"
LABEL_VANTAGE = "pantau.vantage"
#: "true" on a node whose HTB classes the shaper user may change over SSH (with tc, and nothing else privileged)
LABEL_SHAPER = "pantau.shaper"
IPERF3_PORTS = range(5201, 5209)
#: the iperf3 servers' ports of a node with the iperf3 service, where not the default range ("5201 5202")
LABEL_IPERF3_PORTS = "pantau.iperf3-ports"
#: "true" on a node that ``lab up`` leaves out: ``pantau lab opd add`` brings it, with its links (a new OPD's
#: office router, its circuit just delivered)
LABEL_ON_DEMAND = "pantau.on-demand"


@dataclass(frozen=True)
class Bind:
    source: Path
    target: PurePosixPath


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    mgmt_ipv4: IPv4Address | None
    services: tuple[str, ...]
    binds: tuple[Bind, ...]
    exec: tuple[str, ...]
    labels: dict[str, str] = field(hash=False)
    interfaces: tuple[str, ...] = ()

    @property
    def has_mgmt(self) -> bool:
        return self.mgmt_ipv4 is not None

    @property
    def iperf3_ports(self) -> tuple[int, ...]:
        ports = self.labels.get(LABEL_IPERF3_PORTS)
        return tuple(int(p) for p in ports.split()) if ports else tuple(IPERF3_PORTS)

    def bind_for(self, target: str) -> Path | None:
        return next((b.source for b in self.binds if str(b.target) == target), None)

    @property
    def on_demand(self) -> bool:
        return self.labels.get(LABEL_ON_DEMAND) == "true"


@dataclass(frozen=True)
class Link:
    a: tuple[str, str]
    b: tuple[str, str]


@dataclass(frozen=True)
class Topology:
    name: str
    file: Path
    mgmt_subnet: IPv4Network
    mgmt_gateway: IPv4Interface
    bridge: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]

    # Names the runner derives from the lab's name (one lab's names never collide with another's).
    def netns(self, node: str) -> str:
        return f"{self.name}-{node}"

    @property
    def run_dir(self) -> Path:
        return RUN_ROOT / self.name

    def host_veth(self, index: int) -> str:
        return f"{self.name[:9]}-m{index}"

    @property
    def users(self) -> tuple[str, str, str]:
        """The SSH login users: a shell user (servers, ``linux``), a vtysh user (routers, ``cisco_ios``) and
        the shaper user (a shell whose ``tc`` may change classes; allowed on the nodes labelled
        ``pantau.shaper``)."""
        return (f"{self.name}-ops", f"{self.name}-vty", f"{self.name}-tc")

    def standing(self) -> Topology:
        """The topology ``lab up`` realizes: without the on-demand nodes and their links."""
        later = {n.name for n in self.nodes if n.on_demand}
        return dataclasses.replace(
            self,
            nodes=tuple(n for n in self.nodes if n.name not in later),
            links=tuple(lk for lk in self.links if lk.a[0] not in later and lk.b[0] not in later),
        )

    def links_of(self, node: str) -> tuple[Link, ...]:
        return tuple(lk for lk in self.links if node in (lk.a[0], lk.b[0]))

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        known = ", ".join(n.name for n in self.nodes)
        raise TopologyError(f"lab {self.name} has no node '{name}'; nodes: {known}")

    @property
    def vantage(self) -> Node:
        """The node pantau runs on (label ``pantau.vantage``)."""
        for node in self.nodes:
            if node.labels.get(LABEL_VANTAGE) == "true":
                return node
        raise TopologyError(f'{self.file}: no node has label {LABEL_VANTAGE}: "true"; mark the NMS node')


_NAME = re.compile(r"^[a-z][a-z0-9-]{0,20}$")
_NODE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


def load_topology(path: Path) -> Topology:
    """Read a containerlab file.

    Raises:
        TopologyError: unreadable file or anything the runner cannot realize, naming the node or link.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TopologyError(f"{path}: cannot read the topology: {exc}") from exc
    return parse_topology(data, path)


def parse_topology(data: Any, path: Path) -> Topology:
    if not isinstance(data, dict) or "name" not in data or "topology" not in data:
        raise TopologyError(f"{path}: a containerlab file needs 'name' and 'topology'")
    name = str(data["name"])
    if not _NAME.match(name):
        raise TopologyError(f"{path}: lab name '{name}' must be 1-21 lower-case letters, digits or '-'")
    mgmt = data.get("mgmt") or {}
    subnet = IPv4Network(mgmt.get("ipv4-subnet", "172.20.20.0/24"))
    gateway = IPv4Interface(f"{mgmt.get('ipv4-gw', subnet.network_address + 1)}/{subnet.prefixlen}")
    bridge = str(mgmt.get("bridge") or f"br-{name}")[:IFNAMSIZ]
    topo = data["topology"] or {}
    defaults = topo.get("defaults") or {}
    kinds = topo.get("kinds") or {}
    raw_links = topo.get("links") or []
    ifaces: dict[str, list[str]] = {}
    links: list[Link] = []
    for i, raw in enumerate(raw_links):
        ends = raw.get("endpoints") if isinstance(raw, dict) else None
        if not (isinstance(ends, list) and len(ends) == 2 and all(isinstance(e, str) and ":" in e for e in ends)):
            raise TopologyError(f"{path}: link #{i + 1}: endpoints must be two 'node:interface' strings")
        pair = [tuple(e.split(":", 1)) for e in ends]
        for node_name, iface in pair:
            _check_ifname(path, f"link #{i + 1}", iface)
            if iface in ifaces.setdefault(node_name, []):
                raise TopologyError(f"{path}: link #{i + 1}: {node_name}:{iface} is used by two links")
            ifaces[node_name].append(iface)
        links.append(Link(a=(pair[0][0], pair[0][1]), b=(pair[1][0], pair[1][1])))
    nodes: list[Node] = []
    for node_name, raw_node in (topo.get("nodes") or {}).items():
        if not _NODE.match(str(node_name)):
            raise TopologyError(f"{path}: node '{node_name}': names are lower-case letters, digits, '-'")
        cfg = {**defaults, **kinds.get((raw_node or {}).get("kind", defaults.get("kind")), {}), **(raw_node or {})}
        labels = {str(k): str(v) for k, v in (cfg.get("labels") or {}).items()}
        services = tuple(labels.get(LABEL_SERVICES, "").split())
        unknown = [s for s in services if s not in SERVICES]
        if unknown:
            raise TopologyError(
                f"{path}: node '{node_name}': unknown service(s) {', '.join(unknown)} in label {LABEL_SERVICES}; "
                f"known: {', '.join(SERVICES)}"
            )
        none = cfg.get("network-mode") == "none"
        mgmt_ip = None if none else IPv4Address(cfg["mgmt-ipv4"]) if cfg.get("mgmt-ipv4") else None
        if not none and mgmt_ip is None:
            raise TopologyError(f"{path}: node '{node_name}': give it mgmt-ipv4 or network-mode: none")
        if mgmt_ip is not None and mgmt_ip not in subnet:
            raise TopologyError(f"{path}: node '{node_name}': mgmt-ipv4 {mgmt_ip} is outside {subnet}")
        binds = []
        for text in cfg.get("binds") or []:
            source, _, rest = str(text).partition(":")
            target = rest.split(":")[0]
            binds.append(Bind((path.parent / source).resolve(), PurePosixPath(target)))
        nodes.append(
            Node(
                name=str(node_name),
                kind=str(cfg.get("kind", "linux")),
                mgmt_ipv4=mgmt_ip,
                services=services,
                binds=tuple(binds),
                exec=tuple(str(line) for line in cfg.get("exec") or []),
                labels=labels,
                interfaces=tuple(ifaces.get(str(node_name), [])),
            )
        )
    names = {n.name for n in nodes}
    for node_name in ifaces:
        if node_name not in names:
            raise TopologyError(f"{path}: a link names node '{node_name}', which is not defined under nodes")
    mgmt_ips = [n.mgmt_ipv4 for n in nodes if n.mgmt_ipv4 is not None]
    if len(set(mgmt_ips)) != len(mgmt_ips) or gateway.ip in mgmt_ips:
        raise TopologyError(f"{path}: two nodes (or a node and the gateway) share a mgmt-ipv4 address")
    topology = Topology(name, path.resolve(), subnet, gateway, bridge, tuple(nodes), tuple(links))
    for i, _ in enumerate(nodes):
        _check_ifname(path, "mgmt veth", topology.host_veth(i))
    return topology


def _check_ifname(path: Path, where: str, name: str) -> None:
    if not name or len(name.encode()) > IFNAMSIZ or "/" in name or " " in name:
        raise TopologyError(f"{path}: {where}: interface name '{name}' must be 1-{IFNAMSIZ} characters, no '/'")
