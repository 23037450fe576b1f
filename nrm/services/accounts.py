"""Accounts and organisations: sign-in, second factor, password changes, administration.

Every function that changes something records it through ``nrm.security.audit.record`` and leaves
the commit to its caller's transaction boundary (views and CLI commands commit once).
"""

import json
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from nrm.clock import now
from nrm.errors import ValidationFailed
from nrm.extensions import db
from nrm.models import LoginThrottle, Organisation, User
from nrm.security import audit, passwords, policy, totp
from nrm.security.pseudonyms import pseudonym
from nrm.services import sessions

STAGE_PASSWORD_CHANGE = "password_change"  # noqa: S105 - a stage name, not a password
STAGE_TOTP_ENROL = "totp_enrol"
STAGE_TOTP = "totp"


# Roles whose accounts see personal data: an administrator never holds their credentials
# (separation of duties): such an account, created or reset by an administrator, becomes usable
# only when a second person confirms it and receives its one-time password to hand over.
PERSONAL_DATA_ROLES = policy.PERSONAL_DATA_ROLES


@dataclass
class SignIn:
    """Outcome of one sign-in step. ``stage`` is where the user goes next (None = refused)."""

    stage: str | None
    locked_until: datetime | None = None
    disabled: bool = False
    code_locked: bool = False           # too many wrong codes: only an administrator unlocks it
    unconfirmed: bool = False           # waiting for a second person's confirmation


# ---------------------------------------------------------------- lockout

def _throttle_key(username: str) -> str:
    return pseudonym("login_throttle", username.strip().lower() or "-")


def _throttle(username: str) -> LoginThrottle:
    key = _throttle_key(username)
    row = db.session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(name_hash=key, window_started_at=now(), failures=0)
        db.session.add(row)
    return row


def locked_until(username: str) -> datetime | None:
    row = db.session.get(LoginThrottle, _throttle_key(username))
    if row is not None and row.locked_until is not None and row.locked_until > now():
        return row.locked_until
    return None


def _register_failure(username: str) -> datetime | None:
    cfg = current_app.config
    row = _throttle(username)
    t = now()
    if t - row.window_started_at > cfg["LOCKOUT_WINDOW"]:
        row.window_started_at, row.failures = t, 0
    row.failures += 1
    if row.failures >= cfg["LOCKOUT_THRESHOLD"]:
        row.locked_until = t + cfg["LOCKOUT_DURATION"]
        row.failures, row.window_started_at = 0, t
    return row.locked_until if row.locked_until and row.locked_until > t else None


def _clear_failures(username: str) -> None:
    row = db.session.get(LoginThrottle, _throttle_key(username))
    if row is not None:
        db.session.delete(row)


def unlock(actor, user: User) -> None:
    """Clear the sign-in lockout and the lock on wrong second-factor codes."""
    _clear_failures(user.username)
    user.totp_failures, user.totp_failures_since, user.totp_locked_at = 0, None, None
    audit.record("account.unlock", object_type="user", object_id=user.id, actor=actor)


def _register_code_failure(user: User) -> bool:
    """Count a wrong second-factor code against the account, whatever sign-in it came through;
    True when that locks the account (TOTP_LOCKOUT_THRESHOLD within TOTP_LOCKOUT_WINDOW)."""
    cfg, t = current_app.config, now()
    if user.totp_failures_since is None or t - user.totp_failures_since > cfg["TOTP_LOCKOUT_WINDOW"]:
        user.totp_failures, user.totp_failures_since = 0, t
    user.totp_failures += 1
    if user.totp_failures >= cfg["TOTP_LOCKOUT_THRESHOLD"] and user.totp_locked_at is None:
        user.totp_locked_at = t
        sessions.end_all(user, "locked")       # every pending sign-in too
        return True
    return False


# ---------------------------------------------------------------- sign-in

def next_stage(user: User) -> str:
    if user.must_change_password:
        return STAGE_PASSWORD_CHANGE
    if user.role in current_app.config["TOTP_REQUIRED_ROLES"] or user.totp_enrolled_at:
        return STAGE_TOTP if user.totp_enrolled_at else STAGE_TOTP_ENROL
    return sessions.ACTIVE


