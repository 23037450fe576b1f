"""Referrals, the coordinator's identification decision, escalations and job locks.

A referral is sealed under its person's data key (erasing the person shreds every referral too).
Plain columns are codes and times only: state, service type, receiving organisation, rule, clocks.
The minimised payload a recipient sees is sealed at the moment of sending and never recomputed, so
what each service saw can be shown afterwards.
"""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nrm.clock import now
from nrm.extensions import db
from nrm.models.accounts import Organisation
from nrm.models.keys import DataKey
from nrm.models.people import Person
from nrm.models.screening import Screening
from nrm.models.types import UTCDateTime
from nrm.security.vault import Sealable, Sealed


class Referral(Sealable, db.Model):
    __tablename__ = "referral"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    screening_id: Mapped[str] = mapped_column(ForeignKey("screening.id"))
    service: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    rule: Mapped[str] = mapped_column(String(40))              # R1 … R8, "+"-joined; "added" by hand
    basis_source: Mapped[str] = mapped_column(String(400))
    mandatory: Mapped[bool] = mapped_column(default=False)
    consent_gate: Mapped[str] = mapped_column(String(16))       # services | consular | none
    hold: Mapped[str | None] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    urgent: Mapped[bool] = mapped_column(default=False)
    non_punishment: Mapped[bool] = mapped_column(default=False)
    routing_note: Mapped[str | None] = mapped_column(String(32))
    reason_code: Mapped[str | None] = mapped_column(String(32))  # remove / decline / withdraw reason
    deadline_hours: Mapped[int | None]
    clock: Mapped[str | None] = mapped_column(String(40))
    rerouted_from_id: Mapped[str | None] = mapped_column(ForeignKey("referral.id"))

    # times to the minute: the shortest clock is counted in hours (urgent acknowledgement, 4 h)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledge_due: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))
    accept_due: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))   # removed or withdrawn
    hold_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))
    hold_released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    # the region where the person will stay (ISO 3166-2:KG): the coordinators' queue is worked
    # region by region (docs/threat-model.md says why it stays plain)
    region: Mapped[str | None] = mapped_column(String(8))

    # legal aid categories of the State Legal Aid Act (6 child, 11 foreign, 13 unidentified): sealed,
    # since they say who the person is
    _legal_aid: Mapped[bytes | None] = mapped_column("legal_aid_categories", LargeBinary)
    legal_aid_categories = Sealed("_legal_aid")
    _payload: Mapped[bytes | None] = mapped_column("payload", LargeBinary)
    payload_json = Sealed("_payload")
    _reason: Mapped[bytes | None] = mapped_column("reason", LargeBinary)   # free text beside reason_code
    reason_text = Sealed("_reason")
    _hold_note: Mapped[bytes | None] = mapped_column("hold_note", LargeBinary)
    hold_note = Sealed("_hold_note")
    # a held referral the coordinator keeps held: when it is looked at again
    hold_review_on: Mapped[date | None] = mapped_column(Date)
    # a referral to a diplomatic mission sent without the person's full identity: why (a code of
    # lifecycle.IDENTITY_GAP_REASONS), with the officer's words sealed beside it
    identity_reason: Mapped[str | None] = mapped_column(String(32))
    _identity_note: Mapped[bytes | None] = mapped_column("identity_note", LargeBinary)
    identity_note = Sealed("_identity_note")

    person: Mapped[Person] = relationship()
    screening: Mapped[Screening] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
    data_key: Mapped[DataKey] = relationship()

    __table_args__ = (
        Index("ix_referral_org_state", "organisation_id", "state"),
        Index("ix_referral_screening", "screening_id"),
        Index("ix_referral_state_due", "state", "acknowledge_due"),
        Index("ix_referral_service_state", "service", "state"),     # the non-punishment alerts
    )


class Identification(Sealable, db.Model):
    """The coordinator's formal identification decision for a person (HTCDS status codes)."""

    __tablename__ = "identification"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    screening_id: Mapped[str] = mapped_column(ForeignKey("screening.id"), unique=True)
    status: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime("hour"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime("hour"), default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime("hour"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    _reasons: Mapped[bytes | None] = mapped_column("reasons", LargeBinary)
    reasons = Sealed("_reasons")

    person: Mapped[Person] = relationship()
    screening: Mapped[Screening] = relationship()
    data_key: Mapped[DataKey] = relationship()


class Escalation(db.Model):
    """A clock that ran out, raised once to the coordinators: the unique constraint on (kind,
    subject) makes it exactly once however many scheduler processes run."""

    __tablename__ = "escalation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))        # acknowledgement_overdue, acceptance_overdue, ...
    subject_type: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime("minute"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (UniqueConstraint("kind", "subject_type", "subject_id", name="uq_escalation_subject"),)


class Notification(db.Model):
    """An in-app notification: a kind and a record reference, never personal data."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime("minute"), default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("user_id", "kind", "subject_type", "subject_id", name="uq_notification_once"),
        Index("ix_notification_user_unread", "user_id", "read_at"),
    )


class JobLock(db.Model):
    """A lease on a scheduled job: whoever updates the row while it is free runs the job."""

    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(80))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[str | None] = mapped_column(String(200))
