"""The auditor's filter form (a GET form: it changes nothing, so it carries no CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

from forms.fields import DayField


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    # validate_choice=False: a value no event has simply matches nothing
    action = SelectField(_l("Action"), validators=[Optional()], validate_choice=False)
    outcome = SelectField(_l("Outcome"), validators=[Optional()], validate_choice=False)
    actor = StringField(_l("User name"), validators=[Optional()])
    object_type = SelectField(_l("Object type"), validators=[Optional()], validate_choice=False)
    reference = StringField(_l("Case reference"), validators=[Optional(), Length(max=40)],
                            render_kw={"placeholder": "NRM-2026-1A2B3C4D"})
    date_from = DayField(_l("From"), validators=[Optional()])
    date_to = DayField(_l("To"), validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=1_000_000)], default=1)
