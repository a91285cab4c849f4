"""Writes the monthly example reports of this folder from a synthetic November 2026.

The month is made, not measured: the lab runs for minutes, and a survey needs weeks. Its rollups and
tickets go into a fresh store through the product's own store functions (the ones the agent and
``pantau ticket`` call); the reports are then made by ``pantau report bandwidth`` and ``pantau report sla``
as an operator runs them. Run from the project root: ``.venv/bin/python docs/examples/monthly/make.py``.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.rollup import RollupRow
from inventory.loader import load_inventory
from store.engine import open_store
from store.links import StateChange, add_changes, add_rollups
from store.tickets import Tickets

HERE = Path(__file__).resolve().parent
INVENTORY = HERE.parents[2] / "inventory" / "example"
START = datetime(2026, 10, 31, 17, tzinfo=UTC)  # 1 November 2026, 00:00 WIB
MBIT = 1e6


def office_day(hour: float) -> float:
    """0..1: quiet at night, a plateau in office hours (08-16 WIB), a dip at noon."""
    if 7.5 <= hour <= 16.5:
        return 0.9 - (0.25 if 12 <= hour < 13 else 0.0)
    return 0.08


def rollups(rnd: random.Random) -> list[RollupRow]:
    shares = {  # of the subscription, in office hours
        "dinkes-wan": 1.02,  # full every working day: an upgrade case
        "disdik-wan": 0.55,  # busy but with room
        "dishub-wan": 0.12,  # nearly idle: a candidate to lower
        "bappeda-wan": 0.45,
    }
    rows = []
    for wan in load_inventory(INVENTORY).links:
        link, opd, sub, share = wan.name, wan.opd, wan.subscribed_bps / MBIT, shares[wan.name]
        for i in range(30 * 288):
            start = START + timedelta(minutes=5 * i)
            local = start + timedelta(hours=7)
            weekend = local.weekday() >= 5
            level = office_day(local.hour + local.minute / 60) * (0.25 if weekend else 1.0)
            rate = min(sub * level * share * rnd.uniform(0.85, 1.1), sub * 0.98) * MBIT
            loss = 0.0 if rnd.random() > 0.01 else 0.02
            rows.append(
                RollupRow(
                    link, opd, start, 300, 30, rate * 0.35, rate * 0.5, rate, rate * 1.05, loss, 0.004 + 0.01 * level
                )
            )
    return rows


def outages() -> list[StateChange]:
    down = datetime(2026, 11, 17, 2, 10, tzinfo=UTC)  # 09:10 WIB, a working Tuesday
    return [
        StateChange("bappeda-wan", "bappeda", down, "up", "down", "oper-down", "circuit-down"),
        StateChange("bappeda-wan", "bappeda", down + timedelta(minutes=145), "down", "up", "", ""),
    ]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def tickets(store_url: str) -> None:
    clock = Clock()
    t = Tickets(open_store(store_url), clock)
    cases = [  # opd, opened (day, hour WIB), minutes to assign, verdict, escalated, minutes to resolve
        ("bappeda", (17, 9.3), 6, "circuit-down", True, 150),
        ("dinkes", (4, 10.0), 4, "congestion", False, 35),
        ("dinkes", (11, 14.5), 12, "congestion", False, 50),
        ("dinkes", (25, 9.0), 3, "congestion", False, 25),
        ("disdik", (9, 8.2), 7, "opd-side", False, 80),
        ("dishub", (20, 13.0), 5, "dns-or-service", False, 20),
        ("disdik", (27, 15.0), 9, "circuit-down", True, 210),
    ]
    for opd, (day, hour), assign, verdict, escalated, resolve in cases:
        opened = START + timedelta(days=day - 1, hours=hour)
        clock.now = opened
        ticket = t.open(opd, "whatsapp", "staf OPD", "internet lambat/putus", None, "piket")
        clock.now = opened + timedelta(minutes=assign)
        t.record(ticket, "assign", "kasi", "", assignee="Rizky")
        t.record(ticket, "triage", "rizky", verdict, verdict=verdict)
        if escalated:
            clock.now += timedelta(minutes=8)
            t.record(ticket, "escalate", "rizky", "paket bukti ke penyedia")
        clock.now = opened + timedelta(minutes=resolve)
        t.record(ticket, "resolve", "rizky", "normal kembali")


def main() -> None:
    rnd = random.Random(2026)  # noqa: S311 (made-up traffic, the same on every run)
    with tempfile.TemporaryDirectory() as state:
        url = f"sqlite:///{state}/pantau.db"
        store = open_store(url)
        add_rollups(store, rollups(rnd))
        add_changes(store, outages())
        tickets(url)
        for lang in ("id", "en"):
            for kind in ("bandwidth", "sla"):
                argv = [sys.executable, "-m", "agent", "--lang", lang, "report", kind, "--month", "2026-11"]
                argv += ["-i", str(INVENTORY), "--state-dir", state, "--output", str(HERE)]
                subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    for pdf in sorted(HERE.glob("*.pdf")):
        for page in (1, 2):
            stem = HERE / f"{pdf.stem}.page-{page}"
            subprocess.run(
                ["pdftoppm", "-f", str(page), "-l", str(page), "-r", "60", "-png", "-singlefile", str(pdf), str(stem)],
                check=True,
            )


if __name__ == "__main__":
    main()
