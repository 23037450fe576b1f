"""The statistics table picker (a GET form: it changes nothing, so it carries no CSRF token).
Choices are filled in by the view from the dimensions the service offers."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired, Optional, ValidationError


class StatisticsForm(FlaskForm):
    class Meta:
        csrf = False

    rows = SelectField(_l("Rows"), validators=[InputRequired()], default="year")
    cols = SelectField(_l("Columns"), validators=[Optional()], default="")
    # one published year, "all" (a one-dimension table of every year) or empty (the latest year);
    # a table by year always covers every published year
    year = SelectField(_l("Year"), validators=[Optional()], default="")

    def validate_cols(self, field):
        if field.data and field.data == self.rows.data:
            raise ValidationError(_l("Choose two different dimensions."))
