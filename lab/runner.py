"""Realize a containerlab topology with Linux network namespaces and host daemons.

Node ``n`` of lab ``L`` becomes network namespace ``L-n`` with a persistent UTS namespace (its
hostname), a management veth on the lab's bridge (unless ``network-mode: none``), its data links as
veth pairs created directly inside the namespaces, its ``exec`` lines run inside it, and the daemons
its ``pantau.services`` label names started inside it. Everything the runner makes is named from the
lab's name, recorded, and removed by :meth:`Runner.down`, which also works from what it discovers
after a crash half-way through :meth:`Runner.up`.
"""

from __future__ import annotations

# size: one realization of the containerlab topology on network namespaces (nodes, links,
# daemons, teardown): a development tool, kept whole
import contextlib
import fcntl
import json
import logging
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from ipaddress import IPv4Network, ip_network
from pathlib import Path
from typing import Any

from lab import host
from lab.errors import LabCommandError, LabConflict, LabError
from lab.topology import LABEL_SHAPER, RUN_ROOT, Link, Node, Topology

log = logging.getLogger(__name__)

FRR_ETC = Path("/etc/frr")
FRR_RUN = Path("/var/run/frr")
FRR_GR_JSON = FRR_RUN / "ospfd-gr.json"
SSHD_PRIVSEP = Path("/run/sshd")
NETNS_DIR = Path("/run/netns")
LOCK_FILE = Path("/run/lock/pantau-lab.lock")
#: the inventory describing this lab, shipped beside it
LAB_INVENTORY = Path(__file__).resolve().parent.parent / "inventory" / "example"
USER_DB = ("passwd", "group", "shadow", "gshadow", "subuid", "subgid")
REQUIRED_TOOLS = {
    "ip": "iproute2",
    "nsenter": "util-linux",
    "unshare": "util-linux",
    "tc": "iproute2",
    "vtysh": "frr",
    "snmpd": "snmpd",
    "snmpget": "snmp",
    "sshd": "openssh-server",
    "named": "bind9",
    "dig": "dnsutils",
    "iperf3": "iperf3",
    "nft": "nftables",
    "fping": "fping",
    "setcap": "libcap2-bin",
}

Progress = Callable[[str], None]


@dataclass
class UpReport:
    seconds_total: float
    steps: dict[str, float] = field(default_factory=dict)
    already_up: bool = False


@dataclass
class NodeStatus:
    name: str
    netns: str
    present: bool
    daemons: dict[str, bool]
    addresses: list[str]


def missing_tools() -> dict[str, str]:
    """Tools the lab needs that are not installed, with the Debian package that has each."""
    path = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"
    return {tool: pkg for tool, pkg in REQUIRED_TOOLS.items() if shutil.which(tool, path=path) is None}


def overlapping_route(routes: list[dict[str, Any]], subnet: IPv4Network, own_bridge: str) -> str | None:
    """The first host route (``ip -j route``) that overlaps ``subnet``, other than the lab's own bridge's."""
    for route in routes:
        dst = str(route.get("dst", ""))
        if dst in ("default", "") or route.get("dev") == own_bridge or route.get("type") in ("local", "broadcast"):
            continue
        try:
            net = ip_network(dst if "/" in dst else f"{dst}/32", strict=False)
        except ValueError:
            continue
        if net.version == 4 and net.overlaps(subnet):
            return f"{dst} dev {route.get('dev')}"
    return None


