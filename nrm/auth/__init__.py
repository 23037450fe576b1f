"""Sign-in, second factor, first-sign-in password change, sign-out, own password change."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from nrm.auth import views  # noqa: E402,F401
