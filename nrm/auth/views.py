"""Views of signing in and out. They parse forms, call ``nrm.services.accounts`` and render."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from forms.auth import ChangePasswordForm, LoginForm, NewPasswordForm, TotpForm
from nrm.auth import bp
from nrm.errors import ValidationFailed
from nrm.extensions import limiter
from nrm.security import policy, totp
from nrm.services import accounts, sessions
from nrm.web import safe_next

STAGE_ENDPOINTS = {
    accounts.STAGE_PASSWORD_CHANGE: "auth.new_password",
    accounts.STAGE_TOTP_ENROL: "auth.enrol",
    accounts.STAGE_TOTP: "auth.second_factor",
}


def _login_limit():
    return current_app.config["RATELIMIT_LOGIN"]


def _go_on(stage: str):
    """Redirect to the page of the next sign-in stage, or into the application."""
    if stage == sessions.ACTIVE:
        target = safe_next(session.pop("next", None))
        return redirect(target or url_for("home.index"))
    return redirect(url_for(STAGE_ENDPOINTS[stage]))


CODE_LOCKED = _l("Too many wrong codes: this account is locked. Your administrator can unlock it.")


def _locked_message(until):
    return _("Too many failed attempts: this account is locked until %(time)s. "
             "Try again then, or ask your administrator to unlock it.",
             time=format_datetime(until, "short"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        result = accounts.sign_in(form.username.data, form.password.data)
        if result.stage:
            next_target = safe_next(form.next.data)
            if next_target:
                session["next"] = next_target
            return _go_on(result.stage)
        if result.locked_until:
            flash(_locked_message(result.locked_until), "error")
        elif result.disabled:
            flash(_("This account is disabled. Contact your administrator."), "error")
        elif result.code_locked:
            flash(CODE_LOCKED, "error")
        elif result.unconfirmed:
            flash(_("This account is waiting to be confirmed by a coordinator or a colleague of your "
                    "organisation. They will give you your one-time password."), "error")
        else:
            flash(_("The user name or password is not correct."), "error")
        form.password.data = ""
    return render_template("auth/login.html", form=form)


@bp.route("/new-password", methods=["GET", "POST"])
def new_password():
    record = sessions.current(stage=accounts.STAGE_PASSWORD_CHANGE)
    if record is None:
        return redirect(url_for("auth.login"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            stage = accounts.change_password(record.user, None, form.password.data, record=record)
        except ValidationFailed as problem:
            form.password.errors.append(problem.message)
        else:
            flash(_("Your new password is set."), "success")
            return _go_on(stage)
    return render_template("auth/new_password.html", form=form, user=record.user)


@bp.route("/enrol", methods=["GET", "POST"])
def enrol():
    record = sessions.current(stage=accounts.STAGE_TOTP_ENROL)
    if record is None:
        return redirect(url_for("auth.login"))
    form = TotpForm()
    if form.validate_on_submit():
        result = accounts.second_factor(record, form.code.data)
        if result.stage:
            flash(_("Two-step verification is on for your account."), "success")
            return _go_on(result.stage)
        if result.code_locked or result.locked_until:
            flash(CODE_LOCKED if result.code_locked else _locked_message(result.locked_until), "error")
            return redirect(url_for("auth.login"))
        form.code.errors.append(_("This code is not correct or was already used. "
                                  "Wait for the next code and try again."))
    user = record.user
    return render_template("auth/enrol.html", form=form, user=user,
                           qr=Markup(totp.qr_svg(user)),  # noqa: S704 - SVG made by segno from our own URI
                           secret=totp.secret_of(user))


@bp.route("/code", methods=["GET", "POST"])
def second_factor():
    record = sessions.current(stage=accounts.STAGE_TOTP)
    if record is None:
        return redirect(url_for("auth.login"))
    form = TotpForm()
    if form.validate_on_submit():
        result = accounts.second_factor(record, form.code.data)
        if result.stage:
            return _go_on(result.stage)
        if result.code_locked or result.locked_until:
            flash(CODE_LOCKED if result.code_locked else _locked_message(result.locked_until), "error")
            return redirect(url_for("auth.login"))
        form.code.errors.append(_("This code is not correct or was already used. "
                                  "Wait for the next code and try again."))
    return render_template("auth/code.html", form=form, user=record.user)


@bp.route("/logout", methods=["POST"])
def logout():
    accounts.sign_out(sessions.current(stage=None))
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/keepalive", methods=["POST"])
@login_required
def keepalive():
    """"Stay signed in": the idle clock starts again (the page's warning button calls this)."""
    record = sessions.current()
    sessions.touch(record, force=True)
    return {"idle_seconds": sessions.idle_seconds_left(record)}


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    policy.require(current_user, "change_own_password")
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data)
        except ValidationFailed as problem:
            getattr(form, problem.field or "password").errors.append(problem.message)
        else:
            flash(_("Your new password is set."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)
