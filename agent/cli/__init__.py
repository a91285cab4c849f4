"""The ``pantau`` command line (Typer + Rich).

Each command group is a module of this package, imported only when one of its commands runs (a lazy
root group: ``pantau inventory validate`` never loads pysnmp, SQLAlchemy or APScheduler). Other packages
add command groups through the ``pantau.commands`` entry point group (the lab does: product code never
imports it).
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from agent.errors import AgentError
from agent.lang import current, error_text, label, set_language, tr
from agent.wiring import configuration
from collectors.errors import CollectorError
from core.errors import RuleError
from i18n import catalog
from inventory.errors import InventoryError, InventoryLoadError
from playbooks.errors import PlaybookError, RunFailed
from store.errors import NotFound, StoreError, StoreUnusable

HELP = (
    "pantau: the data center's operations agent. pantau --version prints the version; pantau --lang en "
    "COMMAND speaks English (default: Bahasa Indonesia; also PANTAU_LANG or lang: in pantau.yml)."
)
PLUGINS = "pantau.commands"

#: command name -> (module, the name of its Typer app or command there), in the order --help lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "version": ("agent.cli.monitor", "version"),
    "init": ("agent.cli.init", "init"),
    "inventory": ("agent.cli.inventory", "app"),
    "run": ("agent.cli.monitor", "run"),
    "links": ("agent.cli.monitor", "links"),
    "poll": ("agent.cli.monitor", "poll"),
    "runs": ("agent.cli.playbooks", "runs_app"),
    "ipam": ("agent.cli.ipam", "ipam_app"),
    "colocate": ("agent.cli.playbooks", "colocate"),
    "decommission": ("agent.cli.playbooks", "decommission"),
    "targets": ("agent.cli.playbooks", "targets"),
    "maintenance": ("agent.cli.maintenance", "maintenance_app"),
    "report": ("agent.cli.maintenance", "report_app"),
    "bandwidth": ("agent.cli.bandwidth", "bandwidth_app"),
    "triage": ("agent.cli.triage", "triage"),
    "ticket": ("agent.cli.triage", "ticket_app"),
    "user": ("agent.cli.users", "user_app"),
    "opd": ("agent.cli.opd", "opd_app"),
    "alerts": ("agent.cli.alerts", "alerts_app"),
    "capacity": ("agent.cli.capacity", "capacity_app"),
}
#: what staff did wrong or must act on: a message and exit 2, never a traceback
USER_ERRORS = (InventoryError, AgentError, CollectorError, PlaybookError, RuleError, NotFound, StoreUnusable)

err = Console(stderr=True, soft_wrap=True)


# Typer carries its own copy of click (``typer._click``, private): the commands and contexts below are
# of that copy, so they are typed ``Any`` here rather than as the separately installed click's classes.


def _command(module: str, attribute: str, name: str) -> Any:
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        group = typer.main.get_group(target)
        group.name = name
        return group
    group = typer.main.get_group(importlib.import_module(module).app)
    command = group.commands.get(attribute.replace("_", "-"))
    if command is None:
        raise LookupError(f"{module} has no command {attribute}")
    return command


class LazyGroup(TyperGroup):
    """The root group: lists every command without importing it, imports a group when it is used."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *(ep.name for ep in entry_points(group=PLUGINS))]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in COMMANDS:
            return translated(_command(*COMMANDS[cmd_name], cmd_name))
        for ep in entry_points(group=PLUGINS, name=cmd_name):
            command = ep.load()()
            command.name = cmd_name
            return translated(command)
        return None


def root() -> TyperGroup:
    group = LazyGroup(name="pantau", help=HELP, no_args_is_help=True)
    translated(group)
    return group


def translated(command: Any) -> Any:
    """``command`` with its help texts, its options' and its subcommands' in the current language (from
    the catalog: the code writes them in English). Each lookup builds its commands afresh, so they are
    changed in place."""
    if current() == "en":
        return command
    gettext = catalog(current()).gettext  # the texts are found by walking the commands (agent.catalog)
    for attribute in ("help", "short_help"):
        if getattr(command, attribute, None):
            setattr(command, attribute, gettext(getattr(command, attribute)))
    for param in [*command.params, command.get_help_option(command.context_class(command))]:
        if param is not None and getattr(param, "help", None):
            param.help = gettext(param.help)
    if not isinstance(command, LazyGroup):  # the root's commands are translated as they are looked up
        for sub in getattr(command, "commands", {}).values():
            translated(sub)
    return command


