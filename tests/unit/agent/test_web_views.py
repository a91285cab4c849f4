"""What the board shows from the agent's snapshot: the cause shown once on top (the data center's core, or
the internet uplink), in the page's language. Pure: snapshots as the agent builds them."""

from __future__ import annotations

from agent.web.views import banner, link_rows, shared_cause
from collectors.samples import ProbeResult
from core.board import entries
from core.health import LinkState
from core.snapshot import LinkView, ProbeView, Snapshot

NAMES = {"dinkes": "Dinas Kesehatan", "disdik": "Dinas Pendidikan"}


def snapshot(uplinks: list[tuple[str, int | None]], core_down: bool = False) -> Snapshot:
    """Two OPD links (down behind the core when ``core_down``) and the uplinks' far ends, each answering
    ``received`` of 5 echoes (None: not probed yet)."""
    state, cause = (LinkState.DOWN, "datacenter-core") if core_down else (LinkState.UP, "none")
    links = tuple(
        LinkView(f"{opd}-wan", opd, "p", "core", f"eth{i}", 10_000_000, state, (), not core_down, cause=cause)
        for i, opd in enumerate(NAMES, 1)
    )
    probes = tuple(
        ProbeView(
            f"upstream-{i}",
            address,
            "upstream",
            result=None if got is None else ProbeResult(address, 1.0, 5, (0.001,) * got),
        )
        for i, (address, got) in enumerate(uplinks)
    )
    return Snapshot(timestamp=1.0, links=links, probes=probes)


def cause_of(snap: Snapshot) -> str | None:
    return shared_cause(link_rows(entries(snap, {}), snap.tickets_open, NAMES), snap)


def test_every_uplink_silent_is_the_upstream_outage_shown_once_with_its_addresses() -> None:
    snap = snapshot([("203.0.113.1", 0), ("198.51.100.1", 0)])
    assert cause_of(snap) == "upstream"
    assert banner("upstream", snap, "id") == (
        "Uplink internet pusat data tidak menjawab (203.0.113.1, 198.51.100.1): semua OPD kehilangan internet, "
        "walau link OPD sendiri normal"
    )
    assert "every OPD loses the internet" in (banner("upstream", snap, "en") or "")


def test_one_uplink_answering_or_one_not_yet_probed_is_no_upstream_outage() -> None:
    assert cause_of(snapshot([("203.0.113.1", 0), ("198.51.100.1", 5)])) is None
    assert cause_of(snapshot([("203.0.113.1", 0), ("198.51.100.1", None)])) is None
    assert cause_of(snapshot([])) is None  # no uplink in the inventory: nothing to say
    assert banner(None, snapshot([]), "id") is None


def test_the_core_down_is_the_cause_even_when_the_uplinks_behind_it_are_silent() -> None:
    snap = snapshot([("203.0.113.1", 0)], core_down=True)
    assert cause_of(snap) == "datacenter-core"
    assert (banner("datacenter-core", snap, "id") or "").startswith("Inti pusat data tidak menjawab")
