"""Resolution of secret references (``env:NAME``, ``file:PATH``), done only at the moment of use."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from i18n import Msg
from inventory.errors import SecretError
from inventory.models.credential import Credentials

#: the fields of a credential profile that hold a secret reference
SECRET_FIELDS = ("community", "auth_key", "priv_key", "key", "password", "secret")


def resolve_secret(reference: str, base: Path, environ: Mapping[str, str] | None = None) -> str:
    """The secret a reference points to; relative file paths are taken from ``base`` (the inventory).

    Raises:
        SecretError: the variable is unset or the file cannot be read; the message never holds the secret.
    """
    env = os.environ if environ is None else environ
    kind, _, target = reference.partition(":")
    if kind == "env":
        value = env.get(target)
        if value is None:
            raise SecretError(
                reference, Msg("environment variable {name} is not set; export it before running", name=target)
            )
        return value
    if kind == "file":
        path = Path(target) if Path(target).is_absolute() else base / target
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(
                reference, Msg("cannot read {file}: {why}; check the path and its mode", file=path, why=exc.strerror)
            ) from exc
    raise SecretError(reference, Msg("a secret reference is 'env:NAME' or 'file:PATH'"))


def unresolved_secrets(
    credentials: Credentials, base: Path, environ: Mapping[str, str] | None = None
) -> list[tuple[str, SecretError]]:
    """Every secret reference of the credential profiles that cannot be resolved now, as (where, error):
    ``where`` names the profile and its field. Each secret is read and dropped at once, never kept."""
    problems = []
    for kind, profiles in (("snmp", credentials.snmp), ("ssh", credentials.ssh), ("tsig", credentials.tsig)):
        for profile in profiles:
            for field, value in profile:
                if isinstance(value, str) and field in SECRET_FIELDS:
                    try:
                        resolve_secret(value, base, environ)
                    except SecretError as exc:
                        problems.append((f"{kind} profile '{profile.name}', {field}", exc))
    return problems
