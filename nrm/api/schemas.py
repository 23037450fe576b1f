"""The request and response bodies of /api/v1 (marshmallow: they validate and they document)."""

from marshmallow import Schema, fields, validate

from nrm.core import lifecycle

LANGUAGES = ("ky", "ru", "en")


class ProblemSchema(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String())


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class ReferralSchema(Schema):
    id = fields.String(required=True)
    reference = fields.String(required=True)
    service = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(lifecycle.REFERRAL_STATES))
    urgent = fields.Boolean(required=True)
    mandatory = fields.Boolean(required=True)
    sent_at = fields.DateTime(allow_none=True)
    acknowledge_due = fields.DateTime(allow_none=True)
    accept_due = fields.DateTime(allow_none=True)
    payload = fields.Dict(required=True, metadata={
        "description": "exactly what this service may see (the minimised payload sealed at sending)"})


class ReferralPageSchema(Schema):
    items = fields.List(fields.Nested(ReferralSchema), required=True)
    page = fields.Integer(required=True)
    has_next = fields.Boolean(required=True)


class DeclineSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(lifecycle.DECLINE_REASONS))
    details = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class IdentitySchema(Schema):
    given_name = fields.String(validate=validate.Length(max=120))
    family_name = fields.String(validate=validate.Length(max=120))
    patronymic = fields.String(validate=validate.Length(max=120))
    birth_date = fields.Date()
    document_number = fields.String(validate=validate.Length(max=40))
    document_country = fields.String(validate=validate.Length(equal=2))


class ScreeningSubmissionSchema(Schema):
    interview_language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    answers = fields.Dict(keys=fields.String(validate=validate.Length(max=64)), required=True,
                          metadata={"description": "answers by question id of the organisation's script "
                                                   "(yes/no as \"yes\"/\"no\", options by id, dates as "
                                                   "YYYY-MM-DD)"})
    identity = fields.Nested(IdentitySchema, load_default=None, allow_none=True)


class IndicatorSchema(Schema):
    code = fields.String(required=True)
    text = fields.String(required=True)
    strength = fields.String(required=True)


class DimensionSchema(Schema):
    positive = fields.Boolean(required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)


class ProposedReferralSchema(Schema):
    id = fields.String(required=True)
    service = fields.String(required=True)
    organisation = fields.String(allow_none=True)
    mandatory = fields.Boolean(required=True)
    hold = fields.String(allow_none=True)
    state = fields.String(required=True)


class ScreeningResultSchema(Schema):
    id = fields.String(required=True)
    reference = fields.String(required=True)
    result = fields.String(required=True, validate=validate.OneOf(("presumed_victim", "possible",
                                                                   "no_indicators")))
    child = fields.Boolean(required=True)
    dimensions = fields.Dict(keys=fields.String(), values=fields.Nested(DimensionSchema), required=True)
    elements = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    referrals = fields.List(fields.Nested(ProposedReferralSchema), required=True)


class TableArgs(Schema):
    rows = fields.String(required=True, validate=validate.Length(max=40))
    cols = fields.String(load_default=None, validate=validate.Length(max=40))
    year = fields.String(load_default=None, validate=validate.Regexp(r"^(\d{4}|all)$"))


class TableSchema(Schema):
    unit = fields.String(required=True)
    rows = fields.String(required=True)
    cols = fields.String(allow_none=True)
    year = fields.String(allow_none=True)
    k = fields.Integer(required=True)
    rounding_base = fields.Integer(required=True)
    row_keys = fields.List(fields.String(), required=True)
    col_keys = fields.List(fields.String(), required=True)
    cells = fields.List(fields.List(fields.Integer(allow_none=True)), required=True)
    row_totals = fields.List(fields.Integer(allow_none=True), required=True)
    col_totals = fields.List(fields.Integer(allow_none=True), required=True)
    total = fields.Integer(allow_none=True)
    withheld = fields.Integer(required=True)
    publishable = fields.Boolean(required=True)


class SummarySchema(Schema):
    tables = fields.Dict(keys=fields.String(), values=fields.Nested(TableSchema), required=True)
