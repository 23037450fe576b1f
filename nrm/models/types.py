"""Column types shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

_PRECISIONS = {
    "second": {"microsecond": 0},
    "minute": {"second": 0, "microsecond": 0},
    "hour": {"minute": 0, "second": 0, "microsecond": 0},
}


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike.

    ``precision`` ("hour", "minute", "second") cuts what is stored: a row about a person keeps only
    the precision its clocks need, so that a copy of the database cannot match it to the minute at
    which someone was stopped at a post (docs/threat-model.md lists each column's precision)."""

    impl = DateTime
    cache_ok = True

    def __init__(self, precision: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if precision is not None and precision not in _PRECISIONS:
            raise ValueError(f"unknown precision {precision!r}")
        self.precision = precision

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(**_PRECISIONS[self.precision]) if self.precision else value

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def truncate(value: datetime | None, precision: str) -> datetime | None:
    """``value`` cut to ``precision``, as the column would store it (for comparisons in Python)."""
    return None if value is None else value.replace(**_PRECISIONS[precision])
