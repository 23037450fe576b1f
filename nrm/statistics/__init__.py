"""Anonymised statistics for prosecutors, analysts and coordinators: protected tables, charts,
the national summary and CSV export. Built only from the statistics fact tables."""

from flask import Blueprint

bp = Blueprint("statistics", __name__, url_prefix="/statistics")

from nrm.statistics import views  # noqa: E402,F401
