"""The platform registry: one module per platform, found without a list to edit; an agency's own platform is
one file in a folder pantau.yml names, and the inventory, the CLI parser and the backup all take it from
there; a platform whose secrets pantau does not know never has its configuration kept."""

from __future__ import annotations

import asyncio
import shutil
import textwrap
from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.wiring import build, configuration
from collectors.cli import CliCollector, installed_routes, parse
from collectors.probes import Probes
from core.checks import config_drift, evaluate
from core.findings import DeviceFacts, Status, Thresholds
from inventory.crosscheck import interface_warnings
from inventory.errors import InventoryLoadError
from inventory.loader import load_inventory
from inventory.models import Device, Inventory, SshProfile
from platforms import BadPlatformModule, DeviceKind, Platform, Registry, UnknownPlatform, discover
from playbooks.maintenance.collect import _device_facts

EXAMPLE = Path(__file__).resolve().parents[3] / "inventory" / "example"

#: a platform of a vendor pantau does not ship, written as an agency would: one module and its template
ACME = '''
"""ACME RouterOS-like boxes, as an agency writes its own platform."""

from pathlib import Path

from platforms import Command, Platform, SnmpQuirks


def installed_routes(rows):
    return sorted(r["prefix"] for r in rows if r["state"] == "active")


PLATFORM = Platform(
    name="acme_os",
    title="ACME OS",
    driver="generic",
    commands={
        "running_config": Command("show config"),
        "routes": Command("show routes", "acme_show_routes.textfsm"),
    },
    templates=Path(__file__).parent,
    volatile=(r"^# generated",),
    redaction=(r"\\bsecret=(?P<secret>\\S+)",),
    snmp=SnmpQuirks(interface_names=("ifDescr", "ifName"), hc_counters=False),
    installed_routes=installed_routes,
)
'''
ACME_TEMPLATE = """Value PREFIX (\\S+)
Value STATE (\\w+)

Start
  ^${PREFIX}\\s+${STATE} -> Record
"""


def acme_folder(tmp_path: Path, module: str = ACME, name: str = "acme_os") -> Path:
    folder = tmp_path / "platforms"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(module))
    (folder / "acme_show_routes.textfsm").write_text(ACME_TEMPLATE)
    return folder


def inventory_with(tmp_path: Path, device: str, platform: str) -> Path:
    """The example inventory with ``device`` on ``platform`` (its line stays where it was)."""
    copy = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, copy)
    devices = copy / "devices.yml"
    lines = devices.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == f"- name: {device}")
    platform_line = next(i for i in range(at, len(lines)) if lines[i].strip().startswith("platform:"))
    lines[platform_line] = lines[platform_line].split("platform:")[0] + f"platform: {platform}\n"
    devices.write_text("".join(lines))
    return copy


def test_the_shipped_platforms_are_found_each_with_its_netmiko_driver() -> None:
    registry = discover()
    drivers = {p.name: p.driver for p in registry}
    assert drivers == {
        "frr": "cisco_ios",
        "linux": "linux",
        "cisco_ios": "cisco_ios",
        "mikrotik_routeros": "mikrotik_routeros",
        "huawei_vrp": "huawei_vrp",
        "fortinet": "fortinet",
        "juniper_junos": "juniper_junos",
        "ruijie_os": "ruijie_os",
        "ubiquiti_edgerouter": "ubiquiti_edgerouter",
        "windows": None,  # read by SNMP only
    }
    # the platforms whose shaping a playbook changes, each with the revert its devices arm themselves
    assert {p.name for p in registry if p.shaper is not None} == {"linux", "mikrotik_routeros", "cisco_ios"}


def test_a_platform_in_the_agencys_folder_is_picked_up_with_no_other_file_changed(tmp_path: Path) -> None:
    registry = discover([acme_folder(tmp_path)])
    acme = registry.get("acme_os")
    assert "frr" in registry and len(registry) == 11
    rows = parse(acme, "routes", "10.0.0.0/24 active\n10.9.0.0/24 standby\n")
    assert installed_routes(acme, rows) == ["10.0.0.0/24"]
    assert acme.snmp.interface_names == ("ifDescr", "ifName") and acme.snmp.hc_counters is False


