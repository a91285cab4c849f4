"""A Windows host, read by SNMP only (its SNMP service's IF-MIB and HOST-RESOURCES-MIB): pantau never logs
in to it. Its interfaces are named in ifDescr by the adapter (``Intel(R) PRO/1000 MT Network
Connection``, some ending in a NUL), and ifName by Windows' own index names (``ethernet_32768``)."""

from __future__ import annotations

from platforms import DeviceKind, Platform

PLATFORM = Platform(
    name="windows",
    title="Windows host (SNMP)",
    driver=None,
    kinds=(DeviceKind.SERVER,),
    redaction=(),  # no configuration is read: nothing to hide
)
