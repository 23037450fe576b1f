"""The statistics fact tables: one narrow row per counted person and per sent referral, holding
only coarse codes (the analytic columns). Statistics read these tables alone — never the vault,
never a sealed column — and they are kept up to date in the same transaction as the records they
describe (``nrm.services.statistics``). They have no foreign keys on purpose: when retention or
erasure removes a person's records, the anonymous count stays.
"""

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nrm.extensions import db

# the person-level dimensions, shared by both tables (a referral is counted with its person's)
PERSON_COLUMNS = ("year", "quarter", "region", "sex", "age_band", "minor", "citizenship", "exploitation",
                  "exploitation_country", "agency", "result", "decision", "case_status")


class StatPerson(db.Model):
    """A person screened with indicators of trafficking (presumed or possible victim)."""

    __tablename__ = "stat_person"

    screening_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[str] = mapped_column(String(8))          # "2025-Q3"
    region: Mapped[str] = mapped_column(String(8))
    sex: Mapped[str] = mapped_column(String(24))
    age_band: Mapped[str] = mapped_column(String(8))
    minor: Mapped[str] = mapped_column(String(8))             # child | adult
    citizenship: Mapped[str] = mapped_column(String(16))
    exploitation: Mapped[str] = mapped_column(String(24))
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

    referral_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    screening_id: Mapped[str] = mapped_column(String(32), index=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[str] = mapped_column(String(8))
    region: Mapped[str] = mapped_column(String(8))
    sex: Mapped[str] = mapped_column(String(24))
    age_band: Mapped[str] = mapped_column(String(8))
    minor: Mapped[str] = mapped_column(String(8))
    citizenship: Mapped[str] = mapped_column(String(16))
    exploitation: Mapped[str] = mapped_column(String(24))
    exploitation_country: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(40))
    case_status: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(32))
    referral_outcome: Mapped[str] = mapped_column(String(16))

    __table_args__ = (Index("ix_stat_referral_year", "year"),)
