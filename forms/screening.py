"""The screening form factory: builds the form of one SOP step (``nrm.core.screening.Step``).

Labels are in the officer's language; each question's interview wording (``ask``) is given in the
person's language as the field's description, so both stand side by side on screen. Nothing is
required unless the SOP says so: a person may decline to answer.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from forms.fields import DayField
from nrm import names
from nrm.core import screening as sc


class OptionalRadioField(RadioField):
    """A radio group that may be left unanswered."""

    def pre_validate(self, form):
        if self.data in (None, ""):
            self.data = None
            return
        super().pre_validate(form)


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _text(texts, language) -> str:
    return (texts or {}).get(language) or (texts or {}).get("en") or ""


def country_choices(language: str) -> list[SelectChoice]:
    """"—" (not answered), then the ISO 3166-1 countries by name in two option groups: the region
    and the main destinations first, then every other country (``nrm.names``)."""
    first, rest = names.countries(language)
    near, others = str(_l("Region and main destinations")), str(_l("All countries"))
    return ([SelectChoice("", "—")] + [SelectChoice(code, name, optgroup=near) for code, name in first]
            + [SelectChoice(code, name, optgroup=others) for code, name in rest])


def language_choices(language: str) -> list[tuple[str, str]]:
    return names.languages(language)


def step_form(step, officer_language: str, person_language: str, formdata=None, data=None, offered=None):
    """A FlaskForm instance for ``step``; ``data`` are the answers saved so far, ``offered`` the
    answers that decide which options are offered (``nrm.core.screening.visible_options``): an
    option offered only to a child is not a choice, and not a valid answer, for an adult."""

    class StepForm(FlaskForm):
        pass

    for question in step.questions:
        label = _text(question.label, officer_language)
        kwargs = {"label": label, "description": _text(question.ask, person_language)}
        required = [InputRequired(message=_l("Please answer this question."))] if question.required \
            else [Optional()]
        options = question.options if offered is None else sc.visible_options(question, offered)
        if question.type == "yes_no":
            field = OptionalRadioField(choices=[("yes", _l("Yes")), ("no", _l("No"))],
                                       validators=required if question.required else [], **kwargs)
        elif question.type == "choice":
            choices = [(o.id, _text(o.label, officer_language)) for o in options]
            field = OptionalRadioField(choices=choices, validators=required if question.required else [],
                                       **kwargs)
        elif question.type == "multi":
            choices = [(o.id, _text(o.label, officer_language)) for o in options]
            field = CheckboxesField(choices=choices, validators=[Optional()], **kwargs)
        elif question.type == "languages":
            field = CheckboxesField(choices=language_choices(officer_language), validators=[Optional()],
                                    **kwargs)
        elif question.type == "number":
            bounds = NumberRange(min=question.minimum, max=question.maximum,
                                 message=_l("Enter a whole number from %(min)s to %(max)s."))
            field = IntegerField(validators=[*required, bounds], **kwargs)
        elif question.type == "date":
            field = DayField(validators=required or [Optional()], not_future=True, **kwargs)
        elif question.type == "country":
            field = SelectField(choices=country_choices(officer_language),
                                validators=required, **kwargs)
        elif question.type == "language":
            field = SelectField(choices=[("", "—")] + language_choices(officer_language),
                                validators=required, **kwargs)
        else:
            field = TextAreaField(validators=[*required, Length(max=2000)], render_kw={"rows": 3}, **kwargs)
        setattr(StepForm, question.id, field)

    initial = {}
    for question in step.questions:
        value = (data or {}).get(question.id)
        if question.type == "date" and isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                value = None
        initial[question.id] = value
    return StepForm(formdata=formdata, data=initial)


def values_of(form, step) -> dict:
    """The form's answers as JSON-able values keyed by question id (None = not answered)."""
    values = {}
    for question in step.questions:
        value = getattr(form, question.id).data
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, str):
            value = value.strip() or None
        elif isinstance(value, list):
            value = [v for v in value if v] or None
        values[question.id] = value
    return values


class IdentityForm(FlaskForm):
    """The person's identity: every field optional (a screening may stay anonymous)."""

    family_name = StringField(_l("Family name"), validators=[Optional(), Length(max=120)])
    given_name = StringField(_l("Given name"), validators=[Optional(), Length(max=120)])
    patronymic = StringField(_l("Patronymic"), validators=[Optional(), Length(max=120)])
    other_names = StringField(_l("Other names used"), validators=[Optional(), Length(max=240)])
    birth_date = DayField(_l("Date of birth"), validators=[Optional()], not_future=True, within_years=120)
    document_number = StringField(_l("Document number"), validators=[Optional(), Length(max=40)])
    document_country = SelectField(_l("Document issued by"), validators=[Optional()])
    contact = TextAreaField(_l("How to reach the person safely"), validators=[Optional(), Length(max=500)],
                            render_kw={"rows": 2})


class StartForm(FlaskForm):
    interview_language = SelectField(_l("Language of the interview script"))
    # a screening done on the paper prompt sheet (no connection at the post), entered now
    from_paper = BooleanField(_l("I am entering a screening done on paper"))
    interview_on = DayField(_l("Date of the interview"), validators=[Optional()], not_future=True,
                            within_years=1)
    interview_place = StringField(_l("Place of the interview (post, station, road)"),
                                  validators=[Optional(), Length(max=200)])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.from_paper.data and not self.interview_on.data:
            self.interview_on.errors.append(_l("Give the date the interview took place."))
            return False
        return valid


class SubmitForm(FlaskForm):
    agreement = RadioField(_l("Do you agree with this result?"),
                           choices=[("agree", _l("I agree")), ("disagree", _l("I disagree"))],
                           validators=[InputRequired(message=_l("Please choose."))])
    officer_result = SelectField(_l("Your assessment"), validators=[Optional()])
    justification = TextAreaField(_l("Your justification"), validators=[Optional(), Length(max=4000)],
                                  render_kw={"rows": 4})
