"""API clients: another system of one organisation (a crisis centre's records, a police system, the
prosecutors' statistics) calling /api/v1 with a bearer token. Each client acts as a technical account
of its organisation, in one role, so the API goes through the same access policy, services and audit
as the pages; its scopes narrow that further. The token is shown once and kept only as a hash."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nrm.clock import now
from nrm.extensions import db
from nrm.models.accounts import Organisation, User
from nrm.models.types import UTCDateTime

SCOPES = {
    # scope: (the role its account has, what it allows)
    "referrals:read": "case_worker",
    "referrals:write": "case_worker",
    "screenings:write": "screening_officer",
    "statistics:read": "analyst",
}


class ApiClient(db.Model):
    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), unique=True)
    scopes: Mapped[str] = mapped_column(String(200))
    token_prefix: Mapped[str | None] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str | None] = mapped_column(String(64))
    xroad_client: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship()

    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split(",") if s]

    def usable(self, at: datetime) -> bool:
        return (self.revoked_at is None and (self.expires_at is None or at < self.expires_at)
                and self.user.is_active)
