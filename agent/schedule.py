"""Crontab lines as APScheduler triggers, with crontab's own weekday numbering."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab(expression: str, timezone: str) -> CronTrigger:
    """An APScheduler trigger for a standard crontab line (minute hour day month weekday).

    APScheduler 3 counts weekdays from Monday (0 = mon), crontab from Sunday (0 and 7 = sun): '0 2 * * 0'
    would run on Mondays. Numeric weekdays are rewritten as day names first; names pass unchanged.

    Raises:
        ValueError: not five fields, or a field APScheduler refuses.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"'{expression}' has {len(fields)} fields; a crontab line has 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_weekday_names(weekday), timezone=timezone
    )


def _weekday_names(field: str) -> str:
    """A crontab weekday field with its numbers (0-7, Sunday 0 or 7) as day names, ranges and steps expanded."""
    parts = []
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        if not any(ch.isdigit() for ch in span):
            if step_text and span == "*":
                span = "0-6"
            else:
                parts.append(part)  # '*', names, name ranges: the same in both
                continue
        low_text, _, high_text = span.partition("-")
        try:
            low = int(low_text)
            high = int(high_text) if high_text else (6 if step_text else low)
            step = int(step_text) if step_text else 1
        except ValueError:
            raise ValueError(f"weekday '{part}': use 0-7 (0 and 7 are Sunday) or sun-sat") from None
        if not (0 <= low <= 7 and 0 <= high <= 7 and low <= high and step > 0):
            raise ValueError(f"weekday '{part}': use 0-7 (0 and 7 are Sunday) or sun-sat")
        parts += [_DAYS[n % 7] for n in range(low, high + 1, step)]
    return ",".join(dict.fromkeys(parts))
