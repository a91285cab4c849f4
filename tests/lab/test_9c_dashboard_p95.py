"""The dashboard's 95th-percentile panel and the SOP 13 survey read the same 5-minute means.

One day of a link's checked rate, a sample every 30 s as the agent exposes it, goes two ways: into a real
Prometheus (backfilled with promtool), queried with the shipped dashboard's own expression, and through
the agent's rollups into the survey. Both take their percentile over the same 288 five-minute means.
They differ only in the percentile's rule: the survey takes the nearest rank (the highest 5 % of periods
forgiven, as providers bill), Prometheus' ``quantile_over_time`` interpolates between the two ranks
around it; so the panel shows the survey's figure to within the step between those two periods.
Needs Debian's prometheus (promtool); no lab, only 127.0.0.1.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.bandwidth import Sample, SurveyThresholds, survey
from core.rollup import Rollups

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "exporters" / "grafana" / "opd-links.json"
START = 1_796_083_200  # 2026-12-01 00:00 UTC, a 5-minute boundary
DAY = 86_400


def rates() -> list[tuple[float, float]]:
    """(timestamp, bits per second): a working day's curve with noise and bursts, every 30 s, off the
    5-minute boundaries as the agent's polls are."""
    rng = random.Random(13)
    out = []
    for i in range(DAY // 30):
        t = START + 15 + 30 * i
        hour = (i * 30 / 3600) % 24
        base = 2e6 + 6e6 * max(0.0, math.sin((hour - 7) / 10 * math.pi))
        burst = 3e6 if rng.random() < 0.03 else 0.0
        out.append((t, max(0.0, base + rng.gauss(0, 4e5) + burst)))
    return out


def panel_expression() -> str:
    """The shipped dashboard's receive 95th percentile, for this link and this test's one-day window."""
    panels = json.loads(DASHBOARD.read_text())["panels"]
    exprs = [t["expr"] for p in panels for t in p.get("targets", []) if "quantile_over_time" in t.get("expr", "")]
    (expr,) = [e for e in exprs if "receive" in e]
    assert "avg_over_time(pantau_link_receive_bytes_per_second" in expr and "[5m])[30d:5m]" in expr
    return expr.replace('{opd=~\\"$opd\\"}', "").replace('{opd=~"$opd"}', "").replace("[30d:5m]", "[1d:5m]")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus holding the day, backfilled from OpenMetrics; its query URL."""
    for tool in ("promtool", "prometheus"):
        assert shutil.which(tool), f"{tool} missing: make setup installs Debian's prometheus"
    work = tmp_path_factory.mktemp("prom")
    series = work / "series.om"
    lines = ["# HELP pantau_link_receive_bytes_per_second Checked rate from the OPD.",
             "# TYPE pantau_link_receive_bytes_per_second gauge"]  # fmt: skip
    labels = '{opd="dinkes",link="dinkes-wan"}'
    lines += [f"pantau_link_receive_bytes_per_second{labels} {bps / 8!r} {t}" for t, bps in rates()]
    series.write_text("\n".join([*lines, "# EOF", ""]))
    data = work / "data"
    subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(series), str(data)],
                   check=True, capture_output=True)  # fmt: skip
    (work / "prometheus.yml").write_text("global: {scrape_interval: 1h}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (work / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        ["prometheus", f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={data}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=100y"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as ready:
                    if ready.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, (work / "prometheus.log").read_text()[-2000:]
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def query(url: str, expr: str, at: int) -> float:
    params = urllib.parse.urlencode({"query": expr, "time": str(at)})
    with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=10) as answer:
        result = json.loads(answer.read())["data"]["result"]
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def test_the_dashboards_95th_percentile_reads_the_surveys_five_minute_means(prometheus: str) -> None:
    rollups, rows = Rollups(), []
    for t, bps in rates():
        rows += rollups.add("dinkes-wan", "dinkes", t, rx_bps=bps)
    rows += rollups.restore(rollups.open(), START + DAY)  # the day's last period, closed at its end
    samples = [Sample(r.period_start, r.period_seconds, r.in_bps_avg, r.out_bps_avg) for r in rows]
    assert len(samples) == 288 and samples[0].start == datetime.fromtimestamp(START, UTC)
    surveyed = survey("dinkes", "dinkes-wan", 10e6, samples, [], "UTC", SurveyThresholds()).p95_in_bps
    assert surveyed is not None

    panel = query(prometheus, panel_expression(), START + DAY)

    means = sorted(s.in_bps for s in samples if s.in_bps is not None)
    rank = 0.95 * (len(means) - 1)  # Prometheus' quantile: between the two ranks around 95 %
    low, high = means[math.floor(rank)], means[math.ceil(rank)]
    assert panel == pytest.approx(low + (rank - math.floor(rank)) * (high - low), rel=1e-9)
    assert surveyed == means[math.ceil(0.95 * len(means)) - 1]  # the survey's nearest rank
    assert abs(panel - surveyed) <= (high - low) + 1e-6, (panel, surveyed)
    assert abs(panel - surveyed) / surveyed < 0.02, (panel, surveyed)  # on this day: 2 % apart at most
