"""The signed-in home page of each role, the language switch and the health check."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from nrm.home import views  # noqa: E402,F401
