"""The coordinator's workspace (MLSSM): national queue, escalations, holds, re-routing,
identification decisions, non-punishment alerts, reasoned access, erasure and the directory."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

from nrm.review import exchange, views  # noqa: E402,F401