def sign_in(username: str, password: str) -> SignIn:
    """Check a username and password; on success open a pending (or active) session."""
    username = (username or "").strip().lower()
    until = locked_until(username)
    if until:
        audit.record("auth.login", object_type="user", outcome="locked")
        db.session.commit()
        return SignIn(stage=None, locked_until=until)
    user = db.session.scalar(db.select(User).where(User.username == username)) if username else None
    if user is not None and username.startswith("api-"):
        user = None      # an API client's technical account never signs in on a page
    if not passwords.verify_password(user.password_hash if user else None, password or ""):
        until = _register_failure(username)
        audit.record("auth.login", object_type="user", object_id=user.id if user else None,
                     outcome="locked" if until else "failed")
        db.session.commit()
        return SignIn(stage=None, locked_until=until)
    if not user.is_active:
        audit.record("auth.login", object_type="user", object_id=user.id, outcome="disabled")
        db.session.commit()
        return SignIn(stage=None, disabled=True)
    if user.totp_locked_at is not None:
        audit.record("auth.login", object_type="user", object_id=user.id, outcome="locked")
        db.session.commit()
        return SignIn(stage=None, code_locked=True)
    if user.awaiting_confirmation:
        audit.record("auth.login", object_type="user", object_id=user.id, outcome="unconfirmed")
        db.session.commit()
        return SignIn(stage=None, unconfirmed=True)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    stage = next_stage(user)
    if stage == STAGE_TOTP_ENROL and user.totp_secret is None:
        db.session.flush()
        totp.new_secret(user)
    record = sessions.start(user, stage)
    if stage == sessions.ACTIVE:
        _complete(user)
    audit.record("auth.password", object_type="user", object_id=user.id, actor=user)
    db.session.commit()
    return SignIn(stage=record.stage)


def _complete(user: User) -> None:
    # Failures (of either factor) are forgiven only when the whole sign-in succeeds.
    _clear_failures(user.username)
    user.last_login_at = now()
    audit.record("auth.login", object_type="user", object_id=user.id, actor=user)


def _advance(record, user: User, stage: str | None = None) -> str:
    """Move a pending session on to ``stage`` (default: what the account still needs)."""
    stage = stage or next_stage(user)
    if stage == STAGE_TOTP_ENROL and user.totp_secret is None:
        totp.new_secret(user)
    fresh = sessions.advance(record, stage)
    if stage == sessions.ACTIVE:
        _complete(user)
    return fresh.stage


def second_factor(record, code: str) -> SignIn:
    """Check the TOTP code of a pending session (enrolment confirmation or ordinary sign-in).

    Wrong codes count against the account across every pending sign-in, over a day
    (``TOTP_LOCKOUT_*``): at the limit the account is locked, every pending sign-in ends, and no
    code — not even the right one, through a sign-in still open elsewhere — is accepted until an
    administrator unlocks the account. The short sign-in throttle counts them too."""
    user = db.session.get(User, record.user_id, populate_existing=True, with_for_update=True)
    if user.totp_locked_at is not None or not user.is_active or user.awaiting_confirmation:
        audit.record("auth.totp", object_type="user", object_id=user.id, actor=user, outcome="locked")
        sessions.end(record, "locked")
        db.session.commit()
        return SignIn(stage=None, code_locked=True)
    if totp.accept(user, code):
        user.totp_failures, user.totp_failures_since = 0, None
        if user.totp_enrolled_at is None:
            user.totp_enrolled_at = now()
            audit.record("account.totp_enrolled", object_type="user", object_id=user.id, actor=user)
        stage = _advance(record, user, sessions.ACTIVE)
        db.session.commit()
        return SignIn(stage=stage)
    locked = _register_code_failure(user)
    until = _register_failure(user.username)
    audit.record("auth.totp", object_type="user", object_id=user.id, actor=user,
                 outcome="locked" if locked or until else "failed")
    if locked or until:
        sessions.end(record, "locked")
    db.session.commit()
    return SignIn(stage=None, locked_until=until, code_locked=locked)


