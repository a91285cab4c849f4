"""Every playbook by name: what ``pantau runs recover`` compensates a run of."""

from __future__ import annotations

from typing import Any

from playbooks.colocate import COLOCATE, ServerDeps
from playbooks.decommission import DECOMMISSION
from playbooks.engine import Playbook

PLAYBOOKS: dict[str, Playbook[Any, ServerDeps, Any]] = {p.name: p for p in (COLOCATE, DECOMMISSION)}
