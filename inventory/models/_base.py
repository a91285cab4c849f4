"""The base of every inventory model and the small shared types."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, WithJsonSchema

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


def _text_only(value: object) -> object:
    # ipaddress accepts integers and booleans (YAML 'false' would become 0.0.0.0): only text is an address
    if not isinstance(value, str) and not isinstance(
        value, IPv4Address | IPv6Address | IPv4Network | IPv6Network | IPv4Interface | IPv6Interface
    ):
        raise ValueError(f"{value!r} is not an IP address or prefix; write it as text such as 10.10.20.1")
    return value


#: An IPv4 or IPv6 address, written as text.
IPAddress = Annotated[IPv4Address | IPv6Address, BeforeValidator(_text_only)]
#: An IPv4 or IPv6 network (host bits zero), written as text.
IPNetwork = Annotated[IPv4Network | IPv6Network, BeforeValidator(_text_only)]
#: An address with its prefix length (10.0.1.1/30), written as text.
IPInterface = Annotated[IPv4Interface | IPv6Interface, BeforeValidator(_text_only)]
