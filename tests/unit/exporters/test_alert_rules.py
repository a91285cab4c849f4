"""The shipped alerting: rules that page once per cause (promtool's own unit tests of the scenarios), an
Alertmanager configuration amtool accepts, and for every alert its SOP and a runbook section in README."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from exporters.runbooks import LANGS, rules_for, runbooks
from inventory.models import SopCatalog
from tests.unit.exporters.test_prometheus import scrape, snapshot

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "exporters" / "prometheus"
RULES = yaml.safe_load((SHIPPED / "rules.yml").read_text())["groups"][0]["rules"]
SOPS = {sop.label for sop in SopCatalog().procedures().values()}  # the default catalog's: an agency's replace them


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    assert shutil.which(argv[0]), (
        f"{argv[0]} is not installed: make deb installs it (Debian prometheus, prometheus-alertmanager)"
    )
    return subprocess.run(argv, capture_output=True, text=True, check=False, cwd=SHIPPED)


def test_promtool_accepts_the_rules() -> None:
    result = run("promtool", "check", "rules", "rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(RULES)} rules found" in result.stdout


def test_promtool_scenarios_cut_link_core_down_loss_saturation_flapping_agent_gone_pass() -> None:
    result = run("promtool", "test", "rules", "rules-test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    names = {t["name"] for t in yaml.safe_load((SHIPPED / "rules-test.yml").read_text())["tests"]}
    for scenario in ("a cut OPD link", "the core down", "30 % loss", "saturation", "flapping", "the agent down"):
        assert any(scenario in name for name in names), scenario


def test_amtool_accepts_the_alertmanager_configuration_and_its_inhibit_rules() -> None:
    result = run("amtool", "check-config", "alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 inhibit rules" in result.stdout


def test_inhibit_rules_name_only_shipped_alerts_and_labels_they_carry() -> None:
    config = yaml.safe_load((SHIPPED / "alertmanager.yml").read_text())
    alerts = {r["alert"] for r in RULES}
    for rule in config["inhibit_rules"]:
        for matcher in rule["source_matchers"] + rule["target_matchers"]:
            pattern = matcher.split("=", 1)[1].strip().strip('"').lstrip("~").strip().strip('"')
            assert any(re.fullmatch(pattern, a) for a in alerts), matcher
    labels = {k for lbl, _ in scrape(snapshot())["pantau_link_state"] for k in lbl}
    assert {"opd", "device"} <= labels


@pytest.mark.parametrize("rule", RULES, ids=[r["alert"] for r in RULES])
def test_every_alert_names_its_sop_and_a_runbook_in_both_languages(rule: dict[str, object]) -> None:
    labels, annotations = rule["labels"], rule["annotations"]
    assert isinstance(labels, dict) and isinstance(annotations, dict)
    assert labels["sop"] in SOPS
    assert labels["severity"] in ("critical", "warning")
    assert annotations["runbook_url"] == f"/runbooks/{rule['alert']}"
    for lang in LANGS:
        assert len(runbooks(lang).get(str(rule["alert"]), "")) > 80, (lang, rule["alert"])  # a text, not a stub


def test_the_runbooks_are_the_alerts_no_more_in_the_same_order_in_both_languages() -> None:
    assert list(runbooks("id")) == list(runbooks("en")) == [r["alert"] for r in RULES]


def test_the_rules_for_an_agency_link_each_runbook_on_its_page_and_keep_the_rest() -> None:
    shipped = (SHIPPED / "rules.yml").read_text()
    rules = rules_for("https://pantau.kominfo.example/")
    urls = re.findall(r'runbook_url: "([^"]+)"', rules)
    assert urls == [f"https://pantau.kominfo.example/runbooks/{r['alert']}" for r in RULES]
    assert re.sub(r'runbook_url: "[^"]+"', "", rules) == re.sub(r'runbook_url: "[^"]+"', "", shipped)


def test_the_series_the_rules_hold_back_by_are_rendered_with_those_labels() -> None:
    data = scrape(snapshot())
    assert data["pantau_tickets_overdue"] == [({"opd": "dinkes", "step": "assign"}, 1.0)]
    assert ({"device": "opd-disdik", "opd": "disdik"}, 0.0) in data["pantau_device_up"]  # unless on (opd)


DASHBOARD = json.loads((ROOT / "exporters" / "grafana" / "opd-links.json").read_text())
PANEL_EXPRS = [(p["title"], t["expr"]) for p in DASHBOARD["panels"] for t in p["targets"]]


def test_the_opd_choice_applies_to_every_dashboard_panel() -> None:
    assert [title for title, expr in PANEL_EXPRS if 'opd=~"$opd"' not in expr] == []
    assert DASHBOARD["templating"]["list"][1]["allValue"] == ".*"  # "All" keeps the data center's devices
    titles = " ".join(title for title, _ in PANEL_EXPRS)
    for panel in ("95th percentile", "Availability", "Interface errors"):
        assert panel in titles


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    # promtool has no query checker without a server; a rule file of the queries is parsed by the same parser
    rules = [
        {"record": f"pantau:dashboard_query_{i}", "expr": expr.replace("$opd", ".*").replace("$__range", "30d")}
        for i, (_, expr) in enumerate(PANEL_EXPRS)
    ]
    file = tmp_path / "dashboard-queries.yml"
    file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(["promtool", "check", "rules", str(file)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
