"""Whether the inventory's files changed since they were read (``opd add`` and ``opd remove`` write them; a
hand edit too), or a reload was asked for (SIGHUP): a stat of each file, no read, before each SNMP round."""

from __future__ import annotations

from pathlib import Path

from inventory.loader import inventory_files


class InventoryWatch:
    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._wanted = False
        self._seen = self._fingerprint()

    def _fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        if self.directory is None:
            return ()
        try:
            return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in inventory_files(self.directory))
        except OSError:
            return ()

    def request(self) -> None:
        """Read the inventory again before the next round (SIGHUP)."""
        self._wanted = True

    def due(self) -> bool:
        """Whether to read the inventory again now (once per change: the next call says no)."""
        seen = self._fingerprint()
        due = self._wanted or seen != self._seen
        self._wanted, self._seen = False, seen
        return due
