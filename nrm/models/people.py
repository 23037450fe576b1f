"""The screened person: identity fields sealed under the person's own data key, plus blind
indexes for exact-match duplicate detection. Nothing here is readable without the vault."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nrm.clock import now
from nrm.extensions import db
from nrm.models.keys import DataKey
from nrm.models.types import UTCDateTime
from nrm.security.vault import Sealable, Sealed

ERASURE_REASONS = ("consent_withdrawn", "retention_expired", "court_order", "entered_in_error")


class Person(Sealable, db.Model):
    __tablename__ = "person"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    # the organisation that first recorded the person (scope of the access policy)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime("hour"), default=now)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime("hour"))
    erasure_reason: Mapped[str | None] = mapped_column(String(32))

    _given_name: Mapped[bytes | None] = mapped_column("given_name", LargeBinary)
    _family_name: Mapped[bytes | None] = mapped_column("family_name", LargeBinary)
    _patronymic: Mapped[bytes | None] = mapped_column("patronymic", LargeBinary)
    _other_names: Mapped[bytes | None] = mapped_column("other_names", LargeBinary)
    _birth_date: Mapped[bytes | None] = mapped_column("birth_date", LargeBinary)
    _document_number: Mapped[bytes | None] = mapped_column("document_number", LargeBinary)
    _document_country: Mapped[bytes | None] = mapped_column("document_country", LargeBinary)
    _contact: Mapped[bytes | None] = mapped_column("contact", LargeBinary)

    given_name = Sealed("_given_name")
    family_name = Sealed("_family_name")
    patronymic = Sealed("_patronymic")
    other_names = Sealed("_other_names")
    birth_date = Sealed("_birth_date", kind=date)
    document_number = Sealed("_document_number")
    document_country = Sealed("_document_country")
    contact = Sealed("_contact")

    # keyed HMACs of normalised identifiers (nrm.core.identity, nrm.security.vault.blind_index)
    document_index: Mapped[str | None] = mapped_column(String(64), index=True)
    name_birth_index: Mapped[str | None] = mapped_column(String(64), index=True)

    data_key: Mapped[DataKey] = relationship()

    IDENTITY_FIELDS = ("given_name", "family_name", "patronymic", "other_names", "birth_date",
                       "document_number", "document_country", "contact")


class AccessNote(Sealable, db.Model):
    """The written details a coordinator gives when opening a person's data with a reason: sealed
    under the person's key and shown to auditors beside the flagged audit event, whose object it
    is (``access_note:<id>``). Erasing the person shreds it with the rest."""

    __tablename__ = "access_note"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    _details: Mapped[bytes | None] = mapped_column("details", LargeBinary)
    details = Sealed("_details")

    data_key: Mapped[DataKey] = relationship()