def test_the_composition_root_takes_platform_dirs_and_the_inventory_accepts_its_platforms(tmp_path: Path) -> None:
    inventory = inventory_with(tmp_path, "opd-dinkes", "acme_os")
    cfg = configuration(None, environ={}, inventory=inventory, platform_dirs=[acme_folder(tmp_path)])
    app = build(cfg)
    assert app.inventory.device("opd-dinkes").platform == "acme_os"
    assert app.probes.platforms.get("acme_os").title == "ACME OS"


def test_a_platform_no_module_defines_is_named_at_its_file_and_line(tmp_path: Path) -> None:
    inventory = inventory_with(tmp_path, "opd-dinkes", "cisco_iso")
    with pytest.raises(InventoryLoadError) as raised:
        load_inventory(inventory, discover().traits())
    (problem,) = raised.value.problems
    assert problem.file.endswith("devices.yml") and problem.line == 24
    assert "platform 'cisco_iso'" in problem.message and "did you mean 'cisco_ios'?" in problem.message
    assert "platform_dirs" in problem.message
    with pytest.raises(UnknownPlatform, match="known: cisco_ios, fortinet, frr, huawei_vrp, juniper_junos, linux"):
        discover().get("fortigate")


def test_a_broken_or_misnamed_platform_module_is_a_configuration_error_naming_the_file(tmp_path: Path) -> None:
    folder = acme_folder(tmp_path, ACME, "acme")  # PLATFORM.name says acme_os
    with pytest.raises(BadPlatformModule, match=r"acme\.py: PLATFORM\.name is 'acme_os'"):
        discover([folder])
    (folder / "acme.py").write_text("import nonexistent_vendor_sdk\n")
    with pytest.raises(ConfigError, match=r"platform_dirs: .*acme\.py: fails to load: ModuleNotFoundError"):
        build(configuration(None, environ={}, platform_dirs=[folder])).platforms  # noqa: B018 (built on first use)
    with pytest.raises(BadPlatformModule, match="names no folder"):
        discover([tmp_path / "missing"])


