"""The inbox of the transnational exchange (docs/exchange.md): where a partner NRM posts a package,
and our public keys. No token here: a package proves its sender by its signature, checked against
the key whose fingerprint we verified with the partner out of band. A package refused is answered
with a problem document naming the reason; nothing of it is stored."""

from flask import Response, request
from sqlalchemy.exc import IntegrityError

from nrm.api.problems import problem
from nrm.api.views import bp
from nrm.extensions import db
from nrm.security import audit
from nrm.services import exchange

_JOSE = "application/jose"
# the parts first, so that each is published under its own Exchange… name
_FORMATS = {"ExchangePerson": "PersonSchema", "ExchangeExploitation": "ExploitationSchema",
            "ExchangeConsent": "ConsentSchema", "ExchangeAgreement": "AgreementSchema",
            "ExchangeReferral": "ReferralSchema", "ExchangeStatus": "StatusSchema",
            "ExchangeReferralMessage": "ReferralMessageSchema",
            "ExchangeStatusMessage": "StatusMessageSchema", "ExchangeReceipt": "ReceiptSchema"}


def document_formats(spec) -> None:
    """The messages inside a package, published in the OpenAPI document (components/schemas) so that
    a partner validates what it sends against the very schemas our inbox reads with."""
    from nrm.services import exchange_format

    for name, schema in _FORMATS.items():
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=getattr(exchange_format, schema))
_PROBLEM = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


@bp.route("/exchange/inbox", methods=["POST"])
@bp.doc(security=[], requestBody={
    "required": True, "description": "A package: a JWS nested in a JWE, compact serialisation. Its "
    "content is an ExchangeReferralMessage or an ExchangeStatusMessage (components/schemas).",
    "content": {_JOSE: {"schema": {"type": "string"}}}},
    responses={"200": {"description": "Taken (or taken before): our signed receipt, a JWS whose payload "
                                      "is an ExchangeReceipt (components/schemas).",
                       "content": {_JOSE: {"schema": {"type": "string"}}}},
               "413": {"description": "Too large.", **_PROBLEM},
               "415": {"description": "Not application/jose.", **_PROBLEM},
               "422": {"description": "Refused: the problem's type names the reason.", **_PROBLEM},
               "429": {"description": "Too many requests.", **_PROBLEM}})
def exchange_inbox():
    """A partner NRM's package: decrypted, verified, checked for replay and validity, then stored."""
    if request.mimetype != _JOSE:
        return problem(415, detail="Send the package as application/jose.")
    if (request.content_length or 0) > exchange.MAX_PACKAGE:
        return problem(413)
    token = request.get_data(cache=False, as_text=True)
    for attempt in (1, 2):
        try:
            receipt, _result = exchange.receive(token)
            db.session.commit()
            break
        except exchange.Refused as refusal:
            db.session.rollback()
            status = 413 if refusal.code == "too_large" else 422
            audit.record("exchange.refused", object_type="exchange_package", object_id=refusal.code,
                         outcome="refused")
            db.session.commit()
            return problem(status, detail=refusal.detail or None, kind=f"exchange-{refusal.code}")
        except IntegrityError:
            # the same package, sent twice at once, was taken by the other request: answer its receipt
            db.session.rollback()
            if attempt == 2:
                raise
    return Response(receipt, status=200, mimetype=_JOSE)


@bp.route("/exchange/keys")
@bp.doc(security=[], responses={"200": {
    "description": "Our public keys, a JWK Set (RFC 7517).",
    "content": {"application/jwk-set+json": {"schema": {"type": "object"}}}}})
def exchange_keys():
    """Our public signing and encryption keys. Check their fingerprints with us by another channel
    before you record them."""
    import json

    return Response(json.dumps(exchange.public_keys()), status=200, mimetype="application/jwk-set+json")
