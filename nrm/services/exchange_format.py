"""The format of the messages exchanged with partner NRMs (docs/exchange.md), as marshmallow
schemas: one definition that validates what we send and what we receive, and that the OpenAPI
document publishes (``components/schemas/Exchange*``) for a partner's IT team to validate against.

Code lists are the HTCDS 2.0 ones kept in ``nrm/standards/htcds.yaml``; countries are ISO 3166-1
alpha-2; languages ISO 639-2. Fields a later minor version adds are ignored by a reader of this one
(``unknown = EXCLUDE``), and not stored.
"""

from functools import cache

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from nrm import names

VERSION = "1.0"
MESSAGE_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$"
EXCHANGE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,40}:[A-Za-z0-9_-]{8,22}$"
PARTNER_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,40}$"
# ISO 8601 in UTC or with an offset: the time a package was sent, and until when it is valid
TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
STATUSES = ("acknowledged", "accepted", "declined", "closed", "consent_withdrawn")
DECLINE_REASONS = ("not_our_national", "insufficient_information", "person_declined", "other")
CONSENT_METHODS = ("signed_form", "oral_with_witness")
CONSENT_SCOPES = ("identity", "no_identity")
NEEDS = ("medical", "psychological", "legal", "shelter", "food", "documents", "family_contact", "education",
         "skills_training", "employment", "return_or_reintegration", "interpreter")


@cache
def _htcds(list_name: str) -> tuple[str, ...]:
    from nrm.services.exports import htcds_codes

    return tuple(htcds_codes(list_name))


class _HtcdsCode(validate.Validator):
    """One code of an HTCDS 2.0 list (read when first used, so the schema documents the list)."""

    def __init__(self, list_name: str):
        self.list_name = list_name

    def __call__(self, value):
        if value not in _htcds(self.list_name):
            raise ValidationError(f"not a code of the HTCDS list {self.list_name}")
        return value


def _htcds_field(list_name: str, **kwargs) -> fields.String:
    metadata = {"description": f"a code of the HTCDS 2.0 list {list_name}", "enum": list(_htcds(list_name))}
    return fields.String(validate=_HtcdsCode(list_name), metadata=metadata, **kwargs)


def _country(value):
    if not names.is_country(value):
        raise ValidationError("not an ISO 3166-1 alpha-2 country code")


def _country_field(**kwargs) -> fields.String:
    return fields.String(validate=_country, metadata={"description": "ISO 3166-1 alpha-2",
                                                       "pattern": "^[A-Z]{2}$"}, **kwargs)


def _text(length: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=length), **kwargs)


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class PersonSchema(_Lenient):
    prs_Gender = _htcds_field("gender", required=True)
    age = fields.Integer(validate=validate.Range(min=0, max=120))
    is_child = fields.Boolean(required=True)
    citizenship = fields.String(metadata={"description": "ISO 3166-1 alpha-2, or `stateless`"})
    languages = fields.List(fields.String(validate=validate.Regexp(r"^[a-z]{3}$")),
                            validate=validate.Length(max=10), metadata={"description": "ISO 639-2"})
    interpreter_needed = fields.Boolean()
    given_name = _text(100)
    family_name = _text(100)
    patronymic = _text(100)
    birth_date = fields.Date()
    document_number = _text(40)
    document_country = _country_field()

    @validates("citizenship")
    def _citizenship(self, value, **_kwargs):
        if value != "stateless":
            _country(value)


class ExploitationSchema(_Lenient):
    vic_TypeOfExploitation = _htcds_field("exploitation_type", required=True)
    country = _country_field()
    recorded_on = fields.Date()
    industry = _htcds_field("forced_labour_industry")


class ConsentSchema(_Lenient):
    to_country = _country_field(required=True)
    to_body = fields.String(required=True, validate=validate.Regexp(PARTNER_ID))
    given_on = fields.Date(required=True)
    method = fields.String(required=True, validate=validate.OneOf(CONSENT_METHODS))
    scope = fields.String(required=True, validate=validate.OneOf(CONSENT_SCOPES))


