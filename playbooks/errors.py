"""Errors of the playbooks package: what a playbook step reports to staff.

PlaybookError
 ├── DnsError        an RFC 2136 update or its verification failed (zone, key and server named)
 ├── DnsConflict     a record would overwrite another host's (use --replace to mean it)
 ├── RunError        a run cannot be found or started
 └── RunFailed       a step of a run failed (the run was compensated); carries the run id and step
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from i18n import Msg

if TYPE_CHECKING:
    from inventory.models import Inventory


class PlaybookError(Exception):
    """Base of every playbook error; the message is for staff and names what to do."""


class DnsError(PlaybookError):
    """``maybe_applied`` is False when the server certainly did not apply the update (connection refused,
    TSIG or prerequisite rejected), so there is nothing to compensate."""

    def __init__(self, message: str | Msg, maybe_applied: bool = False) -> None:
        self.maybe_applied = maybe_applied
        super().__init__(message)


class DnsConflict(DnsError):
    pass


class RunError(PlaybookError):
    pass


class RunFailed(PlaybookError):
    """A step failed and the run was compensated; the step's own error is the ``__cause__``."""

    def __init__(self, run_id: int, step: str, message: str, unfinished: tuple[str, ...] = ()) -> None:
        self.run_id = run_id
        self.step = step
        self.unfinished = unfinished  # steps whose undo failed too: the run is ``broken``
        super().__init__(message)

    @property
    def hint(self) -> str | None:
        """What the operator does next when the undo did not finish, else None."""
        if not self.unfinished:
            return None
        return (
            f"run {self.run_id} is broken: undoing {', '.join(self.unfinished)} failed as well, so part of it is "
            f"still in place (pantau runs show {self.run_id}); once the cause is fixed, run `pantau runs recover` "
            "to finish undoing it"
        )


def require_opd(inv: Inventory, opd: str, field: str = "--opd") -> str:
    """``opd`` when it is an OPD of the inventory; else a PlaybookError naming ``field`` and the OPDs."""
    slugs = [o.slug for o in inv.opds]
    if opd not in slugs:
        raise PlaybookError(
            Msg(
                "{field} '{opd}' is not an OPD of the inventory; OPDs: {known}",
                field=field,
                opd=opd,
                known=", ".join(slugs),
            )
        )
    return opd