class Runner:
    """Brings one lab up and down on this host."""

    def __init__(self, topology: Topology, progress: Progress | None = None) -> None:
        self.full = topology  # with the on-demand nodes (lab opd add)
        self.topo = topology.standing()
        self.run_dir = topology.run_dir
        self.state_file = self.run_dir / "state.json"
        self.progress = progress or (lambda _msg: None)
        self._lock_depth = 0

    # ---- paths and commands -------------------------------------------------------------------
    def node_dir(self, node: str) -> Path:
        return self.run_dir / "nodes" / node

    def uts_file(self, node: str) -> Path:
        return self.run_dir / "uts" / node

    def in_node(self, node: str, argv: list[str]) -> list[str]:
        """The command line that runs ``argv`` inside ``node`` (its netns, /sys remounted, its hostname), with
        the lab's inventory and known_hosts as pantau's defaults there (below any pantau.yml or flag)."""
        lab_env = [f"PANTAU_LAB_INVENTORY={LAB_INVENTORY}", f"PANTAU_LAB_KNOWN_HOSTS={self.known_hosts}"]
        # the node's own HOME: what its processes keep there (vtysh's .history_frr) stays in the lab's folder
        lab_env.append(f"HOME={self.node_dir(node)}")
        return [
            "ip",
            "netns",
            "exec",
            self.topo.netns(node),
            "nsenter",
            f"--uts={self.uts_file(node)}",
            "env",
            *lab_env,
            *argv,
        ]

    def exec(
        self, node: str, argv: list[str], check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        self.full.node(node)
        return host.run(self.in_node(node, argv), check=check, node=node, timeout=timeout)

    @property
    def ssh_key(self) -> Path:
        return self.run_dir / "ssh" / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.run_dir / "ssh" / "known_hosts"

    # ---- state ----------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.state_file.read_text())
            return data
        except (OSError, ValueError):
            return {}

    def _save_state(self, **changes: Any) -> None:
        state = {**self._state(), **changes}
        self.state_file.write_text(json.dumps(state, indent=2))

    def require_up(self) -> None:
        """Raises LabError unless this lab is up (for commands that act on a running lab)."""
        if not self._state().get("complete"):
            raise LabError(f"lab {self.topo.name} is not up; run 'pantau lab up' first")

    # ---- up -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One runner at a time changes the host (a second ``up``/``down`` waits for the first)."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
        with LOCK_FILE.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
                fcntl.flock(fh, fcntl.LOCK_UN)

    def up(self, timeout: float = 90) -> UpReport:
        """Bring the lab up and wait until routing converged and every service answers (idempotent).

        Raises:
            LabConflict: another lab or an overlapping route is in the way (nothing changed).
            LabError: a step failed; everything made so far has been removed again.
        """
        with self._exclusive():
            return self._up(timeout)

    def _up(self, timeout: float) -> UpReport:
        start = time.monotonic()
        if os.geteuid() != 0:
            raise LabError("the lab needs root (network namespaces, daemons); run as root")
        missing = missing_tools()
        if missing:
            raise LabError(
                f"missing tools: {', '.join(sorted(missing))}; install with: make setup "
                f"(Debian packages {' '.join(sorted(set(missing.values())))})"
            )
        self._check_conflicts()
        if self._state().get("complete") and self.healthy():
            self.progress("lab already up; checking that it answers")
            self.wait_ready(timeout)
            return UpReport(time.monotonic() - start, already_up=True)
        if self._leftovers():
            self.progress("cleaning up the remains of an earlier run")
            self.down()
        report = UpReport(0.0)
        try:
            self._timed(report, "namespaces", self._create_nodes)
            self._timed(report, "links", self._create_links)
            self._timed(report, "exec", self._run_exec)
            self._timed(report, "host prerequisites", self._host_prereqs)
            self._timed(report, "services", self._start_all_services)
            self._timed(report, "convergence", lambda: self.wait_ready(timeout))
        except BaseException:
            self.progress("lab up failed; removing what was made")
            self.down()
            raise
        self._save_state(complete=True)
        report.seconds_total = time.monotonic() - start
        return report

    def _timed(self, report: UpReport, name: str, step: Callable[[], None]) -> None:
        self.progress(name)
        t0 = time.monotonic()
        step()
        report.steps[name] = time.monotonic() - t0

    def _check_conflicts(self) -> None:
        if RUN_ROOT.is_dir():
            for other in RUN_ROOT.iterdir():
                if other.name != self.topo.name and (other / "state.json").exists():
                    raise LabConflict(
                        f"another lab '{other.name}' is up on this host; run 'pantau lab down' for it "
                        "first (one lab at a time)"
                    )
        routes = host.ip_json(["-4", "route", "show", "table", "all"])
        clash = overlapping_route(routes, self.topo.mgmt_subnet, self.topo.bridge)
        if clash is not None:
            raise LabConflict(
                f"the lab's management subnet {self.topo.mgmt_subnet} overlaps host route {clash}; "
                f"change mgmt.ipv4-subnet in {self.topo.file}"
            )
        if self.topo.bridge in {link["ifname"] for link in host.ip_json(["link", "show"])} and not self._state():
            raise LabConflict(
                f"interface {self.topo.bridge} exists but this lab did not make it; rename mgmt.bridge "
                f"in {self.topo.file}"
            )

    def _leftovers(self) -> bool:
        prefix = f"{self.topo.name}-"
        return bool(self._state()) or any(ns.startswith(prefix) for ns in host.netns_list())

    def _create_nodes(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir.chmod(0o755)
        self._save_state(name=self.topo.name, file=str(self.topo.file), complete=False)
        self._backup_user_db()
        uts = self.run_dir / "uts"
        uts.mkdir(exist_ok=True)
        # a private mount point, as ip-netns does for /run/netns, so the nsfs bind mounts stay ours
        host.run(["mount", "--bind", str(uts), str(uts)])
        host.run(["mount", "--make-private", str(uts)])
        self._save_state(uts_mounted=True)
        # ip-netns makes /run/netns (a shared bind mount of itself) on first use and leaves it: down undoes
        # that too when this lab was the first to need it and nothing else uses it by then
        self._save_state(netns_dir_ours=not NETNS_DIR.exists(), netns_mount_ours=not host.is_mount_point(NETNS_DIR))
        br = self.topo.bridge
        host.run(["ip", "link", "add", br, "type", "bridge"])
        host.run(["ip", "link", "set", br, "address", "02:00:00:00:00:01"])
        host.run(["ip", "addr", "add", str(self.topo.mgmt_gateway), "dev", br])
        host.run(["ip", "link", "set", br, "up"])
        for index, node in enumerate(self.topo.nodes):
            self._create_node(index, node)

    def _create_node(self, index: int, node: Node) -> None:
        """A node's namespace, its hostname and (if it has one) its management leg on the bridge."""
        br = self.topo.bridge
        ns = self.topo.netns(node.name)
        self.node_dir(node.name).mkdir(parents=True, exist_ok=True)
        host.run(["ip", "netns", "add", ns])
        host.run(["ip", "-n", ns, "link", "set", "lo", "up"])  # lo starts DOWN in a new netns
        self.uts_file(node.name).touch()
        host.run(["unshare", f"--uts={self.uts_file(node.name)}", "hostname", node.name])
        if node.mgmt_ipv4 is not None:
            hv = self.topo.host_veth(index)
            host.run(["ip", "link", "add", hv, "type", "veth", "peer", "name", "eth0", "netns", ns])
            host.run(["ip", "link", "set", hv, "master", br])
            host.run(["ip", "link", "set", hv, "up"])
            host.run(
                [
                    "ip",
                    "-n",
                    ns,
                    "addr",
                    "add",
                    f"{node.mgmt_ipv4}/{self.topo.mgmt_subnet.prefixlen}",
                    "dev",
                    "eth0",
                ]
            )
            host.run(["ip", "-n", ns, "link", "set", "eth0", "up"])

    def _create_links(self, links: tuple[Link, ...] | None = None) -> None:
        for link in self.topo.links if links is None else links:
            (na, ia), (nb, ib) = link.a, link.b
            sa, sb = self.topo.netns(na), self.topo.netns(nb)
            host.run(["ip", "link", "add", ia, "netns", sa, "type", "veth", "peer", "name", ib, "netns", sb])
            # senders emit one frame per packet, as on a wire: with GSO a veth counts a 64 KB super-packet as
            # one, so its octet counters (what SNMP reports) read 19.26 instead of 20.03 Mbit/s on a full
            # 20 Mbit/s link. Forwarded traffic can still arrive aggregated now and then (seen once in CI).
            host.run(["ip", "-n", sa, "link", "set", ia, "gso_max_segs", "1", "up"])
            host.run(["ip", "-n", sb, "link", "set", ib, "gso_max_segs", "1", "up"])

    def _run_exec(self, nodes: tuple[Node, ...] | None = None) -> None:
        for node in self.topo.nodes if nodes is None else nodes:
            for line in node.exec:
                # as containerlab does: split with shell rules, run without a shell
                self.exec(node.name, shlex.split(line))

    # ---- host prerequisites: users, keys ---------------------------------------------------------
    def _backup_user_db(self) -> None:
        backup = self.run_dir / "host-backup"
        if backup.exists():
            return
        backup.mkdir()
        for name in USER_DB:
            for suffix in ("", "-"):
                src = Path("/etc") / f"{name}{suffix}"
                if src.exists():
                    shutil.copy2(src, backup / src.name)

    def _host_prereqs(self) -> None:
        if not SSHD_PRIVSEP.exists():
            SSHD_PRIVSEP.mkdir(mode=0o755)
            self._save_state(created_run_sshd=True)
        if not FRR_GR_JSON.exists():
            self._save_state(remove_frr_gr_json=True)
        ssh_dir = self.run_dir / "ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        host.run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                f"pantau@{self.topo.name}-lab",
                "-f",
                str(self.ssh_key),
            ]
        )
        bin_dir = self.run_dir / "bin"
        bin_dir.mkdir(mode=0o755, exist_ok=True)
        wrapper = bin_dir / "vtysh-shell"
        # sshd runs "shell -c CMD" for exec requests; vtysh accepts -c. The netns names the FRR pathspace.
        wrapper.write_text('#!/bin/sh\nns=$(/usr/sbin/ip netns identify $$)\nexec /usr/bin/vtysh -N "$ns" "$@"\n')
        wrapper.chmod(0o755)
        ops, vty, shaper = self.topo.users
        shells = {ops: "/bin/bash", vty: str(wrapper), shaper: "/bin/bash"}
        pub = self.ssh_key.with_suffix(".pub").read_text()
        for user, shell in shells.items():
            home = self.run_dir / "home" / user
            host.run(
                [
                    "useradd",
                    "-M",
                    "-d",
                    str(home),
                    "-s",
                    shell,
                    "-G",
                    "frrvty,frr",
                    "-K",
                    "SUB_UID_COUNT=0",
                    "-K",
                    "SUB_GID_COUNT=0",
                    "-c",
                    f"pantau lab {self.topo.name}",
                    "-p",
                    "*",  # no password, yet not locked ("!"): sshd without PAM refuses locked accounts
                    user,
                ]
            )
            self._save_state(users=[*self._state().get("users", []), user])
            (home / ".ssh").mkdir(parents=True, mode=0o700)
            (home / ".ssh" / "authorized_keys").write_text(pub)
            (home / ".ssh" / "authorized_keys").chmod(0o600)
            if user == shaper:
                # its own tc, first on its PATH, may change qdiscs and classes (CAP_NET_ADMIN) and only it may
                # run it: the shaper user is allowed tc and nothing else privileged
                tc = bin_dir / "shaper" / "tc"
                tc.parent.mkdir(mode=0o755, exist_ok=True)
                shutil.copy2(
                    shutil.which("tc", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") or "/usr/sbin/tc", tc
                )
                host.run(["chown", f"root:{user}", str(tc)])
                tc.chmod(0o750)
                host.run(["setcap", "cap_net_admin+ep", str(tc)])
                # and vtysh in its node's FRR (a new OPD's link is configured from this shell: it can arm a revert)
                vtysh = tc.parent / "vtysh"
                vtysh.write_text('#!/bin/sh\nns=$(/usr/sbin/ip netns identify $$)\nexec /usr/bin/vtysh -N "$ns" "$@"\n')
                vtysh.chmod(0o755)
                (home / ".profile").write_text(f'PATH="{tc.parent}:$PATH"\n')
            host.run(["chown", "-R", f"{user}:{user}", str(home)])
            home.chmod(0o750)
        (self.run_dir / "home").chmod(0o755)
        self.known_hosts.write_text("")
        (self.run_dir / "snmp-client").mkdir(exist_ok=True)

    # ---- services -------------------------------------------------------------------------------
    def _start_all_services(self) -> None:
        for node in self.topo.nodes:
            for service in node.services:
                self.start_service(node.name, service)

    def start_service(self, node_name: str, service: str) -> None:
        node = self.full.node(node_name)
        {
            "frr": self._start_frr,
            "sshd": self._start_sshd,
            "snmpd": self._start_snmpd,
            "named": self._start_named,
            "iperf3": self._start_iperf3,
        }[service](node)

    def restart_snmpd(self, node_name: str, request_log: Path | None = None) -> None:
        """snmpd on ``node_name`` started again: with ``request_log``, every packet it receives and sends is
        written there (net-snmp's dump, ``-d``: the sender's address and port, then the bytes), a device's
        own record of who polled it; without, as ``lab up`` starts it. sysUpTime starts again at 0."""
        self.stop_service(node_name, "snmpd")
        self._start_snmpd(self.full.node(node_name), request_log)

    def stop_service(self, node_name: str, service: str) -> None:
        pids = self.service_pids(node_name, service)
        if service == "frr" and pids:
            # watchfrr first, or it restarts the daemons it watches
            host.terminate(pids[:1])
            pids = pids[1:]
        host.terminate(pids)

    def service_pids(self, node_name: str, service: str) -> list[int]:
        nd = self.node_dir(node_name)
        files: list[Path]
        if service == "frr":
            frr_dir = FRR_RUN / self.topo.netns(node_name)
            files = [frr_dir / "watchfrr.pid", *sorted(p for p in frr_dir.glob("*.pid") if p.name != "watchfrr.pid")]
        elif service == "iperf3":
            files = [nd / f"iperf3-{port}.pid" for port in self.full.node(node_name).iperf3_ports]
        else:
            files = [nd / f"{service}.pid"]
        return [pid for f in files if (pid := host.read_pid(f)) is not None and host.alive(pid)]

    def service_alive(self, node_name: str, service: str) -> bool:
        expected = {"frr": 4, "iperf3": len(self.full.node(node_name).iperf3_ports)}.get(service, 1)
        return len(self.service_pids(node_name, service)) >= expected

    def _start_frr(self, node: Node) -> None:
        ns = self.topo.netns(node.name)
        etc = FRR_ETC / ns
        host.run(["install", "-d", "-o", "frr", "-g", "frr", "-m", "0750", str(etc)])
        for name in ("daemons", "frr.conf", "vtysh.conf"):
            source = node.bind_for(f"/etc/frr/{name}")
            if source is None:
                raise LabError(f"node {node.name}: service frr needs a bind to /etc/frr/{name}")
            host.run(["install", "-o", "frr", "-g", "frr", "-m", "0640", str(source), str(etc / name)])
        # frrinit.sh runs in the host's netns: watchfrr --netns moves every daemon into the namespace
        # its HOME is the node's: watchfrr runs vtysh -b, which writes .history_frr in the caller's home
        host.run(
            ["nsenter", f"--uts={self.uts_file(node.name)}", "/usr/lib/frr/frrinit.sh", "start", ns],
            node=node.name,
            env={"HOME": str(self.node_dir(node.name))},
        )

    def _start_sshd(self, node: Node) -> None:
        nd = self.node_dir(node.name)
        key = nd / "ssh_host_ed25519_key"
        if not key.exists():
            host.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", node.name, "-f", str(key)])
        config = node.bind_for("/etc/ssh/sshd_config")
        if config is None:
            raise LabError(f"node {node.name}: service sshd needs a bind to /etc/ssh/sshd_config")
        ops, vty, shaper = self.topo.users
        allowed = f"{ops} {vty} {shaper}" if node.labels.get(LABEL_SHAPER) == "true" else f"{ops} {vty}"
        self.exec(
            node.name,
            [
                "/usr/sbin/sshd",
                "-f",
                str(config),
                "-E",
                str(nd / "sshd.log"),
                "-o",
                f"HostKey={key}",
                "-o",
                f"PidFile={nd / 'sshd.pid'}",
                "-o",
                f"AllowUsers={allowed}",
                "-o",
                f"AuthorizedKeysFile={self.run_dir}/home/%u/.ssh/authorized_keys",
            ],
        )
        self._pin_host_key(node, key.with_suffix(".pub"))

    def _pin_host_key(self, node: Node, pub: Path) -> None:
        keytype, blob = pub.read_text().split()[:2]
        addrs = self.node_addresses(node.name)
        lines = [line for line in self.known_hosts.read_text().splitlines() if line.split(" ", 1)[0] not in addrs]
        lines += [f"{addr} {keytype} {blob}" for addr in addrs]
        self.known_hosts.write_text("\n".join(lines) + "\n")

    def node_addresses(self, node_name: str, include_mgmt: bool = True) -> list[str]:
        """The node's IPv4 addresses (no loopback 127/8), management address first."""
        out = []
        for link in host.ip_json(["-4", "addr", "show"], self.topo.netns(node_name)):
            for info in link.get("addr_info", []):
                addr = info.get("local", "")
                if addr.startswith("127.") or (link["ifname"] == "eth0" and not include_mgmt):
                    continue
                out.append(addr)
        node = self.full.node(node_name)
        if node.mgmt_ipv4 is not None and str(node.mgmt_ipv4) in out:
            out.remove(str(node.mgmt_ipv4))
            out.insert(0, str(node.mgmt_ipv4))
        return out

    def _snmp_conf(self, node: Node) -> Path:
        config = node.bind_for("/etc/snmp/snmpd.conf")
        if config is None:
            raise LabError(f"node {node.name}: service snmpd needs a bind to /etc/snmp/snmpd.conf")
        return config

    def rw_community(self, node: Node) -> str:
        for line in self._snmp_conf(node).read_text().splitlines():
            words = line.split()
            if len(words) >= 3 and words[0] == "rwcommunity" and words[2] == "127.0.0.1":
                return words[1]
        raise LabError(f"{self._snmp_conf(node)}: needs 'rwcommunity NAME 127.0.0.1' (the runner sets the cache)")

    def _start_snmpd(self, node: Node, request_log: Path | None = None) -> None:
        nd = self.node_dir(node.name)
        persist = nd / "snmp"
        persist.mkdir(exist_ok=True)
        # net-snmp 5.9 ignores kernel interface aliases: publish them as ifAlias (IF-MIB ifXEntry .18)
        overrides = []
        for link in host.ip_json(["link", "show"], self.topo.netns(node.name)):
            alias = link.get("ifalias")
            if alias:
                overrides.append(f'override .1.3.6.1.2.1.31.1.1.1.18.{link["ifindex"]} octet_str "{alias}"')
        local = nd / "snmpd.local.conf"
        local.write_text("\n".join(overrides) + "\n")
        argv = [
            "env",
            f"SNMP_PERSISTENT_DIR={persist}",
            "/usr/sbin/snmpd",
            "-C",
            "-c",
            f"{self._snmp_conf(node)},{local}",
            "-m",
            "",
            "-p",
            str(nd / "snmpd.pid"),
            "-Lf",
            str(request_log or nd / "snmpd.log"),
            *(["-d"] if request_log else []),
        ]
        self.exec(node.name, argv)
        # ifTable/ifXTable cache: 3 s by default, which biases short-window rates; 1 s like LAB.md measured
        set_cache = [
            "env",
            f"SNMP_PERSISTENT_DIR={self.run_dir / 'snmp-client'}",
            "snmpset",
            "-v2c",
            "-c",
            self.rw_community(node),
            "-t",
            "0.5",
            "-r",
            "0",
            "127.0.0.1",
        ]
        oid = ".1.3.6.1.4.1.8072.1.5.3.1.2.1.3.6.1.2.1.2.2"  # NET-SNMP-AGENT-MIB::nsCacheTimeout.<ifTable>
        self._retry(lambda: self.exec(node.name, [*set_cache, oid, "i", "1"]), f"{node.name}: snmpd")

    def _start_named(self, node: Node) -> None:
        nd = self.node_dir(node.name)
        bind = next((b for b in node.binds if str(b.target).startswith(str(self.run_dir))), None)
        if bind is None:
            raise LabError(
                f"node {node.name}: service named needs a bind of its config folder to a folder under {self.run_dir}"
            )
        target = Path(str(bind.target))
        if target.exists():
            shutil.rmtree(target)  # fresh zones each time: stale .jnl journals would be out of sync
        shutil.copytree(bind.source, target)
        host.run(["chown", "-R", "bind:bind", str(target)])
        target.chmod(0o750)
        conf = target / "named.conf"
        host.run(["named-checkconf", str(conf)])
        pid_link = nd / "named.pid"  # named writes its pid-file (named.conf) into the bind target
        pid_link.unlink(missing_ok=True)
        pid_link.symlink_to(target / "named.pid")
        host.spawn(
            self.in_node(node.name, ["/usr/sbin/named", "-4", "-u", "bind", "-f", "-c", str(conf)]), nd / "named.out"
        )
        self._retry(
            lambda: self.exec(
                node.name, ["dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", "version.bind", "CH", "TXT"]
            ),
            f"{node.name}: named",
        )

    def _start_iperf3(self, node: Node) -> None:
        nd = self.node_dir(node.name)
        for port in node.iperf3_ports:
            self.exec(
                node.name,
                [
                    "iperf3",
                    "-s",
                    "-D",
                    "-p",
                    str(port),
                    "-I",
                    str(nd / f"iperf3-{port}.pid"),
                    "--logfile",
                    str(nd / f"iperf3-{port}.log"),
                ],
            )

    @staticmethod
    def _retry(action: Callable[[], object], what: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                action()
                return
            except LabCommandError as exc:
                if time.monotonic() > deadline:
                    raise LabError(f"{what} did not answer within {timeout:.0f} s: {exc}") from exc
                time.sleep(0.1)

    # ---- readiness ------------------------------------------------------------------------------
    def healthy(self) -> bool:
        present = set(host.netns_list())
        return all(self.topo.netns(n.name) in present for n in self.topo.nodes) and all(
            self.service_alive(n.name, s) for n in self.topo.nodes for s in n.services
        )

    def data_plane_addresses(self) -> list[str]:
        return [a for n in self.topo.nodes for a in self.node_addresses(n.name, include_mgmt=False)]

    def wait_ready(self, timeout: float = 90) -> None:
        """Wait until every data-plane address answers from the vantage node and every service is up.

        Raises:
            LabError: not ready in time; names what still does not answer.
        """
        deadline = time.monotonic() + timeout
        vantage = self.topo.vantage.name
        targets = self.data_plane_addresses()
        while True:
            dead = [f"{n.name}:{s}" for n in self.topo.nodes for s in n.services if not self.service_alive(n.name, s)]
            probe = self.exec(vantage, ["fping", "-q", "-u", "-r", "0", "-t", "300", *targets], check=False)
            unreachable = probe.stdout.split()
            if not dead and probe.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise LabError(
                    f"lab not ready after {timeout:.0f} s: daemons down: {dead or 'none'}; "
                    f"unreachable from {vantage}: {unreachable or 'none'}"
                )
            time.sleep(0.2)

    # ---- status ---------------------------------------------------------------------------------
    def status(self) -> list[NodeStatus]:
        present = set(host.netns_list())
        result = []
        for node in self.topo.nodes:
            ns = self.topo.netns(node.name)
            up = ns in present
            result.append(
                NodeStatus(
                    name=node.name,
                    netns=ns,
                    present=up,
                    daemons={s: up and self.service_alive(node.name, s) for s in node.services},
                    addresses=self.node_addresses(node.name) if up else [],
                )
            )
        return result

    # ---- down -----------------------------------------------------------------------------------
    def down(self) -> None:
        """Remove everything the lab made; works from discovery, so also after a crash half-way."""
        with self._exclusive():
            self._down()

    def _down(self) -> None:
        state = self._state()
        prefix = f"{self.topo.name}-"
        namespaces = [ns for ns in host.netns_list() if ns.startswith(prefix)]
        for ns in namespaces:
            # watchfrr first, or it restarts the daemons it watches
            watch = host.read_pid(FRR_RUN / ns / "watchfrr.pid")
            if watch is not None and watch in host.netns_pids(ns):
                host.terminate([watch])
        for _ in range(5):
            # again until nothing is left: a lab up killed half-way may have had a daemon starting (seen: a
            # staticd spawned by a watchfrr that had not written its pid file yet outlived one pass)
            pids = [pid for ns in namespaces for pid in host.netns_pids(ns)]
            if not pids:
                break
            host.terminate(pids)
        for ns in namespaces:
            host.run(["ip", "netns", "del", ns], check=False)
        uts = self.run_dir / "uts"
        if uts.is_dir():
            for f in uts.iterdir():
                host.run(["umount", str(f)], check=False)
            host.run(["umount", str(uts)], check=False)
        host_links = {link["ifname"] for link in host.ip_json(["link", "show"])}
        ours = {self.topo.bridge} | {self.topo.host_veth(i) for i in range(len(self.topo.nodes))}
        for name in sorted(host_links & ours):  # the bridge, and mgmt veths orphaned by a crash
            host.run(["ip", "link", "del", name], check=False)
        for node in self.full.nodes:
            ns = self.topo.netns(node.name)
            shutil.rmtree(FRR_ETC / ns, ignore_errors=True)
            shutil.rmtree(FRR_RUN / ns, ignore_errors=True)
        if state.get("remove_frr_gr_json"):
            FRR_GR_JSON.unlink(missing_ok=True)
        for user in self.topo.users:
            if host.run(["getent", "passwd", user], check=False).returncode == 0:
                host.run(["userdel", user], check=False)
        self._restore_user_db()
        if state.get("created_run_sshd") and SSHD_PRIVSEP.is_dir():
            shutil.rmtree(SSHD_PRIVSEP, ignore_errors=True)
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)
        if NETNS_DIR.is_dir() and not any(NETNS_DIR.iterdir()):
            if state.get("netns_mount_ours") and host.is_mount_point(NETNS_DIR):
                host.run(["umount", str(NETNS_DIR)], check=False)
            if state.get("netns_dir_ours") and not host.is_mount_point(NETNS_DIR):
                NETNS_DIR.rmdir()
        # last: the umount above writes libmount's table into the runtime folder (LIBMOUNT_UTAB, host.py)
        for leftover in RUN_ROOT.glob("utab*"):
            leftover.unlink()
        if RUN_ROOT.is_dir() and not any(RUN_ROOT.iterdir()):
            RUN_ROOT.rmdir()

    def _restore_user_db(self) -> None:
        """Put back the ``-`` backups of the user database that useradd/userdel rewrote."""
        backup = self.run_dir / "host-backup"
        if not backup.is_dir():
            return
        for name in USER_DB:
            saved = backup / f"{name}-"
            if saved.exists():
                shutil.copy2(saved, Path("/etc") / saved.name)
