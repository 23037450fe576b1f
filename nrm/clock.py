"""The application's one source of time, and the one place that knows where it is lived.

Everything that compares times (session timeouts, lockouts, the NRM clocks) calls ``now()``, so tests
can drive time by putting a callable in ``app.config["CLOCK"]``. Times are stored in UTC; the people
who use the system live in one zone (``TIMEZONE``, Asia/Bishkek by default), which decides "today",
the year a screening is counted in, the working days of the clocks and every date shown or printed.
The pure core never calls this: it is handed times (and the zone) as arguments.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Asia/Bishkek"


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    if has_app_context():
        source = current_app.config.get("CLOCK")
        if source is not None:
            return source()
    return datetime.now(UTC)


def zone() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", DEFAULT_ZONE) if has_app_context() else DEFAULT_ZONE
    return ZoneInfo(name)


def local(moment: datetime) -> datetime:
    """``moment`` (aware) as the wall-clock time where the system is used."""
    return moment.astimezone(zone())


def today() -> date:
    """Today's date where the system is used (not in UTC: at 00:30 in Bishkek it is already
    tomorrow there, and still yesterday in UTC)."""
    return local(now()).date()


def local_date(moment: datetime | None) -> date | None:
    return None if moment is None else local(moment).date()
