"""The crisis-centre (receiving service) workspace: cases opened by accepting a referral."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

from nrm.cases import views  # noqa: E402,F401
