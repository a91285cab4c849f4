"""SNMP requests to one device: GET, GETBULK and column walks, checked, over the right path for its version.

:class:`SnmpClient` holds what every device shares (one pysnmp engine per event loop, the v2c wire client,
the bound on requests in flight, the secrets read so far); :meth:`SnmpClient.session` gives one device's
:class:`Session`. SNMPv2c goes through :mod:`collectors.snmp_wire`, requests and walks alike (pysnmp's
pyasn1 decoding cost ~125 µs of CPU per varbind, and its transport target resolves the address in a
thread on every use); SNMPv3, with its USM security, goes through pysnmp. Either way a walk stops at
``MAX_WALK_ROWS`` rows and at an OID that does not increase, and every error is a :mod:`collectors.errors`
exception naming the device.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    bulk_walk_cmd,
    get_cmd,
    usmAesBlumenthalCfb256Protocol,
    usmAesCfb128Protocol,
    usmHMAC192SHA256AuthProtocol,
    usmHMACSHAAuthProtocol,
)
from pysnmp.proto.rfc1902 import ObjectName
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject, unSpecified

from collectors.errors import CredentialsRejected, DeviceMisbehaves, DeviceUnreachable, SnmpError
from collectors.snmp_values import number
from collectors.snmp_wire import ERROR_STATUS, GET, GETBULK, V2cClient
from i18n import Msg
from inventory.models import AuthProtocol, Device, PrivProtocol, SnmpProfile, SnmpVersion
from inventory.secrets import resolve_secret

MAX_WALK_ROWS = 65_536  # rows one walk may return before the device is taken to be looping or streaming
AUTH = {AuthProtocol.SHA: usmHMACSHAAuthProtocol, AuthProtocol.SHA256: usmHMAC192SHA256AuthProtocol}
# net-snmp's "AES-256" is the Blumenthal key extension (draft-blumenthal-aes-usm-04)
PRIV = {PrivProtocol.AES: usmAesCfb128Protocol, PrivProtocol.AES256: usmAesBlumenthalCfb256Protocol}
_ABSENT = (NoSuchObject, NoSuchInstance, EndOfMibView)


class RawVarBind(ObjectType):  # type: ignore[misc]
    """A numeric OID to request, handed to pysnmp's message layer as is.

    The high-level API resolves every outgoing ``ObjectType`` against the MIB view, even with
    ``lookupMib=False`` (profiled: 80 % of the CPU of a 1,000-interface poll with plain ObjectTypes,
    still 11 % with a cache of resolved ones). Its ``make_varbinds`` keeps what ``resolve_with_mib``
    returns, so this returns the final ``(ObjectName, unSpecified)`` pair and skips the MIB.
    """

    def __init__(self, oid: str) -> None:  # no super().__init__: nothing but resolve_with_mib is used
        self.oid = oid

    def resolve_with_mib(self, mibViewController: Any, ignoreErrors: bool = True) -> Any:
        return ObjectName(self.oid), unSpecified


def oid_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


class SnmpClient:
    """What the devices' sessions share; one per event loop."""

    def __init__(self, inventory_dir: Path, timeout: float = 2.0, retries: int = 1, max_in_flight: int = 64) -> None:
        self.inventory_dir = inventory_dir
        self.timeout = timeout
        self.retries = retries
        self.engine = SnmpEngine()
        self.in_flight = asyncio.Semaphore(max_in_flight)
        self.v2c = V2cClient()
        self._auth: dict[str, Any] = {}
        self._community: dict[str, bytes] = {}
        self._targets: dict[tuple[str, int], Any] = {}

    def close(self) -> None:
        self.engine.close_dispatcher()
        self.v2c.close()

    def session(self, device: Device, profile: SnmpProfile) -> Session:
        """``device``'s session with the secrets of ``profile`` (read on first use, kept only in memory).

        Raises:
            SecretError: the profile's secret cannot be read.
        """
        if profile.name not in self._auth:
            if profile.version is SnmpVersion.V2C:
                assert profile.community is not None  # the model guarantees it
                community = resolve_secret(profile.community, self.inventory_dir)
                self._auth[profile.name] = CommunityData(community, mpModel=1)
                self._community[profile.name] = community.encode()
            else:
                assert profile.user and profile.auth_key and profile.priv_key
                self._auth[profile.name] = UsmUserData(
                    profile.user,
                    authKey=resolve_secret(profile.auth_key, self.inventory_dir),
                    privKey=resolve_secret(profile.priv_key, self.inventory_dir),
                    authProtocol=AUTH[profile.auth_protocol],
                    privProtocol=PRIV[profile.priv_protocol],
                )
        return Session(self, device, profile, self._auth[profile.name], self._community.get(profile.name))

    async def target(self, address: str, port: int) -> Any:
        """pysnmp's transport target of a peer (SNMPv3 only), made once: making one resolves the address."""
        key = (address, port)
        if key not in self._targets:
            self._targets[key] = await UdpTransportTarget.create(key, timeout=self.timeout, retries=self.retries)
        return self._targets[key]

    def forget_peer(self, address: str, port: int) -> bool:
        """Drop what pysnmp cached of a peer's SNMPv3 engine (ID, boots, time).

        pysnmp 7.1 keeps the boots/time it learned and never re-synchronizes after the peer restarts
        (seen in the lab: every request times out until the cache is dropped; net-snmp's CLI, which
        rediscovers, works). Both caches are private attributes, so this degrades to a no-op if they move.
        """
        mp = self.engine.message_processing_subsystems.get(3)
        usm = self.engine.security_models.get(3)
        engine_ids: dict[Any, Any] = getattr(mp, "_SnmpV3MessageProcessingModel__engineIdCache", {})
        timeline: dict[Any, Any] = getattr(usm, "_SnmpUSMSecurityModel__timeline", {})
        forgot = False
        for key in [k for k in engine_ids if k[1] == (address, port)]:
            timeline.pop(engine_ids[key].get("securityEngineId"), None)
            del engine_ids[key]
            forgot = True
        return forgot


