"""Errors of the core package.

RuleError   an action the SOPs' rules do not allow (the message names what is allowed)
"""

from __future__ import annotations


class RuleError(Exception):
    """An action the rules refuse; the message is for staff and names what is allowed."""
