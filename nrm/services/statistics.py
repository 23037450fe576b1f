"""Anonymised statistics: the fact tables, kept in step with the records, and the protected tables.

What is counted (docs/statistics.md):
- the **person tables** count people screened with indicators of trafficking: a submitted
  screening whose officer's result is ``presumed_victim`` or ``possible``. A person who answered
  "no" to the consent to anonymous statistics is left out of every table and export;
- the **referral tables** (any table with ``service`` or ``referral_outcome``) count referrals that
  were sent, each with its person's dimensions;
- the period is the year (and quarter) of the screening, for both.

The fact rows are rebuilt from the plain analytic columns whenever a screening, referral,
identification decision or case changes, in the same transaction (a session hook below), so a
table is never out of step with the records and no view has to remember to update it. Statistics
never read a sealed column and never touch the vault.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import chain

from flask import current_app
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.orm import Session

from nrm.core.reference import REGIONS, ROLE_ORGANISATION_KINDS
from nrm.core.suppression import Published, median, protect
from nrm.extensions import db
from nrm.models.cases import Case
from nrm.models.referrals import Identification, Referral
from nrm.models.screening import Screening
from nrm.models.statistics import PERSON_COLUMNS, StatPerson, StatReferral

COUNTED_RESULTS = ("presumed_victim", "possible")
EXPLOITATION_TYPES = ("SexualExploitation", "ForcedLabour", "DomesticServitude", "ForcedBegging",
                      "ForcedCriminality", "ForcedMarriage", "OrganRemoval", "ChildLabour", "SaleOfChildren",
                      "Other")
SENT_STATES = ("sent", "acknowledged", "accepted", "declined", "completed", "withdrawn")
SERVICES = ("crisis_centre", "consular_mission", "kyrgyz_mission_abroad", "legal_aid",
            "legal_aid_child_specialist", "child_protection", "health", "refugee_procedure",
            "law_enforcement")

# dimension name (CLI and URL) -> fact column
DIMENSIONS = {
    "year": "year", "quarter": "quarter", "region": "region", "sex": "sex", "age_band": "age_band",
    "minor": "minor", "citizenship": "citizenship", "nationality": "citizenship",
    "exploitation": "exploitation", "exploitation_country": "exploitation_country", "agency": "agency",
    "result": "result", "service": "service", "referral_outcome": "referral_outcome",
    "decision": "decision", "case_status": "case_status",
}
REFERRAL_DIMENSIONS = ("service", "referral_outcome")


def _countries() -> tuple[str, ...]:
    return tuple(current_app.config["STATS_COUNTRIES"])


def domain(dimension: str, year_from: int, year_to: int) -> list[str]:
    """Every value a dimension can take, fixed in advance: a category that nobody falls into is
    still a row (its zero protected like any small count), so a missing row never tells anything."""
    years = range(year_from, year_to + 1)
    countries = [c for c in _countries() if c != "KG"]
    return {
        "year": [str(y) for y in years],
        "quarter": [f"{y}-Q{q}" for y in years for q in (1, 2, 3, 4)],
        "region": [*REGIONS, "abroad", "unknown"],
        "sex": ["female", "male", "other_or_not_stated"],
        "age_band": ["0-11", "12-17", "18-24", "25-34", "35-49", "50+", "unknown"],
        "minor": ["child", "adult"],
        "citizenship": ["KG", *countries, "other", "stateless", "unknown"],
        "nationality": ["kyrgyz", "foreign", "stateless", "unknown"],
        "exploitation": [*EXPLOITATION_TYPES, "Multiple", "Unknown"],
        "exploitation_country": [*_countries(), "other", "unknown"],
        "agency": list(ROLE_ORGANISATION_KINDS["screening_officer"]),
        "result": list(COUNTED_RESULTS),
        "service": list(SERVICES),
        "referral_outcome": list(SENT_STATES),
        "decision": ["ActualVictimOfTrafficking", "NotAVictimOfTrafficking", "pending", "none"],
        "case_status": ["Active", "FollowUp", "Closed", "ClosedReferred", "no_case"],
    }[dimension]


def bucket(dimension: str, value) -> str:
    """A stored fact value as a value of the dimension's domain."""
    value = "unknown" if value is None else str(value)
    if dimension == "citizenship":
        return value if value in ("KG", "stateless", "unknown") or value in _countries() else "other"
    if dimension == "nationality":
        return {"KG": "kyrgyz", "stateless": "stateless", "unknown": "unknown"}.get(value, "foreign")
    if dimension == "exploitation_country":
        return value if value == "unknown" or value in _countries() else "other"
    return value


