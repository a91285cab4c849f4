"""The device zoo: snmpsim (real recordings and generated hostile ones) and the hostile UDP agents, run in
the lab's ``zoo`` node for the session, beside the lab's real core router; an inventory naming them all."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from lab.runner import Runner
from tests.conftest import INVENTORY, ROOT
from tests.zoo import hostile, recordings

ZOO = "zoo"
ZOO_PYTHON = ROOT / ".venv-zoo" / "bin" / "python"  # snmpsim's own venv (make setup; see the Makefile)
ADDRESS = "172.20.20.200"  # the zoo node's own; each device gets an address of its own beside it
SNMPSIM_PORT = 16100  # unprivileged: snmpsim binds after it dropped to nobody (pysnmp 7 opens it late)
TIMEOUT = 2.0  # the collector's SNMP timeout for the zoo (retries: 1); 1 s was too tight under CI's load

# snmpsim drops to nobody, who cannot read this interpreter's standard library (it may live under /root):
# what snmpsim imports late is imported before
SNMPSIM = """
import dbm, dbm.dumb, encodings.ascii, encodings.hex_codec, encodings.latin_1, encodings.utf_8, sys
from snmpsim.commands.responder import main
sys.argv[0] = "snmpsim-command-responder"
sys.exit(main())
"""


@dataclass(frozen=True)
class Zoo:
    inventory: Path  # a pantau inventory folder naming every zoo device and the lab's core with its links
    lab: Runner


SERVED = {  # zoo device -> (community: the recording, the interface its link or check names)
    "zoo-linux": ("linux", "eth0"),
    "zoo-winxp": ("winxp", "MS TCP Loopback interface"),
    "zoo-wrap32": ("wrap32", "wan0"),
    "zoo-reset": ("reset", "eth0"),
    "zoo-frozen": ("frozen", "eth0"),
    "zoo-badtypes": ("badtypes", "eth0"),
    "zoo-nouptime": ("nouptime", "eth0"),
    "zoo-nosuch": ("nosuch", "eth0"),
    "zoo-hexname": ("hexname", "LAN-Verbindung ä"),
    "zoo-bigalias": ("bigalias", "eth0"),
    "zoo-missing": ("linux", "ge-0/0/9"),
    # a Cisco-style port named three ways: as `show running-config` prints it (ifDescr), short (ifName), and
    # by its description (ifAlias); the short name is another port's alias too (ifName wins the clash)
    "zoo-cisco-long": ("cisco", "GigabitEthernet1/0/1"),
    "zoo-cisco-short": ("cisco", "Gi1/0/1"),
    "zoo-cisco-alias": ("cisco", "ke-dinkes"),
    "zoo-nodata": ("nodata", "eth0"),
    "zoo-fortigate": ("fortigate", "port1"),
    "zoo-junos": ("junos", "ge-0/0/1.0"),
    "zoo-mikrotik-pppoe": ("mikrotik", "pppoe-out1"),
    "zoo-mikrotik-wlan": ("mikrotik", "wlan1"),
    "zoo-ruijie": ("ruijie", "TenGigabitEthernet 0/30"),
    "zoo-edgerouter": ("edgerouter", "eth1.20"),
}
#: the platform a zoo device is declared as, where not linux
PLATFORMS = {
    "zoo-fortigate": "fortinet",
    "zoo-junos": "juniper_junos",
    "zoo-mikrotik-pppoe": "mikrotik_routeros",
    "zoo-mikrotik-wlan": "mikrotik_routeros",
    "zoo-cisco-long": "cisco_ios",
    "zoo-cisco-short": "cisco_ios",
    "zoo-cisco-alias": "cisco_ios",
    "zoo-winxp": "windows",
    "zoo-ruijie": "ruijie_os",
    "zoo-edgerouter": "ubiquiti_edgerouter",
}
HOSTILE = {f"zoo-{mode}": mode for mode in hostile.MODES}  # in front of the linux recording


def _devices() -> dict[str, tuple[str, str, str]]:
    """Zoo device -> (its address, community, the interface its link or check names)."""
    names = sorted([*SERVED, *HOSTILE, "zoo-nosecret"])
    address = {name: f"172.20.20.{201 + i}" for i, name in enumerate(names)}
    out = {name: (address[name], community, iface) for name, (community, iface) in SERVED.items()}
    out |= {name: (address[name], "linux", "eth0") for name in HOSTILE}
    return out | {"zoo-nosecret": (address["zoo-nosecret"], "", "eth0")}


LINKED = (
    "zoo-linux", "zoo-winxp", "zoo-wrap32", "zoo-reset", "zoo-frozen", "zoo-nosuch", "zoo-hexname", "zoo-missing",
    "zoo-cisco-long", "zoo-cisco-short", "zoo-cisco-alias", "zoo-nodata",
    "zoo-nouptime", "zoo-fortigate", "zoo-junos", "zoo-mikrotik-pppoe", "zoo-mikrotik-wlan", "zoo-ruijie",
    "zoo-edgerouter",
)  # fmt: skip


def write_inventory(directory: Path, secrets: Path) -> None:
    """The zoo's inventory: the zoo devices (each with a v2c profile of its community and port), one with a
    profile whose secret is unset, and the lab's core with its four real OPD links."""
    lab = yaml.safe_load((INVENTORY / "devices.yml").read_text())["devices"]
    lab_links = yaml.safe_load((INVENTORY / "links.yml").read_text())["links"]
    lab_creds = yaml.safe_load((INVENTORY / "credentials.yml").read_text())["credentials"]
    v3 = next(p for p in lab_creds["snmp"] if p["name"] == "lab-v3")
    v3 = {k: (f"file:{(INVENTORY / v[5:]).resolve()}" if str(v).startswith("file:") else v) for k, v in v3.items()}
    profiles = [v3, {"name": "zoo-unset", "version": "v2c", "community": "env:PANTAU_ZOO_UNSET_COMMUNITY"}]
    devices = [{k: v for k, v in next(d for d in lab if d["name"] == "core").items() if k not in ("ssh", "shaping")}]
    opds, sites, links = [], [{"name": "dc-kominfo", "kind": "datacenter"}], []
    for link in lab_links:
        cpe = next(d for d in lab if d["name"] == link["cpe"]["device"])
        devices.append({k: v for k, v in cpe.items() if k not in ("ssh", "snmp")})
        sites.append({"name": cpe["site"]})
        opds.append({"slug": link["opd"], "name": link["opd"], "site": cpe["site"]})
        links.append(link)
    for n, (name, (address, community, interface)) in enumerate(sorted(_devices().items()), start=1):
        profile = f"zoo-{community}" if community else "zoo-unset"
        if all(p["name"] != profile for p in profiles):
            secret = f"file:{secrets / community}"
            profiles.append({"name": profile, "version": "v2c", "community": secret, "port": SNMPSIM_PORT})
        devices.append(
            {
                "name": name,
                "role": "core",
                "platform": PLATFORMS.get(name, "linux"),
                "site": "dc-kominfo",
                "mgmt_address": address,
                "snmp": profile,
                "interfaces": [{"name": interface}],
            }
        )
        if name in LINKED:
            slug, cpe = f"z{n}", f"cpe-z{n}"
            sites.append({"name": f"kantor-z{n}"})
            opds.append({"slug": slug, "name": f"OPD {name}", "site": f"kantor-z{n}"})
            devices.append(
                {
                    "name": cpe,
                    "role": "cpe",
                    "platform": "linux",
                    "site": f"kantor-z{n}",
                    "opd": slug,
                    "mgmt_address": f"10.254.0.{n}",
                    "interfaces": [{"name": "wan"}],
                }
            )
            links.append(
                {
                    "name": f"{slug}-wan",
                    "opd": slug,
                    "dc": {"device": name, "interface": interface},
                    "cpe": {"device": cpe, "interface": "wan"},
                    "provider": "Zoo",
                    "circuit_id": f"ZOO-{n}",
                    "subscribed_mbps": 10_000,
                }
            )
    directory.mkdir(parents=True)
    shutil.copyfile(INVENTORY / "agency.yml", directory / "agency.yml")
    for name, data in {
        "credentials": {"snmp": profiles},
        "devices": devices,
        "links": links,
        "opds": opds,
        "sites": sites,
    }.items():
        (directory / f"{name}.yml").write_text(yaml.safe_dump({name: data}, allow_unicode=True), encoding="utf-8")