class AgreementSchema(_Lenient):
    reference = _text(100, required=True)
    given_on = fields.Date(required=True)


class ReferralSchema(_Lenient):
    reference = _text(64, required=True, metadata={"description": "the sender's case reference"})
    vic_TraffickingStatus = _htcds_field("trafficking_status", required=True)
    identified_on = fields.Date()
    person = fields.Nested(PersonSchema, required=True)
    exploitation = fields.List(fields.Nested(ExploitationSchema), required=True,
                               validate=validate.Length(max=20))
    vic_MethodsOfControl = fields.List(_htcds_field("methods_of_control"), validate=validate.Length(max=40))
    vic_MethodOfRecruitment = _htcds_field("recruitment_method")
    vic_RelationshipToTrafficker = _htcds_field("relationship_to_trafficker")
    needs = fields.List(fields.String(validate=validate.OneOf(NEEDS)), validate=validate.Length(max=20))
    spl_Type = fields.List(_htcds_field("support_plan_type"), validate=validate.Length(max=20))
    fear_of_return = fields.Boolean()
    asylum_wish = fields.Boolean()
    consent = fields.Nested(ConsentSchema, required=True)
    child_protection_agreement = fields.Nested(AgreementSchema)


class StatusSchema(_Lenient):
    code = fields.String(required=True, validate=validate.OneOf(STATUSES))
    reason = fields.String(validate=validate.OneOf(DECLINE_REASONS))


class _AddressedSchema(_Lenient):
    nrmx = fields.String(required=True, validate=validate.Regexp(r"^\d+\.\d+$"),
                         metadata={"example": VERSION})
    message_id = fields.String(required=True, validate=validate.Regexp(MESSAGE_ID))
    exchange_id = fields.String(required=True, validate=validate.Regexp(EXCHANGE_ID))
    sender = fields.String(required=True, data_key="from", validate=validate.Regexp(PARTNER_ID))
    to = fields.String(required=True, validate=validate.Regexp(PARTNER_ID))


class EnvelopeSchema(_AddressedSchema):
    sent_at = fields.String(required=True, validate=validate.Regexp(TIMESTAMP),
                            metadata={"format": "date-time"})
    valid_until = fields.String(required=True, validate=validate.Regexp(TIMESTAMP),
                                metadata={"format": "date-time"})


class ReferralMessageSchema(EnvelopeSchema):
    type = fields.String(required=True, validate=validate.Equal("referral"))
    referral = fields.Nested(ReferralSchema, required=True)


class StatusMessageSchema(EnvelopeSchema):
    type = fields.String(required=True, validate=validate.Equal("status"))
    status = fields.Nested(StatusSchema, required=True)


class ReceiptSchema(_AddressedSchema):
    type = fields.String(required=True, validate=validate.Equal("receipt"))
    received_at = fields.String(required=True, validate=validate.Regexp(TIMESTAMP),
                                metadata={"format": "date-time"})
    result = fields.String(required=True, validate=validate.OneOf(("stored", "already_received")))


SCHEMAS = {"referral": ReferralMessageSchema, "status": StatusMessageSchema}


def _first_error(errors, path=()) -> str:
    """"referral.person.prs_Gender: not a code …" — the first fault, named by its path."""
    if isinstance(errors, dict):
        key = sorted(errors, key=str)[0]
        return _first_error(errors[key], (*path, str(key)))
    if isinstance(errors, list) and errors and not isinstance(errors[0], str):
        return _first_error(errors[0], path)
    message = errors[0] if isinstance(errors, list) and errors else str(errors)
    return f"{'.'.join(path) or 'message'}: {message}"


def check(body: dict) -> dict:
    """The message with only the fields this version reads, or ``ValueError`` naming the first fault.
    (The envelope's ``type`` chooses the schema.)"""
    kind = body.get("type") if isinstance(body, dict) else None
    schema = SCHEMAS.get(kind) if isinstance(kind, str) else None
    if schema is None:
        raise ValueError("type: must be referral or status")
    try:
        return schema().dump(schema().load(body))
    except ValidationError as problem:
        raise ValueError(_first_error(problem.messages)) from None