def structural(row_dim: str, row_value: str, col_dim: str, col_value: str) -> bool:
    """Combinations that cannot happen: their zero is shown, since it says nothing about anyone."""
    pair = {row_dim: row_value, col_dim: col_value}
    if "minor" in pair and "age_band" in pair:
        adult_band = pair["age_band"] in ("18-24", "25-34", "35-49", "50+")
        return adult_band if pair["minor"] == "child" else pair["age_band"] in ("0-11", "12-17")
    if "year" in pair and "quarter" in pair:
        return not pair["quarter"].startswith(pair["year"] + "-")
    if "citizenship" in pair and "nationality" in pair:
        citizenship = pair["citizenship"]
        as_stored = citizenship if citizenship in ("KG", "stateless", "unknown") else "XX"
        return bucket("nationality", as_stored) != pair["nationality"]
    return False


# ------------------------------------------------------------------ the fact rows


def _exploitation(types: str | None) -> str:
    found = [t for t in (types or "").split(",") if t]
    if not found:
        return "Unknown"
    return found[0] if len(found) == 1 else "Multiple"


def _person_fact(s, identification, first_case_status, accepted_at) -> dict:
    decision = "none"
    if identification is not None:
        decision = identification.status if identification.decided_at else "pending"
    days = None
    if accepted_at is not None and s.submitted_at is not None:
        days = max(0, (accepted_at - s.submitted_at).days)
    return {
        "screening_id": s.id,
        "year": s.year,
        "quarter": f"{s.year}-Q{s.quarter}",
        "region": s.region or "unknown",
        "sex": s.sex or "other_or_not_stated",
        "age_band": s.age_band or "unknown",
        "minor": "child" if s.minor else "adult",
        "citizenship": s.citizenship_group or "unknown",
        "exploitation": _exploitation(s.exploitation_types),
        "exploitation_country": s.exploitation_country or "unknown",
        "agency": s.agency_kind or "unknown",
        "result": s.officer_result,
        "decision": decision,
        "case_status": first_case_status or "no_case",
        "days_to_acceptance": days,
    }


def _counted(s) -> bool:
    return (s.status == "submitted" and s.officer_result in COUNTED_RESULTS
            and s.consent_statistics is not False and s.year is not None)


def facts_for(screening_ids) -> tuple[list[dict], list[dict], set]:
    """The person and referral fact rows of these screenings, from plain columns only, and the ids
    of those of them that still exist."""
    ids = list(screening_ids)
    s_cols = [Screening.id, Screening.year, Screening.quarter, Screening.region, Screening.sex,
              Screening.age_band, Screening.minor, Screening.citizenship_group, Screening.exploitation_types,
              Screening.exploitation_country, Screening.agency_kind, Screening.officer_result,
              Screening.submitted_at, Screening.status, Screening.consent_statistics]
    found = db.session.execute(select(*s_cols).where(Screening.id.in_(ids))).all()
    existing = {s.id for s in found}
    screenings = [s for s in found if _counted(s)]
    if not screenings:
        return [], [], existing
    kept = [s.id for s in screenings]
    identifications = {row.screening_id: row for row in db.session.execute(
        select(Identification.screening_id, Identification.status, Identification.decided_at)
        .where(Identification.screening_id.in_(kept)))}
    referrals = db.session.execute(
        select(Referral.id, Referral.screening_id, Referral.service, Referral.state, Referral.decided_at)
        .where(Referral.screening_id.in_(kept))).all()
    cases = db.session.execute(
        select(Referral.screening_id, Case.status, Case.opened_at)
        .join(Referral, Case.referral_id == Referral.id)
        .where(Referral.screening_id.in_(kept)).order_by(Case.opened_at)).all()
    first_case = {}
    for row in cases:
        first_case.setdefault(row.screening_id, row.status)
    accepted = defaultdict(list)
    for r in referrals:
        if r.state in ("accepted", "completed") and r.decided_at is not None:
            accepted[r.screening_id].append(r.decided_at)
    people = {}
    for s in screenings:
        people[s.id] = _person_fact(s, identifications.get(s.id), first_case.get(s.id),
                                    min(accepted[s.id]) if accepted[s.id] else None)
    sent = []
    for r in referrals:
        if r.state in SENT_STATES:
            person = people[r.screening_id]
            sent.append({"referral_id": r.id, "screening_id": r.screening_id,
                         **{c: person[c] for c in PERSON_COLUMNS},
                         "service": r.service, "referral_outcome": r.state})
    return list(people.values()), sent, existing


