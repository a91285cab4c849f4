"""The bandwidth report's charts as SVG (matplotlib, no display): each link's daily 95th percentile
against its subscription, and an hour-of-day × day heat map of its utilization."""

from __future__ import annotations

import io
from datetime import date, timedelta
from math import nan
from typing import Any
from zoneinfo import ZoneInfo

from core.bandwidth import LinkSurvey
from i18n import Msg, in_language, words

WORDS: dict[str, Msg] = {
    "day": Msg("day"),
    "hour": Msg("hour"),
    "rate": Msg("Mbit/s"),
    "in": Msg("p95 in"),
    "out": Msg("p95 out"),
    "subscribed": Msg("subscribed"),
    "full": Msg("full threshold"),
    "utilization": Msg("utilization (%)"),
}

PLAN_WORDS: dict[str, Msg] = {
    "ceiling": Msg("ceiling"),
    "guaranteed": Msg("guaranteed"),
    "p95": Msg("measured p95"),
    "rate": Msg("Mbit/s"),
}


def _pyplot() -> Any:
    import matplotlib  # noqa: PLC0415 (on use: only reports draw)

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.hashsalt": "pantau", "font.size": 8, "font.family": "DejaVu Sans"})
    import matplotlib.pyplot as plt  # noqa: PLC0415 (after the backend is chosen)

    return plt


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(fig)
    return buffer.getvalue()


def month_days(first: date) -> list[date]:
    """Every day of ``first``'s month."""
    days, day = [], first.replace(day=1)
    while day.month == first.month:
        days.append(day)
        day += timedelta(days=1)
    return days


def daily_p95(r: LinkSurvey, first: date, upgrade_ratio: float, lang: str = "id") -> str:
    """Bars of each day's 95th percentile in and out, the subscription and the 'full' line across."""
    w = words(WORDS, lang)
    plt = _pyplot()
    days = month_days(first)
    by_day = {d.day: d for d in r.daily}
    x = list(range(1, len(days) + 1))
    rx = [(by_day[d.isoformat()].p95_in_bps or 0) / 1e6 if d.isoformat() in by_day else 0 for d in days]
    tx = [(by_day[d.isoformat()].p95_out_bps or 0) / 1e6 if d.isoformat() in by_day else 0 for d in days]
    fig, ax = plt.subplots(figsize=(6.8, 2.3))
    ax.bar([i - 0.2 for i in x], rx, width=0.4, label=w["in"], color="#1565c0")
    ax.bar([i + 0.2 for i in x], tx, width=0.4, label=w["out"], color="#90caf9")
    sub = r.subscribed_bps / 1e6
    ax.axhline(sub, color="#b71c1c", linewidth=1.2, label=f"{w['subscribed']} {sub:g}")
    ax.axhline(
        sub * upgrade_ratio, color="#e65100", linewidth=1, linestyle="--", label=f"{w['full']} {upgrade_ratio:.0%}"
    )
    ax.set_xlim(0.3, len(days) + 0.7)
    ax.set_xticks(x[::2] if len(days) > 16 else x)
    ax.set_xlabel(w["day"])
    ax.set_ylabel(w["rate"])
    ax.set_ylim(0, max([sub * 1.1, *rx, *tx]))
    ax.legend(loc="upper left", ncols=4, frameon=False, bbox_to_anchor=(0, 1.18))
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def heat_map(r: LinkSurvey, first: date, lang: str = "id") -> str:
    """Utilization per hour of day (columns) and day of the month (rows); white where nothing was measured."""
    w = words(WORDS, lang)
    plt = _pyplot()
    days = month_days(first)
    row = {d.isoformat(): i for i, d in enumerate(days)}
    grid: list[list[float]] = [[float("nan")] * 24 for _ in days]
    for cell in r.hourly:
        if cell.day in row:
            grid[row[cell.day]][cell.hour] = cell.utilization * 100
    fig, ax = plt.subplots(figsize=(6.8, 3.4))
    image = ax.imshow(grid, aspect="auto", cmap="YlOrRd", vmin=0, vmax=100, interpolation="nearest")
    ax.set_xticks(range(0, 24, 2))
    ax.set_yticks(range(0, len(days), 3), [str(d.day) for d in days][::3])
    ax.set_xlabel(w["hour"])
    ax.set_ylabel(w["day"])
    fig.colorbar(image, ax=ax, label=w["utilization"], fraction=0.04, pad=0.02)
    return _svg(fig)


