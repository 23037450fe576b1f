"""Referrals: the officer's review and sending, the receiving service's inbox and answers, letters."""

from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

from nrm.referrals import views  # noqa: E402,F401
