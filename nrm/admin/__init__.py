"""Administration: accounts and organisations. Administrators see no case content."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from nrm.admin import views  # noqa: E402,F401
