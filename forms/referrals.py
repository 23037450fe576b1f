"""Forms of referrals, cases and the coordinator's review. Choices are set by the views (codes
with translated labels from ``nrm.labels``); forms never import models."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from forms.fields import DayField
from forms.screening import CheckboxesField

REASON_MAX = 2000
NOTE_MAX = 20000


class ReasonForm(FlaskForm):
    """A coded reason, with free text beside it (sealed)."""

    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    details = TextAreaField(_l("Details (optional)"), validators=[Optional(), Length(max=REASON_MAX)])


class NoteForm(FlaskForm):
    """A required written reason or note (sealed)."""

    note = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Write the reason.")),
                                                   Length(max=REASON_MAX)])


class KeepHoldForm(FlaskForm):
    """The coordinator keeps a held referral held until a review date, with a written reason."""

    review_on = DayField(_l("Look at it again on"), validators=[DataRequired()], not_past=True)
    note = TextAreaField(_l("Why it stays on hold"),
                         validators=[DataRequired(message=_l("Write the reason.")), Length(max=REASON_MAX)])


class WithdrawHeldForm(FlaskForm):
    """The coordinator withdraws a held referral: non-refoulement or the person's wish, with words."""

    reason = SelectField(_l("Ground"), validators=[DataRequired()])
    note = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Write the reason.")),
                                                   Length(max=REASON_MAX)])


class IdentityGapForm(FlaskForm):
    """Why a referral to a diplomatic mission goes without the person's full identity."""

    reason = SelectField(_l("Why the identity is not complete"), validators=[DataRequired()])
    details = TextAreaField(_l("Details (needed if the reason is 'other')"),
                            validators=[Optional(), Length(max=REASON_MAX)])


class AddReferralForm(FlaskForm):
    service = SelectField(_l("Service"), validators=[DataRequired()])
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()], validate_choice=False)
    note = TextAreaField(
        _l("Why this referral is needed"), validators=[DataRequired(), Length(max=REASON_MAX)]
    )


class OrganisationChoiceForm(FlaskForm):
    organisation = SelectField(_l("Organisation"), validators=[DataRequired()])
    note = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX)])


class IntakeForm(FlaskForm):
    arrival_date = DayField(_l("Date of arrival at the centre"), validators=[Optional()], not_future=True)
    accommodation = StringField(_l("Accommodation"), validators=[Optional(), Length(max=300)])
    interpreter_arranged = BooleanField(_l("Interpreter arranged"))
    safety_concerns = TextAreaField(_l("Safety concerns"), validators=[Optional(), Length(max=REASON_MAX)])
    notes = TextAreaField(_l("Intake notes"), validators=[Optional(), Length(max=NOTE_MAX)])


class NeedsForm(FlaskForm):
    needed = CheckboxesField(_l("Needs identified"), validators=[Optional()])
    notes = TextAreaField(_l("Assessment notes"), validators=[Optional(), Length(max=NOTE_MAX)])


class TaskForm(FlaskForm):
    need = SelectField(_l("Need"), validators=[DataRequired()])
    description = StringField(_l("Task"), validators=[DataRequired(), Length(max=500)])
    due_on = DayField(_l("Due date"), validators=[Optional()], not_past=True)


class ServiceForm(FlaskForm):
    need = SelectField(_l("Service delivered"), validators=[DataRequired()])
    delivered_on = DayField(_l("Date"), validators=[DataRequired()], not_future=True)
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=REASON_MAX)])


class CaseNoteForm(FlaskForm):
    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=NOTE_MAX)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("File (PDF, PNG or JPEG)"), validators=[FileRequired()])


class CloseForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    follow_up_on = DayField(_l("Follow-up date (leave empty to close now)"), validators=[Optional()],
                            not_past=True)
    note = TextAreaField(_l("Closing note (optional)"), validators=[Optional(), Length(max=REASON_MAX)])


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), validators=[DataRequired()])
    reasons = TextAreaField(_l("Reasons"), validators=[DataRequired(), Length(max=NOTE_MAX)])


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    state = SelectField(_l("State"), validators=[Optional()], validate_choice=False)
    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=False)
    service = SelectField(_l("Service"), validators=[Optional()], validate_choice=False)
    overdue = BooleanField(_l("Overdue only"))


class DirectoryForm(FlaskForm):
    services = CheckboxesField(_l("Services received"), validators=[Optional()])
    serves_regions = CheckboxesField(_l("Regions served"), validators=[Optional()])
    accepts_sex = CheckboxesField(_l("Accepts (sex; none = everyone)"), validators=[Optional()])
    min_age = IntegerField(_l("Minimum age"), validators=[Optional(), NumberRange(min=0, max=130)])
    max_age = IntegerField(_l("Maximum age"), validators=[Optional(), NumberRange(min=0, max=130)])
    capacity = IntegerField(
        _l("Capacity (open cases; empty = not recorded)"),
        validators=[Optional(), NumberRange(min=0, max=100000)],
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Telephone"), validators=[Optional(), Length(max=80)])
    email = StringField(
        _l("E-mail"),
        validators=[
            Optional(),
            Length(max=200),
            Regexp(
                r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address such as name@example.kg")
            ),
        ],
    )
    accepts_referrals = BooleanField(_l("Takes new referrals"))
    intake_paused_reason = TextAreaField(_l("Why it does not take referrals now"),
                                         validators=[Optional(), Length(max=300)])
    intake_paused_until = DayField(_l("Taking referrals again from (optional)"), validators=[Optional()],
                                   not_past=True)


class TransferForm(FlaskForm):
    """A referral to another country's NRM: the case, the partner, the person's consent to that
    body in that country, and for a child the child protection authority's agreement."""

    reference = StringField(_l("Case reference"),
                            validators=[DataRequired(message=_l("Enter the case reference.")),
                                        Length(max=40)])
    partner = SelectField(_l("Partner NRM"), validators=[DataRequired(message=_l("Choose a partner NRM."))])
    consent_to_partner = BooleanField(
        _l("The person consented to their data being sent to this body in this country"),
        validators=[DataRequired(message=_l("Without this consent nothing is sent."))])
    consent_on = DayField(_l("Consent given on"), validators=[DataRequired()], not_future=True)
    consent_method = SelectField(_l("How the consent was recorded"), validators=[DataRequired()])
    consent_scope = SelectField(_l("What the person agreed to send"), validators=[DataRequired()])
    child_agreement_reference = StringField(
        _l("Child protection authority's agreement: number or reference (for a child)"),
        validators=[Optional(), Length(max=100)])        # as the exchange format carries it
    child_agreement_on = DayField(_l("Agreement given on (for a child)"), validators=[Optional()],
                                  not_future=True)


class TransferDeclineForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    note = TextAreaField(_l("Details (optional)"), validators=[Optional(), Length(max=REASON_MAX)])


class TransferReleaseForm(FlaskForm):
    note = TextAreaField(_l("Assessment of the risk on return"),
                         validators=[DataRequired(message=_l("Write the assessment.")),
                                     Length(max=REASON_MAX)])
