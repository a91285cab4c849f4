"""The network drawn from the inventory (graphviz): the data center with its devices and its uplink, and
each OPD at the end of its WAN link, the link labelled with its port, circuit, provider and subscription;
coloured by each link's state where the agent's are given. The DOT text is built here; ``dot`` (Debian's
graphviz) draws it."""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import ip_interface

import graphviz

from core.topology import uplinks
from i18n import Msg, words
from inventory.models import Inventory, Role
from inventory.models.site import SiteKind

#: a link's colour by its state (the board's); an unknown state is grey
COLOURS = {"up": "#2e7d32", "degraded": "#ef6c00", "down": "#c62828", "pending": "#757575", "unknown": "#9e9e9e"}
FONT = "DejaVu Sans"
TEXT = {"dc": Msg("Data center")}


def _lines(*parts: object) -> str:
    """One label of several lines: each part's own backslashes kept as text, DOT's ``\\n`` between them."""
    return "\\n".join(str(p).replace("\\", "\\\\") for p in parts)


def _dc_edges(inv: Inventory) -> list[tuple[str, str, str]]:
    """(core device, device, interface) for each data-center device on a segment a core interface holds."""
    cores = [d for d in inv.devices if d.role in (Role.CORE, Role.DISTRIBUTION)]
    out = []
    for device in inv.devices:
        if device.role in (Role.CORE, Role.DISTRIBUTION, Role.CPE):
            continue
        for iface in device.interfaces:
            if iface.address is None:
                continue
            address = ip_interface(iface.address).ip
            for core in cores:
                held = next(
                    (
                        c
                        for c in core.interfaces
                        if c.address is not None and address in ip_interface(c.address).network
                    ),
                    None,
                )
                if held is not None:
                    out.append((core.name, device.name, held.name))
    return out


def topology_dot(inv: Inventory, states: Mapping[str, str] | None = None, lang: str = "id") -> str:
    """The DOT text of the network; ``states``: each link's state by name (the agent's), None: uncoloured."""
    graph = graphviz.Graph("pantau", graph_attr={"rankdir": "LR", "fontname": FONT, "label": inv.agency.name})
    graph.attr("node", fontname=FONT, fontsize="10", shape="box", style="rounded")
    graph.attr("edge", fontname=FONT, fontsize="9")
    dc_sites = {s.name for s in inv.sites if s.kind is SiteKind.DATACENTER}
    with graph.subgraph(name="cluster_dc") as dc:
        dc.attr(label=_lines(words(TEXT, lang)["dc"]), style="rounded", color="#1565c0")
        for device in inv.devices:
            if device.site in dc_sites:
                shape = "box3d" if device.role in (Role.CORE, Role.DISTRIBUTION) else "box"
                dc.node(device.name, _lines(device.name, f"{device.role.value} · {device.mgmt_address}"), shape=shape)
    for core, member, port in _dc_edges(inv):
        graph.edge(core, member, label=port)
    for router, port, peer in uplinks(inv):
        graph.node(f"upstream-{peer}", _lines("upstream", peer), shape="ellipse")
        graph.edge(router, f"upstream-{peer}", label=port)
    names = {o.slug: o.name for o in inv.opds}
    for link in inv.links:
        cpe = next((d for d in inv.devices if d.name == link.cpe.device), None)
        where = f"{link.cpe.device} · {cpe.mgmt_address}" if cpe else link.cpe.device
        graph.node(f"opd-{link.opd}", _lines(names.get(link.opd, link.opd), f"({link.opd})", where))
        state = (states or {}).get(link.name)
        colour = COLOURS.get(state or "", "#424242" if states is None else COLOURS["unknown"])
        parts = [f"{link.dc.interface} · {link.circuit_id}", f"{link.provider} · {link.subscribed_mbps} Mbit/s"]
        label = _lines(*parts, *([state] if state else []))
        graph.edge(
            link.dc.device,
            f"opd-{link.opd}",
            label=label,
            color=colour,
            fontcolor=colour,
            style="dashed" if state == "pending" else "solid",
        )
    return str(graph.source)


def topology_svg(source: str) -> bytes:
    """The drawing of ``source`` as SVG (runs ``dot``).

    Raises:
        graphviz.ExecutableNotFound: Debian's graphviz is not installed.
        graphviz.CalledProcessError: dot refused the text.
    """
    return bytes(graphviz.Source(source).pipe(format="svg"))
