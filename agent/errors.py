"""Errors of the agent package.

AgentError
 └── ConfigError   the configuration file or an environment override is wrong
"""

from __future__ import annotations


class AgentError(Exception):
    """Base of every agent error."""


class ConfigError(AgentError):
    """The configuration is wrong; the message names the file or variable and the field."""
