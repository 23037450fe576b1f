"""Days the Cabinet declares each year: holidays whose date moves (Orozo Ait, Kurman Ait), days off
moved to or from a weekend. An administrator records them; every working-day clock counts them."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from nrm.clock import now
from nrm.extensions import db
from nrm.models.types import UTCDateTime

DAY_KINDS = ("day_off", "working_day")


class CalendarDay(db.Model):
    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))             # day_off | working_day
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
