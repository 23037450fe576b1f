"""The statistics fact tables: one narrow row per counted person and per sent referral, holding
only coarse codes. Statistics read these tables alone — never the vault, never a sealed column —
and they are kept up to date in the same transaction as the records they describe
(``nrm.services.statistics``).

They are the only place where a person's coarse codes (sex, age band, citizenship, exploitation)
are stored in plain, and nothing joins them to a record: a row's key is a keyed HMAC of the
screening's (or referral's) id under a key kept outside the database (``nrm.security.pseudonyms``),
so the application finds its own row again while a reader of a database dump cannot tell whose row
it is. They have no foreign keys and no time finer than the year: when retention or erasure removes
a person's records, the anonymous count stays.
"""

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nrm.clock import now
from nrm.extensions import db
from nrm.models.types import UTCDateTime

# the person-level dimensions, shared by both tables (a referral is counted with its person's)
PERSON_COLUMNS = ("year", "region", "sex", "age_band", "minor", "citizenship", "exploitation",
                  "exploitation_country", "agency", "result", "decision", "case_status")


class StatPerson(db.Model):
    """A person screened with indicators of trafficking (presumed or possible victim)."""

    __tablename__ = "stat_person"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)   # pseudonym of the screening id
    year: Mapped[int] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(8))
    sex: Mapped[str] = mapped_column(String(24))
    age_band: Mapped[str] = mapped_column(String(8))
    minor: Mapped[str] = mapped_column(String(8))             # child | adult
    citizenship: Mapped[str] = mapped_column(String(16))
    exploitation: Mapped[str] = mapped_column(String(40))
    exploitation_country: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(40))
    case_status: Mapped[str] = mapped_column(String(16))
    days_to_acceptance: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_stat_person_year", "year"),)


class StatReferral(db.Model):
    """A referral that was sent, with its person's dimensions."""

    __tablename__ = "stat_referral"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)   # pseudonym of the referral id
    person_key: Mapped[str] = mapped_column(String(64), index=True)  # its person's StatPerson key
    year: Mapped[int] = mapped_column(Integer)
    region: Mapped[str] = mapped_column(String(8))
    sex: Mapped[str] = mapped_column(String(24))
    age_band: Mapped[str] = mapped_column(String(8))
    minor: Mapped[str] = mapped_column(String(8))
    citizenship: Mapped[str] = mapped_column(String(16))
    exploitation: Mapped[str] = mapped_column(String(40))
    exploitation_country: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(40))
    case_status: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(32))
    referral_outcome: Mapped[str] = mapped_column(String(16))

    __table_args__ = (Index("ix_stat_referral_year", "year"),)


class DataSharingAgreement(db.Model):
    """The agreement a row-level export to a partner (the CTDC) is sent under, recorded by an
    administrator before any such export is allowed (``flask --app nrm stats agreement add``)."""

    __tablename__ = "data_sharing_agreement"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(80), unique=True)    # the agreement's own number
    partner: Mapped[str] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(16))                   # the export profile it covers
    signed_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    def in_force(self, on: date) -> bool:
        return (self.signed_on <= on and self.ended_on is None
                and (self.valid_until is None or on <= self.valid_until))