def refresh(screening_ids, chunk: int = 500) -> None:
    """Rebuild the fact rows of these screenings (a screening that is gone keeps its rows: the
    anonymous count outlives retention and erasure)."""
    ids = sorted(set(screening_ids))
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        people, sent, existing = facts_for(part)
        if not existing:
            continue
        db.session.execute(delete(StatPerson).where(StatPerson.screening_id.in_(existing)))
        db.session.execute(delete(StatReferral).where(StatReferral.screening_id.in_(existing)))
        if people:
            db.session.execute(insert(StatPerson), people)
        if sent:
            db.session.execute(insert(StatReferral), sent)


def rebuild(progress=None, chunk: int = 2000) -> int:
    """Rebuild every fact row from the records (`flask --app nrm stats rebuild`)."""
    ids = list(db.session.scalars(select(Screening.id).where(Screening.status == "submitted")))
    for start in range(0, len(ids), chunk):
        refresh(ids[start:start + chunk])
        if progress:
            progress(min(start + chunk, len(ids)), len(ids))
    return len(ids)


_DIRTY = "nrm_stat_dirty"


@event.listens_for(Session, "after_flush")
def _collect(session, _context):
    dirty = session.info.setdefault(_DIRTY, {"screenings": set(), "referrals": set()})
    for obj in chain(session.new, session.dirty):
        if isinstance(obj, Screening) and obj.status == "submitted":
            dirty["screenings"].add(obj.id)
        elif isinstance(obj, Referral | Identification):
            dirty["screenings"].add(obj.screening_id)
        elif isinstance(obj, Case):
            dirty["referrals"].add(obj.referral_id)


@event.listens_for(Session, "before_commit", insert=True)     # before the audit chain's hook (the last lock)
def _refresh_before_commit(session):
    for _ in range(3):          # a refresh may flush pending records, which may add more
        session.flush()
        dirty = session.info.pop(_DIRTY, None)
        if not dirty or not (dirty["screenings"] or dirty["referrals"]):
            return
        ids = set(dirty["screenings"])
        if dirty["referrals"]:
            ids |= set(session.scalars(select(Referral.screening_id).where(
                Referral.id.in_(dirty["referrals"]))))
        refresh(ids)


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_DIRTY, None)


# ------------------------------------------------------------------ protected tables


@dataclass
class Table:
    rows: str
    cols: str | None
    year_from: int
    year_to: int
    row_values: list[str]
    col_values: list[str]
    published: Published
    unit: str                # persons | referrals

    def as_json(self) -> dict:
        p = self.published
        return {"k": p.k, "rounding_base": p.base, "unit": self.unit,
                "from": self.year_from, "to": self.year_to,
                "rows": self.row_values, "cols": self.col_values, "cells": p.cells,
                "row_totals": p.row_totals, "col_totals": p.col_totals, "total": p.total,
                "suppressed": p.suppressed}


class BadQuery(ValueError):
    """A table that may not be asked for (unknown dimension, same dimension twice, bad period)."""


def years_available() -> tuple[int, int]:
    # two queries: each is one step down the year index (one query asking for both scans the table)
    low = db.session.scalar(select(func.min(StatPerson.year)))
    high = db.session.scalar(select(func.max(StatPerson.year)))
    if low is None:
        from nrm.clock import now

        year = now().year
        return year, year
    return low, high


def period(year_from: int | None, year_to: int | None, available: tuple[int, int] | None = None
           ) -> tuple[int, int]:
    """The years asked for, the whole range of the data where one end is not given (``available``:
    ``years_available()`` when the caller has it already)."""
    low, high = available or years_available()
    year_from = low if year_from is None else year_from
    year_to = high if year_to is None else year_to
    if not (1990 <= year_from <= year_to <= 2100) or year_to - year_from > 30:
        raise BadQuery("period")
    return year_from, year_to


