"""``pantau alerts``: the shipped alert rules as an agency installs them in Prometheus."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from agent.cli.common import ConfigOption, wired
from agent.errors import AgentError
from exporters.runbooks import rules_for
from i18n import Msg

alerts_app = typer.Typer(no_args_is_help=True, help="The alert rules for Prometheus, linked to their runbooks.")
UrlOption = Annotated[
    str | None,
    typer.Option("--external-url", help="the status page's address as users reach it (default: web.external_url)"),
]


@alerts_app.command("rules")
def alerts_rules(config_path: ConfigOption = None, external_url: UrlOption = None) -> None:
    """Print the alert rules with each runbook_url on the status page (/runbooks/ALERT), for Prometheus."""
    deps = wired(config_path)
    base = external_url or deps.config.web.external_url
    if not base:
        raise AgentError(
            Msg(
                "the runbook links need the status page's address: set web.external_url in {config} "
                "(or PANTAU_WEB__EXTERNAL_URL), or give --external-url",
                config=config_path or "pantau.yml",
            )
        )
    if not base.startswith(("http://", "https://")):
        raise AgentError(Msg("--external-url {url} is not an http:// or https:// address", url=base))
    sys.stdout.write(rules_for(base, deps.sops))
