"""Account and organisation administration views."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forms.admin import (
    AccountEditForm,
    AccountForm,
    ActionForm,
    CalendarDayForm,
    DisableForm,
    OrganisationForm,
)
from nrm import labels
from nrm.admin import bp
from nrm.core.reference import ORGANISATION_KINDS, REGIONS, ROLES
from nrm.errors import ValidationFailed
from nrm.extensions import db
from nrm.models import Organisation, User
from nrm.security import policy
from nrm.services import accounts


def _language() -> str:
    from flask_babel import get_locale

    return str(get_locale())


def _fill_account_choices(form) -> None:
    form.role.choices = [(r, labels.ROLE_LABELS[r]) for r in ROLES]
    orgs = db.session.scalars(
        db.select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)
    ).all()
    form.organisation.choices = [(o.id, o.name_in(_language())) for o in orgs]


def _account_form() -> AccountForm:
    form = AccountForm()
    _fill_account_choices(form)
    return form


def _organisation_form() -> OrganisationForm:
    form = OrganisationForm()
    form.kind.choices = [(k, labels.ORGANISATION_KIND_LABELS[k]) for k in ORGANISATION_KINDS]
    form.region.choices = [("", _("None (abroad or national)"))] + [
        (r, str(labels.REGION_LABELS[r])) for r in REGIONS
    ]
    orgs = db.session.scalars(db.select(Organisation).order_by(Organisation.name)).all()
    form.parent.choices = [(0, _("None"))] + [(o.id, o.name_in(_language())) for o in orgs]
    return form


def _accounts_page(form, status=200):
    users = db.session.scalars(db.select(User).order_by(User.username)).all()
    locked = {u.id: accounts.locked_until(u.username) for u in users}
    return render_template("admin/accounts.html", form=form, users=users, locked=locked,
                           action_form=ActionForm()), status


@bp.route("/accounts", methods=["GET", "POST"])
@policy.requires("list_accounts")
def account_list():
    form = _account_form()
    if form.validate_on_submit():
        policy.require(current_user, "create_account")
        org = db.get_or_404(Organisation, form.organisation.data)
        try:
            user, password = accounts.create_user(
                current_user, username=form.username.data, role=form.role.data, organisation=org,
                profile={name: getattr(form, name).data for name in accounts.PROFILE_FIELDS},
            )
        except ValidationFailed as problem:
            getattr(form, problem.field or "username").errors.append(problem.message)
            db.session.rollback()
            return _accounts_page(form, 422)
        db.session.commit()
        if password is None:
            return render_template("admin/awaiting_confirmation.html", user=user)
        # Shown once, in this response only; never stored in clear or sent again.
        return render_template("admin/one_time_password.html", user=user, password=password)
    return _accounts_page(form, 422 if form.errors else 200)


def _target_user(user_id: int) -> User:
    user = db.get_or_404(User, user_id)
    policy.require(current_user, "manage_account", user)
    if not ActionForm().validate_on_submit():
        abort(400)
    return user


@bp.post("/accounts/<int:user_id>/disable")
def account_disable(user_id):
    user = _target_user(user_id)
    try:
        accounts.set_user_active(current_user, user, False)
    except ValidationFailed as problem:
        db.session.rollback()
        flash(problem.message, "error")
        return redirect(url_for("admin.account_list"))
    db.session.commit()
    flash(_("Account %(name)s is disabled; its sessions are ended.", name=user.username), "success")
    return redirect(url_for("admin.account_list"))


@bp.post("/accounts/<int:user_id>/enable")
def account_enable(user_id):
    user = _target_user(user_id)
    accounts.set_user_active(current_user, user, True)
    db.session.commit()
    flash(_("Account %(name)s is enabled.", name=user.username), "success")
    return redirect(url_for("admin.account_list"))


@bp.post("/accounts/<int:user_id>/unlock")
def account_unlock(user_id):
    user = _target_user(user_id)
    accounts.unlock(current_user, user)
    db.session.commit()
    flash(_("Account %(name)s is unlocked.", name=user.username), "success")
    return redirect(url_for("admin.account_list"))


@bp.post("/accounts/<int:user_id>/reset-password")
def account_reset_password(user_id):
    user = _target_user(user_id)
    password = accounts.reset_password(current_user, user)
    db.session.commit()
    if password is None:
        return render_template("admin/awaiting_confirmation.html", user=user, reset=True)
    return render_template("admin/one_time_password.html", user=user, password=password)


@bp.post("/accounts/<int:user_id>/reset-second-factor")
def account_reset_second_factor(user_id):
    user = _target_user(user_id)
    accounts.reset_second_factor(current_user, user)
    db.session.commit()
    if user.awaiting_confirmation:
        return render_template("admin/awaiting_confirmation.html", user=user, reset=True)
    flash(_("Two-step verification of %(name)s is reset; they enrol again at next sign-in.",
            name=user.username), "success")
    return redirect(url_for("admin.account_list"))


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
def account_edit(user_id):
    """An account's name, position, telephone and e-mail; its role and organisation."""
    user = db.get_or_404(User, user_id)
    policy.require(current_user, "manage_account", user)
    form = AccountEditForm(obj=None if request.method == "POST" else user,
                           organisation=user.organisation_id if request.method == "GET" else None)
    _fill_account_choices(form)
    if form.validate_on_submit():
        org = db.session.get(Organisation, form.organisation.data)
        try:
            accounts.update_profile(current_user, user,
                                    {name: getattr(form, name).data for name in accounts.PROFILE_FIELDS})
            if org is None:
                raise ValidationFailed(_("Choose an organisation."), field="organisation")
            accounts.change_role(current_user, user, form.role.data, org)
        except ValidationFailed as problem:
            db.session.rollback()
            getattr(form, problem.field or "role").errors.append(problem.message)
        else:
            db.session.commit()
            if user.awaiting_confirmation:
                return render_template("admin/awaiting_confirmation.html", user=user, reset=True)
            flash(_("Account %(name)s is saved.", name=user.username), "success")
            return redirect(url_for("admin.account_list"))
    return render_template("admin/account_edit.html", form=form, user=user), 422 if form.errors else 200