def typer_words() -> None:
    """Typer's own words in a help page (panel titles, ``[default: …]``) in the current language."""
    from typer import rich_utils  # noqa: PLC0415 (only for a help page: it costs 50 ms to import)

    rich_utils.ARGUMENTS_PANEL_TITLE = tr("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = tr("Options")
    rich_utils.COMMANDS_PANEL_TITLE = tr("Commands")
    rich_utils.DEFAULT_STRING = tr("[default: {}]")
    rich_utils.ENVVAR_STRING = tr("[env var: {}]")
    rich_utils.REQUIRED_LONG_STRING = tr("[required]")


GLOBAL_VALUED = ("--lang", "--config", "-c")


def _command_path(argv: list[str]) -> tuple[int, Any]:
    """Where the command's own arguments start in ``argv`` (after the global options before it and its
    group and command names), and that command (None: none found). Imports the command's module only."""
    i = 0
    while i < len(argv) and (argv[i] in GLOBAL_VALUED or argv[i].startswith(("--lang=", "--config="))):
        i += 1 if "=" in argv[i] else 2
    command: Any = None
    group: Any = LazyGroup(name="pantau")
    while i < len(argv) and group is not None and not argv[i].startswith("-"):
        try:
            found = group.get_command(None, argv[i])
        except Exception:  # a command that fails to load is reported when it runs, not while options are read
            return i, None
        if found is None:
            break
        command, i = found, i + 1
        group = found if hasattr(found, "commands") else None
    return i, command


def _take(args: list[str], names: tuple[str, ...]) -> tuple[list[str], str | None]:
    """``args`` without any ``NAME VALUE`` (or ``--NAME=VALUE``) of ``names``, and the last such value."""
    value, kept, i = None, [], 0
    while i < len(args):
        arg = args[i]
        if arg in names and i + 1 < len(args):
            value, i = args[i + 1], i + 2
        elif arg.startswith(tuple(f"{n}=" for n in names if n.startswith("--"))):
            value, i = arg.partition("=")[2], i + 1
        else:
            kept.append(arg)
            i += 1
    return kept, value


def global_options(argv: list[str]) -> tuple[list[str], str | None]:
    """Global options before or after the command: ``--lang`` is taken out and returned (after the command
    only where the command has no ``--lang`` of its own, as the maintenance reports' languages); a
    ``--config``/``-c`` given before the command is moved behind its name, where the command reads it."""
    cut, command = _command_path(argv)
    head, rest = argv[:cut], argv[cut:]
    head, lang = _take(head, ("--lang",))
    if "--lang" not in {o for p in getattr(command, "params", ()) for o in getattr(p, "opts", ())}:
        end = rest.index("--") if "--" in rest else len(rest)
        kept, later = _take(rest[:end], ("--lang",))
        rest, lang = kept + rest[end:], later or lang
    head, config = _take(head, ("--config", "-c"))
    return head + (["--config", config] if config is not None else []) + rest, lang


def _language(argv: list[str]) -> list[str]:
    """Take ``--lang id|en`` from before or after the command; else PANTAU_LANG, else pantau.yml's
    ``lang``, else id."""
    argv, lang = global_options(argv)
    source = "--lang"
    if lang is None:
        lang, source = os.environ.get("PANTAU_LANG"), "PANTAU_LANG"
    if lang is None:
        try:  # the file the command will read: --config's, else the default
            lang, source = configuration(_config_path(argv)).lang, "lang: in pantau.yml"
        except AgentError:  # an invalid configuration is the command's to report
            lang = "id"
    try:
        set_language(lang, source)
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)
    return argv


def _config_path(argv: list[str]) -> Path | None:
    """The ``--config``/``-c`` a command was given, if any (read before the command parses it)."""
    for i, arg in enumerate(argv):
        if arg in ("--config", "-c") and i + 1 < len(argv):
            return Path(argv[i + 1])
        if arg.startswith("--config="):
            return Path(arg.partition("=")[2])
    return None


def _error(exc: BaseException) -> None:
    err.print(f"{label()}: {error_text(exc)}", markup=False, highlight=False)


def main(args: Any = None) -> None:
    """Entry point: user errors print a clear message and exit 2 (the store failing: 1), never a traceback."""
    argv = sys.argv[1:] if args is None else list(args)
    argv = _language(argv)
    if argv[:1] == ["--version"]:
        from agent import __version__  # noqa: PLC0415 (only when asked: the root group imports no command)

        sys.stdout.write(f"pantau {__version__}\n")
        return
    if not argv or "--help" in argv:
        typer_words()
    try:
        root().main(args=argv, prog_name="pantau")
    except InventoryLoadError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False)
        err.print(
            tr("{n_problems} problem(s) in {directory}", n_problems=len(exc.problems), directory=exc.directory),
            markup=False,
        )
        sys.exit(2)
    except RunFailed as exc:
        if isinstance(exc.__cause__, StoreError):
            _error(exc.__cause__)
            sys.exit(1)
        if exc.__cause__ is not None and not isinstance(exc.__cause__, USER_ERRORS):
            raise  # a defect, not a user error: the traceback is what to report
        _error(exc)
        if exc.hint:
            err.print(exc.hint, markup=False, highlight=False)
        sys.exit(2)
    except USER_ERRORS as exc:
        _error(exc)
        sys.exit(2)
    except StoreError as exc:
        _error(exc)
        sys.exit(1)
