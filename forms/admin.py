"""Administration forms: accounts and organisations. Choices are set by the views."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class AccountForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(min=3, max=64)],
                           render_kw={"autocapitalize": "none", "spellcheck": "false"})
    role = SelectField(_l("Role"), validators=[DataRequired()])
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()], coerce=int)
    submit = SubmitField(_l("Create account"))


class OrganisationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(min=2, max=64)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"})
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    region = SelectField(_l("Region"), validators=[Optional()])
    parent = SelectField(_l("Parent organisation"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Create organisation"))


class ActionForm(FlaskForm):
    """A bare CSRF-protected POST for the buttons of the account and organisation lists."""

    submit = SubmitField()