def counts(rows: str, cols: str | None, year_from: int, year_to: int,
           available: tuple[int, int] | None = None) -> tuple[Counter, str]:
    """Raw counts per (row value, col value) from the fact table: one GROUP BY, then buckets."""
    unit = "referrals" if rows in REFERRAL_DIMENSIONS or cols in REFERRAL_DIMENSIONS else "persons"
    table = (StatReferral if unit == "referrals" else StatPerson).__table__
    group = [table.c[DIMENSIONS[rows]]] + ([table.c[DIMENSIONS[cols]]] if cols else [])
    query = select(*group, func.count()).group_by(*group)
    low, high = available or years_available()
    if year_from > low or year_to < high:     # a whole-range table needs no filter (and no index walk)
        query = query.where(table.c.year.between(year_from, year_to))
    found = Counter()
    for row in db.session.execute(query):
        key = (bucket(rows, row[0]), bucket(cols, row[1]) if cols else "")
        found[key] += row[-1]
    return found, unit


def table(rows: str, cols: str | None = None, year_from: int | None = None,
          year_to: int | None = None) -> Table:
    if rows not in DIMENSIONS or (cols is not None and cols not in DIMENSIONS) or rows == cols:
        raise BadQuery("dimension")
    if {rows, cols} == {"citizenship", "nationality"}:
        raise BadQuery("dimension")
    available = years_available()
    year_from, year_to = period(year_from, year_to, available)
    found, unit = counts(rows, cols, year_from, year_to, available)
    row_values = domain(rows, year_from, year_to)
    col_values = domain(cols, year_from, year_to) if cols else [""]
    found = _within(found, row_values, col_values)
    cells = [[found.get((r, c), 0) for c in col_values] for r in row_values]
    mask = [[bool(cols) and structural(rows, r, cols, c) and not found.get((r, c)) for c in col_values]
            for r in row_values]
    config = current_app.config
    published = protect(cells, k=config["STATS_K"], base=config["STATS_ROUNDING_BASE"], structural=mask)
    return Table(rows, cols, year_from, year_to, row_values, col_values if cols else [], published, unit)


def _within(found: Counter, row_values: list[str], col_values: list[str]) -> Counter:
    """A stored code outside a dimension's values (a value an older SOP used) is counted under
    "unknown" (or "other", or "Unknown"), never dropped; a dimension with none of those refuses."""
    def place(value, values):
        if value in values:
            return value
        fallback = next((v for v in ("unknown", "other", "Unknown") if v in values), None)
        if fallback is None:
            raise BadQuery("data")
        return fallback

    placed = Counter()
    for (row, col), count in found.items():
        placed[(place(row, row_values), place(col, col_values))] += count
    return placed


def median_days_by_year(year_from: int, year_to: int) -> list[tuple[int, float | None, int]]:
    """Median days from screening to the first accepted referral, per year (withheld under k)."""
    values = defaultdict(list)
    for year, days in db.session.execute(select(StatPerson.year, StatPerson.days_to_acceptance).where(
            StatPerson.year.between(year_from, year_to), StatPerson.days_to_acceptance.is_not(None))):
        values[year].append(days)
    k = current_app.config["STATS_K"]
    return [(y, median(values[y], k=k), len(values[y])) for y in range(year_from, year_to + 1)]


WITHHELD = "x"


def grid(t: Table, label=lambda dimension, value: value, total_label="Total") -> list[list[str]]:
    """The table exactly as shown and exported: a header row, then one row per value, then totals;
    a withheld count is ``x`` (the statistical offices' sign for a confidential figure)."""
    p = t.published

    def show(value):
        return WITHHELD if value is None else str(value)

    if t.cols:
        header = [""] + [label(t.cols, c) for c in t.col_values] + [total_label]
        body = [[label(t.rows, r)] + [show(v) for v in p.cells[i]] + [show(p.row_totals[i])]
                for i, r in enumerate(t.row_values)]
        footer = [total_label] + [show(v) for v in p.col_totals] + [show(p.total)]
    else:
        header = ["", "n"]
        body = [[label(t.rows, r), show(p.cells[i][0])] for i, r in enumerate(t.row_values)]
        footer = [total_label, show(p.total)]
    return [header, *body, footer]


def to_csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        # a label that starts like a formula is quoted for spreadsheets (CSV injection)
        writer.writerow([("'" + cell) if cell[:1] in ("=", "+", "-", "@") and not cell.lstrip("-").isdigit()
                         else cell for cell in row])
    return out.getvalue()
