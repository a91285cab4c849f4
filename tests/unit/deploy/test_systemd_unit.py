"""The shipped systemd unit and sysusers file, checked by systemd's own tools; ``pantau init``'s skeleton."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from agent.config import load_config
from inventory.loader import load_inventory

ROOT = Path(__file__).resolve().parents[3]
UNIT = ROOT / "deploy" / "systemd" / "pantau.service"
SYSUSERS = ROOT / "deploy" / "systemd" / "pantau.sysusers"
PANTAU = Path(sys.executable).with_name("pantau")


def installed_unit(tmp_path: Path) -> Path:
    """The unit as installed here: ExecStart at this checkout's pantau (verify checks the binary exists)."""
    unit = tmp_path / "pantau.service"
    unit.write_text(UNIT.read_text().replace("/opt/pantau/bin/pantau", str(PANTAU)))
    return unit


def test_systemd_analyze_verify_passes_the_unit_without_a_warning(tmp_path: Path) -> None:
    # --man=no: a server without man pages (Debian's minimal install has none) would fail the unit's
    # Documentation= links, which say nothing of the unit itself
    argv = ["systemd-analyze", "verify", "--man=no", str(installed_unit(tmp_path))]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # an unknown or misspelt key is only a warning there


def test_the_unit_runs_as_its_own_user_with_cap_net_raw_alone_and_a_low_exposure(tmp_path: Path) -> None:
    text = UNIT.read_text()
    for line in (
        "User=pantau",
        "AmbientCapabilities=CAP_NET_RAW",
        "CapabilityBoundingSet=CAP_NET_RAW",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectory=pantau",
        "ConfigurationDirectory=pantau",
    ):
        assert f"\n{line}\n" in text, line
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", str(installed_unit(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    exposure = re.search(r"Overall exposure level for pantau.service: ([\d.]+)", result.stdout + result.stderr)
    assert exposure, result.stdout + result.stderr
    assert float(exposure.group(1)) <= 2.5  # systemd's scale: 0 (locked down) .. 10 (exposed); "OK" below 4


def test_sysusers_makes_the_pantau_user_and_group_with_no_login(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    subprocess.run(["systemd-sysusers", f"--root={tmp_path}", str(SYSUSERS)], capture_output=True, check=True)
    user = (tmp_path / "etc" / "passwd").read_text().split(":")
    assert (user[0], user[5], user[6].strip()) == ("pantau", "/var/lib/pantau", "/usr/sbin/nologin")
    assert (tmp_path / "etc" / "group").read_text().startswith("pantau:x:")


def pantau(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "agent", "--lang", "en", *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def test_init_writes_a_configuration_whose_inventory_skeleton_validates(tmp_path: Path) -> None:
    target = tmp_path / "etc-pantau"
    result = pantau("init", "--dir", str(target))
    assert result.returncode == 0, result.stderr
    cfg = load_config(target / "pantau.yml", environ={})
    assert (cfg.inventory_dir, cfg.known_hosts, cfg.state_dir) == (
        target / "inventory",
        target / "known_hosts",
        Path("/var/lib/pantau"),
    )
    inv = load_inventory(cfg.inventory_dir)
    assert (inv.agency.timezone, len(inv.opds), len(inv.devices)) == ("Asia/Jakarta", 0, 0)
    assert pantau("inventory", "validate", "-c", str(target / "pantau.yml")).returncode == 0
    modes = {p.relative_to(target).as_posix(): p.stat().st_mode & 0o777 for p in [target, *target.rglob("*")]}
    assert modes["."] == modes["inventory"] == modes["secrets"] == 0o750
    assert modes["pantau.yml"] == modes["inventory/credentials.yml"] == 0o640


def test_init_never_overwrites_without_force_and_writes_nothing_then(tmp_path: Path) -> None:
    target = tmp_path / "etc-pantau"
    target.mkdir()
    (target / "pantau.yml").write_text("listen: 127.0.0.1:9000\n")
    result = pantau("init", "--dir", str(target))
    assert result.returncode == 2
    assert f"{target / 'pantau.yml'} exists; nothing was written (--force overwrites)" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["pantau.yml"]
    assert pantau("init", "--dir", str(target), "--force").returncode == 0
    assert "inventory:" in (target / "pantau.yml").read_text()
