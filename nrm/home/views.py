"""Home, language and health views."""

from flask import current_app, jsonify, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import text

from forms.auth import LanguageForm
from nrm.extensions import db
from nrm.home import bp
from nrm.security import policy
from nrm.services import accounts, notifications
from nrm.web import safe_next


@bp.route("/")
def index():
    policy.require(current_user, "view_home")
    return render_template("home/index.html", user=current_user,
                           can_manage_accounts=policy.may(current_user, "list_accounts"),
                           can_manage_organisations=policy.may(current_user, "list_organisations"),
                           can_view_audit_trail=policy.may(current_user, "view_audit_trail"),
                           can_screen=policy.may(current_user, "list_screenings"),
                           can_receive=policy.may(current_user, "list_inbox"),
                           can_coordinate=policy.may(current_user, "view_queue"),
                           can_view_directory=policy.may(current_user, "view_directory"),
                           can_view_statistics=policy.may(current_user, "view_statistics"))


@bp.route("/notifications")
def notification_list():
    """Each notification names a kind and a record; opening the record goes through the policy."""
    policy.require(current_user, "view_notifications")
    items = notifications.recent(current_user)
    page = render_template("home/notifications.html", items=items)
    notifications.mark_read(current_user)
    db.session.commit()
    return page


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.language.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.language.data
        if current_user.is_authenticated:
            accounts.set_language(current_user, form.language.data)
    return redirect(safe_next(form.next.data) or url_for("home.index"))


@bp.route("/health")
def health():
    """For load balancers and monitoring: says whether the database answers, nothing else."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
