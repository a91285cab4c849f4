"""The agent's configuration: ``pantau.yml``, ``PANTAU_*`` environment variables, defaults.

Precedence, highest first: an explicit value (a CLI flag) > ``PANTAU_*`` environment variable >
the configuration file > the default. Environment variables override the file so that one file can
serve several deployments (the usual practice of Prometheus exporters and 12-factor services).
Nested fields use ``__``: ``PANTAU_POLL__SNMP_INTERVAL=60``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, ValidationError, field_validator, model_validator

from agent.errors import ConfigError
from agent.schedule import crontab
from core.bandwidth import SurveyThresholds
from core.findings import Thresholds
from core.health import HealthThresholds
from i18n import Msg, message_of
from inventory.loader import agency_timezone, yaml_syntax_error

ENV_PREFIX = "PANTAU_"
DEFAULT_CONFIG = Path("pantau.yml")
#: where ``pantau init`` and the systemd unit keep it; read when there is no ./pantau.yml
SYSTEM_CONFIG = Path("/etc/pantau/pantau.yml")
#: The inventory of the lab, shipped with the package. It is the default only inside the lab: the lab
#: runs commands in its nodes with PANTAU_LAB_INVENTORY and PANTAU_LAB_KNOWN_HOSTS set (defaults below
#: the file), so an agent started elsewhere without an inventory never polls lab addresses.
EXAMPLE_INVENTORY = Path(__file__).resolve().parent.parent / "inventory" / "example"
LAB_DEFAULTS = {"inventory": "PANTAU_LAB_INVENTORY", "known_hosts": "PANTAU_LAB_KNOWN_HOSTS"}
NO_INVENTORY = Msg(
    "no inventory configured: set 'inventory:' in /etc/pantau/pantau.yml (pantau init writes one), "
    "PANTAU_INVENTORY, or --inventory"
)
STORE_SCHEMES = ("sqlite", "postgresql")


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PollConfig(_Section):
    snmp_interval: float = Field(30.0, gt=0, description="seconds between SNMP polls")
    icmp_interval: float = Field(15.0, gt=0, description="seconds between ICMP probe rounds")
    snmp_timeout: float = Field(2.0, gt=0)
    snmp_retries: int = Field(1, ge=0)
    icmp_count: int = Field(5, ge=1, description="echo requests per target per round")
    icmp_timeout: float = Field(1.0, gt=0, description="seconds to wait for the last replies of a round")
    max_devices: int = Field(
        128, ge=1, description="devices polled at once (requests in flight stay under the collector's own bound)"
    )
    jitter: float = Field(2.0, ge=0, description="random delay (s) added to each job run")
    device_deadline: float = Field(10.0, gt=0, description="seconds one device's poll may take, all requests")
    round_deadline: float | None = Field(
        None, gt=0, description="seconds an SNMP round may take (default: 0.9 x snmp_interval)"
    )
    rollup_seconds: int = Field(300, ge=10, description="length of the rollup periods kept in the store")
    store_timeout: float = Field(5.0, gt=0, description="seconds a store read or write may take from a job")
    store_buffer: int = Field(
        100_000, ge=100, description="rollups and link events kept while the store is down (oldest dropped)"
    )

    @property
    def round_seconds(self) -> float:
        return self.round_deadline or 0.9 * self.snmp_interval


class MaintenanceConfig(Thresholds):
    """The maintenance plan (Batam SOP 05) and, inherited, the thresholds of its checks."""

    schedule: str | None = Field(
        None, description="cron expression in the agency's time zone, e.g. '0 2 * * sun'; none: no plan"
    )
    locations: list[str] = Field(default_factory=list, description="OPD slugs and/or pusat-data; empty: all")
    plan: str | None = Field(None, description="plan reference in reports (none: the periodic maintenance work plan)")
    languages: list[str] = Field(default_factory=lambda: ["id"], description="report languages: id, en")
    timeout: float = Field(2.0, gt=0, description="SNMP timeout (s); SSH gets 3x, at least 5 s")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                crontab(value, "UTC")
            except ValueError as exc:
                raise ValueError(f"'{value}' is not a cron expression (minute hour day month weekday): {exc}") from None
        return value


class TelegramConfig(_Section):
    token: str = Field(description="bot token as a secret reference: env:NAME or file:PATH")
    chat_id: str
    api_url: str = "https://api.telegram.org"


class NotifyConfig(_Section):
    """Where notifications go (ticket open, escalation, SLA breach, link state changes)."""

    webhooks: list[str] = Field(default_factory=list, description="URLs that receive a JSON POST")
    telegram: TelegramConfig | None = None
    timeout: float = Field(3.0, gt=0)

    @field_validator("webhooks")
    @classmethod
    def _http(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"webhook '{url}' must be an http:// or https:// URL")
        return value


class WebConfig(_Section):
    """The status page (board, triage, tickets) the agent serves to logged-in users."""

    listen: str | None = Field(None, description="HOST:PORT of the status page; none: no page")
    external_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="the page's address as its users reach it (through the proxy): the alerts' runbook links "
        "(pantau alerts rules); with https:// the session cookies are Secure unless secure_cookies says",
    )
    secure_cookies: bool | None = Field(
        None, description="session cookies only over HTTPS (default: when external_url is https://)"
    )
    session_hours: float = Field(12.0, gt=0, le=24 * 30, description="a login lasts this long")
    refresh_seconds: float = Field(5.0, ge=1, description="how often the board asks for new figures")
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="reverse proxies whose X-Forwarded-For (and user header) is believed; from anywhere else "
        "the connecting address is the client",
    )
    proxy_user_header: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9-]+$",
        description="header in which a trusted proxy names the user it authenticated (SSO): no password asked",
    )
    proxy_secret: str | None = Field(
        None,
        pattern=r"^(env|file):.+$",
        description="a secret the proxy sends in X-Pantau-Proxy-Secret with the user header (env:NAME or "
        "file:PATH): a local process that is not the proxy cannot name a user",
    )

    @property
    def cookies_secure(self) -> bool:
        """Whether session cookies carry Secure: as set, else when the page is reached over https://."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.external_url is not None and self.external_url.startswith("https://")

    @model_validator(mode="after")
    def _header_needs_proxies(self) -> WebConfig:
        if self.proxy_user_header and not self.trusted_proxies:
            raise ValueError("proxy_user_header needs trusted_proxies: the addresses of the proxies to believe")
        if self.proxy_user_header and not self.proxy_secret:
            raise ValueError(
                "proxy_user_header needs proxy_secret (env:NAME or file:PATH), the secret the proxy sends in "
                "X-Pantau-Proxy-Secret: a trusted address alone lets any process on the proxy's host name any user"
            )
        return self


