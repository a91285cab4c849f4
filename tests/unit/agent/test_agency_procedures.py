"""Any agency's procedures and time zone: an agency whose outage SOP is SOP 7 with its own allowances, whose
maintenance SOP is SOP 21, in WITA, gets its own in every SOP-dependent output (a ticket's steps and
allowances, the month report, the alert rules' ``sop`` labels, a runbook, the Berita Acara) and no trace
of the seed documents' catalog or of WIB; its time zone is set once, in the inventory."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from agent.errors import ConfigError
from agent.wiring import App, configuration
from core.findings import DC, Result, Status
from core.sop import cite
from exporters.reports import Letterhead
from exporters.runbooks import rules_for, runbooks
from exporters.sla_report import render_sla
from inventory.errors import InventoryLoadError
from inventory.models import SopCatalog
from playbooks.maintenance.reports import create_reports
from playbooks.tickets import month_report
from store import maintenance
from store.engine import open_store
from store.tickets import Tickets

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"
SOPS = {
    "outage": {
        "number": "SOP 7",
        "title": "Penanganan Gangguan Jaringan",
        "steps": {
            "open": {"number": "A1"},
            "assign": {"number": "A2", "allowance_minutes": 15},
            "triage": {"number": "A3"},
            "escalate": {"number": "A4", "allowance_minutes": 30},
            "progress": {"number": "A5", "allowance_minutes": 5},
            "resolve": {"number": "A6", "allowance_minutes": 45, "escalated_minutes": 90},
        },
    },
    "colocation": {"number": "SOP 3", "title": "Kolokasi Server",
                   "steps": {"address": {"number": "2"}, "monitoring": {"number": "3"}}},
    "hosting": {"number": "SOP 4", "title": "Hosting Aplikasi"},
    "maintenance": {
        "number": "SOP 21",
        "title": "Pemeliharaan Rutin Jaringan",
        "steps": {"review": {"number": "9", "allowance_minutes": 2880}},
    },
    "bandwidth": {"number": "SOP 9", "title": "Pengelolaan Bandwidth",
                  "steps": {"shaper": {"number": "5"}, "delivery": {"number": "8"}}},
    "channels": ["phone", "whatsapp", "sp4n"],
    "channels_with_ref": ["sp4n"],
}  # fmt: skip
#: what the seed documents' catalog and WIB would leave behind
DEFAULT_TRACES = ("SOP 15", "SOP 14", "SOP 13", "SOP 05", "langkah 3/7-9", "WIB", "Asia/Jakarta")
T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 WITA


@pytest.fixture
def app(tmp_path: Path) -> App:
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    agency_file = inventory / "agency.yml"
    data = yaml.safe_load(agency_file.read_text())
    data["agency"] |= {"timezone": "Asia/Makassar", "sops": SOPS}
    agency_file.write_text(yaml.safe_dump(data, allow_unicode=True))
    return App(configuration(None, environ={}, inventory=inventory, state_dir=tmp_path / "state"))


def no_default(text: str) -> None:
    assert [t for t in DEFAULT_TRACES if t in text] == []


def test_the_time_zone_is_the_agencys_and_pantau_yml_may_not_say_another(app: App, tmp_path: Path) -> None:
    assert app.config.timezone == "Asia/Makassar"  # pantau.yml says nothing: the inventory's agency does
    with pytest.raises(ConfigError, match=r"timezone Asia/Jakarta differs from the agency's Asia/Makassar"):
        configuration(None, environ={}, inventory=app.config.inventory, timezone="Asia/Jakarta")
    assert configuration(None, environ={}, inventory=app.config.inventory, timezone="Asia/Makassar").timezone == (
        "Asia/Makassar"
    )


def test_tickets_are_timed_and_named_by_the_agencys_outage_procedure(app: App, tmp_path: Path) -> None:
    now = [T0]
    tickets = Tickets(open_store(f"sqlite:///{tmp_path / 'p.db'}"), app.sops, clock=lambda: now[0])
    with pytest.raises(Exception, match="choose one of phone, whatsapp, sp4n"):
        tickets.open("dinkes", "lapor", "Budi", "internet mati", "123", "andi")
    with pytest.raises(Exception, match="--channel sp4n needs --ref"):
        tickets.open("dinkes", "sp4n", "Budi", "internet mati", None, "andi")
    number = tickets.open("dinkes", "sp4n", "Budi", "internet mati", "SP4N-77", "andi")
    now[0] += timedelta(minutes=14)  # over the seed's 10 minutes, within the agency's 15
    assert not tickets.record(number, "assign", "andi", "ke lokasi").breached
    now[0] += timedelta(minutes=31)
    assert tickets.record(number, "escalate", "andi", "ke provider").breached  # the agency allows 30
    now[0] += timedelta(minutes=80)
    resolved = tickets.record(number, "resolve", "andi", "normal")
    assert not resolved.breached and resolved.allowance_seconds == 90 * 60  # the agency's provider repair
    shown = json.dumps(tickets.show(number).to_json(), ensure_ascii=False)
    assert "SOP 7 langkah A2" in shown and "SOP 7 langkah A6" in shown
    no_default(shown)
    month = month_report(tickets, "2026-12", app.config.timezone)
    report = json.dumps(month, ensure_ascii=False, default=str)
    assert "SOP 7 langkah A4" in report and "Asia/Makassar" in report
    no_default(report)
    document = render_sla(month, Letterhead("Diskominfo"), {}, "id")  # the month's service report
    assert "Dasar: SOP 7 Penanganan Gangguan Jaringan." in document
    no_default(document)


def test_alert_rules_and_runbooks_name_the_agencys_procedures(app: App) -> None:
    rules = rules_for("https://pantau.example.go.id", app.sops)
    assert 'sop: "SOP 7 Penanganan Gangguan Jaringan"' in rules and "SOP 21 Pemeliharaan Rutin Jaringan" in rules
    assert "SOP 9 Pengelolaan Bandwidth" in rules and "SOP 3 Kolokasi Server" in rules
    no_default(rules)
    for lang in ("id", "en"):
        for text in runbooks(lang).values():
            no_default(cite(text, app.sops))
    assert cite(runbooks("id")["PantauOpdLinkDown"], app.sops).startswith("SOP 7 langkah A2-A4.")
    assert cite(runbooks("en")["PantauOpdLinkDown"], app.sops).startswith("SOP 7 steps A2-A4.")


def test_the_berita_acara_cites_the_agencys_maintenance_procedure_in_its_time_zone(app: App, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    run = maintenance.start(store, "plan", ["dinkes", DC], None, "budi")
    ok = Result(
        "reach.icmp", "dinkes", "opd-dinkes", "ICMP (ping)", Status.PASS, "ICMP (ping) menjawab", "ICMP answers"
    )
    maintenance.finish(store, run, [], {}, [ok])
    files = create_reports(store, app.inventory, run, tmp_path / "out", ["id"])
    text = next(p for p in files[0].paths if p.suffix == ".md").read_text()
    assert "| Dasar | SOP 21 Pemeliharaan Rutin Jaringan |" in text and "WITA" in text
    no_default(text)


def test_the_default_catalog_is_the_seed_documents_and_a_partial_one_is_refused() -> None:
    seeds = SopCatalog()
    assert seeds.outage.step("resolve") == "SOP 15 langkah 3/7-9" and seeds.maintenance.label.startswith("SOP 05")
    partial = {
        "open": {"number": "1"},
        "assign": {"number": "2"},
        "triage": {"number": "3"},
        "progress": {"number": "4"},
    }
    with pytest.raises(ValueError, match=r"sops.outage.steps: name step\(s\) escalate, resolve"):
        SopCatalog.model_validate({"outage": {"number": "SOP 7", "title": "x", "steps": partial}})


def test_a_playbook_step_is_recorded_as_the_agencys_procedure_names_it(app: App) -> None:
    assert app.sops.cite("colocation.address") == "SOP 3 langkah 2"
    assert app.sops.cite("bandwidth.delivery") == "SOP 9 langkah 8"
    assert SopCatalog().cite("colocation.monitoring") == "SOP 14 langkah 8"
    assert app.sops.cite("not a reference") == "not a reference"


def test_the_example_inventory_writes_out_the_default_catalog_it_falls_back_to() -> None:
    example = yaml.safe_load((EXAMPLE / "agency.yml").read_text())["agency"]["sops"]
    assert SopCatalog.model_validate(example) == SopCatalog()


def test_the_seed_documents_numbers_in_shipped_texts_become_the_agencys_in_one_pass(app: App) -> None:
    """The on-call card's lines and triage's next steps are written with the seed documents' numbers; each is
    shown with the agency's (and a number that is another seed's, SOP 13 here, is not replaced twice)."""
    swapped = app.sops.model_copy(update={"outage": app.sops.outage.model_copy(update={"number": "SOP 13"})})
    assert cite("SOP 13: tinjau kebutuhan bandwidth OPD", app.sops) == "SOP 9: tinjau kebutuhan bandwidth OPD"
    assert cite("SOP 15 step 2; SOP 13", swapped) == "SOP 13 step A2; SOP 9"
    assert cite("SOP 15 steps 2-4, SOP 15 langkah 3, SOP 14 step 7", app.sops) == (
        "SOP 7 steps A2-A4, SOP 7 langkah A3, SOP 3 step 2"  # each seed step as the agency numbers it
    )
    assert cite("SOP 15 step 7", app.sops) == "SOP 7 step 7"  # a seed step with no key keeps its number
    assert cite("SOP 150 and XSOP 15", app.sops) == "SOP 150 and XSOP 15"  # only whole references


def test_a_mistyped_agency_zone_is_left_for_the_inventory_to_name_at_its_line(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    agency_file = inventory / "agency.yml"
    agency_file.write_text(agency_file.read_text().replace("timezone: Asia/Jakarta", "timezone: Asia/Jakrta"))
    config = configuration(None, environ={}, inventory=inventory, state_dir=tmp_path / "state")
    assert config.timezone == "Asia/Jakarta"  # not taken: the configuration stays usable
    with pytest.raises(InventoryLoadError, match="unknown time zone 'Asia/Jakrta'"):
        App(config).inventory  # noqa: B018 (loaded on first use)
