"""Deadline arithmetic for the NRM clocks (pure; DOMAIN.md §7).

The lengths are configuration (``CLOCKS`` in nrm/config.py, all defaults of ours unless a source is
given); this module only turns a start time and a length into a due time. Working days are Monday
to Friday minus the public holidays listed in configuration (``PUBLIC_HOLIDAYS``, ISO dates).
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta


def add_working_days(start: datetime, days: int, holidays: Iterable[date] = ()) -> datetime:
    """The same time of day ``days`` working days after ``start``."""
    holidays = set(holidays)
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current.date() not in holidays:
            left -= 1
    return current


def due(start: datetime, clock: str, clocks: dict, holidays: Iterable[date] = ()) -> datetime:
    """When the clock called ``clock`` (e.g. ``acknowledgement_hours``) started at ``start`` runs out."""
    value = clocks[clock]
    if clock.endswith("_working_days"):
        return add_working_days(start, value, holidays)
    if clock.endswith("_days"):
        return start + timedelta(days=value)
    if clock.endswith("_hours"):
        return start + timedelta(hours=value)
    raise KeyError(clock)


def overdue(due_at: datetime | None, at: datetime) -> bool:
    return due_at is not None and at >= due_at
