"""Audit events. Written only through ``nrm.security.audit.record``; never holds a field value."""

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from nrm.clock import now
from nrm.extensions import db
from nrm.models.types import UTCDateTime


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    actor_id: Mapped[int | None]
    actor_role: Mapped[str | None] = mapped_column(String(32))
    actor_org_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    client_addr: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_audit_event_action_at", "action", "at"),)
