"""Organisations, user accounts, server-side sessions and sign-in throttling."""

import json
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from nrm.clock import now
from nrm.core.reference import ORGANISATION_KINDS, REGIONS, ROLES
from nrm.extensions import db
from nrm.models.types import UTCDateTime


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    region: Mapped[str | None] = mapped_column(String(8))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # Whether the organisation exists for the system: its accounts sign in only while it is active.
    # Only an administrator changes it, with a reason (``accounts.set_organisation_active``).
    active: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    # The directory of services (DOMAIN.md §6): seeded from sops/directory.yaml, then kept by
    # coordinators. Names and kinds only from the seed; contact fields stay empty until filled in.
    in_directory: Mapped[bool] = mapped_column(default=False)
    names: Mapped[str | None] = mapped_column(Text)              # JSON {ky, ru, en}
    services: Mapped[str | None] = mapped_column(String(255))    # service types received, comma-separated
    serves_regions: Mapped[str | None] = mapped_column(String(80))
    accepts_sex: Mapped[str | None] = mapped_column(String(64))
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]
    capacity: Mapped[int | None]
    country: Mapped[str | None] = mapped_column(String(2))
    # a partner NRM (kind partner_nrm): its identifier in the exchange and the URL of its inbox
    exchange_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    exchange_url: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(Text)               # JSON {ky, ru, en}
    post: Mapped[str | None] = mapped_column(String(24))
    resident: Mapped[bool | None]
    source: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Intake is not access: whether the routing engine proposes this organisation and officers may
    # send to it. A coordinator pauses intake (with a reason, optionally until a date); its staff
    # keep working on their open cases.
    accepts_referrals: Mapped[bool] = mapped_column(default=True)
    intake_paused_reason: Mapped[str | None] = mapped_column(String(300))
    intake_paused_until: Mapped[date | None] = mapped_column(Date)

    parent: Mapped["Organisation | None"] = relationship(remote_side=[id])

    def receives_referrals(self, on: date | None = None) -> bool:
        """Active, in the directory and taking referrals (on ``on``, a local date: a pause with an
        end date is over from that date)."""
        if not (self.active and self.in_directory):
            return False
        if self.accepts_referrals:
            return True
        return bool(on and self.intake_paused_until and on >= self.intake_paused_until)

    def receives(self, service: str, on: date | None = None) -> bool:
        return self.receives_referrals(on) and service in self.service_list()

    def name_in(self, language: str) -> str:
        names = json.loads(self.names) if self.names else {}
        return names.get(language) or names.get("en") or self.name

    def city_in(self, language: str) -> str | None:
        cities = json.loads(self.city) if self.city else {}
        return cities.get(language) or cities.get("en")

    def service_list(self) -> list[str]:
        return [s for s in (self.services or "").split(",") if s]

    def region_list(self) -> list[str]:
        return [r for r in (self.serves_regions or "").split(",") if r]

    @validates("kind")
    def _check_kind(self, _key, value):
        if value not in ORGANISATION_KINDS:
            raise ValueError(f"unknown organisation kind {value!r}")
        return value

    @validates("region")
    def _check_region(self, _key, value):
        if value is not None and value not in REGIONS:
            raise ValueError(f"unknown region {value!r}")
        return value


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # TOTP seed, sealed by the vault (context user_account.totp_secret:<id>).
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Highest TOTP time step accepted so far: a code is good once.
    totp_last_step: Mapped[int | None]
    language: Mapped[str | None] = mapped_column(String(8))
    # work address for notification e-mails (optional; they never carry personal data)
    email: Mapped[str | None] = mapped_column(String(200))
    # who the person is at work, as letters and the directory show it (the officer's signature)
    full_name: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    work_phone: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=True)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Separation of duties: an account that sees personal data, created or reset by an
    # administrator, signs in only once a second person has confirmed it (nrm.services.accounts).
    confirmation_required: Mapped[bool] = mapped_column(default=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Wrong second-factor codes, counted per account across every pending sign-in over a long
    # window; at the limit the account is locked until an administrator unlocks it.
    totp_failures: Mapped[int] = mapped_column(default=0)
    totp_failures_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()

    @validates("role")
    def _check_role(self, _key, value):
        if value not in ROLES:
            raise ValueError(f"unknown role {value!r}")
        return value

    @validates("username")
    def _normalise_username(self, _key, value):
        return value.strip().lower()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active and self.organisation.active)

    @property
    def awaiting_confirmation(self) -> bool:
        return bool(self.confirmation_required and self.confirmed_at is None)


class AuthSession(db.Model):
    """A server-side session. The cookie holds only a random token; its SHA-256 is stored here.

    ``stage`` is ``password_change``, ``totp_enrol`` or ``totp`` while sign-in is under way and
    ``active`` once complete; only an active session authenticates requests.
    """

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    stage: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_auth_session_user_open", "user_id", "ended_at"),)


class LoginThrottle(db.Model):
    """Failed sign-in attempts per username (known or not, so the lock reveals nothing).

    ``name_hash`` is a keyed HMAC (``nrm.security.pseudonyms``, key outside the database) of the
    normalised text typed as a user name, not a user id: without the key nobody can test a guess.
    """

    __tablename__ = "login_throttle"

    name_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
