"""SOP 13's monthly survey of a link, on synthetic months whose answers are known by construction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.bandwidth import Sample, SurveyThresholds, down_intervals, percentile, survey
from i18n import in_language

START = datetime(2026, 10, 31, 17, tzinfo=UTC)  # 1 November 2026 00:00 WIB
END = datetime(2026, 11, 30, 17, tzinfo=UTC)
PERIODS = 30 * 288  # 5-minute periods in 30 days
MBIT = 1e6
T = SurveyThresholds()


def month(rate: object) -> list[Sample]:
    """Every 5-minute period of November (WIB) with in = rate(i) Mbit/s, out = half of it."""
    out = []
    for i in range(PERIODS):
        r = rate(i) * MBIT  # type: ignore[operator]
        out.append(Sample(START + timedelta(minutes=5 * i), 300, r, r / 2, 0.0, 0.01))
    return out


def test_nearest_rank_percentile_of_known_lists() -> None:
    assert percentile([], 0.95) is None
    assert percentile(list(range(1, 101)), 0.95) == 95
    assert percentile([5.0], 0.95) == 5.0


def test_the_95th_percentile_ignores_the_top_5_percent_and_no_more() -> None:
    high = PERIODS - round(0.95 * PERIODS)  # 432 periods: exactly the top 5 %
    at_limit = month(lambda i: 9.0 if i < high else 1.0)
    assert survey("dinkes", "dinkes-wan", 10 * MBIT, at_limit, [], "Asia/Jakarta", T).p95_in_bps == 1 * MBIT
    one_more = month(lambda i: 9.0 if i <= high else 1.0)
    result = survey("dinkes", "dinkes-wan", 10 * MBIT, one_more, [], "Asia/Jakarta", T)
    assert (result.p95_in_bps, result.peak_in_bps, result.p95_out_bps) == (9 * MBIT, 9 * MBIT, 4.5 * MBIT)


def test_volume_mean_and_hours_above_eighty_percent() -> None:
    # 8 Mbit/s (80 % of 10) for the first 24 hours, 2 Mbit/s after
    result = survey("dinkes", "dinkes-wan", 10 * MBIT, month(lambda i: 8.0 if i < 288 else 2.0), [], "UTC", T)
    assert result.hours_above_busy == 24.0
    expected_gb = (8 * MBIT * 86400 + 2 * MBIT * 29 * 86400) / 8e9
    assert abs(result.volume_in_gb - expected_gb) < 1e-9
    assert abs(result.mean_in_bps - (8 * 288 + 2 * (PERIODS - 288)) / PERIODS * MBIT) < 1e-6  # type: ignore[operator]


def test_availability_is_up_time_over_monitored_time_from_the_state_changes() -> None:
    # down from 2 Nov 00:00 to 2 Nov 06:00 WIB (6 h) and from 29 Nov 12:00 to 12:30 WIB (30 min)
    changes = [
        (datetime(2026, 11, 1, 17, tzinfo=UTC), "down"),
        (datetime(2026, 11, 1, 23, tzinfo=UTC), "up"),
        (datetime(2026, 11, 29, 5, tzinfo=UTC), "down"),
        (datetime(2026, 11, 29, 5, 30, tzinfo=UTC), "degraded"),
    ]
    down = down_intervals(changes, "up", START, END)
    assert sum((b - a).total_seconds() for a, b in down) == 6.5 * 3600
    result = survey("dinkes", "dinkes-wan", 10 * MBIT, month(lambda i: 1.0), down, "Asia/Jakarta", T)
    assert result.monitored_seconds == 30 * 86400
    assert abs(result.availability - (1 - 6.5 / 720)) < 1e-12  # type: ignore[operator]


def test_a_link_down_when_the_month_starts_counts_from_the_start() -> None:
    down = down_intervals([(START + timedelta(hours=2), "up")], "down", START, END)
    assert down == [(START, START + timedelta(hours=2))]


def test_upgrade_on_enough_full_days_lower_when_nearly_idle_keep_otherwise() -> None:
    def full_days(days: int) -> object:
        return lambda i: 9.0 if i < days * 288 else 3.0

    def rec(rate: object) -> str:
        return survey("dinkes", "dinkes-wan", 10 * MBIT, month(rate), [], "Asia/Jakarta", T).recommendation

    assert rec(full_days(5)) == "upgrade"  # 5 days at 90 %: the default upgrade_days
    assert rec(full_days(4)) == "keep"
    assert rec(lambda i: 1.5) == "lower"  # 15 % < 20 %
    assert survey("dinkes", "dinkes-wan", 10 * MBIT, [], [], "Asia/Jakarta", T).recommendation == "no-data"


def test_days_are_the_agencys_days() -> None:
    # full from 1 Nov 00:00 WIB for exactly 24 hours: one WIB day, but parts of two UTC days
    samples = month(lambda i: 9.0 if i < 288 else 0.0)
    assert survey("a", "a-wan", 10 * MBIT, samples, [], "Asia/Jakarta", T).days_full == 1
    assert survey("a", "a-wan", 10 * MBIT, samples, [], "UTC", T).days_full == 2


def test_no_recommendation_from_less_than_the_minimum_monitored_time() -> None:
    week = month(lambda i: 1.5)[: 7 * 288 - 1]  # one period short of 7 days, idle
    assert survey("a", "a-wan", 10 * MBIT, week, [], "UTC", T).recommendation == "insufficient-data"
    assert survey("a", "a-wan", 10 * MBIT, month(lambda i: 1.5)[: 7 * 288], [], "UTC", T).recommendation == "lower"


def test_daily_figures_and_hour_cells_follow_the_agencys_days_and_hours() -> None:
    # 9 Mbit/s (90 % of 10) from 08:00 to 09:00 WIB every day, 1 Mbit/s otherwise
    busy = month(lambda i: 9.0 if (i % 288) // 12 == 8 else 1.0)
    result = survey("dinkes", "dinkes-wan", 10 * MBIT, busy, [], "Asia/Jakarta", T)
    assert [d.day for d in result.daily] == [f"2026-11-{n:02d}" for n in range(1, 31)]
    # 12 of a day's 288 periods are busy (4.2 %, under the top 5 %): the daily 95th percentile is 1 Mbit/s
    assert {(d.p95_in_bps, d.p95_out_bps, d.full) for d in result.daily} == {(1 * MBIT, 0.5 * MBIT, False)}
    assert len(result.hourly) == 30 * 24
    eight = {round(c.utilization, 9) for c in result.hourly if c.hour == 8}
    other = {round(c.utilization, 9) for c in result.hourly if c.hour != 8}
    assert eight == {0.9} and other == {0.1}


def test_the_reason_names_the_figures_behind_the_recommendation() -> None:
    from core.bandwidth import reason

    full = survey("dinkes", "dinkes-wan", 10 * MBIT, month(lambda i: 9.0), [], "Asia/Jakarta", T)
    assert full.recommendation == "upgrade"
    why = reason(full, T)
    assert in_language(why, "id") == (
        "Persentil ke-95 harian mencapai 80 % dari langganan pada 30 hari (ambang 5 hari); "
        "persentil ke-95 bulanan 9.0 dari 10.0 Mbit/s."
    )
    assert str(why).startswith("The daily 95th percentile reached 80 % of the subscription on 30 days")
    assert in_language(why, "en") == str(why)
    idle = survey("dinkes", "dinkes-wan", 10 * MBIT, month(lambda i: 1.0), [], "Asia/Jakarta", T)
    assert in_language(reason(idle, T), "id") == (
        "Persentil ke-95 bulanan 1.0 Mbit/s, di bawah 20 % dari langganan 10.0 Mbit/s."
    )
    middle = survey("dinkes", "dinkes-wan", 10 * MBIT, month(lambda i: 5.0), [], "Asia/Jakarta", T)
    assert (
        in_language(reason(middle, T), "id")
        == "Persentil ke-95 bulanan 5.0 Mbit/s (50 % dari langganan); 0 hari penuh, di bawah ambang 5 hari."
    )
    new = survey("dinkes", "dinkes-wan", 10 * MBIT, month(lambda i: 5.0)[:288], [], "Asia/Jakarta", T)
    assert str(reason(new, T)) == "Monitored for 1.0 days only; a recommendation needs at least 7 days."
    nothing = survey("dinkes", "dinkes-wan", 10 * MBIT, [], [], "Asia/Jakarta", T)
    assert in_language(reason(nothing, T), "id") == "Tidak ada data pemantauan link ini pada bulan tersebut."
