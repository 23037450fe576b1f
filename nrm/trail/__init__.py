"""The auditor's view of the audit trail: list, filter, verify. Case content is never shown."""

from flask import Blueprint

bp = Blueprint("trail", __name__, url_prefix="/audit")

from nrm.trail import views  # noqa: E402,F401
