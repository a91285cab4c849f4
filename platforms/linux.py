"""A Linux server over SSH (a login shell): disk use from ``df -P``. No configuration is read from it."""

from __future__ import annotations

from platforms import Command, Platform

PLATFORM = Platform(
    name="linux",
    title="Linux server",
    driver="linux",
    commands={"disk": Command("df -P /", "linux_df_p.textfsm")},
    redaction=(),  # no configuration is read: nothing to hide
)