class Session:
    """One device's requests. Values are Python ints and bytes over v2c, pysnmp objects over v3; read numbers
    with :func:`collectors.snmp_values.number`."""

    def __init__(
        self, client: SnmpClient, device: Device, profile: SnmpProfile, auth: Any, community: bytes | None
    ) -> None:
        self.client = client
        self.device = device
        self.profile = profile
        self.address = str(device.mgmt_address)
        self._auth = auth
        self._community = community

    async def get(self, oids: Sequence[str]) -> dict[str, Any]:
        """The values of ``oids`` the device has (numbers as int; absent ones left out)."""
        out: dict[str, Any] = {}
        for oid, value in await self.request(GET, oids):
            if isinstance(value, _ABSENT):
                continue
            n = number(value)
            out[oid] = value if n is None else n
        return out

    async def request(
        self, pdu: int, oids: Sequence[str], non_repeaters: int = 0, repetitions: int = 0
    ) -> list[tuple[str, Any]]:
        """One GET or GETBULK: (dotted OID, value) pairs.

        Raises:
            DeviceUnreachable: no answer within timeout × (1 + retries).
            SnmpError: the device answered with an error status.
            CredentialsRejected: an SNMPv3 report refused the profile's user or key.
        """
        client = self.client
        async with client.in_flight:
            if self._community is not None:
                response = await client.v2c.request(
                    self.address,
                    self.profile.port,
                    self._community,
                    pdu,
                    oids,
                    client.timeout,
                    client.retries,
                    non_repeaters,
                    repetitions,
                )
                if response is None:
                    raise DeviceUnreachable(self.device.name, self.address, "SNMP v2c", self.profile.name)
                if response.error_status:
                    status = ERROR_STATUS.get(response.error_status, str(response.error_status))
                    raise SnmpError(
                        Msg(
                            "{name}: SNMP error {status} at varbind {error_index}",
                            name=self.device.name,
                            status=status,
                            error_index=response.error_index,
                        ),
                        self.device.name,
                    )
                return response.varbinds
            target = await client.target(self.address, self.profile.port)
            request = [RawVarBind(o) for o in oids]
            if pdu == GETBULK:
                answer = await bulk_cmd(
                    client.engine, self._auth, target, ContextData(), non_repeaters, repetitions, *request,
                    lookupMib=False,
                )  # fmt: skip
            else:
                answer = await get_cmd(client.engine, self._auth, target, ContextData(), *request, lookupMib=False)
        self._check(*answer[:3])
        return [(str(oid), value) for oid, value in answer[3]]

    async def walk(self, column: str, repetitions: int = 25) -> list[tuple[str, Any]]:
        """The rows of one column, (dotted OID, value), in order.

        Raises:
            DeviceMisbehaves: the OIDs do not increase, or the column passes ``MAX_WALK_ROWS`` rows.
        """
        rows: list[tuple[str, Any]] = []
        last = oid_tuple(column)
        if self._community is None:
            async for answer in self._pysnmp_walk(column, repetitions):
                last = self._advance(column, last, rows, answer)
            return rows
        prefix, at = column + ".", column
        while True:
            answer = await self.request(GETBULK, [at], 0, repetitions)
            inside = [(o, v) for o, v in answer if o.startswith(prefix) and not isinstance(v, EndOfMibView)]
            last = self._advance(column, last, rows, inside)
            if not inside or len(inside) < len(answer):
                return rows  # past the column's end (or an empty answer: nothing more to ask for)
            at = inside[-1][0]

    async def _pysnmp_walk(self, column: str, repetitions: int) -> Any:
        target = await self.client.target(self.address, self.profile.port)
        async with self.client.in_flight:
            async for err_ind, err_stat, err_idx, var_binds in bulk_walk_cmd(
                self.client.engine,
                self._auth,
                target,
                ContextData(),
                0,
                repetitions,
                ObjectType(ObjectIdentity(column)),  # walks index the varbind: a RawVarBind will not do
                lexicographicMode=False,
                lookupMib=False,
            ):
                self._check(err_ind, err_stat, err_idx)
                yield [(str(oid), value) for oid, value in var_binds]

    def _advance(
        self, column: str, last: tuple[int, ...], rows: list[tuple[str, Any]], answer: list[tuple[str, Any]]
    ) -> tuple[int, ...]:
        """Add ``answer``'s rows that hold a value to ``rows``, after checking that its OIDs increase (an agent
        that answers the same OID again would otherwise be walked until the deadline); the last OID."""
        for oid, value in answer:
            now = oid_tuple(oid)
            if now <= last:
                raise DeviceMisbehaves(
                    Msg(
                        "{name}: the walk of {column} went back to {oid} (OIDs must increase); its agent loops",
                        name=self.device.name,
                        column=column,
                        oid=oid,
                    ),
                    self.device.name,
                    "non-increasing",
                )
            last = now
            if not isinstance(value, _ABSENT):
                rows.append((oid, value))
        if len(rows) > MAX_WALK_ROWS:
            raise DeviceMisbehaves(
                Msg(
                    "{name}: the walk of {column} passed {rows} rows; its table does not end",
                    name=self.device.name,
                    column=column,
                    rows=MAX_WALK_ROWS,
                ),
                self.device.name,
                "walk-limit",
            )
        return last

    def unreachable(self) -> None:
        """After no answer: over SNMPv3 perhaps the agent restarted (engineBoots went up), so its engine is
        rediscovered next time."""
        if self.profile.version is SnmpVersion.V3:
            self.client.forget_peer(self.address, self.profile.port)

    def _check(self, err_ind: Any, err_stat: Any, err_idx: Any) -> None:
        name, profile = self.device.name, self.profile
        if err_ind:
            text = str(err_ind)
            if "timeout" in text.lower() or "timed out" in text.lower():
                raise DeviceUnreachable(name, self.address, f"SNMP {profile.version}", profile.name)
            if any(word in text for word in ("digest", "USM user", "decrypt")):
                raise CredentialsRejected(name, self.address, profile.name, text)
            if "increasing" in text.lower():
                raise DeviceMisbehaves(
                    Msg("{name}: {text} in a walk; the device's agent loops", name=name, text=text),
                    name,
                    "non-increasing",
                )
            raise SnmpError(
                Msg("{name}: {text} (credential profile '{profile}')", name=name, text=text, profile=profile.name), name
            )
        if err_stat:
            raise SnmpError(
                Msg(
                    "{name}: SNMP error {status} at varbind {err_idx}",
                    name=name,
                    status=err_stat.prettyPrint(),
                    err_idx=err_idx,
                ),
                name,
            )
