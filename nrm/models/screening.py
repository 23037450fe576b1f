"""Screenings and the catalogue versions they were made under.

A screening is sealed under its person's data key (erasing the person shreds it too). Only what
lists and clocks need is plain: status, step, result, organisation, officer, times to the hour.
"""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text
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
    """A screening. Plain columns are only what work lists and clocks need: status, step, result,
    organisation, officer and times (to the hour). Everything that describes the person — the
    interview language, the coarse profile (sex, age band, citizenship, exploitation) and the
    answers — is sealed; the statistics facts carry the profile under a key nobody can join."""

    __tablename__ = "screening"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_key.id"))
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    script_id: Mapped[str] = mapped_column(String(40))
    script_version_id: Mapped[str] = mapped_column(ForeignKey("catalogue_version.id"))
    criteria_version_id: Mapped[str] = mapped_column(ForeignKey("catalogue_version.id"))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted
    current_step: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime("hour"), default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime("hour"), default=now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime("hour"))

    _interview_language: Mapped[bytes | None] = mapped_column("interview_language", LargeBinary)
    interview_language = Sealed("_interview_language")
    _answers: Mapped[bytes | None] = mapped_column("answers", LargeBinary)
    answers_json = Sealed("_answers")
    _assessment: Mapped[bytes | None] = mapped_column("assessment", LargeBinary)
    assessment_json = Sealed("_assessment")
    _justification: Mapped[bytes | None] = mapped_column("justification", LargeBinary)
    justification = Sealed("_justification")
    # the coarse codes that work lists show and statistics count (nrm.services.screening.profile)
    _profile: Mapped[bytes | None] = mapped_column("profile", LargeBinary)
    profile_json = Sealed("_profile")

    # a screening recorded later from the paper prompt sheet: the interview's own date (the clocks
    # that start at detection start from it) and place (sealed)
    paper_interview_on: Mapped[date | None] = mapped_column(Date)
    _paper_place: Mapped[bytes | None] = mapped_column("paper_place", LargeBinary)
    paper_place = Sealed("_paper_place")

    # the engine's result and the officer's view of it (both kept)
    result: Mapped[str | None] = mapped_column(String(20))
    officer_result: Mapped[str | None] = mapped_column(String(20))

    person: Mapped[Person] = relationship()

    @property
    def detected_at(self) -> datetime:
        """When the person was met: the interview on paper (at the time of day it was entered,
        in local time), otherwise the time the screening was submitted or started."""
        if self.paper_interview_on is None:
            return self.submitted_at or self.started_at
        from nrm.clock import local, zone

        entered = local(self.submitted_at or self.started_at)
        return datetime.combine(self.paper_interview_on, entered.timetz().replace(tzinfo=None),
                                tzinfo=zone()).astimezone(entered.tzinfo)
    data_key: Mapped[DataKey] = relationship()

    __table_args__ = (
        Index("ix_screening_org_status", "organisation_id", "status"),
        Index("ix_screening_officer", "officer_id", "status"),
    )
