"""Server-side sessions.

The signed Flask cookie carries only ``sid``, a random token; the database keeps its SHA-256, the
user, the sign-in stage and the times. A session ends on sign-out, after
``SESSION_IDLE_TIMEOUT`` without a request, after ``SESSION_ABSOLUTE_TIMEOUT`` in all, when the
account or its organisation is disabled, and whenever sign-in moves to its next stage (the token is
regenerated at every stage, so a token seen before sign-in is worthless after it).
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, session
from sqlalchemy.orm import joinedload

from nrm.clock import now
from nrm.extensions import db
from nrm.models import AuthSession, User

ACTIVE = "active"
# Write last_seen_at at most this often (or a tenth of the idle timeout, if shorter): an idle
# timeout accurate to the minute is enough.
_TOUCH_EVERY = timedelta(seconds=60)
# What survives the regeneration of a session: the chosen language and where to go after sign-in.
_CARRIED_OVER = ("lang", "next")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def start(user, stage: str) -> AuthSession:
    """Open a session at ``stage`` and bind it to this browser, dropping whatever was there."""
    token = secrets.token_urlsafe(32)
    record = AuthSession(token_hash=_hash(token), user=user, stage=stage,
                         created_at=now(), last_seen_at=now())
    db.session.add(record)
    carried = {key: session[key] for key in _CARRIED_OVER if key in session}
    session.clear()
    g.pop("csrf_token", None)  # the CSRF token lived in the old session
    session.update(carried)
    session["sid"] = token
    session.permanent = True
    g.auth_session = record
    return record


def advance(record: AuthSession, stage: str) -> AuthSession:
    """Move sign-in to the next stage under a new token; the old one stops working."""
    end(record, "advanced")
    fresh = start(record.user, stage)
    if stage != ACTIVE:
        # the pending window counts from the password, not from each step
        fresh.created_at = record.created_at
    return fresh


def end(record: AuthSession, reason: str) -> None:
    if record.ended_at is None:
        record.ended_at = now()
        record.end_reason = reason


def end_all(user, reason: str, keep: AuthSession | None = None) -> int:
    """End every open session of a user but ``keep`` (e.g. the account was disabled)."""
    query = db.select(AuthSession).where(AuthSession.user_id == user.id,
                                         AuthSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(AuthSession.id != keep.id)
    open_sessions = db.session.scalars(query).all()
    for record in open_sessions:
        end(record, reason)
    return len(open_sessions)


def _expiry_reason(record: AuthSession) -> str | None:
    cfg = current_app.config
    t = now()
    if record.ended_at is not None:
        return record.end_reason or "ended"
    if not record.user.is_active:
        return "disabled"
    if record.stage != ACTIVE:
        return "pending_expired" if t - record.created_at > cfg["SESSION_PENDING_TIMEOUT"] else None
    if t - record.created_at > cfg["SESSION_ABSOLUTE_TIMEOUT"]:
        return "absolute"
    if t - record.last_seen_at > cfg["SESSION_IDLE_TIMEOUT"]:
        return "idle"
    return None


def current(stage: str | None = ACTIVE) -> AuthSession | None:
    """This browser's session if it is open and at ``stage`` (any stage when None).

    A session found expired is ended now; the reason is left in ``g.session_end_reason`` so the
    sign-in page can say why the user has to sign in again.
    """
    if "auth_session" not in g:
        g.auth_session = None
        token = session.get("sid")
        if token:
            # one query for the session, its user and the user's organisation (every request needs them)
            record = db.session.scalar(
                db.select(AuthSession).where(AuthSession.token_hash == _hash(token))
                .options(joinedload(AuthSession.user).joinedload(User.organisation))
            )
            if record is not None:
                reason = _expiry_reason(record)
                if reason is None:
                    g.auth_session = record
                else:
                    if record.ended_at is None:
                        end(record, reason)
                        db.session.commit()
                    g.session_end_reason = reason
            # A dead token stays in the cookie (it opens nothing): rewriting the cookie here could
            # race a concurrent request that has just signed in and set a new one.
    record = g.auth_session
    if record is None or (stage is not None and record.stage != stage):
        return None
    return record


def touch(record: AuthSession, force: bool = False) -> None:
    every = min(_TOUCH_EVERY, current_app.config["SESSION_IDLE_TIMEOUT"] / 10)
    if force or now() - record.last_seen_at >= every:
        record.last_seen_at = now()
        db.session.commit()


def idle_seconds_left(record: AuthSession | None) -> int | None:
    """Seconds before this session ends for inactivity (or at its absolute limit, if sooner); what
    the page's warning counts down from."""
    if record is None or record.stage != ACTIVE:
        return None
    cfg, t = current_app.config, now()
    left = min(cfg["SESSION_IDLE_TIMEOUT"] - (t - record.last_seen_at),
               cfg["SESSION_ABSOLUTE_TIMEOUT"] - (t - record.created_at))
    return max(0, int(left.total_seconds()))
