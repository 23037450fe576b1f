"""Audit events. Written only through ``nrm.security.audit.record``; never holds a field value.

Each event carries ``seq`` (1, 2, 3, … with no gaps), the ``prev_hash`` of the event before it,
and ``hash`` = HMAC-SHA256 under the audit key (kept outside the database) of its own fields and
``prev_hash``. Editing, deleting or reordering any event breaks the chain at that event.
"""

from datetime import datetime

from sqlalchemy import DDL, BigInteger, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from nrm.clock import now
from nrm.extensions import db
from nrm.models.types import UTCDateTime


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    actor_id: Mapped[int | None]
    actor_role: Mapped[str | None] = mapped_column(String(32))
    actor_org_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    client_addr: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        # each filter of the audit page with the page's order (newest seq first): see migration 0006
        Index("ix_audit_event_action_seq", "action", "seq"),
        Index("ix_audit_event_outcome_seq", "outcome", "seq"),
        Index("ix_audit_event_actor_seq", "actor_id", "seq"),
        Index("ix_audit_event_object", "object_type", "object_id"),
    )


class AuditHead(db.Model):
    """One row: the last event's seq and hash. Every writer updates it first, which locks it
    (a row lock on PostgreSQL, the write lock on SQLite) until its transaction ends: writers are
    serialised and the chain cannot fork."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


GENESIS = "0" * 64
event.listen(AuditHead.__table__, "after_create",
             DDL("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + GENESIS + "')"))  # noqa: S608 - a constant
