"""DNS effector: RFC 2136 dynamic updates signed with TSIG (dnspython), to the zone's primary.

Every add carries a prerequisite so it never silently overwrites another host's record: the name must
have no record of that type (no record at all for a CNAME). If it already has exactly the wanted value,
the add is a no-op ("already present"), so playbooks can run twice. ``replace=True`` deletes the rrset
and adds the value in one atomic update. Deletes carry the value as a prerequisite, so they only remove
the record the playbook made, and only while it is the name's only record of that type; a delete can put
back in the same update what a replacing add removed. The TSIG secret is read from the credential
reference on first use and never printed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import dns.exception
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.tsig
import dns.update
import dns.xfr
import dns.zone

from collectors.dns import DnsQueryError, records
from i18n import Msg
from inventory.models import Inventory, Zone, ZoneKind
from inventory.secrets import resolve_secret
from playbooks.errors import DnsConflict, DnsError

DEFAULT_TTL = 3600
ZONE_TTL = 60.0  # seconds a transferred zone is trusted for: a colocation's several candidates, not a day
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    zone: str
    name: str  # absolute, without the final dot
    rtype: str  # A | AAAA | PTR | CNAME
    value: str  # address, or a name without the final dot
    ttl: int = DEFAULT_TTL

    def __str__(self) -> str:
        return f"{self.name} {self.rtype} {self.value}"


class DnsOutcome(StrEnum):
    """What an update did at the zone's primary (the text is what run facts and outputs show)."""

    ADDED = "added"
    REPLACED = "replaced"
    ALREADY_PRESENT = "already present"  # the name held exactly this value: nothing sent changed it
    DELETED = "deleted"
    ALREADY_ABSENT = "already absent"  # the name holds something else now: not this record to remove


def _no_transfer(zone: Zone, exc: BaseException) -> Msg:
    return Msg(
        "zone {zone}: no transfer from {primary} ({exc}); allow pantau to transfer the zone (BIND: "
        "allow-transfer, with the zone's TSIG key)",
        zone=zone.name,
        primary=zone.primary,
        exc=str(exc) or type(exc).__name__,
    )