@bp.route("/organisations", methods=["GET", "POST"])
@policy.requires("list_organisations")
def organisation_list():
    form = _organisation_form()
    status = 200
    if form.validate_on_submit():
        policy.require(current_user, "manage_organisation")
        parent = db.session.get(Organisation, form.parent.data) if form.parent.data else None
        try:
            org = accounts.create_organisation(
                current_user, code=form.code.data, kind=form.kind.data,
                name={"ky": form.name_ky.data, "ru": form.name_ru.data, "en": form.name_en.data},
                region=form.region.data or None, parent=parent,
            )
        except ValidationFailed as problem:
            getattr(form, problem.field or "code").errors.append(problem.message)
            db.session.rollback()
            status = 422
        else:
            db.session.commit()
            flash(_("Organisation %(name)s is created.", name=org.name_in(_language())), "success")
            return redirect(url_for("admin.organisation_list"))
    elif form.errors:
        status = 422
    orgs = db.session.scalars(db.select(Organisation).order_by(Organisation.name)).all()
    return render_template("admin/organisations.html", form=form, organisations=orgs,
                           action_form=ActionForm(), disable_form=DisableForm(),
                           language=_language()), status


def _target_organisation(org_id: int, form=None) -> Organisation:
    org = db.get_or_404(Organisation, org_id)
    policy.require(current_user, "manage_organisation", org)
    if not (form or ActionForm()).validate_on_submit():
        abort(400)
    return org


@bp.post("/organisations/<int:org_id>/disable")
def organisation_disable(org_id):
    org = db.get_or_404(Organisation, org_id)
    policy.require(current_user, "manage_organisation", org)
    form = DisableForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for disabling this organisation."), "error")
        return redirect(url_for("admin.organisation_list"))
    try:
        accounts.set_organisation_active(current_user, org, False, form.reason.data)
    except ValidationFailed as problem:
        db.session.rollback()
        flash(problem.message, "error")
        return redirect(url_for("admin.organisation_list"))
    db.session.commit()
    flash(_("Organisation %(name)s is disabled; its members are signed out.", name=org.name_in(_language())),
          "success")
    return redirect(url_for("admin.organisation_list"))


@bp.post("/organisations/<int:org_id>/enable")
def organisation_enable(org_id):
    org = _target_organisation(org_id)
    accounts.set_organisation_active(current_user, org, True)
    db.session.commit()
    flash(_("Organisation %(name)s is enabled.", name=org.name_in(_language())), "success")
    return redirect(url_for("admin.organisation_list"))


@bp.route("/calendar", methods=["GET", "POST"])
@policy.requires("manage_calendar")
def calendar_index():
    """The working calendar of the clocks: the public holidays the law sets (from the maintained
    calendar) and the days the Cabinet announces each year, which the administrator records here."""
    from nrm.clock import today
    from nrm.services import calendar

    form = CalendarDayForm()
    form.kind.choices = [(k, labels.CALENDAR_DAY_KIND_LABELS[k]) for k in ("day_off", "working_day")]
    status = 200
    if form.validate_on_submit():
        try:
            calendar.add_day(current_user, form.day.data, form.kind.data, form.name.data)
        except ValidationFailed as problem:
            getattr(form, problem.field or "day").errors.append(problem.message)
            db.session.rollback()
            status = 422
        else:
            db.session.commit()
            flash(_("The calendar is updated; every working-day clock counts the change."), "success")
            return redirect(url_for("admin.calendar_index", year=form.day.data.year))
    elif form.errors:
        status = 422
    this_year = today().year
    year = request.args.get("year", type=int) or this_year
    if not this_year - 5 <= year <= this_year + 2:
        year = this_year
    days = calendar.year_view(year, _language())
    return render_template("admin/calendar.html", form=form, days=days, year=year,
                           years=range(this_year - 1, this_year + 2), action_form=ActionForm(),
                           today=today()), status


@bp.post("/calendar/<day>/remove")
@policy.requires("manage_calendar")
def calendar_remove(day):
    from datetime import date as date_type

    from nrm.services import calendar

    try:
        when = date_type.fromisoformat(day)
    except ValueError:
        abort(404)
    if not calendar.remove_day(current_user, when):
        abort(404)
    db.session.commit()
    flash(_("The day is removed from the calendar."), "success")
    return redirect(url_for("admin.calendar_index", year=when.year))