def _wait_for_snmpsim(lab: Runner, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Until snmpsim answers (it indexes its recordings first)."""
    code = (
        "import asyncio\nfrom collectors.snmp_wire import V2cClient, GET\n"
        "async def m():\n    c = V2cClient()\n"
        f"    r = await c.request('{_devices()['zoo-linux'][0]}', {SNMPSIM_PORT}, b'linux', GET, "
        "['1.3.6.1.2.1.1.3.0'], 1.0, 0)\n"
        "    c.close()\n    raise SystemExit(0 if r else 1)\nasyncio.run(m())\n"
    )
    deadline = time.monotonic() + 60
    while subprocess.run([sys.executable, "-c", code], check=False).returncode != 0:
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "snmpsim did not answer within 60 s:\n" + log.read_text()[-3000:]
        time.sleep(0.5)


@pytest.fixture(scope="session")
def zoo(lab_up: tuple[Runner, object], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zoo]:
    lab, _ = lab_up
    assert ZOO_PYTHON.exists(), f"{ZOO_PYTHON} is missing: run make setup (it installs snmpsim there)"
    package = subprocess.run(
        [str(ZOO_PYTHON), "-c", "import os, snmpsim; print(os.path.dirname(snmpsim.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    home = lab.run_dir / "zoo"  # readable by snmpsim's unprivileged user; removed with the lab
    data, cache, secrets = home / "data", home / "cache", home / "secrets"
    recordings.write(data, Path(package))
    cache.mkdir(parents=True)
    shutil.chown(cache, "nobody", "nogroup")
    secrets.mkdir()
    for community in {c for _, c, _ in _devices().values() if c}:
        (secrets / community).write_text(community)
    for address, _, _ in _devices().values():
        lab.exec(ZOO, ["ip", "addr", "add", f"{address}/24", "dev", "eth0"])
    for path in (home, data, *data.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    inventory = tmp_path_factory.mktemp("zoo") / "inventory"
    write_inventory(inventory, secrets)
    os.environ.pop("PANTAU_ZOO_UNSET_COMMUNITY", None)
    log = home / "snmpsim.log"
    argv = [
        str(ZOO_PYTHON),
        "-c",
        SNMPSIM,
        f"--data-dir={data}",
        f"--cache-dir={cache}",
        *(f"--agent-udpv4-endpoint={a}:{SNMPSIM_PORT}" for n, (a, _, _) in _devices().items() if n in SERVED),
        "--process-user=nobody",
        "--process-group=nogroup",
        "--logging-method=stderr",
        "--log-level=error",
    ]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with log.open("wb") as out:
            procs.append(subprocess.Popen(lab.in_node(ZOO, argv), stdout=out, stderr=subprocess.STDOUT))
            procs.append(
                subprocess.Popen(
                    lab.in_node(
                        ZOO,
                        [
                            sys.executable,
                            hostile.__file__,
                            f"{_devices()['zoo-linux'][0]}:{SNMPSIM_PORT}",
                            str(TIMEOUT),
                            *(f"{mode}@{_devices()[name][0]}:{SNMPSIM_PORT}" for name, mode in HOSTILE.items()),
                        ],
                    ),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        _wait_for_snmpsim(lab, procs[0], log)
        yield Zoo(inventory, lab)
    finally:
        for proc in procs:  # ours, by PID
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
