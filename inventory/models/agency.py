"""The agency that runs the data center."""

from __future__ import annotations

from zoneinfo import available_timezones

from pydantic import field_validator

from inventory.models._base import Model


class Agency(Model):
    """The Diskominfo: its name, DNS zone and time zone for reports."""

    name: str
    zone: str
    timezone: str = "Asia/Jakarta"
    team: str = "Tim Data Center"

    @field_validator("zone")
    @classmethod
    def _zone_is_a_domain(cls, value: str) -> str:
        labels = value.rstrip(".").split(".")
        if len(labels) < 2 or not all(_is_label(x) for x in labels):
            raise ValueError(f"'{value}' is not a DNS zone name such as 'pemkot.test'")
        return value.rstrip(".").lower()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError(f"unknown time zone '{value}'; use an IANA name such as 'Asia/Jakarta'")
        return value


def _is_label(text: str) -> bool:
    return 0 < len(text) <= 63 and text.replace("-", "").isalnum() and text[0] != "-" and text[-1] != "-"