def change_password(user: User, current: str | None, new: str, record=None) -> str | None:
    """Set a new password. ``current`` is required except in the forced first-sign-in change.

    Returns the next sign-in stage when called during sign-in, else None.
    Raises ValidationFailed with a translated message.
    """
    if current is not None and not passwords.verify_password(user.password_hash, current):
        raise ValidationFailed(_("The current password is not correct."), field="current_password")
    passwords.check_policy(new, user.username)
    if passwords.verify_password(user.password_hash, new):
        raise ValidationFailed(_("Choose a password different from the current one."),
                               field="password")
    user.password_hash = passwords.hash_password(new)
    user.must_change_password = False
    user.password_changed_at = now()
    audit.record("account.password_changed", object_type="user", object_id=user.id, actor=user)
    # a password change signs the account out everywhere else
    sessions.end_all(user, "password_changed", keep=record or sessions.current())
    stage = _advance(record, user) if record is not None else None
    db.session.commit()
    return stage


def sign_out(record) -> None:
    if record is not None:
        sessions.end(record, "signed_out")
        audit.record("auth.logout", object_type="user", object_id=record.user_id, actor=record.user)
        db.session.commit()


def set_language(user: User, language: str) -> None:
    if language in current_app.config["LANGUAGES"]:
        user.language = language
        db.session.commit()


# ---------------------------------------------------------------- administration

def _check_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not (3 <= len(username) <= 64) or not all(c.isalnum() or c in "._-" for c in username) \
            or not username.isascii():
        raise ValidationFailed(
            _("Use 3 to 64 Latin letters, digits, dots, hyphens or underscores."), field="username"
        )
    if db.session.scalar(db.select(User.id).where(User.username == username)):
        raise ValidationFailed(_("This user name is already taken."), field="username")
    return username


def sees_personal_data(role: str) -> bool:
    return role in PERSONAL_DATA_ROLES


def _by_administrator(actor) -> bool:
    """Changes made in the application by an administrator need a second person for accounts that
    see personal data; the command line (``actor`` None) is the server's operator, who holds the
    keys anyway (docs/threat-model.md)."""
    return actor is not None


def _require_confirmation(actor, user: User, why: str) -> None:
    """Make the account unusable until a second person confirms it; its credentials are replaced
    then, and handed to the confirming person, never to the administrator."""
    user.confirmation_required, user.confirmed_at, user.confirmed_by_id = True, None, None
    user.must_change_password = True
    user.password_hash = passwords.hash_password(passwords.one_time_password())   # nobody knows it
    user.totp_secret = user.totp_enrolled_at = user.totp_last_step = None
    sessions.end_all(user, "reset")
    audit.record(f"account.confirmation_required.{why}", object_type="user", object_id=user.id, actor=actor)
    from nrm.services import notifications

    candidates = db.session.scalars(db.select(User).where(User.active.is_(True), db.or_(
        User.role == "coordinator", User.organisation_id == user.organisation_id)))
    confirmers = [u for u in candidates if policy.may(u, "confirm_account", user)]
    notifications.notify_users(confirmers, "account_awaiting_confirmation", "user", str(user.id))


def create_user(actor, *, username: str, role: str, organisation: Organisation,
                password: str | None = None, is_demo: bool = False, profile: dict | None = None,
                technical: bool = False) -> tuple[User, str | None]:
    """Create an account. Without ``password`` a one-time password is generated and returned;
    the user must replace it at first sign-in either way. An administrator creating an account
    that sees personal data gets no password: the account waits for a second person's
    confirmation (``confirm``), who receives it."""
    username = _check_username(username)
    if username.startswith("api-") != technical:
        raise ValidationFailed(_("User names starting with \"api-\" are kept for the accounts of API "
                                 "clients."), field="username")
    if not organisation.active:
        raise ValidationFailed(_("This organisation is disabled."), field="organisation")
    if not policy.role_fits_organisation(role, organisation.kind):
        raise ValidationFailed(
            _("This role cannot belong to an organisation of this kind."), field="role"
        )
    generated = None
    if password is None:
        password = generated = passwords.one_time_password()
    else:
        passwords.check_policy(password, username)
    user = User(username=username, role=role, organisation=organisation,
                password_hash=passwords.hash_password(password), must_change_password=True,
                is_demo=is_demo, **_profile_fields(profile or {}))
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", object_type="user", object_id=user.id, actor=actor)
    if sees_personal_data(role) and _by_administrator(actor):
        _require_confirmation(actor, user, "create")
        generated = None
    return user, generated


