"""The base of every inventory model and the small shared types."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, WithJsonSchema

_SLUG = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"
_REFERENCE = r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$"


def _slug(value: str) -> str:
    if not re.fullmatch(_SLUG, value):
        raise ValueError(
            f"'{value}' is not a DNS label; use 1-63 lower-case letters, digits and inner '-' (e.g. 'dinkes')"
        )
    return value


def _name(value: str) -> str:
    if not re.fullmatch(_NAME, value):
        raise ValueError(f"'{value}' is not a valid name; use letters, digits, '.', '-', '_' (max 63)")
    return value


def _secret(value: str) -> str:
    if not re.fullmatch(_REFERENCE, value):
        raise ValueError("secrets are not stored in the inventory; write a reference 'env:NAME' or 'file:PATH'")
    return value


#: A DNS label (RFC 1035 with RFC 1123 digits first): used as slug in labels, DNS names and file names.
Slug = Annotated[str, AfterValidator(_slug), WithJsonSchema({"type": "string", "pattern": _SLUG})]

#: A name of an inventory object: letters, digits, dot, dash, underscore.
Name = Annotated[str, AfterValidator(_name), WithJsonSchema({"type": "string", "pattern": _NAME})]

#: A reference to a secret kept outside the inventory: ``env:NAME`` or ``file:PATH``.
SecretRef = Annotated[str, AfterValidator(_secret), WithJsonSchema({"type": "string", "pattern": _REFERENCE})]


class Model(BaseModel):
    """Frozen, strict-keyed data: invariants only, no I/O."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
