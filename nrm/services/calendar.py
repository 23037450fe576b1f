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

from nrm.clock import local, now, zone
from nrm.core import clocks as clk
from nrm.errors import ValidationFailed
from nrm.extensions import db
from nrm.models.calendar import DAY_KINDS, CalendarDay
from nrm.security import audit

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
    year = local(around or now()).year
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


def add_day(actor, day: date, kind: str, name: str) -> CalendarDay:
    """Record a day the Cabinet announces: a day off (a moving holiday such as Orozo Ait, a day off
    moved from a weekend) or a weekend day declared a working day. Every clock counts it at once."""
    from flask_babel import gettext as _

    if kind not in DAY_KINDS:
        raise ValidationFailed(_("Choose whether the day is a day off or a working day."), field="kind")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Say what the day is (as the Cabinet's decision names it)."), field="name")
    if db.session.get(CalendarDay, day) is not None:
        raise ValidationFailed(_("This day is already recorded: remove it first to change it."), field="day")
    if kind == "working_day" and day.weekday() < 5 and day not in official_holidays([day.year]):
        raise ValidationFailed(_("This day is a working day already."), field="kind")
    row = CalendarDay(day=day, kind=kind, name=name[:200], created_at=now(),
                      created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record("calendar.add", object_type="calendar", object_id=day.isoformat(), actor=actor)
    forget()
    return row


def remove_day(actor, day: date) -> bool:
    row = db.session.get(CalendarDay, day)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    audit.record("calendar.remove", object_type="calendar", object_id=day.isoformat(), actor=actor)
    forget()
    return True


def year_view(year: int, language: str) -> list[dict]:
    """Every day of ``year`` that is not an ordinary weekday or weekend, in order: the public holidays
    (from the ``holidays`` package, in ``language``), the configured ones and the recorded days."""
    days = {day: {"day": day, "name": name, "kind": "day_off", "origin": "law"}
            for day, name in official_holidays([year], language).items()}
    for value in current_app.config.get("PUBLIC_HOLIDAYS", ()):
        day = date.fromisoformat(value)
        if day.year == year:
            days.setdefault(day, {"day": day, "name": "", "kind": "day_off", "origin": "configuration"})
    for row in recorded({year}):
        days[row.day] = {"day": row.day, "name": row.name, "kind": row.kind, "origin": "recorded"}
    return [days[d] for d in sorted(days)]
