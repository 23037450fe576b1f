"""Deadline arithmetic for the NRM clocks (pure; DOMAIN.md §7).

The lengths are configuration (``CLOCKS`` in nrm/config.py, all defaults of ours unless a source is
given); this module only turns a start time and a length into a due time. Start times are handed in
as the wall-clock time where the system is used (Asia/Bishkek), so that "Friday evening" and "a
holiday" are those of the people who work the clocks. Working days are Monday to Friday, minus the
public holidays, plus the weekend days declared working days (when the Cabinet moves a day off):
a ``WorkingCalendar``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class WorkingCalendar:
    days_off: frozenset = field(default_factory=frozenset)       # public holidays and days off
    working_days: frozenset = field(default_factory=frozenset)   # weekend days declared working

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() < 5 and day not in self.days_off


def _calendar(holidays) -> WorkingCalendar:
    if isinstance(holidays, WorkingCalendar):
        return holidays
    return WorkingCalendar(days_off=frozenset(holidays or ()))


def add_working_days(start: datetime, days: int, holidays: Iterable[date] | WorkingCalendar = ()) -> datetime:
    """The same time of day ``days`` working days after ``start`` (a local wall-clock time)."""
    calendar = _calendar(holidays)
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if calendar.is_working_day(current.date()):
            left -= 1
    return current


def due(start: datetime, clock: str, clocks: dict,
        holidays: Iterable[date] | WorkingCalendar = ()) -> datetime:
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
