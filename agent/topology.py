"""The topology drawing written to a folder: ``topology.dot`` always, ``topology.svg`` where Debian's
graphviz draws it (without it the DOT text stands and the log says what to install)."""

from __future__ import annotations

import logging
from pathlib import Path

import graphviz

from exporters.topology import topology_dot, topology_svg
from inventory.models import Inventory
from store.files import private_directory

log = logging.getLogger(__name__)


def write_topology(inv: Inventory, directory: Path, lang: str) -> list[Path]:
    """The inventory's drawing in ``directory``; the files written."""
    private_directory(directory, 0o750)
    source = topology_dot(inv, lang=lang)
    dot = directory / "topology.dot"
    dot.write_text(source, encoding="utf-8")
    written = [dot]
    try:
        svg = topology_svg(source)
    except graphviz.ExecutableNotFound:
        log.warning("topology.svg not drawn: graphviz's dot is missing (Debian package graphviz)")
        return written
    (directory / "topology.svg").write_bytes(svg)
    return [*written, directory / "topology.svg"]
