"""The guided screening: one SOP step per page, sealed drafts, summary, explained result."""

from flask import Blueprint

bp = Blueprint("screening", __name__, url_prefix="/screening")

from nrm.screening import views  # noqa: E402,F401
