"""Errors of the collectors package. Nothing above ``collectors/`` sees a pysnmp or socket exception.

CollectorError
 ├── DeviceUnreachable   no answer (timeout): unreachable or wrong credentials
 ├── SnmpError           the device answered with an SNMP error status
 ├── DeviceMisbehaves    the device answered, but not as SNMP says it must (a walk that does not advance or
 │                       never ends, no sysUpTime); ``reason`` names how
 └── ProbeError          ICMP probing could not run (no socket permission)
"""

from __future__ import annotations

from i18n import Msg


class CollectorError(Exception):
    """Base of every collector error; ``device`` names the device when there is one."""

    reason = "error"  # a stable code: a metric label, and the key of the error's translations (core.checks)

    def __init__(self, message: str | Msg, device: str | None = None, reason: str | None = None) -> None:
        self.device = device
        if reason is not None:
            self.reason = reason
        super().__init__(message)


class DeviceUnreachable(CollectorError):
    """The device did not answer. SNMP agents do not answer wrong credentials, so both causes look alike."""

    reason = "timeout"

    def __init__(self, device: str, address: str, protocol: str, profile: str) -> None:
        self.address = address
        self.profile = profile
        super().__init__(
            f"{device} ({address}): no answer over {protocol} with credential profile '{profile}': "
            "unreachable or wrong credentials; check the route to it and the profile's secrets",
            device,
        )


class CredentialsRejected(CollectorError):
    """The device said no: an SNMPv3 report (wrong digest, unknown user). Wrong privacy keys get silence."""

    reason = "auth"

    def __init__(self, device: str, address: str, profile: str, detail: str) -> None:
        self.address = address
        self.profile = profile
        super().__init__(
            f"{device} ({address}): rejected the credentials of profile '{profile}' ({detail}); check its user "
            "and auth key",
            device,
        )


class SnmpError(CollectorError):
    reason = "snmp-error"


class ProbeError(CollectorError):
    reason = "probe-error"


class DeviceMisbehaves(CollectorError):
    """The device's answers break the protocol's rules; ``reason`` says which (exported as a label)."""

    def __init__(self, message: str | Msg, device: str, reason: str) -> None:
        self.reason = reason
        super().__init__(message, device)
