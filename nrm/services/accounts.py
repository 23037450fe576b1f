"""Accounts and organisations: sign-in, second factor, password changes, administration.

Every function that changes something records it through ``nrm.security.audit.record`` and leaves
the commit to its caller's transaction boundary (views and CLI commands commit once).
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from nrm.clock import now
from nrm.errors import ValidationFailed
from nrm.extensions import db
from nrm.models import LoginThrottle, Organisation, User
from nrm.security import audit, passwords, policy, totp
from nrm.services import sessions

STAGE_PASSWORD_CHANGE = "password_change"  # noqa: S105 - a stage name, not a password
STAGE_TOTP_ENROL = "totp_enrol"
STAGE_TOTP = "totp"


@dataclass
class SignIn:
    """Outcome of one sign-in step. ``stage`` is where the user goes next (None = refused)."""

    stage: str | None
    locked_until: datetime | None = None
    disabled: bool = False


# ---------------------------------------------------------------- lockout

def _throttle_key(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()


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
    _clear_failures(user.username)
    audit.record("account.unlock", object_type="user", object_id=user.id, actor=actor)


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
    """Check the TOTP code of a pending session (enrolment confirmation or ordinary sign-in)."""
    user = record.user
    if totp.accept(user, code):
        if user.totp_enrolled_at is None:
            user.totp_enrolled_at = now()
            audit.record("account.totp_enrolled", object_type="user", object_id=user.id, actor=user)
        stage = _advance(record, user, sessions.ACTIVE)
        db.session.commit()
        return SignIn(stage=stage)
    until = _register_failure(user.username)
    audit.record("auth.totp", object_type="user", object_id=user.id, actor=user,
                 outcome="locked" if until else "failed")
    if until:
        sessions.end(record, "locked")
    db.session.commit()
    return SignIn(stage=None, locked_until=until)


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


def create_user(actor, *, username: str, role: str, organisation: Organisation,
                password: str | None = None, is_demo: bool = False) -> tuple[User, str | None]:
    """Create an account. Without ``password`` a one-time password is generated and returned;
    the user must replace it at first sign-in either way."""
    username = _check_username(username)
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
                is_demo=is_demo)
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", object_type="user", object_id=user.id, actor=actor)
    return user, generated


def set_user_active(actor, user: User, active: bool) -> None:
    user.active = active
    if not active:
        sessions.end_all(user, "disabled")
    audit.record("account.enable" if active else "account.disable",
                 object_type="user", object_id=user.id, actor=actor)


def reset_password(actor, user: User) -> str:
    """Issue a new one-time password; every session of the user ends."""
    password = passwords.one_time_password()
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = True
    sessions.end_all(user, "reset")
    _clear_failures(user.username)
    audit.record("account.password_reset", object_type="user", object_id=user.id, actor=actor)
    return password


def reset_second_factor(actor, user: User) -> None:
    """Forget the TOTP seed: the user enrols a new one at next sign-in (lost phone)."""
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    sessions.end_all(user, "reset")
    audit.record("account.totp_reset", object_type="user", object_id=user.id, actor=actor)


def create_organisation(actor, *, code: str, name: str, kind: str, region: str | None,
                        parent: Organisation | None = None, is_demo: bool = False) -> Organisation:
    code = (code or "").strip().lower()
    if not (2 <= len(code) <= 64) or not code.isascii() \
            or not all(c.isalnum() or c in "-_" for c in code):
        raise ValidationFailed(
            _("Use 2 to 64 Latin letters, digits, hyphens or underscores."), field="code"
        )
    if db.session.scalar(db.select(Organisation.id).where(Organisation.code == code)):
        raise ValidationFailed(_("This code is already used by another organisation."),
                               field="code")
    org = Organisation(code=code, name=name.strip(), kind=kind, region=region or None,
                       parent=parent, is_demo=is_demo)
    db.session.add(org)
    db.session.flush()
    audit.record("organisation.create", object_type="organisation", object_id=org.id, actor=actor)
    return org


def set_organisation_active(actor, org: Organisation, active: bool) -> int:
    """Enable or disable an organisation; disabling ends every session of its members."""
    org.active = active
    ended = 0
    if not active:
        members = db.session.scalars(db.select(User).where(User.organisation_id == org.id)).all()
        for member in members:
            ended += sessions.end_all(member, "disabled")
    audit.record("organisation.enable" if active else "organisation.disable",
                 object_type="organisation", object_id=org.id, actor=actor)
    return ended
