"""Resolution of secret references (``env:NAME``, ``file:PATH``), done only at the moment of use."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from inventory.errors import SecretError


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
            raise SecretError(reference, f"environment variable {target} is not set; export it before running")
        return value
    if kind == "file":
        path = Path(target) if Path(target).is_absolute() else base / target
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(reference, f"cannot read {path}: {exc.strerror}; check the path and its mode") from exc
    raise SecretError(reference, "a secret reference is 'env:NAME' or 'file:PATH'")