def tickets_per_opd(per_cause: dict[str, dict[str, int]], names: dict[str, str], lang: str = "id") -> str:
    """Stacked bars: each OPD's tickets of the month, by cause (the triage verdict)."""
    plt = _pyplot()
    opds = sorted(per_cause, key=lambda o: -sum(per_cause[o].values()))
    causes = sorted({c for v in per_cause.values() for c in v})
    fig, ax = plt.subplots(figsize=(6.8, 0.5 + 0.35 * max(len(opds), 2)))
    left = [0] * len(opds)
    colors = plt.get_cmap("tab10")
    for i, cause in enumerate(causes):
        counts = [per_cause[o].get(cause, 0) for o in opds]
        ax.barh([names.get(o, o) for o in opds], counts, left=left, label=cause, color=colors(i % 10))
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel(in_language(Msg("tickets"), lang))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False, fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def link_day(samples: list[Any], subscribed_bps: float, lang: str = "id", tz: str = "Asia/Jakarta") -> str:
    """A link's last day per 5-minute period: rates in and out against the subscription, loss and RTT
    (``samples``: :class:`core.bandwidth.Sample`, oldest first). A period without a figure is a gap in its
    line, not a zero; the hours are the agency's (``tz``)."""
    plt = _pyplot()
    w = words(WORDS, lang)

    def values(get: Any, scale: float) -> list[float]:
        return [nan if get(s) is None else get(s) * scale for s in samples]

    fig, (rates, loss, rtt) = plt.subplots(3, 1, figsize=(6.8, 3.9), sharex=True, height_ratios=(3, 1, 1.2))
    times = [s.start.astimezone(ZoneInfo(tz)) for s in samples]  # the date axis's hours are the agency's
    rates.plot(times, values(lambda s: s.in_bps, 1e-6), label=w["in"].replace("p95 ", ""), color="#1565c0")
    rates.plot(times, values(lambda s: s.out_bps, 1e-6), label=w["out"].replace("p95 ", ""), color="#90caf9")
    rates.axhline(subscribed_bps / 1e6, color="#b71c1c", linewidth=1, label=w["subscribed"])
    rates.set_ylabel(w["rate"])
    rates.legend(loc="upper left", ncols=3, frameon=False, fontsize=7)
    loss.bar(times, values(lambda s: s.loss, 100), width=0.003, color="#b71c1c")
    loss.set_ylabel("loss %")
    rtt.plot(times, values(lambda s: s.rtt, 1000), color="#4e342e", linewidth=1)
    rtt.set_ylabel("RTT ms")
    rtt.set_ylim(bottom=0)
    rtt.set_xlabel(f"{w['hour']} ({tz})")
    for ax in (rates, loss, rtt):
        ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return _svg(fig)


def plan_bars(shares: list[tuple[str, float | None, float, float]], lang: str = "id") -> str:
    """The bandwidth map per OPD (name, measured p95, guaranteed, ceiling; Mbit/s): the guarantee as a bar,
    the ceiling as a lighter bar behind it, the measured use as a mark."""
    w = words(PLAN_WORDS, lang)
    plt = _pyplot()
    names = [s[0] for s in shares][::-1]
    y = list(range(len(names)))
    fig, ax = plt.subplots(figsize=(6.8, 0.45 * len(names) + 1.0))
    ax.barh(y, [s[3] for s in shares][::-1], color="#bbdefb", label=w["ceiling"])
    ax.barh(y, [s[2] for s in shares][::-1], height=0.5, color="#1565c0", label=w["guaranteed"])
    measured = [(i, s[1]) for i, s in zip(y, shares[::-1], strict=True) if s[1] is not None]
    if measured:
        ax.scatter(
            [m for _, m in measured], [i for i, _ in measured], marker="|", s=300, color="#b71c1c", label=w["p95"]
        )
    ax.set_yticks(y, names)
    ax.set_xlabel(w["rate"])
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False, fontsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)
