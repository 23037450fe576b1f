"""The transnational exchange with partner NRMs (docs/exchange.md): their public keys (fingerprints
checked out of band), the referrals that travel between the countries, and every message sent or
received — kept as the encrypted package itself, which only the partner can open."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nrm.clock import now
from nrm.extensions import db
from nrm.models.accounts import Organisation
from nrm.models.keys import DataKey
from nrm.models.people import Person
from nrm.models.types import UTCDateTime
from nrm.security.vault import Sealable, Sealed


class PartnerKey(db.Model):
    """A partner NRM's public key (use "sig" or "enc"), recorded once its fingerprint was checked."""

    __tablename__ = "partner_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    use: Mapped[str] = mapped_column(String(8))
    kid: Mapped[str] = mapped_column(String(64), unique=True)     # the RFC 7638 thumbprint
    jwk: Mapped[str] = mapped_column(Text)                         # the public key, JSON
    checked: Mapped[str] = mapped_column(String(300))             # how the fingerprint was checked
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()


class Transfer(Sealable, db.Model):
    """A referral between two countries' NRMs, outgoing or incoming. Plain: codes and times; the
    package's content (the person's minimised data, the referral) is sealed under the person's key."""

    __tablename__ = "transfer"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"))
    direction: Mapped[str] = mapped_column(String(8))                # out | in
    exchange_id: Mapped[str] = mapped_column(String(64), unique=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    # out: held | sent | acknowledged | accepted | declined | closed | withdrawn
    # in: held (for the coordinator) | accepted | declined | closed | erased
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    screening_id: Mapped[str | None] = mapped_column(ForeignKey("screening.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    _content: Mapped[bytes | None] = mapped_column("content", LargeBinary)
    content_json = Sealed("_content")

    person: Mapped[Person | None] = relationship()
    partner: Mapped[Organisation] = relationship()
    data_key: Mapped[DataKey] = relationship()


class ExchangeMessage(db.Model):
    """One message of an exchange (a referral, a status, a receipt), as sent or received: the JWE
    itself (ciphertext only), its delivery and the partner's signed receipt."""

    __tablename__ = "exchange_message"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)   # the message id in the package
    direction: Mapped[str] = mapped_column(String(8))              # out | in
    kind: Mapped[str] = mapped_column(String(24))                  # referral | the status's code
    transfer_id: Mapped[str | None] = mapped_column(ForeignKey("transfer.id"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    package: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
    receipt: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_exchange_message_outbox", "direction", "delivered_at", "next_attempt_at"),)
