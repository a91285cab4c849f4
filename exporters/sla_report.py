"""SOP 15's monthly service report: the month's tickets per OPD and cause, each step's time against its
allowance, the breaches, and the time to restore, with a chart of tickets per OPD (HTML and PDF)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

from exporters.charts import tickets_per_opd
from exporters.naskah import month_name
from exporters.reports import Letterhead, env

TEXT = {
    "id": {
        "title": "LAPORAN LAYANAN PENANGANAN GANGGUAN JARINGAN",
        "period": "Periode",
        "basis": "Dasar: SOP 15 Pemeliharaan Jaringan TIK. Setiap tiket dicatat sejak aduan OPD diterima; "
        "setiap langkah dibandingkan dengan Mutu Baku waktunya. Waktu {tz}.",
        "per_opd": "Tiket per OPD dan penyebab",
        "opd": "OPD",
        "tickets": "Tiket",
        "resolved": "Selesai",
        "open": "Masih terbuka",
        "cause": "Penyebab (hasil triage)",
        "steps": "Waktu per langkah dibanding Mutu Baku",
        "step": "Langkah",
        "sop": "SOP",
        "count": "Jumlah",
        "avg": "Rata-rata (menit)",
        "median": "Median (menit)",
        "max": "Terlama (menit)",
        "allowance": "Batas (menit)",
        "breaches": "Melebihi batas",
        "breach_list": "Langkah yang melebihi batas",
        "ticket": "Tiket",
        "minutes": "Menit",
        "no_breaches": "Tidak ada langkah yang melebihi batas waktu.",
        "restore": "Waktu pemulihan",
        "restore_text": "{n} tiket selesai; median waktu pemulihan {median}, persentil ke-90 {p90}.",
        "no_restore": "Belum ada tiket yang selesai pada periode ini.",
        "no_tickets": "Tidak ada tiket gangguan pada periode ini.",
        "chart": "Tiket per OPD menurut penyebab",
        "minute_unit": "menit",
        "untriaged": "belum ditriage",
        "page": "Halaman",
        "of": "dari",
    },
    "en": {
        "title": "NETWORK FAULT HANDLING SERVICE REPORT",
        "period": "Period",
        "basis": "Basis: SOP 15 (ICT network maintenance). Each ticket is timed from the OPD's complaint; each "
        "step is compared with its time allowance (Mutu Baku). Times in {tz}.",
        "per_opd": "Tickets per OPD and cause",
        "opd": "OPD",
        "tickets": "Tickets",
        "resolved": "Resolved",
        "open": "Still open",
        "cause": "Cause (triage verdict)",
        "steps": "Time per step against the allowance",
        "step": "Step",
        "sop": "SOP",
        "count": "Count",
        "avg": "Mean (min)",
        "median": "Median (min)",
        "max": "Longest (min)",
        "allowance": "Allowance (min)",
        "breaches": "Over the allowance",
        "breach_list": "Steps over their allowance",
        "ticket": "Ticket",
        "minutes": "Minutes",
        "no_breaches": "No step took longer than its allowance.",
        "restore": "Time to restore",
        "restore_text": "{n} tickets resolved; median time to restore {median}, 90th percentile {p90}.",
        "no_restore": "No ticket was resolved in this period yet.",
        "no_tickets": "No outage tickets in this period.",
        "chart": "Tickets per OPD by cause",
        "minute_unit": "min",
        "untriaged": "not triaged",
        "page": "Page",
        "of": "of",
    },
}


def _minutes(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    return f"{v:.0f} {unit}" if v < 120 else f"{v / 60:.1f} {'jam' if unit == 'menit' else 'h'}"


def render_sla(
    report: dict[str, Any], kop: Letterhead, names: dict[str, str], lang: str = "id", fmt: str = "md"
) -> str:
    """The month report of :func:`playbooks.tickets.month_report` as Markdown or HTML (chart in HTML)."""
    if lang not in TEXT:
        raise ValueError(f"language '{lang}': choose id or en")
    t = TEXT[lang]
    first = date.fromisoformat(f"{report['month']}-01")
    period = month_name(first.year, first.month, lang)

    def cause(c: str) -> str:
        return t["untriaged"] if c == "belum ditriage" else c

    per_cause = {o: {cause(c): n for c, n in v.items()} for o, v in report["per_opd_cause"].items()}
    chart = ""
    if fmt == "html" and per_cause:
        svg = tickets_per_opd(per_cause, names, lang)
        chart = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    r = report["restore"]
    restore = (
        t["restore_text"].format(
            n=r["count"],
            median=_minutes(r["median_minutes"], t["minute_unit"]),
            p90=_minutes(r["p90_minutes"], t["minute_unit"]),
        )
        if r["count"]
        else t["no_restore"]
    )
    return (
        env()
        .get_template(f"sla.{fmt}.j2")
        .render(
            t=t,
            lang=lang,
            kop=kop,
            period=period,
            footer=f"{t['title'].capitalize()} — {period}",
            basis=t["basis"].format(tz=report["timezone"]),
            report=report,
            names=names,
            per_cause=per_cause,
            chart=chart,
            restore=restore,
        )
    )
