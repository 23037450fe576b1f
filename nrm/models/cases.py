"""Cases of a receiving service (a crisis centre, above all): intake, needs assessment, service
plan, services delivered, notes, attachments, the reflection period, transfer and closure.

Everything a case worker writes is sealed under the person's data key; plain columns are codes,
dates and statuses (HTCDS case status codes: Active, FollowUp, Closed, ClosedReferred).
"""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nrm.clock import now
from nrm.extensions import db
from nrm.models.accounts import Organisation, User
from nrm.models.keys import DataKey
from nrm.models.people import Person
from nrm.models.referrals import Referral
from nrm.models.types import UTCDateTime
from nrm.security.vault import Sealable, Sealed

NEEDS = ("medical", "psychological", "legal", "shelter", "food", "documents", "family_contact", "education",
         "skills_training", "employment", "return_or_reintegration")


class Case(Sealable, db.Model):
    __tablename__ = "case_record"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(16), default="Active")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reflection_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime("hour"))
    next_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime("hour"))
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime("hour"))
    closure_reason: Mapped[str | None] = mapped_column(String(32))
    transferred_to_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))

    _intake: Mapped[bytes | None] = mapped_column("intake", LargeBinary)
    intake_json = Sealed("_intake")
    _needs: Mapped[bytes | None] = mapped_column("needs", LargeBinary)
    needs_json = Sealed("_needs")
    _closure_note: Mapped[bytes | None] = mapped_column("closure_note", LargeBinary)
    closure_note = Sealed("_closure_note")

    person: Mapped[Person] = relationship()
    referral: Mapped[Referral] = relationship()
    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    data_key: Mapped[DataKey] = relationship()

    __table_args__ = (Index("ix_case_org_status", "organisation_id", "status"),
                      Index("ix_case_opened", "opened_at"))          # the coordinator's list, newest first


class _CaseChild(Sealable):
    """A record that belongs to a case and is sealed under the same key."""


class CaseTask(_CaseChild, db.Model):
    """One line of the service plan."""

    __tablename__ = "case_task"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("case_record.id"), index=True)
    # what is needed (medical, shelter, ...) is sealed: a dump must not say who needs a doctor
    _need: Mapped[bytes | None] = mapped_column("need", LargeBinary)
    need = Sealed("_need")
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    _description: Mapped[bytes | None] = mapped_column("description", LargeBinary)
    description = Sealed("_description")
    data_key: Mapped[DataKey] = relationship()


class ServiceRecord(_CaseChild, db.Model):
    """A service delivered."""

    __tablename__ = "service_record"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("case_record.id"), index=True)
    _need: Mapped[bytes | None] = mapped_column("need", LargeBinary)
    need = Sealed("_need")
    delivered_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    _note: Mapped[bytes | None] = mapped_column("note", LargeBinary)
    note = Sealed("_note")
    data_key: Mapped[DataKey] = relationship()


class CaseNote(_CaseChild, db.Model):
    __tablename__ = "case_note"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("case_record.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    _body: Mapped[bytes | None] = mapped_column("body", LargeBinary)
    body = Sealed("_body")
    author: Mapped[User] = relationship()
    data_key: Mapped[DataKey] = relationship()


class Attachment(_CaseChild, db.Model):
    """A sealed file under instance/attachments/<id>; its name is sealed too."""

    __tablename__ = "attachment"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    case_id: Mapped[str] = mapped_column(ForeignKey("case_record.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    _filename: Mapped[bytes | None] = mapped_column("filename", LargeBinary)
    filename = Sealed("_filename")
    data_key: Mapped[DataKey] = relationship()
