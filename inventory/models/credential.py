"""Credential profiles: who pantau is to each device. Secrets are references, resolved only when used."""

from __future__ import annotations

from enum import StrEnum

from pydantic import model_validator

from inventory.models._base import Model, Name, SecretRef


class SnmpVersion(StrEnum):
    V2C = "v2c"
    V3 = "v3"


class AuthProtocol(StrEnum):
    SHA = "SHA"
    SHA256 = "SHA-256"


class PrivProtocol(StrEnum):
    AES = "AES"
    AES256 = "AES-256"


class SnmpProfile(Model):
    """SNMPv2c community or SNMPv3 authPriv user."""

    name: Name
    version: SnmpVersion
    community: SecretRef | None = None
    user: str | None = None
    auth_protocol: AuthProtocol = AuthProtocol.SHA
    auth_key: SecretRef | None = None
    priv_protocol: PrivProtocol = PrivProtocol.AES
    priv_key: SecretRef | None = None
    port: int = 161

    @model_validator(mode="after")
    def _complete(self) -> SnmpProfile:
        if self.version is SnmpVersion.V2C and self.community is None:
            raise ValueError("an SNMP v2c profile needs 'community' (env:NAME or file:PATH)")
        if self.version is SnmpVersion.V3 and not (self.user and self.auth_key and self.priv_key):
            raise ValueError("an SNMP v3 profile needs 'user', 'auth_key' and 'priv_key' (authPriv only)")
        return self


class SshProfile(Model):
    """An SSH login: a key file (preferred) or a password."""

    name: Name
    username: str
    key: SecretRef | None = None
    password: SecretRef | None = None
    port: int = 22

    @model_validator(mode="after")
    def _has_a_secret(self) -> SshProfile:
        if self.key is None and self.password is None:
            raise ValueError("an SSH profile needs 'key' or 'password' (env:NAME or file:PATH)")
        return self


class TsigAlgorithm(StrEnum):
    HMAC_SHA256 = "hmac-sha256"
    HMAC_SHA512 = "hmac-sha512"


class TsigProfile(Model):
    """A TSIG key (RFC 8945) for signed dynamic DNS updates."""

    name: Name
    key_name: str
    algorithm: TsigAlgorithm = TsigAlgorithm.HMAC_SHA256
    secret: SecretRef


class Credentials(Model):
    snmp: tuple[SnmpProfile, ...] = ()
    ssh: tuple[SshProfile, ...] = ()
    tsig: tuple[TsigProfile, ...] = ()
