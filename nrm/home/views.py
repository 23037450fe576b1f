"""Home, language and health views."""

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from forms.admin import ActionForm as ConfirmForm
from forms.admin import ProfileForm
from forms.auth import LanguageForm
from nrm.extensions import db
from nrm.home import bp
from nrm.models import User
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
                           can_view_statistics=policy.may(current_user, "view_statistics"),
                           to_confirm=accounts.awaiting(current_user)
                           if policy.may(current_user, "confirm_account") else [])


@bp.route("/notifications")
def notification_list():
    """Unread first: each names its reason and its record (a case by its reference) and links to
    it; opening one marks it read. Opening the record goes through the access policy."""
    from nrm.services import references
    from nrm.views_common import paged

    policy.require(current_user, "view_notifications")
    page = paged(notifications.listed(current_user))
    named = references.describe(((n.subject_type, n.subject_id) for n in page.rows), _language())
    return render_template("home/notifications.html", page=page, named=named, action_form=ConfirmForm(),
                           target=_notification_target)


def _language() -> str:
    from flask_babel import get_locale

    return str(get_locale())


def _notification_target(notification) -> str | None:
    kind, subject = notification.subject_type, notification.subject_id
    if kind == "referral":
        return url_for("review.referral", referral_id=subject) if current_user.role == "coordinator" \
            else url_for("referrals.show", referral_id=subject)
    if kind == "identification":
        return url_for("review.identification", identification_id=subject)
    if kind == "case":
        return url_for("cases.show", case_id=subject)
    if kind == "transfer":
        return url_for("review.exchange_show", transfer_id=subject)
    if notification.kind == "account_awaiting_confirmation":
        return url_for("home.confirmations")
    return None


@bp.get("/notifications/<int:notification_id>")
def notification_open(notification_id):
    policy.require(current_user, "view_notifications")
    notification = notifications.mark_one_read(current_user, notification_id)
    if notification is None:
        abort(404)
    db.session.commit()
    return redirect(_notification_target(notification) or url_for("home.notification_list"))


@bp.post("/notifications/read")
def notifications_read():
    policy.require(current_user, "view_notifications")
    if ConfirmForm().validate_on_submit():
        notifications.mark_read(current_user)
        db.session.commit()
    return redirect(url_for("home.notification_list"))


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


@bp.get("/accounts/confirm")
def confirmations():
    """Accounts that see personal data, created or reset by an administrator, waiting for a second
    person: a coordinator, or a colleague of the same organisation."""
    policy.require(current_user, "confirm_account")
    return render_template("home/confirmations.html", waiting=accounts.awaiting(current_user),
                           form=ConfirmForm())


def _pending(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    policy.require(current_user, "confirm_account", user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return user


@bp.post("/accounts/confirm/<int:user_id>")
def confirm_account(user_id):
    user = _pending(user_id)
    password = accounts.confirm(current_user, user)
    db.session.commit()
    # shown once, in this response only, to the person who hands it over
    return render_template("home/confirmed.html", user=user, password=password)


@bp.post("/accounts/refuse/<int:user_id>")
def refuse_account(user_id):
    user = _pending(user_id)
    accounts.refuse(current_user, user)
    db.session.commit()
    flash(_("Account %(name)s is disabled: you did not recognise it. Tell your administrator.",
            name=user.username), "success")
    return redirect(url_for("home.confirmations"))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """My name, position, work telephone and e-mail, as referral letters sign them."""
    policy.require(current_user, "edit_own_profile")
    form = ProfileForm(obj=None if request.method == "POST" else current_user)
    if form.validate_on_submit():
        accounts.update_profile(current_user, current_user,
                                {name: getattr(form, name).data for name in accounts.PROFILE_FIELDS})
        db.session.commit()
        flash(_("Your details are saved."), "success")
        return redirect(url_for("home.index"))
    return render_template("home/profile.html", form=form), 422 if form.errors else 200
