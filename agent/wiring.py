"""The composition root: the one place that reads the configuration, loads the inventory, opens the store
and builds the probes, the notifier and the triage service, once per process (as nornir's ``InitNornir``).

CLI commands, the daemon, the maintenance jobs and the status page take an :class:`App` and ask it for
what they need; nothing below ``agent/`` reads configuration or opens the store itself. What an App holds is
built when first asked for, so ``pantau inventory validate`` never opens a database and ``pantau runs
list`` never reads the inventory.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from agent.config import Config, load_config
from agent.errors import ConfigError
from agent.memory import building, give_back
from collectors.probes import Probes
from i18n import Msg
from inventory.loader import load_inventory
from inventory.models import Inventory, SopCatalog
from platforms import PlatformError, Registry, discover
from playbooks.effectors.configure import Configurators
from playbooks.effectors.notify import Notifier, Telegram
from playbooks.effectors.shaper import Shapers

if TYPE_CHECKING:
    from playbooks.colocate import Services
    from playbooks.engine import PlaybookRunner
    from playbooks.triage.run import Triage
    from store.engine import Store

log = logging.getLogger(__name__)


def configuration(path: Path | None = None, environ: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """The configuration from ``path`` (else the default files), the environment and ``overrides``.

    Raises:
        ConfigError: names the file, variable or flag that set a wrong value.
    """
    return load_config(path, environ=environ, overrides=overrides)


def platforms(config: Config) -> Registry:
    """The platform registry: this package's platforms and those in the agency's ``platform_dirs``.

    Raises:
        ConfigError: an agency's platform module does not load or is malformed.
    """
    try:
        return discover(config.platform_dirs)
    except PlatformError as exc:
        raise ConfigError(Msg("platform_dirs: {exc}", exc=exc)) from exc


class App:
    """What one process works with, built on first use and shared by everything that asks."""

    def __init__(self, config: Config, registry: Registry | None = None) -> None:
        self.config = config
        self._registry = registry

    @cached_property
    def platforms(self) -> Registry:
        return self._registry if self._registry is not None else platforms(self.config)

    @cached_property
    def inventory(self) -> Inventory:
        """The inventory, every device's platform checked against the registry.

        Raises:
            ConfigError: no inventory configured.
            InventoryLoadError: with every problem at its file and line.
        """
        with building():  # 5,000 devices: 28 full collections, 5.7 s, without it (agent/memory.py)
            inventory = load_inventory(self.config.inventory_dir, self.platforms.traits())
        give_back()  # the YAML tree read on the way is freed: its pages go back to the system
        return inventory

    @property
    def sops(self) -> SopCatalog:
        """The agency's procedures (``agency.sops`` of the inventory); the seed documents' where no
        inventory is configured (a ticket read on a machine that has only the store)."""
        return self.inventory.agency.sops if self.config.inventory is not None else SopCatalog()

    @cached_property
    def store(self) -> Store:
        """The store, migrated to the head revision.

        Raises:
            StoreError: the database cannot be reached or migrated.
        """
        return self._open_store(create=True)

    @property
    def existing_store(self) -> Store:
        """The store for a command that only reads it: as :attr:`store`, but a SQLite file that does not
        exist yet is an error naming where it was looked for, never an empty database made on the way
        (owned by whoever ran the command).

        Raises:
            StoreError: no store there; the database cannot be reached or migrated.
        """
        if "store" not in self.__dict__:
            self.__dict__["store"] = self._open_store(create=False)
        return self.store

    def _open_store(self, create: bool) -> Store:
        from store.engine import open_store  # noqa: PLC0415 (SQLAlchemy and Alembic: only for commands that keep state)

        return open_store(self.config.database_url, create)

    @cached_property
    def probes(self) -> Probes:
        return Probes(self.config.inventory_dir, self.config.known_hosts, self.platforms)

    @cached_property
    def shapers(self) -> Shapers:
        """The inventory's shaping devices, over SSH when known_hosts is configured (else reading or
        changing one says what to set)."""
        ssh = self.probes.ssh() if self.config.known_hosts is not None else None
        return Shapers(self.inventory, self.platforms, ssh)

    def playbook_runner(self, live_check: bool = True) -> PlaybookRunner[Services]:
        """A runner of every playbook, its steps acting through this process's services (recovery undoes a
        run of any playbook, so every one has what it needs); ``live_check``: ask the network (ICMP, ARP)
        before handing out an address."""
        from playbooks.catalog import runner  # noqa: PLC0415 (the store's repositories and DNS: only to run one)

        cfg = self.config
        timeout = cfg.poll.snmp_timeout if live_check else None
        return runner(
            self.store, self.inventory, cfg.inventory_dir, self.probes, self.shapers, timeout, self.platforms,
            self.configurators, lambda directory: load_inventory(directory, self.platforms.traits()),
        )  # fmt: skip

    @cached_property
    def configurators(self) -> Configurators:
        """The inventory's devices configured over SSH (a new OPD's link), when known_hosts is configured."""
        ssh = self.probes.ssh() if self.config.known_hosts is not None else None
        return Configurators(self.inventory, self.platforms, ssh)

    def reload_inventory(self) -> Inventory:
        """Read the inventory again (after ``opd add`` or a hand edit) and drop what was built from the old
        one; the new inventory.

        Raises:
            InventoryLoadError: the files do not validate; the old inventory stays in use.
        """
        with building():
            fresh = load_inventory(self.config.inventory_dir, self.platforms.traits())
        for name in ("shapers", "configurators", "triage"):
            self.__dict__.pop(name, None)
        self.__dict__["inventory"] = fresh
        give_back()
        return fresh

    @cached_property
    def notifier(self) -> Notifier:
        n = self.config.notify
        telegram = None if n.telegram is None else Telegram(n.telegram.token, n.telegram.chat_id, n.telegram.api_url)
        return Notifier(n.webhooks, telegram, n.timeout, self.config.inventory)

    @cached_property
    def triage(self) -> Triage:
        """One triage service for the CLI and the status page."""
        from playbooks.triage.run import Triage  # noqa: PLC0415 (pysnmp and the store: only for a triage)

        cfg = self.config
        return Triage(
            self.inventory,
            self.probes,
            self.store,
            timeout=cfg.poll.snmp_timeout,
            tz=cfg.timezone,
            thresholds=cfg.health,
        )

    def close(self) -> None:
        """Release what was opened (the store's connections)."""
        store = self.__dict__.pop("store", None)
        if store is not None:
            store.dispose()

    def __enter__(self) -> App:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def build(config: Config, registry: Registry | None = None) -> App:
    """The App of a process with ``config``."""
    return App(config, registry)


def app(path: Path | None = None, **overrides: Any) -> App:
    """The App of a command: its ``--config`` file and command-line ``overrides`` (None: not given)."""
    return build(configuration(path, **overrides))
