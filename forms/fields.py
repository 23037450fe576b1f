"""Fields used by several forms.

``DayField`` is the one way a date is asked for: the browser's date picker (``<input type=date>``,
the natural control on a phone) bounded by ``min``/``max``, a hint saying what is expected, and
the same bounds checked again on the server against the local "today" (``nrm.clock.today``), so a
birth date in 2031 or a task due in 1999 is refused with the user's other answers kept. A date
typed by hand is read as dd.mm.yyyy (how dates are written in Kyrgyzstan) or yyyy-mm-dd.
"""

from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from wtforms import DateField
from wtforms.validators import ValidationError

from nrm.clock import today

DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:          # 29 February
        return day.replace(year=day.year - years, day=28)


class DayField(DateField):
    """A calendar date with optional bounds relative to today.

    ``not_future``: today at the latest (a birth date, a delivery, an arrival); ``not_past``: today
    at the earliest (a due date, a follow-up); ``within_years``: no earlier than that many years ago.
    """

    def __init__(self, label=None, validators=None, not_future=False, not_past=False, within_years=None,
                 **kwargs):
        kwargs.setdefault("format", list(DATE_FORMATS))
        super().__init__(label, validators, **kwargs)
        self.not_future, self.not_past, self.within_years = not_future, not_past, within_years

    def bounds(self) -> tuple[date | None, date | None]:
        day = today()
        earliest = (day if self.not_past else
                    years_before(day, self.within_years) if self.within_years else None)
        return earliest, day if self.not_future else None

    @property
    def expects(self) -> str:
        """What the field expects, in the user's language (shown beside it)."""
        earliest, latest = self.bounds()
        if earliest and latest:
            return str(_l("A date from %(earliest)s to today.", earliest=format_date(earliest)))
        if latest:
            return str(_l("A date, today or earlier."))
        if earliest:
            return str(_l("A date, today or later."))
        return str(_l("A date: day, month and year."))

    def __call__(self, **kwargs):
        earliest, latest = self.bounds()
        if earliest:
            kwargs.setdefault("min", earliest.isoformat())
        if latest:
            kwargs.setdefault("max", latest.isoformat())
        return super().__call__(**kwargs)

    def process_formdata(self, valuelist):
        if valuelist and not "".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata([" ".join(valuelist).strip()] if valuelist else valuelist)
        except ValueError as error:
            raise ValueError(_l("Enter the date as day, month and year, e.g. %(example)s.",
                                example=format_date(today()))) from error

    def post_validate(self, form, validation_stopped):
        if validation_stopped or self.data is None:
            return
        earliest, latest = self.bounds()
        if latest and self.data > latest:
            raise ValidationError(_l("This date is in the future. %(expects)s", expects=self.expects))
        if earliest and self.data < earliest:
            message = (_l("This date has passed. %(expects)s", expects=self.expects) if self.not_past else
                       _l("This date is too far in the past. %(expects)s", expects=self.expects))
            raise ValidationError(message)
