"""Administration forms: accounts and organisations. Choices are set by the views."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from forms.fields import DayField


class ProfileForm(FlaskForm):
    """Who the person is at work: what a referral letter prints under the officer's signature."""

    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=200)],
                            render_kw={"autocomplete": "name"})
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)],
                           render_kw={"autocomplete": "organization-title"})
    work_phone = StringField(_l("Work telephone"), validators=[Optional(), Length(max=80), Regexp(
        r"^[0-9+()\- ]{5,80}$", message=_l("Digits, spaces, +, - and brackets, e.g. +996 312 123456"))],
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    email = StringField(_l("Work e-mail"), validators=[Optional(), Length(max=200), Regexp(
        r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address such as name@example.kg"))],
        render_kw={"autocomplete": "email", "inputmode": "email"})


class AccountForm(ProfileForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(min=3, max=64)],
                           render_kw={"autocapitalize": "none", "spellcheck": "false"})
    role = SelectField(_l("Role"), validators=[DataRequired()])
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()], coerce=int)
    submit = SubmitField(_l("Create account"))


class AccountEditForm(ProfileForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()], coerce=int)


class DisableForm(FlaskForm):
    """Disabling an organisation signs its staff out: an administrator's act, with a reason."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class OrganisationForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(min=2, max=64)],
                       render_kw={"autocapitalize": "none", "spellcheck": "false"})
    name_ky = StringField(_l("Name in Kyrgyz"), validators=[DataRequired(), Length(max=200)])
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    region = SelectField(_l("Region"), validators=[Optional()])
    parent = SelectField(_l("Parent organisation"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Create organisation"))


class ActionForm(FlaskForm):
    """A bare CSRF-protected POST for the buttons of the account and organisation lists."""

    submit = SubmitField()


class CalendarDayForm(FlaskForm):
    """A day the Cabinet announces: a day off, or a weekend day declared a working day."""

    day = DayField(_l("Date"), validators=[DataRequired()])
    kind = SelectField(_l("The day is"), validators=[DataRequired()])
    name = StringField(_l("What the day is"), validators=[DataRequired(), Length(max=200)],
                       description=_l("As the Cabinet's decision names it, e.g. Orozo Ait, or a day "
                                      "off moved from Saturday"))
