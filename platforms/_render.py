"""The configuration templates of the platforms (``platforms/config/<platform>/<name>.j2``), rendered with
Jinja2: strict (a value a template uses and the context lacks is an error, never an empty string),
plain text (device configuration, not HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2

from platforms import CONFIG_TEMPLATES
from platforms.errors import PlatformError


def render_config(platform: str, template: str, context: Mapping[str, Any]) -> str:
    """Render ``platforms/config/<platform>/<template>.j2`` with ``context``.

    Raises:
        PlatformError: no such template; a value the template uses is missing.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(CONFIG_TEMPLATES / platform),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 (device configuration, not HTML)
    )
    try:
        return env.get_template(f"{template}.j2").render(context)
    except jinja2.TemplateNotFound:
        raise PlatformError(f"platform {platform} has no configuration template {template}.j2") from None
    except jinja2.UndefinedError as exc:
        raise PlatformError(f"template {platform}/{template}.j2: {exc.message}") from None
