"""A link's utilization has one definition (core.rates): the exporter, the status page, ``pantau links``
and the SOP 13 survey give the same figure for the same rates, and none divides by a missing subscription."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.cli.monitor import _link_rows
from agent.web.views import link_rows
from core.bandwidth import Sample
from core.bandwidth import _utilization as survey_utilization
from core.board import entries
from core.health import LinkState
from core.snapshot import LinkView, Snapshot
from exporters.prometheus import SnapshotRenderer


def link(rx: float | None, tx: float | None, subscribed: int = 10_000_000) -> LinkView:
    return LinkView(
        "dinkes-wan", "dinkes", "p", "core", "eth1", subscribed, LinkState.UP, (), True, receive_bps=rx, transmit_bps=tx
    )


def exported(snap: Snapshot) -> dict[str, float]:
    lines = SnapshotRenderer().render(snap).splitlines()
    return {
        line.split('direction="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in lines
        if line.startswith("pantau_link_utilization_ratio{")
    }


@pytest.mark.parametrize(("rx", "tx", "expected"), [(4e6, 7.5e6, 0.75), (9e6, None, 0.9), (None, None, None)])
def test_every_view_of_a_link_gives_the_same_utilization(
    rx: float | None, tx: float | None, expected: float | None
) -> None:
    snap = Snapshot(timestamp=1.0, links=(link(rx, tx),))
    (board,) = link_rows(entries(snap, {}), snap.tickets_open, {"dinkes": "Dinas Kesehatan"})
    (cli,) = _link_rows(snap)
    assert board["utilization"] == cli["utilization"] == snap.links[0].peak_utilization() == expected
    by_direction = exported(snap)
    assert max(by_direction.values(), default=None) == expected
    period = Sample(datetime(2026, 12, 1, tzinfo=UTC), 300, rx, tx)
    assert survey_utilization(period, 10_000_000) == (expected or 0.0)  # an idle period counts as idle


def test_a_link_without_a_subscription_exports_no_utilization_instead_of_failing() -> None:
    snap = Snapshot(timestamp=1.0, links=(link(4e6, 1e6, subscribed=0),))
    assert exported(snap) == {}
    assert snap.links[0].peak_utilization() is None
