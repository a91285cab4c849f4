"""``pantau user``: who may log in to the status page, and with which role."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from agent.cli.common import ConfigOption, JsonOption, StateOption, Table, local, out, wired
from agent.lang import tr
from agent.web.auth import ROLES, hash_password
from core.errors import RuleError
from i18n import Msg, message_of
from store import users
from store.engine import Store

user_app = typer.Typer(no_args_is_help=True, help="Users of the status page and their roles.")
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from standard input (one line)")
]


def _store(config: ConfigOption, state_dir: StateOption, read_only: bool = False) -> tuple[str, Store]:
    deps = wired(config, state_dir=state_dir)
    return deps.config.timezone, deps.existing_store if read_only else deps.store


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not sys.stdin.isatty():  # no terminal to ask on: getpass would warn that the password may echo
        raise RuleError(Msg("no terminal to ask the password on: give it on standard input with --password-stdin"))
    else:
        password = typer.prompt(tr("password"), hide_input=True, confirmation_prompt=True)
    try:
        return hash_password(password)
    except ValueError as exc:
        raise RuleError(message_of(exc) or str(exc)) from None


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="the login name")],
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")],
    password_stdin: PasswordStdin = False,
    config: ConfigOption = None,
    state_dir: StateOption = None,
) -> None:
    """Add a user who may log in to the status page (asks for the password, or reads it from stdin)."""
    if role not in ROLES:
        raise RuleError(Msg("--role {role}: choose one of {known}", role=role, known=", ".join(ROLES)))
    if not name.strip() or len(name) > 64 or any(c.isspace() for c in name):
        raise RuleError(Msg("user name '{name}': use 1-64 characters without spaces", name=name))
    _tz, store = _store(config, state_dir)
    users.add_user(store, name, role, _password(password_stdin))
    out.print(tr("user {name} added as {role}", name=name, role=role), markup=False)


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument()],
    password_stdin: PasswordStdin = False,
    config: ConfigOption = None,
    state_dir: StateOption = None,
) -> None:
    """Set a user's password; their open sessions end."""
    _tz, store = _store(config, state_dir)
    users.set_password(store, name, _password(password_stdin))
    out.print(tr("password of {name} changed", name=name), markup=False)


@user_app.command("remove")
def user_remove(
    name: Annotated[str, typer.Argument()], config: ConfigOption = None, state_dir: StateOption = None
) -> None:
    """Remove a user and end their sessions."""
    _tz, store = _store(config, state_dir)
    users.remove_user(store, name)
    out.print(tr("user {name} removed", name=name), markup=False)


@user_app.command("list")
def user_list(config: ConfigOption = None, state_dir: StateOption = None, as_json: JsonOption = False) -> None:
    """The users, their roles and when they were added (never their password hashes)."""
    tz, store = _store(config, state_dir, read_only=True)
    rows = users.users(store)
    if as_json:
        data = [{"name": u.name, "role": u.role, "created_at": u.created_at.isoformat()} for u in rows]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    table = Table(title=tr("Status page users"))
    for col in (tr("name"), tr("role"), tr("added")):
        table.add_column(col)
    for u in rows:
        table.add_row(u.name, u.role, local(u.created_at, tz))
    out.print(table)
