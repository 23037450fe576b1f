"""Forms of signing in and of the user's own account."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class TotpForm(FlaskForm):
    code = StringField(_l("6-digit code from the authenticator app"),
                       validators=[DataRequired(), Length(min=6, max=8)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                                  "pattern": "[0-9 ]*", "autofocus": True})
    submit = SubmitField(_l("Confirm"))


class NewPasswordForm(FlaskForm):
    """The forced change at first sign-in (the one-time password was just checked)."""

    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(),
                                        EqualTo("password", message=_l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set password"))


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})


class LanguageForm(FlaskForm):
    """The language switch in the page header: one submit button per language."""

    language = HiddenField(validators=[DataRequired()])
    next = HiddenField()
