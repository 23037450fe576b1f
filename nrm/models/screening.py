"""Screenings and the catalogue versions they were made under.

A screening is sealed under its person's data key (erasing the person shreds it too). Only coarse,
non-personal fields are plain: status, result, the analytic columns that statistics read.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nrm.clock import now
from nrm.extensions import db
from nrm.models.keys import DataKey
from nrm.models.people import Person
from nrm.models.types import UTCDateTime
from nrm.security.vault import Sealable, Sealed


class CatalogueVersion(db.Model):
    """A snapshot of a catalogue file as it was when a screening used it, so an old screening
    still shows the wording it was made under after the SOP changes."""

    __tablename__ = "catalogue_version"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # kind:version+hash
    kind: Mapped[str] = mapped_column(String(40))                   # criteria | script:<id>
    content: Mapped[str] = mapped_column(Text)                      # the YAML text(s), as JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Screening(Sealable, db.Model):
    __tablename__ = "screening"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    script_id: Mapped[str] = mapped_column(String(40))
    script_version_id: Mapped[str] = mapped_column(ForeignKey("catalogue_version.id"))
    criteria_version_id: Mapped[str] = mapped_column(ForeignKey("catalogue_version.id"))
    interview_language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    current_step: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    _answers: Mapped[bytes | None] = mapped_column("answers", LargeBinary)
    answers_json = Sealed("_answers")
    _assessment: Mapped[bytes | None] = mapped_column("assessment", LargeBinary)
    assessment_json = Sealed("_assessment")
    _justification: Mapped[bytes | None] = mapped_column("justification", LargeBinary)
    justification = Sealed("_justification")

    # the engine's result and the officer's view of it (both kept)
    result: Mapped[str | None] = mapped_column(String(20))
    child_rule: Mapped[bool | None]
    officer_result: Mapped[str | None] = mapped_column(String(20))

    # analytic columns: coarse, never personal (statistics read these alone)
    year: Mapped[int | None]
    quarter: Mapped[int | None]
    region: Mapped[str | None] = mapped_column(String(8))
    sex: Mapped[str | None] = mapped_column(String(24))
    age_band: Mapped[str | None] = mapped_column(String(8))
    minor: Mapped[bool | None]
    citizenship_group: Mapped[str | None] = mapped_column(String(16))
    exploitation_types: Mapped[str | None] = mapped_column(String(255))
    exploitation_country: Mapped[str | None] = mapped_column(String(16))
    agency_kind: Mapped[str | None] = mapped_column(String(40))
    consent_services: Mapped[bool | None]
    consent_statistics: Mapped[bool | None]

    person: Mapped[Person] = relationship()
    data_key: Mapped[DataKey] = relationship()

    __table_args__ = (
        Index("ix_screening_org_status", "organisation_id", "status"),
        Index("ix_screening_officer", "officer_id", "status"),
    )