PROFILE_FIELDS = ("full_name", "position", "work_phone", "email")


def _profile_fields(values: dict) -> dict:
    return {name: (str(values[name]).strip() or None) if values.get(name) else None
            for name in PROFILE_FIELDS if name in values}


def update_profile(actor, user: User, values: dict) -> None:
    """Name, position, work telephone and e-mail: the owner or an administrator edits them."""
    for name, value in _profile_fields(values).items():
        setattr(user, name, value)
    audit.record("account.profile", object_type="user", object_id=user.id, actor=actor)


def change_role(actor, user: User, role: str, organisation: Organisation) -> None:
    """Move an account to another role or organisation. Into a role that sees personal data, the
    account waits for a second person's confirmation and gets new credentials from them."""
    if not organisation.active:
        raise ValidationFailed(_("This organisation is disabled."), field="organisation")
    if not policy.role_fits_organisation(role, organisation.kind):
        raise ValidationFailed(_("This role cannot belong to an organisation of this kind."), field="role")
    if role == user.role and organisation.id == user.organisation_id:
        return
    if user.role == policy.ADMIN and role != policy.ADMIN and user.active:
        _keep_an_administrator(exclude_user=user)
    user.role, user.organisation = role, organisation
    audit.record("account.change_role", object_type="user", object_id=user.id, actor=actor)
    sessions.end_all(user, "reset")
    if sees_personal_data(role) and _by_administrator(actor):
        _require_confirmation(actor, user, "change")
        _notify_owner(user)


def may_confirm(confirmer: User, user: User) -> bool:
    return policy.may(confirmer, "confirm_account", user)


def awaiting(confirmer: User) -> list[User]:
    query = db.select(User).where(User.confirmation_required.is_(True), User.confirmed_at.is_(None),
                                  User.active.is_(True)).order_by(User.created_at, User.id)
    return [u for u in db.session.scalars(query) if may_confirm(confirmer, u)]


def confirm(confirmer: User, user: User) -> str:
    """The second person confirms the account: it becomes usable with a new one-time password, which
    only they see (they hand it over), and enrols its second factor at first sign-in."""
    if not may_confirm(confirmer, user):
        raise ValidationFailed(_("You cannot confirm this account."))
    password = passwords.one_time_password()
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = True
    user.confirmed_at, user.confirmed_by_id = now(), confirmer.id
    user.totp_failures, user.totp_failures_since, user.totp_locked_at = 0, None, None
    _clear_failures(user.username)
    audit.record("account.confirm", object_type="user", object_id=user.id, actor=confirmer)
    return password


def refuse(confirmer: User, user: User) -> None:
    """The second person does not recognise the account: it is disabled."""
    if not may_confirm(confirmer, user):
        raise ValidationFailed(_("You cannot confirm this account."))
    user.active = False
    sessions.end_all(user, "disabled")
    audit.record("account.confirmation_refused", object_type="user", object_id=user.id, actor=confirmer)


def _notify_owner(user: User) -> None:
    from nrm.services import notifications

    notifications.notify_user(user.id, "account_reset", "user", str(user.id))


def _keep_an_administrator(exclude_user: User | None = None, exclude_org: Organisation | None = None) -> None:
    """Nobody may disable (or demote) the last active administrator, nor the organisation that
    holds every active administrator: nobody could manage accounts any more."""
    others = [u for u in db.session.scalars(db.select(User).where(User.role == policy.ADMIN,
                                                                  User.active.is_(True)))
              if u.organisation.active and u != exclude_user
              and (exclude_org is None or u.organisation_id != exclude_org.id)]
    if not others:
        raise ValidationFailed(_("This would leave no active administrator. Create or enable another "
                                 "administrator account in another organisation first."))


