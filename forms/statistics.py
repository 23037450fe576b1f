"""The statistics table picker (a GET form: it changes nothing, so it carries no CSRF token).
Choices are filled in by the view from the dimensions the service offers."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError


class StatisticsForm(FlaskForm):
    class Meta:
        csrf = False

    rows = SelectField(_l("Rows"), validators=[InputRequired()], default="year")
    cols = SelectField(_l("Columns"), validators=[Optional()], default="")
    year_from = IntegerField(_l("From year"), validators=[Optional(), NumberRange(min=1990, max=2100)])
    year_to = IntegerField(_l("To year"), validators=[Optional(), NumberRange(min=1990, max=2100)])

    def validate_cols(self, field):
        if field.data and field.data == self.rows.data:
            raise ValidationError(_l("Choose two different dimensions."))

    def validate_year_to(self, field):
        if field.data and self.year_from.data and field.data < self.year_from.data:
            raise ValidationError(_l("The period ends before it starts."))
        if field.data and self.year_from.data and field.data - self.year_from.data > 30:
            raise ValidationError(_l("Choose a period of at most 30 years."))
