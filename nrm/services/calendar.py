"""The working calendar of the NRM clocks, and due times computed where people live.

Working days are Monday to Friday, minus the public holidays of the Kyrgyz Republic (the Labour
Code's list, as the maintained ``holidays`` package knows it, in ky/ru/en), minus the days off the
Cabinet announces each year, plus the weekend days it declares working days. The announced days are
recorded by an administrator (``CalendarDay``: the Holidays page, or `flask --app nrm holidays add`),
and ``PUBLIC_HOLIDAYS`` in configuration adds more; no code change is ever needed.

Every clock is computed on the wall-clock time of ``TIMEZONE`` (Asia/Bishkek) and stored in UTC.
"""

import time
from datetime import UTC, date, datetime

import holidays as holiday_calendars
from flask import current_app

from nrm.clock import local, zone
from nrm.core import clocks as clk
from nrm.extensions import db
from nrm.models.calendar import CalendarDay

_CACHE: dict = {}
_FOR_SECONDS = 60
LANGUAGES = {"ky": "ky", "ru": "ru_KG", "en": "en_US"}


def forget() -> None:
    _CACHE.clear()


def official_holidays(years, language: str = "en") -> dict[date, str]:
    """The public holidays of the Kyrgyz Republic in those years, by the ``holidays`` package."""
    found = holiday_calendars.country_holidays("KG", years=sorted(set(years)),
                                               language=LANGUAGES.get(language, "en_US"))
    return dict(found.items())


def recorded(years=None) -> list[CalendarDay]:
    query = db.select(CalendarDay).order_by(CalendarDay.day)
    rows = db.session.scalars(query).all()
    return [r for r in rows if years is None or r.day.year in years]


def calendar(around: datetime | None = None) -> clk.WorkingCalendar:
    """The working calendar for the year of ``around`` and the next (a clock never runs longer)."""
    year = local(around).year if around else date.today().year
    years = (year - 1, year, year + 1)
    key = years
    found = _CACHE.get(key)
    if found and time.monotonic() - found[0] < _FOR_SECONDS:
        return found[1]
    days_off = set(official_holidays(years))
    days_off |= {date.fromisoformat(d) for d in current_app.config.get("PUBLIC_HOLIDAYS", ())}
    working = set()
    for row in recorded(set(years)):
        (working if row.kind == "working_day" else days_off).add(row.day)
    result = clk.WorkingCalendar(days_off=frozenset(days_off - working), working_days=frozenset(working))
    _CACHE[key] = (time.monotonic(), result)
    return result


def due(start: datetime, clock: str) -> datetime:
    """When a clock of ``CLOCKS`` started at ``start`` (UTC) runs out, in UTC; working days and the
    time of day are those of ``TIMEZONE``."""
    moment = start.astimezone(zone())
    result = clk.due(moment, clock, current_app.config["CLOCKS"], calendar(start))
    return result.astimezone(UTC)


def is_working_day(day: date) -> bool:
    return calendar(datetime(day.year, day.month, day.day, 12, tzinfo=UTC)).is_working_day(day)