class ClusterConfig(_Section):
    """Several agents on one PostgreSQL store: each polls the devices rendezvous hashing gives it among the
    agents whose heartbeat is fresh, and takes over a lost agent's within a lease."""

    enabled: bool = Field(False, description="share the store with other agents (store_url: PostgreSQL)")
    agent_id: str | None = Field(
        None, pattern=r"^[a-z0-9][a-z0-9.-]{0,62}$", description="this agent's name among them (default: the host's)"
    )
    lease_seconds: float = Field(30.0, ge=3, description="a heartbeat older than this: the agent is gone")
    heartbeat_seconds: float = Field(10.0, ge=1, description="how often the heartbeat is kept (under the lease)")

    @model_validator(mode="after")
    def _beats_within_the_lease(self) -> ClusterConfig:
        if self.heartbeat_seconds * 2 > self.lease_seconds:
            raise ValueError(
                f"cluster.heartbeat_seconds {self.heartbeat_seconds:g} must be at most half of lease_seconds "
                f"{self.lease_seconds:g}, or one late heartbeat loses the devices"
            )
        return self


class Config(_Section):
    """The whole configuration."""

    inventory: Path | None = Field(None, description="inventory folder (no default outside the lab)")
    state_dir: Path = Path("/var/lib/pantau")
    store_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in state_dir")
    listen: str = "127.0.0.1:9469"
    deprecated_metrics: bool = Field(
        True, description="also expose the link rates under their pre-0.2.0 names in bits (removed in 0.3.0)"
    )
    timezone: str = Field(
        "Asia/Jakarta",
        description="taken from the inventory's agency.timezone (the one setting); here only without an inventory",
    )
    known_hosts: Path | None = Field(None, description="SSH known_hosts file (host keys are always checked)")
    platform_dirs: list[Path] = Field(
        default_factory=list, description="folders of the agency's own platform modules (one .py per platform)"
    )
    log_format: str = Field("auto", pattern="^(auto|json|text)$")
    lang: str = Field("id", pattern="^(id|en)$", description="language of CLI output and errors (reports: their own)")
    poll: PollConfig = PollConfig()
    maintenance: MaintenanceConfig = MaintenanceConfig()
    notify: NotifyConfig = NotifyConfig()
    health: HealthThresholds = HealthThresholds()
    bandwidth: SurveyThresholds = SurveyThresholds()
    web: WebConfig = WebConfig()
    cluster: ClusterConfig = ClusterConfig()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                Msg(
                    "'{value}' is not a time zone; use an IANA name: Asia/Jakarta (WIB), Asia/Makassar (WITA), "
                    "Asia/Jayapura (WIT)",
                    value=value,
                )
            ) from None
        return value

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536 or (host.count(":") and host[:1] != "["):
            raise ValueError(
                Msg("'{value}' is not HOST:PORT; e.g. 127.0.0.1:9469, 0.0.0.0:9469 or [::1]:9469", value=value)
            )
        return value

    @field_validator("store_url")
    @classmethod
    def _store(cls, value: str | None) -> str | None:
        if value is None:
            return value
        scheme = value.partition(":")[0].partition("+")[0]
        if scheme not in STORE_SCHEMES:
            raise ValueError(
                Msg(
                    "'{scheme}' stores are not supported; use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
                    scheme=scheme,
                )
            )
        return value

    @property
    def database_url(self) -> str:
        return self.store_url or f"sqlite:///{self.state_dir / 'pantau.db'}"

    @property
    def inventory_dir(self) -> Path:
        """The inventory folder; a command that needs one stops here when none is configured."""
        if self.inventory is None:
            raise ConfigError(NO_INVENTORY)
        return self.inventory


