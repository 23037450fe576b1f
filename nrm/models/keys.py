"""Data keys of the vault: one per person (or case), wrapped by a master key.

Destroying a data key (``wrapped`` set to NULL) makes every value sealed under it unreadable, in
this database and in every backup taken before: crypto-shredding.
"""

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from nrm.clock import now
from nrm.extensions import db
from nrm.models.types import UTCDateTime


def new_id() -> str:
    """Random row ids for sealed records: known before insert (they bind the ciphertexts) and
    not guessable in a URL."""
    return uuid.uuid4().hex


class DataKey(db.Model):
    __tablename__ = "data_key"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    subject: Mapped[str] = mapped_column(String(32))
    kek_id: Mapped[str | None] = mapped_column(String(64))
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    destroy_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_data_key_kek", "kek_id", "destroyed_at"),)