def set_user_active(actor, user: User, active: bool) -> None:
    if not active and user.role == policy.ADMIN and user.active:
        _keep_an_administrator(exclude_user=user)
    user.active = active
    if not active:
        sessions.end_all(user, "disabled")
    audit.record("account.enable" if active else "account.disable",
                 object_type="user", object_id=user.id, actor=actor)


def reset_password(actor, user: User) -> str | None:
    """Issue a new one-time password; every session of the user ends. For an account that sees
    personal data, an administrator's reset returns no password: the account waits for a second
    person's confirmation, who receives the new one, and its owner is notified."""
    if sees_personal_data(user.role) and _by_administrator(actor):
        _require_confirmation(actor, user, "password_reset")
        _clear_failures(user.username)
        user.totp_failures, user.totp_failures_since, user.totp_locked_at = 0, None, None
        audit.record("account.password_reset", object_type="user", object_id=user.id, actor=actor)
        _notify_owner(user)
        return None
    password = passwords.one_time_password()
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = True
    sessions.end_all(user, "reset")
    _clear_failures(user.username)
    user.totp_failures, user.totp_failures_since, user.totp_locked_at = 0, None, None
    audit.record("account.password_reset", object_type="user", object_id=user.id, actor=actor)
    return password


def reset_second_factor(actor, user: User) -> None:
    """Forget the TOTP seed: the user enrols a new one at next sign-in (lost phone). For an account
    that sees personal data, it also waits for a second person's confirmation."""
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    sessions.end_all(user, "reset")
    audit.record("account.totp_reset", object_type="user", object_id=user.id, actor=actor)
    if sees_personal_data(user.role) and _by_administrator(actor):
        _require_confirmation(actor, user, "totp_reset")
        _notify_owner(user)


def create_organisation(actor, *, code: str, name: str | dict, kind: str, region: str | None,
                        parent: Organisation | None = None, is_demo: bool = False) -> Organisation:
    """A new organisation. ``name`` is its name in ky, ru and en (a mapping; the header, letters and
    lists show the reader's), or one name used in every language until an administrator adds them."""
    code = (code or "").strip().lower()
    if not (2 <= len(code) <= 64) or not code.isascii() \
            or not all(c.isalnum() or c in "-_" for c in code):
        raise ValidationFailed(
            _("Use 2 to 64 Latin letters, digits, hyphens or underscores."), field="code"
        )
    if db.session.scalar(db.select(Organisation.id).where(Organisation.code == code)):
        raise ValidationFailed(_("This code is already used by another organisation."),
                               field="code")
    names = {k: v.strip() for k, v in name.items() if v and v.strip()} if isinstance(name, dict) \
        else {"en": name.strip()}
    org = Organisation(code=code, name=names.get("en") or next(iter(names.values())), kind=kind,
                       region=region or None, parent=parent, is_demo=is_demo,
                       names=json.dumps(names, ensure_ascii=False))
    db.session.add(org)
    db.session.flush()
    audit.record("organisation.create", object_type="organisation", object_id=org.id, actor=actor)
    return org


def set_organisation_active(actor, org: Organisation, active: bool, reason: str | None = None) -> int:
    """Enable or disable an organisation (an administrator's act, or the command line for
    recovery). Disabling needs a reason, ends every session of its members and is refused for the
    organisation that holds every active administrator."""
    ended = 0
    if not active:
        if not (reason or "").strip():
            raise ValidationFailed(_("Give the reason for disabling this organisation."), field="reason")
        _keep_an_administrator(exclude_org=org)
        org.disabled_reason, org.disabled_at = reason.strip()[:300], now()
        members = db.session.scalars(db.select(User).where(User.organisation_id == org.id)).all()
        for member in members:
            ended += sessions.end_all(member, "disabled")
    else:
        org.disabled_reason = org.disabled_at = None
    org.active = active
    audit.record("organisation.enable" if active else "organisation.disable",
                 object_type="organisation", object_id=org.id, actor=actor)
    return ended