def load_config(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    system_config: Path = SYSTEM_CONFIG,
) -> Config:
    """Build the configuration from defaults, file, environment and explicit overrides.

    ``path`` None means ``$PANTAU_CONFIG``, else ``./pantau.yml`` or ``/etc/pantau/pantau.yml``, the first
    that exists; a path given explicitly must exist.

    Raises:
        ConfigError: unreadable file, bad YAML, unknown or invalid field; names the source and field.
    """
    env = os.environ if environ is None else environ
    explicit = path is not None or "PANTAU_CONFIG" in env
    file = path or Path(env.get("PANTAU_CONFIG", DEFAULT_CONFIG))
    if not explicit and not file.exists() and system_config.exists():
        file = system_config
    data: dict[str, Any] = {}
    if file.exists():
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(
                Msg("{file}: cannot read the configuration: {why}", file=file, why=exc.strerror or exc)
            ) from exc
        except yaml.MarkedYAMLError as exc:  # one line naming the place, not PyYAML's eight
            line, what = yaml_syntax_error(exc)
            raise ConfigError(
                Msg("{file}:{line}: not valid YAML: {what}; fix the syntax", file=file, line=line, what=what)
            ) from None
        except yaml.YAMLError as exc:
            raise ConfigError(Msg("{file}: not valid YAML: {what}; fix the syntax", file=file, what=exc)) from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(Msg("{file}: the configuration must be a mapping of fields", file=file))
        data = loaded or {}
    elif explicit:
        raise ConfigError(
            Msg(
                "{file}: no such configuration file; check the path or drop {source}",
                file=file,
                source="--config" if path is not None else "PANTAU_CONFIG",
            )
        )
    sources: dict[str, str] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name == "PANTAU_CONFIG":
            continue
        keys = name[len(ENV_PREFIX) :].lower().split("__")
        if len(keys) == 1 and keys[0] not in Config.model_fields:
            continue  # not a setting: PANTAU_OPERATOR, PANTAU_KNOWN_HOSTS, a secret's env: reference
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = _env_value(keys, value)
        sources[".".join(keys)] = name
    for key, variable in LAB_DEFAULTS.items():
        if key not in data and env.get(variable):
            data[key] = env[variable]
            sources[key] = variable
    for key, value in (overrides or {}).items():
        if value is not None:
            data[key] = value
            sources[key] = "command line"
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False):
            dotted = ".".join(str(p) for p in error["loc"])
            source = sources.get(dotted) or next(  # a wrong section name: the variable that made it
                (name for key, name in sources.items() if key.startswith(dotted + ".")), str(file)
            )
            cause = error.get("ctx", {}).get("error")  # a validator's own error keeps its Msg
            problem = message_of(cause) if isinstance(cause, Exception) else None
            said = problem or error["msg"].removeprefix("Value error, ")
            errors.append(Msg("{source}: field '{field}': {problem}", source=source, field=dotted, problem=said))
        raise ConfigError(Msg("invalid configuration:\n{problems}", problems=errors)) from exc
    return _agency_zone(config, "timezone" in data, sources.get("timezone", str(file)))


def _agency_zone(config: Config, set_here: bool, source: str) -> Config:
    """The configuration in the agency's time zone: the inventory's ``agency.timezone`` is the one setting
    (every time pantau shows, schedules or cuts a month by); ``timezone`` here serves only where there is no
    inventory, and may not say otherwise.

    Raises:
        ConfigError: ``timezone`` here and the inventory's differ.
    """
    if config.inventory is None or (found := agency_timezone(config.inventory)) is None:
        return config
    zone, file = found
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return config  # no zone at all: loading the inventory names the line (agency.timezone)
    if set_here and zone != config.timezone:
        raise ConfigError(
            Msg(
                "{source}: timezone {here} differs from the agency's {zone} ({file}); the agency's time zone is "
                "the one setting: remove timezone from the configuration",
                source=source,
                here=config.timezone,
                zone=zone,
                file=file,
            )
        )
    return config.model_copy(update={"timezone": zone})


def _env_value(keys: list[str], value: str) -> Any:
    """A variable's text as the setting it names takes it: a list setting from JSON (``["a","b"]``) or
    comma-separated text (``a,b``); a section from JSON; anything else as the text (pydantic converts)."""
    model: Any = Config
    annotation: Any = None
    for key in keys:
        field = model.model_fields.get(key) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return value  # an unknown name: validation reports it with the variable
        annotation = field.annotation
        model = next((a for a in (annotation, *get_args(annotation)) if isinstance(a, type)), None)
    if value.lstrip().startswith(("[", "{")):
        try:
            return json.loads(value)
        except ValueError:
            return value  # validation reports it
    if get_origin(annotation) is list:
        return [item.strip() for item in value.split(",") if item.strip()]
    return value