class RecordedCli:
    """A device of a vendor no lab runs, answering from a recording (the SSH session is not the point)."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def run(self, device: Device, platform: Platform, profile: SshProfile, facts: list[str]) -> dict[str, str]:
        return {f: self.answers[c.text] for f in facts if (c := platform.command(f)) and c.text in self.answers}


class RecordedProbes(Probes):
    def __init__(self, registry: Registry, answers: dict[str, str]) -> None:
        super().__init__(EXAMPLE, Path("/nonexistent/known_hosts"), registry)
        self.answers = answers

    def cli(self, timeout: float = 10.0) -> CliCollector:
        return RecordedCli(self.answers)  # type: ignore[return-value]


ACME_CONFIG = "# generated 2026-12-06\nhostname opd-dinkes\nuser admin secret=Plant1-acme\n"


def facts_of(tmp_path: Path, module: str) -> tuple[DeviceFacts, Inventory]:
    registry = discover([acme_folder(tmp_path, module)])
    inv = load_inventory(inventory_with(tmp_path, "opd-dinkes", "acme_os"), registry.traits())
    device = inv.device("opd-dinkes").model_copy(update={"snmp": None})  # SSH only: no SNMP packet leaves
    probes = RecordedProbes(registry, {"show config": ACME_CONFIG, "show routes": "10.30.1.0/24 active\n"})
    return asyncio.run(_device_facts(inv, probes, device, True, 1.0, b"k" * 32)), inv


def test_an_agency_platform_with_secret_rules_is_backed_up_with_its_secrets_hidden(tmp_path: Path) -> None:
    facts, _ = facts_of(tmp_path, ACME)
    assert facts.ssh_ok and facts.backs_up and facts.config_withheld is None
    assert facts.config is not None and "Plant1" not in facts.config and "<secret-hidden:" in facts.config
    assert "# generated" not in facts.config  # its volatile line is gone before diffing
    assert facts.routes == ["10.30.1.0/24"]


def test_a_platform_without_secret_rules_never_has_its_configuration_kept(tmp_path: Path) -> None:
    """Its backup is withheld with a finding that says why, instead of a password in the store."""
    unknown = "".join(line for line in ACME.splitlines(keepends=True) if not line.startswith("    redaction="))
    assert unknown != ACME
    facts, inv = facts_of(tmp_path, unknown)
    assert facts.ssh_ok and facts.config is None and facts.config_withheld == "acme_os"
    (backup,) = [
        r for r in evaluate(inv, {"opd-dinkes": facts}, {}, {}, [], Thresholds()) if r.check == "config.backup"
    ]
    assert backup.status is Status.WARN
    assert "acme_os has no rules to hide its secrets" in backup.finding_en
    assert "aturan penyembunyian rahasia" in backup.finding
    assert config_drift(inv, "opd-dinkes", None, None).status is Status.SKIP  # not read at all: not checked


def test_a_server_with_nothing_to_back_up_gets_no_backup_check() -> None:
    inv = load_inventory(EXAMPLE, discover().traits())
    facts = DeviceFacts("srv-app1", 0.0, backs_up=False)
    assert [r for r in evaluate(inv, {"srv-app1": facts}, {}, {}, [], Thresholds()) if r.check == "config.backup"] == []


def test_a_device_is_the_kind_its_role_or_platform_says_unless_the_inventory_names_one(tmp_path: Path) -> None:
    inv = load_inventory(inventory_with(tmp_path, "core", "fortinet"), discover().traits())
    assert inv.device("core").kind is DeviceKind.FIREWALL  # a FortiGate cannot be a plain router by default
    assert inv.device("opd-dinkes").kind is DeviceKind.ROUTER and inv.device("srv-app1").kind is DeviceKind.SERVER
    devices = tmp_path / "inventory" / "devices.yml"
    devices.write_text(devices.read_text().replace("platform: fortinet\n", "platform: fortinet\n    kind: router\n"))
    assert load_inventory(tmp_path / "inventory", discover().traits()).device("core").kind is DeviceKind.ROUTER


def test_a_kind_the_platform_cannot_be_and_ssh_to_an_snmp_only_platform_are_named_at_their_lines(
    tmp_path: Path,
) -> None:
    inventory = inventory_with(tmp_path, "opd-dinkes", "windows")
    devices = inventory / "devices.yml"
    devices.write_text(devices.read_text().replace("platform: windows\n", "platform: windows\n    kind: switch\n"))
    with pytest.raises(InventoryLoadError) as raised:
        load_inventory(inventory, discover().traits())
    problems = {p.line: p.message for p in raised.value.problems}
    assert problems == {
        25: "device 'opd-dinkes': platform windows is not a switch (it can be: server)",
        30: "device 'opd-dinkes': pantau reads platform windows by SNMP only; remove 'ssh:' (nothing would use it)",
    }


@pytest.mark.parametrize(
    ("platform", "name", "warned"),
    [
        ("cisco_ios", "GigabitEthernet1/0/1", False),
        ("cisco_ios", "Gi1/0/1.100", False),
        ("cisco_ios", "Gi 0/1", True),  # the device would not take it
        ("cisco_ios", "ke-dinkes", True),  # a description: found by ifAlias, but worth a look
        ("ruijie_os", "TenGigabitEthernet 0/30", False),  # RGOS writes the space
        ("juniper_junos", "ge-0/0/1.0", False),
        ("juniper_junos", "ge0/0/1", True),
        ("linux", "eth1.20", False),
        ("linux", "a-name-longer-than-15", True),  # the kernel's IFNAMSIZ
        ("mikrotik_routeros", "ether1 ke dinkes", False),  # RouterOS names are free
    ],
)
def test_an_interface_not_written_as_its_platform_writes_one_is_a_warning(
    platform: str, name: str, warned: bool
) -> None:
    device = Device.model_validate(
        {"name": "r1", "role": "core", "platform": platform, "site": "dc", "mgmt_address": "192.0.2.1",
         "interfaces": [{"name": name}]}
    )  # fmt: skip
    notes = interface_warnings([device], discover().traits())
    assert bool(notes) is warned, notes
    assert not notes or f"interface '{name}' is not written as {platform} writes one" in str(notes[0])