class DnsUpdater:
    """Adds and deletes records in the inventory's zones by RFC 2136 + TSIG."""

    def __init__(self, inventory: Inventory, inventory_dir: Path, timeout: float = 5.0) -> None:
        self.inventory = inventory
        self.inventory_dir = inventory_dir
        self.timeout = timeout
        self._keys: dict[str, dns.tsig.Key] = {}
        self._zones: dict[str, tuple[float, dict[str, list[Record]]]] = {}  # zone -> (when, address -> records)

    # ---- which zone ------------------------------------------------------------------------------
    def zone(self, name: str) -> Zone:
        """The zone holding ``name`` (longest suffix match among the inventory's zones)."""
        name = name.rstrip(".").lower()
        holding = [z for z in self.inventory.zones if name == z.name or name.endswith("." + z.name)]
        if not holding:
            zones = ", ".join(z.name for z in self.inventory.zones)
            raise DnsError(
                Msg(
                    "no zone of the inventory holds {name} (zones: {zones}); add it to zones.yml",
                    name=name,
                    zones=zones,
                )
            )
        return max(holding, key=lambda z: len(z.name))

    def address_record(self, fqdn: str, address: str, ttl: int = DEFAULT_TTL) -> Record:
        rtype = "AAAA" if ipaddress.ip_address(address).version == 6 else "A"
        return Record(self.zone(fqdn).name, fqdn.rstrip(".").lower(), rtype, address, ttl)

    def pointer_record(self, address: str, fqdn: str, ttl: int = DEFAULT_TTL) -> Record:
        ptr = ipaddress.ip_address(address).reverse_pointer
        zone = self.zone(ptr)
        if zone.kind is not ZoneKind.REVERSE:
            raise DnsError(
                Msg("no reverse zone of the inventory covers {address}; add one to zones.yml", address=address)
            )
        return Record(zone.name, ptr, "PTR", fqdn.rstrip(".").lower(), ttl)

    def alias_record(self, alias: str, target: str, ttl: int = DEFAULT_TTL) -> Record:
        return Record(self.zone(alias).name, alias.rstrip(".").lower(), "CNAME", target.rstrip(".").lower(), ttl)

    # ---- changes ---------------------------------------------------------------------------------
    def add(self, record: Record, replace: bool = False) -> DnsOutcome:
        """Add ``record``: ADDED, REPLACED or ALREADY_PRESENT.

        Raises:
            DnsConflict: the name already holds another value (and ``replace`` is False).
            DnsError: the update failed (no answer, TSIG rejected, refused).
        """
        zone = self.zone(record.name)
        update = self._message(zone)
        rdata = _value(record)
        if replace:
            update.delete(record.name + ".", record.rtype)
            if record.rtype == "CNAME":
                update.delete(record.name + ".")
        elif record.rtype == "CNAME":
            update.absent(record.name + ".")
        else:
            update.absent(record.name + ".", record.rtype)
        update.add(record.name + ".", record.ttl, record.rtype, rdata)
        rcode = self._send(zone, update, record)
        if rcode == dns.rcode.NOERROR:
            return DnsOutcome.REPLACED if replace else DnsOutcome.ADDED
        if rcode in (dns.rcode.YXRRSET, dns.rcode.YXDOMAIN):
            existing = self.current(record)
            if existing == {record.value}:
                return DnsOutcome.ALREADY_PRESENT
            shown = ", ".join(sorted(existing)) or "records of other types"
            raise DnsConflict(
                Msg(
                    "zone {zone}: {name} already has {rtype} {shown}, not {value}; it may belong to another host: "
                    "check it, then use --replace to overwrite",
                    zone=zone.name,
                    name=record.name,
                    rtype=record.rtype if existing else "",
                    shown=shown,
                    value=record.value,
                )
            )
        raise self._rcode_error(zone, rcode, record)

    def delete(self, record: Record, restore: Sequence[Record] = ()) -> DnsOutcome:
        """Delete exactly ``record`` (name, type and value), only while the name's records of that type are
        exactly it (RFC 2136 value-dependent prerequisite); with ``restore``, put those records back in the
        same update (the values a replacing add removed, with their TTLs). DELETED, or ALREADY_ABSENT (the name
        holds something else now: not this record to remove).

        Raises:
            DnsError: the update failed (no answer, TSIG rejected, refused).
        """
        zone = self.zone(record.name)
        update = self._message(zone)
        rdata = _value(record)
        update.present(record.name + ".", dns.rdata.from_text("IN", record.rtype, rdata))
        update.delete(record.name + ".", record.rtype, rdata)
        for old in restore:
            update.add(old.name + ".", old.ttl, old.rtype, _value(old))
        rcode = self._send(zone, update, record)
        if rcode == dns.rcode.NOERROR:
            return DnsOutcome.DELETED
        if rcode in (dns.rcode.NXRRSET, dns.rcode.NXDOMAIN):
            return DnsOutcome.ALREADY_ABSENT
        raise self._rcode_error(zone, rcode, record)

    def current(self, record: Record) -> set[str]:
        """What the zone's primary answers for ``record``'s name and type now.

        Raises:
            DnsError: the primary did not answer, or answered with an error.
        """
        return {r.value for r in self.existing(record)}

    def existing(self, record: Record) -> list[Record]:
        """The records the zone's primary holds now at ``record``'s name and type, with their TTLs: the state
        a change of this run must leave as it found when it is undone.

        Raises:
            DnsError: the primary did not answer, or answered with an error.
        """
        zone = self.zone(record.name)
        try:
            found = records(str(zone.primary), record.name, record.rtype, timeout=self.timeout)
        except (DnsQueryError, dns.exception.DNSException) as exc:  # the latter: an answer dnspython cannot read
            raise DnsError(
                Msg("zone {name} on primary {primary}: {exc}; is it up?", name=zone.name, primary=zone.primary, exc=exc)
            ) from None
        return [dataclasses.replace(record, value=value, ttl=ttl) for value, ttl in sorted(found.items())]

    # ---- what the zones already hold --------------------------------------------------------------
    def records_at(self, address: str) -> list[Record]:
        """What the agency's zones hold for ``address``, whoever wrote it: its PTR records (asked of the
        reverse zone's primary) and every A/AAAA record of the forward zones that points at it (from a zone
        transfer, signed with the zone's TSIG key, kept for :data:`ZONE_TTL` seconds). A forward zone that
        cannot be transferred is logged and left out: its A records cannot be seen.

        Raises:
            DnsQueryError: the reverse zone's primary does not answer.
        """
        found: list[Record] = []
        ptr = ipaddress.ip_address(address).reverse_pointer
        reverse = [z for z in self.inventory.zones if z.kind is ZoneKind.REVERSE and ptr.endswith("." + z.name)]
        if reverse:
            zone = max(reverse, key=lambda z: len(z.name))
            for value in sorted(records(str(zone.primary), ptr, "PTR", self.timeout)):
                found.append(Record(zone.name, ptr, "PTR", value))
        key = str(ipaddress.ip_address(address))
        for zone in self.inventory.zones:
            if zone.kind is ZoneKind.FORWARD:
                found.extend(self._addresses(zone).get(key, ()))
        return found

    def zone_records(self) -> list[Record]:
        """Every A, AAAA and PTR record of the inventory's zones, by a fresh transfer of each.

        Raises:
            DnsError: a zone cannot be transferred (refused, no answer, TSIG rejected): named, with what to do.
        """
        found: list[Record] = []
        for zone in self.inventory.zones:
            try:
                found.extend(self._transfer(zone))
            except (dns.exception.DNSException, OSError) as exc:
                raise DnsError(_no_transfer(zone, exc)) from None
        return found

    def _addresses(self, zone: Zone) -> dict[str, list[Record]]:
        """Address -> the A/AAAA records of ``zone`` that point at it, from a transfer at most
        :data:`ZONE_TTL` seconds old (empty, and logged, where the zone cannot be transferred)."""
        cached = self._zones.get(zone.name)
        if cached is not None and time.monotonic() - cached[0] < ZONE_TTL:
            return cached[1]
        by_address: dict[str, list[Record]] = {}
        try:
            for record in self._transfer(zone):
                if record.rtype in ("A", "AAAA"):
                    by_address.setdefault(record.value, []).append(record)
        except (dns.exception.DNSException, OSError, DnsError) as exc:
            log.warning("%s; A records pointing at a new address are not checked", _no_transfer(zone, exc))
        self._zones[zone.name] = (time.monotonic(), by_address)
        return by_address

    def _transfer(self, zone: Zone) -> list[Record]:
        """The A, AAAA and PTR records of ``zone`` (AXFR from its primary, TSIG-signed if it has a key)."""
        origin = dns.name.from_text(zone.name + ".")
        copy = dns.zone.Zone(origin)
        key = self._key(zone) if zone.tsig is not None else None
        query, _ = dns.xfr.make_query(copy, serial=None, keyring=key, keyname=key.name if key else None)
        dns.query.inbound_xfr(str(zone.primary), copy, query=query, timeout=self.timeout, lifetime=4 * self.timeout)
        found: list[Record] = []
        for rtype in ("A", "AAAA", "PTR"):
            for name, ttl, rdata in copy.iterate_rdatas(rtype):
                fqdn = name.derelativize(origin).to_text().rstrip(".").lower()
                text = rdata.to_text()
                value = str(ipaddress.ip_address(text)) if rtype != "PTR" else text.rstrip(".").lower()
                found.append(Record(zone.name, fqdn, rtype, value, ttl))
        return found

    # ---- plumbing --------------------------------------------------------------------------------
    def _key(self, zone: Zone) -> dns.tsig.Key:
        if zone.tsig is None:
            raise DnsError(
                Msg("zone {name} has no TSIG profile in zones.yml; dynamic updates must be signed", name=zone.name)
            )
        if zone.tsig not in self._keys:
            profile = self.inventory.tsig_profile(zone.tsig)
            secret = resolve_secret(profile.secret, self.inventory_dir)
            try:
                self._keys[zone.tsig] = dns.tsig.Key(profile.key_name, secret.strip(), str(profile.algorithm))
            except (ValueError, TypeError):
                raise DnsError(
                    Msg(
                        "TSIG profile '{name}': the secret is not valid base64; check the file or "
                        "variable it refers to",
                        name=profile.name,
                    )
                ) from None
        return self._keys[zone.tsig]

    def _message(self, zone: Zone) -> dns.update.UpdateMessage:
        return dns.update.UpdateMessage(zone.name + ".", keyring=self._key(zone))

    def _send(self, zone: Zone, update: dns.update.UpdateMessage, record: Record) -> int:
        key = self._key(zone)
        where = Msg("zone {zone} on primary {primary}", zone=zone.name, primary=zone.primary)
        try:
            response = dns.query.tcp(update, str(zone.primary), timeout=self.timeout)
        except dns.exception.Timeout:
            raise DnsError(
                Msg(
                    "{where}: no answer within {timeout:g} s to the update of {record}; is it up?",
                    where=where,
                    timeout=self.timeout,
                    record=record,
                ),
                maybe_applied=True,
            ) from None
        except (dns.tsig.PeerError, dns.tsig.BadSignature, dns.tsig.BadKey) as exc:
            raise DnsError(
                Msg(
                    "{where} rejected TSIG key '{key}' ({error}); check the secret of the zone's TSIG profile '{tsig}'",
                    where=where,
                    key=key.name.to_text(omit_final_dot=True),
                    error=type(exc).__name__,
                    tsig=zone.tsig,
                )
            ) from None
        except (ConnectionRefusedError, ConnectionAbortedError) as exc:  # refused before anything was sent
            raise DnsError(
                Msg(
                    "{where}: cannot send the update of {record}: {why}; is it up?",
                    where=where,
                    record=record,
                    why=exc.strerror or exc,
                )
            ) from None
        except OSError as exc:
            raise DnsError(
                Msg(
                    "{where}: the update of {record} failed: {why}; is it up?",
                    where=where,
                    record=record,
                    why=exc.strerror or exc,
                ),
                maybe_applied=True,
            ) from None
        return int(response.rcode())

    def _rcode_error(self, zone: Zone, rcode: int, record: Record) -> DnsError:
        key = self._key(zone).name.to_text(omit_final_dot=True)
        text = dns.rcode.to_text(dns.rcode.Rcode(rcode))
        hint = {
            "NOTAUTH": Msg(
                "the server does not accept TSIG key '{key}' for this zone; check the secret and allow-update", key=key
            ),
            "REFUSED": Msg(
                "the server refuses updates signed with '{key}' for this zone; check its allow-update", key=key
            ),
            "NOTZONE": Msg("the name is outside the zone"),
        }.get(text, Msg("see the server's log"))
        return DnsError(
            Msg(
                "zone {zone} on primary {primary}: {rcode} for {record}: {hint}",
                zone=zone.name,
                primary=zone.primary,
                rcode=text,
                record=record,
                hint=hint,
            )
        )


def _value(record: Record) -> str:
    return record.value + "." if record.rtype in ("PTR", "CNAME") else record.value
