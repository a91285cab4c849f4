"""The platform registry: what pantau knows of each kind of device, one module per platform, as data.

A platform module defines ``PLATFORM``, a :class:`Platform`: the netmiko driver, a read command per fact
with the TextFSM template that parses its answer, the configuration lines that change by themselves, the
patterns of the lines that carry secrets, the SNMP quirks, how parsed routes name the installed ones, and
the operations of a configuration session (empty until a playbook changes that platform's devices).

:func:`discover` finds the modules of this package, and of any folder an agency names (``platform_dirs``):
adding a vendor is one module and its fixtures, no other file (as scrapli's per-platform definitions and
netmiko's ``ssh_dispatcher`` table). The registry is an instance the composition root builds and passes
down, never a module global.

Nothing here does network I/O, and nothing imports a collector.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from inventory.models import DeviceKind, PlatformTraits
from platforms.errors import BadPlatformModule, PlatformError, UnknownPlatform

__all__ = [
    "BadPlatformModule",
    "Command",
    "ConfigRevert",
    "DeviceKind",
    "Limit",
    "Platform",
    "PlatformError",
    "Provisioning",
    "Registry",
    "Revert",
    "Row",
    "Shaper",
    "SnmpQuirks",
    "UnknownPlatform",
    "discover",
]

#: one parsed row of a command's output: TextFSM's header, lowercased, to the value
Row = dict[str, Any]
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Command:
    """What to type for one fact, and the template that reads the answer: ``ntc:<command>`` for one of
    ntc-templates', a file name in the platform's ``templates`` folder, or None (kept as text)."""

    text: str
    template: str | None = None


@dataclass(frozen=True)
class SnmpQuirks:
    """How a platform's SNMP agent differs from IF-MIB's letter."""

    #: columns that name interfaces as the inventory may write them, the one that wins a clash first
    interface_names: tuple[str, ...] = ("ifName", "ifDescr", "ifAlias")
    #: whether the agent has ifXTable's 64-bit counters; False skips the attempt (the collector falls back anyway)
    hc_counters: bool = True


@dataclass(frozen=True)
class Limit:
    """One OPD's shaping on a device: the queue (or class, or policy) the device knows it by, the rate it
    is guaranteed and the ceiling it may use, in bit/s, the same both ways. ``guaranteed_bps`` is None on a
    platform that only caps (a Cisco shaper); ``enabled`` False: the queue exists but shapes nothing."""

    queue: str
    ceiling_bps: int
    guaranteed_bps: int | None = None
    enabled: bool = True


@dataclass(frozen=True)
class Revert:
    """How a device is made to put its old limits back by itself unless pantau confirms the change: a
    dropped session, a dead pantau or a lock-out must all end on the old values (as Junos's ``commit
    confirmed``). ``arm`` gives the lines that set it up (a token names it, ``seconds`` is its timer, the
    limits are what it restores); ``close`` the lines that end the change itself (Cisco: ``end``), sent
    after the new limits; ``confirm`` the lines that cancel it. Each line's answer is checked by the
    shaper's ``failed``."""

    arm: Callable[[str, int, tuple[Limit, ...]], tuple[str, ...]]
    confirm: Callable[[str], tuple[str, ...]]
    close: tuple[str, ...] = ()
    #: the device's smallest timer step in seconds (Cisco's revert timer counts minutes)
    granularity: int = 1

    def seconds(self, wanted: int) -> int:
        """``wanted`` rounded up to what the device's timer can count."""
        steps = max(1, -(-wanted // self.granularity))
        return steps * self.granularity


def _any_output(answer: str) -> str | None:
    return answer.strip() or None


@dataclass(frozen=True)
class Shaper:
    """How a platform's per-OPD shaping is read and written, as text: the command that shows the queues
    asked for, the parser of its answer (the limits by queue), the configuration lines that set one queue,
    the revert the device arms around a change, and how an answer says a line failed. The session that
    sends them is the effector's."""

    show: Callable[[Sequence[str]], str]
    limits: Callable[[str], dict[str, Limit]]
    set_lines: Callable[[Limit], tuple[str, ...]]
    revert: Revert
    #: the error in a line's answer, or None: it was taken (default: any answer is an error)
    failed: Callable[[str], str | None] = _any_output
    #: the queue of an OPD where the inventory names none: its slug, prefixed
    queue_prefix: str = "opd-"
    #: the rate step the device keeps (bit/s): a limit is rounded to it before it is set, so that what is
    #: read back is what was set
    step_bps: int = 8_000

    def queue_of(self, opd: str) -> str:
        return f"{self.queue_prefix}{opd}"

    def rounded(self, bps: float) -> int:
        return max(self.step_bps, round(bps / self.step_bps) * self.step_bps)


CONFIG_TEMPLATES = Path(__file__).resolve().parent / "config"


@dataclass(frozen=True)
class ConfigRevert:
    """How a device takes a configuration change back by itself unless pantau confirms it: ``arm`` gives
    the lines that set it up (a token names it, ``seconds`` is its timer, the text is the configuration that
    undoes the change), ``confirm`` the lines that cancel it."""

    arm: Callable[[str, int, str], tuple[str, ...]]
    confirm: Callable[[str], tuple[str, ...]]
    granularity: int = 1

    def seconds(self, wanted: int) -> int:
        return max(1, -(-wanted // self.granularity)) * self.granularity


@dataclass(frozen=True)
class Provisioning:
    """How a new OPD's link is configured on a platform: Jinja2 templates of both ends in
    ``platforms/config/<platform>/`` (``dc.j2`` the data center's side, ``dc-remove.j2`` its removal,
    ``opd.j2`` the OPD router's whole configuration), the command that shows the running configuration they
    land in, and how its answer is read back (every rendered line must be found there: ``missing``; none
    of a removal's left: ``left``). ``apply`` and ``revert`` push the data center's side with a revert the
    device performs by itself; None where pantau only renders (the file is applied by hand)."""

    show: str
    missing: Callable[[str, str], list[str]]
    left: Callable[[str, str], list[str]]
    #: the OPD router's interfaces where the command does not name them: (WAN, LAN)
    cpe_interfaces: tuple[str, str]
    apply: Callable[[str, str], tuple[str, ...]] | None = None  # (token, configuration) -> lines to send
    revert: ConfigRevert | None = None
    #: the error in a line's answer, or None (default: any answer is an error)
    failed: Callable[[str], str | None] = _any_output
    #: the netmiko driver of the session that changes the device, where not the platform's (FRR: a shell
    #: that runs vtysh, since vtysh alone cannot arm a revert)
    driver: str | None = None


def _no_routes(rows: list[Row]) -> list[str]:
    return []


@dataclass(frozen=True)
class Platform:
    """Everything pantau knows of one platform."""

    name: str  # the inventory's ``platform:`` value; the module's name
    title: str  # for people: "Cisco IOS / IOS-XE"
    driver: str | None  # netmiko's device_type; None: pantau reads this platform by SNMP only, never over SSH
    #: the kinds of device this platform can be, the one a device is by default first (a server by role is
    #: a server where the platform can be one: :func:`inventory.models.default_kind`)
    kinds: tuple[DeviceKind, ...] = (DeviceKind.ROUTER,)
    #: a regex of an interface name as the platform's CLI writes it, and an example (None: names are free,
    #: as RouterOS's and FortiOS's); a name that does not match is a warning of ``inventory validate``
    interface_form: tuple[str, str] | None = None
    commands: Mapping[str, Command] = field(default_factory=dict)  # fact -> command
    templates: Path = TEMPLATES  # where the commands' own (non-ntc) templates are
    volatile: tuple[str, ...] = ()  # regexes of config lines that change without anyone changing the config
    #: regexes of the config lines that carry a secret, each with a group ``secret``; None: unknown, and a
    #: configuration of this platform is never stored (no backup rather than a password in the store)
    redaction: tuple[str, ...] | None = None
    snmp: SnmpQuirks = SnmpQuirks()
    #: the prefixes in the forwarding table, from the parsed rows of the ``routes`` command
    installed_routes: Callable[[list[Row]], list[str]] = _no_routes
    shaper: Shaper | None = None  # None: pantau does not shape this platform's traffic
    provisioning: Provisioning | None = None  # None: pantau does not configure a new OPD on this platform

    def command(self, fact: str) -> Command | None:
        return self.commands.get(fact)

    def traits(self) -> PlatformTraits:
        """What the inventory checks a device of this platform against."""
        return PlatformTraits(self.kinds, ssh=self.driver is not None, interface_form=self.interface_form)


class Registry:
    """The platforms one process knows, by name."""

    def __init__(self, platforms: Iterable[Platform]) -> None:
        self._by_name: dict[str, Platform] = {}
        for platform in platforms:
            if platform.name in self._by_name:
                raise BadPlatformModule(platform.name, "defined twice; keep one module of that name")
            self._by_name[platform.name] = platform

    def get(self, name: str) -> Platform:
        """The platform called ``name``.

        Raises:
            UnknownPlatform: no module of that name; the error lists the known ones.
        """
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownPlatform(name, self._by_name) from None

    def names(self) -> frozenset[str]:
        return frozenset(self._by_name)

    def traits(self) -> dict[str, PlatformTraits]:
        """Each platform's traits by name, for :func:`inventory.loader.load_inventory`."""
        return {name: platform.traits() for name, platform in self._by_name.items()}

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Platform]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


def _platform_of(module: ModuleType, source: str, name: str) -> Platform:
    platform = getattr(module, "PLATFORM", None)
    if not isinstance(platform, Platform):
        raise BadPlatformModule(source, "defines no PLATFORM = Platform(...); see platforms/frr.py for the form")
    if platform.name != name:
        raise BadPlatformModule(source, f"PLATFORM.name is '{platform.name}'; it must be the module's name '{name}'")
    if not platform.kinds:
        raise BadPlatformModule(source, "PLATFORM.kinds is empty; name the kinds of device it can be (router, ...)")
    if platform.interface_form is not None:
        try:
            re.compile(platform.interface_form[0])
        except re.error as exc:
            raise BadPlatformModule(source, f"PLATFORM.interface_form is no regular expression: {exc}") from None
    if platform.driver is None and platform.commands:
        raise BadPlatformModule(source, "PLATFORM has commands but no driver (netmiko device_type) to send them")
    for fact, command in platform.commands.items():
        template = command.template
        if template and not template.startswith("ntc:") and not (platform.templates / template).is_file():
            raise BadPlatformModule(source, f"fact '{fact}': template {platform.templates / template} does not exist")
    return platform


def _load_file(path: Path) -> ModuleType:
    """A platform module outside this package, imported from its file under a name of its own."""
    name = f"pantau_platform_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise BadPlatformModule(str(path), "cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses defined in the module look their module up here
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the agency's own code: any failure is that module's, named as such
        del sys.modules[name]
        raise BadPlatformModule(str(path), f"fails to load: {type(exc).__name__}: {exc}") from exc
    return module


def discover(folders: Iterable[Path] = ()) -> Registry:
    """The platforms of this package, and of each ``*.py`` module in ``folders`` (an agency's own).

    Raises:
        BadPlatformModule: a module that does not load, or whose ``PLATFORM`` is missing or misnamed; a
            name defined twice.
    """
    found: list[Platform] = []
    for info in pkgutil.iter_modules([str(Path(__file__).resolve().parent)]):
        if info.name.startswith("_") or info.name == "errors":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.append(_platform_of(module, f"{__name__}.{info.name}", info.name))
    for folder in folders:
        if not folder.is_dir():
            raise BadPlatformModule(str(folder), "platform_dirs names no folder here; check the path")
        for path in sorted(folder.glob("*.py")):
            if not path.stem.startswith("_"):
                found.append(_platform_of(_load_file(path), str(path), path.stem))
    return Registry(found)
