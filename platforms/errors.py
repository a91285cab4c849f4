"""Errors of the platform registry.

PlatformError
 ├── UnknownPlatform   no module of the registry is named so (``platform`` names it, ``known`` the choices)
 └── BadPlatformModule a platform module that cannot be loaded or does not define ``PLATFORM`` well
"""

from __future__ import annotations

import difflib
from collections.abc import Collection


class PlatformError(Exception):
    """Base of the registry's errors."""


class UnknownPlatform(PlatformError):
    """A device's platform the registry has no module for."""

    def __init__(self, platform: str, known: Collection[str]) -> None:
        self.platform = platform
        self.known = tuple(sorted(known))
        close = difflib.get_close_matches(platform, self.known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        super().__init__(
            f"platform '{platform}' is not known; {hint}known: {', '.join(self.known)}; an agency's own platform "
            "is one module in a folder named by platform_dirs in pantau.yml"
        )


class BadPlatformModule(PlatformError):
    """A platform module that does not load, or whose ``PLATFORM`` is missing or wrong."""

    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        super().__init__(f"{source}: {detail}")
