"""Bandwidth boosts (``pantau bandwidth set --until``): a change with an end. The end is kept in the store
as the boost's run (its ``until`` and the limits read before it), so it survives a restart of the agent,
which puts those limits back once the time has come, as a shaping change of its own (with the device's
revert armed again); a queue changed since by anyone else is left as it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from i18n import Msg
from playbooks.engine import PlaybookRunner
from playbooks.errors import PlaybookError, RunFailed
from playbooks.shaping import SHAPING, SHAPING_NAME, ShapingFacts, ShapingRequest
from store import runs
from store.engine import Store
from store.runs import RunState

#: a boost's end that failed (a device unreachable) is tried again this much later
RETRY_BOOST_END = timedelta(minutes=5)


def boost_end(text: str, tz: str, now: datetime) -> str:
    """``--until``'s 'YYYY-MM-DD HH:MM' (or with ':SS') in the agency's time zone, as an ISO instant (UTC).

    Raises:
        PlaybookError: not that form, or not in the future.
    """
    local = None
    for form in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            local = datetime.strptime(text.strip(), form).replace(tzinfo=ZoneInfo(tz))
            break
        except ValueError:
            continue
    if local is None:
        raise PlaybookError(Msg("--until '{text}' is not 'YYYY-MM-DD HH:MM' (as 2026-12-10 17:00)", text=text))
    if local <= now:
        raise PlaybookError(Msg("--until {text} ({tz}) is not in the future", text=text, tz=tz))
    return local.astimezone(UTC).isoformat()


def due_boosts(store: Store, now: datetime) -> list[ShapingRequest]:
    """The ends of the boosts due at ``now``: for each succeeded change with an ``until`` that has passed and
    no succeeded or running end yet, the change that puts the limits read before it back."""
    all_runs = runs.of_playbook(store, SHAPING_NAME)
    ended = {
        r.params.get("restores_run")
        for r in all_runs
        if r.state in (RunState.SUCCEEDED, RunState.RUNNING, RunState.RECOVERING)
    }
    tried = {  # the last end of each boost that failed: tried again RETRY_BOOST_END later
        r.params.get("restores_run"): r.started_at for r in all_runs if r.state in (RunState.FAILED, RunState.BROKEN)
    }
    due = []
    for run in all_runs:
        until = run.params.get("until")
        if run.state is not RunState.SUCCEEDED or until is None or run.id in ended:
            continue
        last = tried.get(run.id)
        if datetime.fromisoformat(until) > now or (last is not None and now - last < RETRY_BOOST_END):
            continue
        facts = ShapingFacts.model_validate(run.facts)
        changes = [
            {"opd": q.opd, "ceiling_bps": q.before.ceiling_bps, "guaranteed_bps": q.before.guaranteed_bps}
            for d in facts.devices
            for q in d.queues
        ]
        seconds = max(d.revert_seconds for d in facts.devices) if facts.devices else 120
        due.append(ShapingRequest(changes, seconds, restores_run=run.id, measure=run.params.get("measure", True)))
    return due


def end_due_boosts(
    runner: PlaybookRunner[Any], by: str, now: datetime, ended: Callable[[int], object] = lambda run_id: None
) -> list[str]:
    """Run the end of every boost due at ``now`` (the agent looks every 30 s); ``ended`` is called with the
    id of each end that succeeded (its Berita Acara); a line per end."""
    done = []
    for request in due_boosts(runner.store, now):
        try:
            result = runner.run(SHAPING, request, by)
        except RunFailed as exc:
            done.append(f"boost of run {request.restores_run}: its end (run {exc.run_id}) failed: {exc}")
            continue
        done.append(f"boost of run {request.restores_run} ended by run {result.run_id}")
        try:
            ended(result.run_id)
        except Exception as exc:  # its record not written must not keep the other boosts from ending
            done.append(f"run {result.run_id}: its Berita Acara was not written: {exc}")
    return done
