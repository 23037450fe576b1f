"""Errors as RFC 9457 problem documents (application/problem+json), in the caller's language."""

from flask import jsonify, request
from flask_babel import gettext as _

TYPES = "https://nrm.example.kg/problems/"     # a stable identifier per kind of problem (docs/api.md)


def titles() -> dict:
    return {
        400: _("The request could not be understood."),
        401: _("A valid API token is needed."),
        403: _("This client may not do this."),
        404: _("Not found, or not yours."),
        405: _("This method is not available here."),
        409: _("This cannot be done in the record's present state."),
        413: _("What you sent is too large."),
        415: _("Send JSON (Content-Type: application/json)."),
        422: _("Some values are not valid."),
        429: _("Too many requests. Wait and try again."),
        500: _("Something went wrong on our side."),
        503: _("The service is busy or out of reach; nothing was saved. Try again shortly."),
    }


def problem(status: int, detail: str | None = None, errors: dict | None = None, kind: str | None = None):
    body = {"type": TYPES + (kind or str(status)), "title": titles().get(status, titles()[500]),
            "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def from_exception(error):
    """A Werkzeug/flask-smorest HTTP error raised in the API as a problem document."""
    status = getattr(error, "code", 500) or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("messages") or data.get("errors")
    detail = data.get("message") if isinstance(data.get("message"), str) else None
    return problem(status, detail=detail, errors=_flatten(errors) if errors else None)


def _flatten(messages) -> dict:
    """webargs messages ({"json": {"field": ["..."]}}) as {"field": "..."}."""
    flat = {}
    for location, fields in (messages or {}).items():
        if isinstance(fields, dict):
            for field, text in fields.items():
                flat[str(field)] = " ".join(map(str, text)) if isinstance(text, list) else str(text)
        else:
            flat[str(location)] = " ".join(map(str, fields)) if isinstance(fields, list) else str(fields)
    return flat
