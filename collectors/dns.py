"""DNS queries (dnspython): what a zone's primary server answers right now, asked directly, not through a resolver."""

from __future__ import annotations

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from collectors.errors import CollectorError
from i18n import Msg


class DnsQueryError(CollectorError):
    reason = "dns"


def query(server: str, name: str, rtype: str, timeout: float = 3.0, port: int = 53) -> set[str]:
    """The values of ``name``/``rtype`` on ``server`` (empty when the name or the type does not exist).

    Values are in presentation form without the final dot of names (``10.10.20.13``, ``simpeg.pemkot.test``).

    Raises:
        DnsQueryError: no answer within ``timeout``, or the server answered with an error.
    """
    return set(records(server, name, rtype, timeout, port))


def records(server: str, name: str, rtype: str, timeout: float = 3.0, port: int = 53) -> dict[str, int]:
    """Like :func:`query`, each value with its TTL (what a change must put back to undo itself).

    Raises:
        DnsQueryError: no answer within ``timeout``, or the server answered with an error.
    """
    request = dns.message.make_query(name, rtype)
    try:
        response = dns.query.udp(request, server, timeout=timeout, port=port)
        if response.flags & dns.flags.TC:
            response = dns.query.tcp(request, server, timeout=timeout, port=port)
    except dns.exception.Timeout:
        raise DnsQueryError(
            Msg(
                "no answer from DNS server {server} for {name} {rtype} within {timeout:g} s",
                server=server,
                name=name,
                rtype=rtype,
                timeout=timeout,
            )
        ) from None
    except OSError as exc:
        raise DnsQueryError(
            Msg(
                "cannot query DNS server {server} for {name} {rtype}: {why}",
                server=server,
                name=name,
                rtype=rtype,
                why=exc.strerror or exc,
            )
        ) from None
    rcode = response.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return {}
    if rcode != dns.rcode.NOERROR:
        raise DnsQueryError(
            Msg(
                "DNS server {server} answered {status} for {name} {rtype}",
                server=server,
                status=dns.rcode.to_text(rcode),
                name=name,
                rtype=rtype,
            )
        )
    wanted = dns.rdatatype.from_text(rtype)
    values: dict[str, int] = {}
    for rrset in response.answer:
        if rrset.rdtype == wanted and rrset.name == request.question[0].name:
            values.update((rdata.to_text().rstrip("."), rrset.ttl) for rdata in rrset)
    return values


def soa_serial(answer: set[str]) -> int | None:
    """The serial of an SOA answer (``mname rname serial refresh retry expire minimum``); None when there is
    none or it is not a number."""
    for value in answer:
        fields = value.split()
        if len(fields) >= 3 and fields[2].isdigit():
            return int(fields[2])
    return None
