"""Device CLI parsing from recorded outputs (sources in fixtures/SOURCES.md): our FRR and Linux templates,
ntc-templates for Cisco IOS, MikroTik RouterOS and Huawei VRP, and the installed-route view of each."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from collectors.cli import ParseError, installed_routes, normalize_config, ospf_full, parse
from platforms import discover

FIXTURES = Path(__file__).parent / "fixtures"
PLATFORMS = discover()


def raw(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_frr_routes_of_the_core_parse_with_selected_and_connected_routes() -> None:
    rows = parse(PLATFORMS.get("frr"), "routes", raw("frr/core_show_ip_route.raw"))
    lan = [r for r in rows if r["network"] == "10.30.1.0/24"]
    assert lan == [
        {
            "protocol": "O",
            "selected": ">",
            "fib": "*",
            "network": "10.30.1.0/24",
            "distance": "110",
            "metric": "20",
            "nexthop_ip": "10.0.1.2",
            "nexthop_if": "eth1",
            "uptime": lan[0]["uptime"],
        }
    ]
    installed = installed_routes(PLATFORMS.get("frr"), rows)
    assert {"10.30.1.0/24", "10.30.4.0/24", "10.10.20.0/24", "198.51.100.0/24"} <= set(installed)
    assert len(installed) == len(set(installed))


def test_frr_routes_of_an_opd_router_parse() -> None:
    installed = installed_routes(
        PLATFORMS.get("frr"), parse(PLATFORMS.get("frr"), "routes", raw("frr/opd-dinkes_show_ip_route.raw"))
    )
    assert "10.10.20.0/24" in installed and "10.30.1.0/24" in installed


def test_frr_ospf_neighbors_parse_state_and_interface() -> None:
    core = parse(PLATFORMS.get("frr"), "ospf_neighbors", raw("frr/core_show_ip_ospf_neighbor.raw"))
    assert sorted(r["interface"] for r in core) == ["eth1", "eth2", "eth3", "eth4"]
    assert {r["state"] for r in core} == {"Full"}
    cpe = parse(PLATFORMS.get("frr"), "ospf_neighbors", raw("frr/opd-dinkes_show_ip_ospf_neighbor.raw"))
    assert [(r["neighbor_id"], r["address"], r["interface"]) for r in cpe] == [("10.255.255.1", "10.0.1.1", "eth1")]


def test_unexpected_frr_output_is_an_error_not_an_empty_table() -> None:
    with pytest.raises(ParseError, match="does not fit"):
        parse(PLATFORMS.get("frr"), "routes", "% Unknown command: show ip rute\n")


def test_linux_df_gives_the_root_filesystem_use() -> None:
    rows = parse(PLATFORMS.get("linux"), "disk", raw("linux/srv-app1_df_-P.raw"))
    assert len(rows) == 1 and rows[0]["mounted_on"] == "/" and 0 <= int(rows[0]["capacity_pct"]) <= 100


def test_cisco_ios_routes_parse_with_ntc_templates() -> None:
    installed = installed_routes(
        PLATFORMS.get("cisco_ios"), parse(PLATFORMS.get("cisco_ios"), "routes", raw("cisco_ios/show_ip_route.raw"))
    )
    assert "0.0.0.0/0" in installed and "10.0.5.64/26" in installed and "194.0.0.0/16" in installed


def test_mikrotik_routes_parse_and_only_active_ones_count() -> None:
    rows = parse(
        PLATFORMS.get("mikrotik_routeros"), "routes", raw("mikrotik_routeros/ip_route_print_terse_without-paging.raw")
    )
    assert installed_routes(PLATFORMS.get("mikrotik_routeros"), rows) == [
        "0.0.0.0/0",
        "10.160.1.228/30",
        "10.213.20.64/32",
        "172.16.182.61/32",
        "192.168.8.0/24",
    ]


def test_huawei_routes_parse_and_inactive_ones_do_not_count() -> None:
    rows = parse(PLATFORMS.get("huawei_vrp"), "routes", raw("huawei_vrp/display_ip_routing-table_verbose.raw"))
    assert [r["protocol"] for r in rows] == ["Static", "EBGP", "Direct"]
    assert installed_routes(PLATFORMS.get("huawei_vrp"), rows) == ["0.0.0.0/0", "100.95.15.240/30"]


def test_fortigate_routes_parse_and_a_route_with_two_gateways_is_one_prefix() -> None:
    fortinet = PLATFORMS.get("fortinet")
    rows = parse(fortinet, "routes", raw("fortinet/get_router_info_routing-table_all.raw"))
    assert [r["gateway"] for r in rows if r["destination"] == "0.0.0.0/0"] == ["203.0.113.1", "198.51.100.1"]
    installed = installed_routes(fortinet, rows)
    assert installed.count("0.0.0.0/0") == 1 and {"10.30.1.0/24", "198.51.100.0/24"} <= set(installed)


def test_junos_terse_routes_count_only_the_active_ones_and_ospf_neighbours_parse() -> None:
    junos = PLATFORMS.get("juniper_junos")
    rows = parse(junos, "routes", raw("juniper_junos/show_route_table_inet.0_terse.raw"))
    installed = installed_routes(junos, rows)
    assert "10.99.0.0/16" not in installed and "10.30.1.0/24" in installed and len(installed) == 8
    neighbours = parse(junos, "ospf_neighbors", raw("juniper_junos/show_ospf_neighbor.raw"))
    assert ospf_full(neighbours) == ["ge-0/0/1.0", "ge-0/0/2.0"]  # ExStart is no adjacency


def test_ruijie_routes_parse_with_interface_names_written_with_a_space() -> None:
    rows = parse(PLATFORMS.get("ruijie_os"), "routes", raw("ruijie_os/show_ip_route.raw"))
    ospf = [r for r in rows if r["network"] == "10.30.1.0/24"]
    assert [(r["nexthop_ip"], r["nexthop_if"]) for r in ospf] == [("10.0.1.2", "TenGigabitEthernet 0/30")]
    assert "203.0.113.2/32" in installed_routes(PLATFORMS.get("ruijie_os"), rows)


def test_edgerouter_routes_parse_with_ntc_templates() -> None:
    rows = parse(PLATFORMS.get("ubiquiti_edgerouter"), "routes", raw("ubiquiti_edgerouter/show_ip_route.raw"))
    installed = installed_routes(PLATFORMS.get("ubiquiti_edgerouter"), rows)
    assert installed[:3] == ["0.0.0.0/0", "10.0.1.0/30", "10.30.1.0/24"]


def test_volatile_config_lines_are_dropped_before_diffing() -> None:
    text = raw("frr/core_show_running-config.raw")
    normalized = normalize_config(PLATFORMS.get("frr"), text)
    assert "Building configuration" not in normalized and "Current configuration" not in normalized
    assert normalized.startswith("!\nfrr version") and "router ospf" in normalized


def test_every_platform_has_a_netmiko_driver_or_no_commands_and_its_own_templates_exist() -> None:
    for platform in PLATFORMS:
        assert platform.driver or not platform.commands, platform.name  # None: read by SNMP only (Windows)
        for fact, command in platform.commands.items():
            if command.template and not command.template.startswith("ntc:"):
                assert (platform.templates / command.template).is_file(), (platform.name, fact)


# ---- .raw + .yml pairs (as ntc-templates keeps them): every recorded output beside its expected parse ----
FACTS = {"route": "routes", "routing-table": "routes", "ospf_neighbor": "ospf_neighbors", "df": "disk"}
UPDATE = os.environ.get("PANTAU_UPDATE_GOLDEN") == "1"  # the only way a .yml changes


def parsed_pairs() -> list[tuple[str, str, Path]]:
    pairs = []
    for path in sorted(FIXTURES.glob("*/*.raw")):
        fact = next((f for key, f in FACTS.items() if key in path.stem), None)
        if fact is not None:
            pairs.append((path.parent.name, fact, path))
    return pairs


@pytest.mark.parametrize(("platform", "fact", "path"), parsed_pairs(), ids=lambda v: getattr(v, "name", v))
def test_recorded_output_parses_to_the_expected_file_beside_it(platform: str, fact: str, path: Path) -> None:
    got = parse(PLATFORMS.get(platform), fact, path.read_text())
    expected = path.with_suffix(".yml")
    if UPDATE:
        expected.write_text(yaml.safe_dump({"parsed_sample": got}, sort_keys=False, allow_unicode=True))
    assert expected.exists(), f"{expected.name} missing: run with PANTAU_UPDATE_GOLDEN=1 once and review it"
    assert got == yaml.safe_load(expected.read_text())["parsed_sample"]


def test_every_parsed_fixture_has_its_pair() -> None:
    assert len(parsed_pairs()) == 13
