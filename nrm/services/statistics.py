"""Anonymised statistics: the fact tables, kept in step with the records, and the published tables.

What is counted (docs/statistics.md):
- the **person tables** count people screened with indicators of trafficking: a submitted
  screening whose officer's result is ``presumed_victim`` or ``possible``. A person who answered
  "no" to the consent to anonymous statistics is left out of every table and export;
- the **referral tables** (any table with ``service`` or ``referral_outcome``) count referrals that
  were sent, each with its person's dimensions;
- a person is counted in the year (Bishkek time) of their screening, and so are their referrals.

The fact rows are written when a screening is submitted, from its coarse profile (handed in by the
screening service: statistics never open the vault), and brought up to date whenever a referral,
identification decision or case of that screening changes, in the same transaction (a session
hook below). A fact row's key is a keyed pseudonym of the screening's id (``nrm.security.
pseudonyms``): the application finds its own row again; a reader of a database dump cannot.

What is published, and how nothing small can be worked out from it, is ``nrm.core.disclosure``:
the year totals, one trend table per dimension (every year, and all years), and one annual table
per pair of dimensions and year — for whole, completed years (``STATS_PUBLISH_CURRENT_YEAR``).
"""

from __future__ import annotations

import csv
import io
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import chain

from flask import current_app
from sqlalchemy import delete, event, func, insert, select
from sqlalchemy.orm import Session

from nrm.clock import today
from nrm.core import disclosure as dc
from nrm.core.reference import REGIONS, ROLE_ORGANISATION_KINDS
from nrm.extensions import db
from nrm.models.cases import Case
from nrm.models.referrals import Identification, Referral
from nrm.models.screening import Screening
from nrm.models.statistics import PERSON_COLUMNS, StatPerson, StatReferral
from nrm.security.pseudonyms import pseudonym

COUNTED_RESULTS = ("presumed_victim", "possible")
EXPLOITATION_TYPES = ("SexualExploitation", "ForcedLabour", "DomesticServitude", "ForcedBegging",
                      "ForcedCriminality", "ForcedMarriage", "OrganRemoval", "ChildLabour", "SaleOfChildren",
                      "Servitude", "ForcedAdoption", "Surrogacy", "ForcedMilitaryByNonStateActors", "Other")
# the few who state a gender other than female or male are counted with "not stated", to protect them
COUNTED_AS_NOT_STATED = ("transgender_feminine", "transgender_masculine", "non_conforming")
SENT_STATES = ("sent", "acknowledged", "accepted", "declined", "completed", "withdrawn")
SERVICES = ("crisis_centre", "consular_mission", "kyrgyz_mission_abroad", "legal_aid",
            "legal_aid_child_specialist", "child_protection", "health", "refugee_procedure",
            "law_enforcement")
UNITS = ("persons", "referrals")
DECIDED = ("ActualVictimOfTrafficking", "NotAVictimOfTrafficking")

# The dimensions a table may be asked for: name -> (fine dimension, grouped or not). A grouped
# dimension is the group subtotals of its fine one, in the same protected tables.
DIMENSIONS = {
    "region": ("region", False),
    "sex": ("sex", False),
    "age_band": ("age", False),
    "minor": ("age", True),
    "citizenship": ("citizenship", False),
    "nationality": ("citizenship", True),
    "exploitation": ("exploitation", False),
    "exploitation_country": ("exploitation_country", False),
    "agency": ("agency", False),
    "decision": ("decision", False),
    "result": ("decision", True),
    "case_status": ("case_status", False),
    "service": ("service", False),
    "referral_outcome": ("referral_outcome", False),
}
REFERRAL_DIMENSIONS = ("service", "referral_outcome")
YEAR = "year"
ALL_YEARS = dc.ALL_YEARS


def _countries() -> tuple[str, ...]:
    return tuple(current_app.config["STATS_COUNTRIES"])


def fine_dimensions() -> dict[str, dc.Dimension]:
    """The fine dimensions, their values fixed in advance (a value nobody has is still a row, its
    zero withheld like any small count: a missing row would tell something)."""
    foreign = tuple(c for c in _countries() if c != "KG") + ("other",)
    dims = [
        dc.Dimension("region", (*REGIONS, "abroad", "unknown")),
        dc.Dimension("sex", ("female", "male", "other_or_not_stated")),
        dc.Dimension("age", ("0-11", "12-17", "child-unknown", "18-24", "25-34", "35-49", "50+",
                             "adult-unknown"),
                     (("child", ("0-11", "12-17", "child-unknown")),
                      ("adult", ("18-24", "25-34", "35-49", "50+", "adult-unknown")))),
        dc.Dimension("citizenship", ("KG", *foreign, "stateless", "unknown"),
                     (("kyrgyz", ("KG",)), ("foreign", foreign), ("stateless", ("stateless",)),
                      ("unknown", ("unknown",)))),
        dc.Dimension("exploitation", (*EXPLOITATION_TYPES, "Multiple", "Unknown")),
        dc.Dimension("exploitation_country", (*_countries(), "other", "unknown")),
        dc.Dimension("agency", tuple(ROLE_ORGANISATION_KINDS["screening_officer"])),
        dc.Dimension("decision", (*DECIDED, "pending", "none"),
                     (("presumed_victim", (*DECIDED, "pending")), ("possible", ("none",)))),
        dc.Dimension("case_status", ("Active", "FollowUp", "Closed", "ClosedReferred", "no_case")),
        dc.Dimension("service", SERVICES),
        dc.Dimension("referral_outcome", SENT_STATES),
    ]
    return {d.name: d for d in dims}


# ------------------------------------------------------------------ the fact rows


def _exploitation(types) -> str:
    found = [t for t in (types or []) if t]
    if not found:
        return "Unknown"
    return found[0] if len(found) == 1 else "Multiple"


def person_fact(profile: dict, officer_result: str | None) -> dict | None:
    """The coarse codes of a counted person, from the screening's profile; None when the person is
    not counted (no indicators, or no consent to statistics)."""
    if officer_result not in COUNTED_RESULTS or profile.get("consent_statistics") is False:
        return None
    minor = "child" if profile.get("minor") else "adult"
    return {
        "year": profile["year"],
        "region": profile.get("region") or "unknown",
        "sex": "other_or_not_stated" if profile.get("sex") in (None, *COUNTED_AS_NOT_STATED)
        else profile["sex"],
        "age_band": profile.get("age_band") or "unknown",
        "minor": minor,
        "citizenship": profile.get("citizenship") or "unknown",
        "exploitation": _exploitation(profile.get("exploitation_types")),
        "exploitation_country": profile.get("exploitation_country") or "unknown",
        "agency": profile.get("agency") or "unknown",
        "result": officer_result,
        "decision": "none" if officer_result == "possible" else "pending",
        "case_status": "no_case",
        "days_to_acceptance": None,
    }


def person_key(screening_id: str) -> str:
    return pseudonym("stat_person", screening_id)


def _dirty(session) -> set:
    return session.info.setdefault(_DIRTY, set())


def record_person(screening_id: str, profile: dict, officer_result: str | None) -> bool:
    """Write (or rewrite) the fact row of a submitted screening; True if the person is counted.
    Called by the screening service at submission and by ``stats rebuild``."""
    key = person_key(screening_id)
    db.session.execute(delete(StatReferral).where(StatReferral.person_key == key))
    db.session.execute(delete(StatPerson).where(StatPerson.key == key))
    fact = person_fact(profile, officer_result)
    if fact is None:
        return False
    db.session.execute(insert(StatPerson), [{"key": key, **fact}])
    _dirty(db.session()).add(screening_id)
    forget()
    return True


def record_people(items) -> int:
    """``record_person`` for many new screenings at once (the demo data's bulk path): one INSERT."""
    rows = []
    for screening_id, profile, officer_result in items:
        fact = person_fact(profile, officer_result)
        if fact is not None:
            rows.append({"key": person_key(screening_id), **fact})
    if rows:
        db.session.execute(insert(StatPerson), rows)
    forget()
    return len(rows)


def refresh(screening_ids, chunk: int = 500) -> None:
    """Bring the fact rows of these screenings up to date with their identification decision,
    cases and referrals (plain status columns only). A screening whose person is not counted has
    no row and is skipped; a screening that is gone keeps its rows (the anonymous count outlives
    retention and erasure)."""
    ids = sorted(set(screening_ids))
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        keys = {person_key(sid): sid for sid in part}
        people = {row.key: row for row in db.session.scalars(
            select(StatPerson).where(StatPerson.key.in_(keys)))}
        if not people:
            continue
        counted = [keys[k] for k in people]
        identifications = {row.screening_id: row for row in db.session.execute(
            select(Identification.screening_id, Identification.status, Identification.decided_at)
            .where(Identification.screening_id.in_(counted)))}
        referrals = db.session.execute(
            select(Referral.id, Referral.screening_id, Referral.service, Referral.state, Referral.decided_at)
            .where(Referral.screening_id.in_(counted))).all()
        submitted = dict(db.session.execute(select(Screening.id, Screening.submitted_at)
                                            .where(Screening.id.in_(counted))).all())
        cases = db.session.execute(
            select(Referral.screening_id, Case.status, Case.opened_at)
            .join(Referral, Case.referral_id == Referral.id)
            .where(Referral.screening_id.in_(counted)).order_by(Case.opened_at)).all()
        first_case = {}
        for row in cases:
            first_case.setdefault(row.screening_id, row.status)
        by_screening = defaultdict(list)
        for r in referrals:
            by_screening[r.screening_id].append(r)
        sent_rows = []
        for key, fact in people.items():
            sid = keys[key]
            identification = identifications.get(sid)
            if fact.result == "possible":
                decision = "none"
            elif identification is not None and identification.decided_at is not None:
                decision = identification.status
            else:
                decision = "pending"
            mine = by_screening.get(sid, [])
            accepted = [r.decided_at for r in mine if r.state in ("accepted", "completed") and r.decided_at]
            days = None
            if accepted and submitted.get(sid) is not None:
                days = max(0, (min(accepted) - submitted[sid]).days)
            fact.decision, fact.case_status = decision, first_case.get(sid, "no_case")
            fact.days_to_acceptance = days
            dims = {c: getattr(fact, c) for c in PERSON_COLUMNS}
            sent_rows += [{"key": pseudonym("stat_referral", r.id), "person_key": key, **dims,
                           "service": r.service, "referral_outcome": r.state}
                          for r in mine if r.state in SENT_STATES]
        db.session.execute(delete(StatReferral).where(StatReferral.person_key.in_(list(people))))
        if sent_rows:
            db.session.execute(insert(StatReferral), sent_rows)
    forget()


def rebuild(profiles, progress=None, chunk: int = 2000) -> int:
    """Rewrite every fact row from the records (`flask --app nrm stats rebuild`): ``profiles``
    yields (screening id, profile, officer result) for each submitted screening whose profile can
    still be read (the screening service unseals them); an erased person keeps their rows."""
    done, batch = 0, []
    for item in profiles:
        batch.append(item)
        if len(batch) == chunk:
            done += _rebuild_batch(batch)
            if progress:
                progress(done)
            batch = []
    done += _rebuild_batch(batch)
    if progress:
        progress(done)
    return done


def _rebuild_batch(batch) -> int:
    for screening_id, profile, officer_result in batch:
        record_person(screening_id, profile, officer_result)
    refresh([sid for sid, _p, _r in batch])
    _dirty(db.session()).clear()
    return len(batch)


_DIRTY = "nrm_stat_dirty"


@event.listens_for(Session, "after_flush")
def _collect(session, _context):
    dirty = _dirty(session)
    for obj in chain(session.new, session.dirty):
        if isinstance(obj, Referral | Identification):
            dirty.add(obj.screening_id)
        elif isinstance(obj, Case):
            dirty.add(("referral", obj.referral_id))


@event.listens_for(Session, "before_commit", insert=True)     # before the audit chain's hook (the last lock)
def _refresh_before_commit(session):
    for _ in range(3):          # a refresh may flush pending records, which may add more
        session.flush()
        dirty = session.info.pop(_DIRTY, None)
        if not dirty:
            return
        ids = {d for d in dirty if isinstance(d, str)}
        referral_ids = [d[1] for d in dirty if isinstance(d, tuple)]
        if referral_ids:
            ids |= set(session.scalars(select(Referral.screening_id).where(Referral.id.in_(referral_ids))))
        refresh(ids)


@event.listens_for(Session, "after_rollback")
def _forget_dirty(session):
    session.info.pop(_DIRTY, None)


# ------------------------------------------------------------------ the published family


class BadQuery(ValueError):
    """A table that may not be asked for (unknown dimension, same dimension twice, bad year)."""


_FAMILIES: dict = {}


def forget() -> None:
    """Drop this process's published families (the facts changed)."""
    _FAMILIES.clear()


def unit_of(*names) -> str:
    return "referrals" if any(n in REFERRAL_DIMENSIONS for n in names if n) else "persons"


def _fact_table(unit: str):
    return (StatReferral if unit == "referrals" else StatPerson).__table__


def _bucket(dimension: str, row) -> str:
    """A fact row's value of a fine dimension (``row`` has the fact columns)."""
    if dimension == "age":
        band = row.age_band
        return band if band != "unknown" else f"{row.minor}-unknown"
    if dimension == "citizenship":
        value = row.citizenship
        return value if value in ("KG", "stateless", "unknown") or value in _countries() else "other"
    if dimension == "exploitation_country":
        value = row.exploitation_country
        return value if value == "unknown" or value in _countries() else "other"
    if dimension == "decision":
        if row.result == "possible":
            return "none"
        return row.decision if row.decision in ("ActualVictimOfTrafficking", "NotAVictimOfTrafficking") \
            else "pending"
    return getattr(row, {"age": "age_band"}.get(dimension, dimension))


_COLUMNS = {"age": ("age_band", "minor"), "citizenship": ("citizenship",), "decision": ("decision", "result"),
            "exploitation_country": ("exploitation_country",)}


def _columns(table, dimension: str) -> list:
    return [table.c[name] for name in _COLUMNS.get(dimension, (dimension,))]


def _grouped_counts(unit: str, dims: list[str], year=None) -> Counter:
    """Counts of the fine values of ``dims`` (and the year, when ``year`` is None), one GROUP BY."""
    table = _fact_table(unit)
    columns = [table.c.year] if year is None else []
    for name in dims:
        columns += _columns(table, name)
    query = select(*columns, func.count()).group_by(*columns)
    if year is not None:
        query = query.where(table.c.year == year)
    found = Counter()
    for row in db.session.execute(query):
        mapping = row._mapping
        values = tuple(_bucket(name, _Row(mapping)) for name in dims)
        key = ((mapping["year"], *values) if year is None else values)
        found[key if len(key) > 1 else key[0]] += row[-1]
    return found


class _Row:
    def __init__(self, mapping):
        self._m = mapping

    def __getattr__(self, name):
        return self._m[name]


def published_years(unit: str = "persons") -> tuple:
    """The completed years with at least k units (and the current year when configured)."""
    config = current_app.config
    table = _fact_table(unit)
    totals = dict(db.session.execute(select(table.c.year, func.count()).group_by(table.c.year)).all())
    if not config.get("STATS_PUBLISH_CURRENT_YEAR"):
        totals = {y: n for y, n in totals.items() if y < today().year}
    return dc.published_years(totals, k=config["STATS_K"], base=config["STATS_ROUNDING_BASE"])


def family(unit: str = "persons") -> dc.Family:
    """The publishable family of ``unit``, kept per process for ``STATS_CACHE_SECONDS``."""
    config = current_app.config
    stamp = (unit, config["STATS_K"], config["STATS_ROUNDING_BASE"], tuple(config["STATS_COUNTRIES"]),
             bool(config.get("STATS_PUBLISH_CURRENT_YEAR")), today().year)
    found = _FAMILIES.get(stamp)
    if found is not None and time.monotonic() - found[0] < config.get("STATS_CACHE_SECONDS", 300):
        return found[1]
    table = _fact_table(unit)
    totals = dict(db.session.execute(select(table.c.year, func.count()).group_by(table.c.year)).all())
    years = published_years(unit)
    dims = fine_dimensions()

    def trend(name):
        return {k: v for k, v in _grouped_counts(unit, [name]).items() if k[0] in years}

    def annual(first, second, year):
        return _grouped_counts(unit, [first, second], year)

    result = dc.Family(dims, years, {y: totals[y] for y in years}, trend, annual,
                       k=config["STATS_K"], base=config["STATS_ROUNDING_BASE"])
    _FAMILIES[stamp] = (time.monotonic(), result)
    return result


# ------------------------------------------------------------------ tables as shown


@dataclass
class Table:
    """A published table as shown, exported and sent by the API: row and column keys (codes of the
    dimension's values, group keys for a grouped dimension, years for a trend), counts (None =
    withheld), totals. ``year`` is the year of an annual table, ALL_YEARS for a one-dimension
    table of every year, None for a trend."""

    unit: str
    rows: str
    cols: str | None
    year: object
    row_keys: list
    col_keys: list
    cells: list
    row_totals: list
    col_totals: list
    total: int | None
    k: int
    base: int
    publishable: bool = True

    @property
    def withheld(self) -> int:
        return sum(v is None for row in self.cells for v in row)

    def as_json(self) -> dict:
        return {"unit": self.unit, "rows": self.rows, "cols": self.cols,
                "year": None if self.year is None else str(self.year),
                "k": self.k, "rounding_base": self.base, "row_keys": [str(k) for k in self.row_keys],
                "col_keys": [str(k) for k in self.col_keys], "cells": self.cells,
                "row_totals": self.row_totals, "col_totals": self.col_totals, "total": self.total,
                "withheld": self.withheld, "publishable": self.publishable}


def _keys(name: str) -> list:
    fine, grouped = DIMENSIONS[name]
    dimension = fine_dimensions()[fine]
    return list(dimension.coarse_keys() if grouped else dimension.values)


def table(rows: str, cols: str | None = None, year=None) -> Table:
    """A published table. ``rows`` or ``cols`` may be ``year`` (a trend over every published year);
    otherwise ``year`` is one published year, or ALL_YEARS for a one-dimension table (default: the
    latest published year)."""
    for name in (rows, cols):
        if name is not None and name != YEAR and name not in DIMENSIONS:
            raise BadQuery("dimension")
    if rows == cols or rows is None:
        raise BadQuery("dimension")
    if rows != YEAR and cols not in (None, YEAR) and DIMENSIONS[rows][0] == DIMENSIONS[cols][0]:
        raise BadQuery("dimension")           # a dimension and its own grouping
    if cols == YEAR:
        return _transpose(table(YEAR, rows))
    unit = unit_of(rows, cols)
    fam = family(unit)
    config = current_app.config
    k, base = config["STATS_K"], config["STATS_ROUNDING_BASE"]
    years = list(fam.years)
    if rows == YEAR:
        if not years:
            return Table(unit, rows, cols, None, [], [], [], [], [], None, k, base, publishable=False)
        if cols is None:
            cells = [[fam.year_total(y)] for y in years]
            return Table(unit, YEAR, None, None, years, [], cells, [c[0] for c in cells], [],
                         fam.grand_total(), k, base)
        trend = fam.trend(DIMENSIONS[cols][0])
        keys = _keys(cols)
        cells = [[trend.shown(y, key) for key in keys] for y in years]
        return Table(unit, YEAR, cols, None, years, keys, cells, [fam.year_total(y) for y in years],
                     [trend.shown(ALL_YEARS, key) for key in keys], fam.grand_total(), k, base)
    if year is None:
        if not years:
            raise BadQuery("year")
        year = years[-1]
    if year != ALL_YEARS and year not in years:
        raise BadQuery("year")
    keys = _keys(rows)
    trend = fam.trend(DIMENSIONS[rows][0])
    if cols is None:
        cells = [[trend.shown(year, key)] for key in keys]
        total = fam.grand_total() if year == ALL_YEARS else fam.year_total(year)
        return Table(unit, rows, None, year, keys, [], cells, [c[0] for c in cells], [], total, k, base)
    if year == ALL_YEARS:
        raise BadQuery("year")                 # two dimensions are published year by year only
    col_keys = _keys(cols)
    annual = fam.annual(DIMENSIONS[rows][0], DIMENSIONS[cols][0], year)
    flip = annual.rows.name != DIMENSIONS[rows][0]
    cells = [[(annual.shown(c, r) if flip else annual.shown(r, c)) for c in col_keys] for r in keys]
    col_trend = fam.trend(DIMENSIONS[cols][0])
    return Table(unit, rows, cols, year, keys, col_keys, cells, [trend.shown(year, r) for r in keys],
                 [col_trend.shown(year, c) for c in col_keys], fam.year_total(year), k, base,
                 publishable=annual.publishable)


def _transpose(t: Table) -> Table:
    cells = [list(column) for column in zip(*t.cells, strict=True)] if t.cells else []
    return Table(t.unit, t.cols, t.rows, t.year, t.col_keys, t.row_keys, cells, t.col_totals, t.row_totals,
                 t.total, t.k, t.base, t.publishable)


def median_days_by_year() -> list[tuple[int, float | None]]:
    """Median days from the screening to its first accepted referral, per published year
    (withheld over fewer than k people)."""
    years = family("persons").years
    values = defaultdict(list)
    for year, days in db.session.execute(select(StatPerson.year, StatPerson.days_to_acceptance).where(
            StatPerson.year.in_(years), StatPerson.days_to_acceptance.is_not(None))):
        values[year].append(days)
    k = current_app.config["STATS_K"]
    return [(y, dc.median(values[y], k=k)) for y in years]


WITHHELD = "x"


def grid(t: Table, label=lambda dimension, value: str(value), total_label="Total") -> list[list[str]]:
    """The table exactly as shown and exported: a header row, then one row per value, then totals;
    a withheld count is ``x`` (the statistical offices' sign for a confidential figure)."""
    def show(value):
        return WITHHELD if value is None else str(value)

    if t.cols:
        header = [""] + [label(t.cols, c) for c in t.col_keys] + [total_label]
        body = [[label(t.rows, r)] + [show(v) for v in t.cells[i]] + [show(t.row_totals[i])]
                for i, r in enumerate(t.row_keys)]
        footer = [total_label] + [show(v) for v in t.col_totals] + [show(t.total)]
    else:
        header = ["", "n"]
        body = [[label(t.rows, r), show(t.cells[i][0])] for i, r in enumerate(t.row_keys)]
        footer = [total_label, show(t.total)]
    return [header, *body, footer]


def to_csv(rows: list[list[str]], preamble: list[str] = ()) -> str:
    """CSV of the grid; ``preamble`` lines (title, period, unit, rounding, what x means) come first,
    each in one cell, then an empty line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in preamble:
        writer.writerow([_safe_cell(line)])
    if preamble:
        writer.writerow([])
    for row in rows:
        writer.writerow([_safe_cell(cell) for cell in row])
    return out.getvalue()


def _safe_cell(cell: str) -> str:
    # a label that starts like a formula is quoted for spreadsheets (CSV injection)
    return ("'" + cell) if cell[:1] in ("=", "+", "-", "@") and not cell.lstrip("-").isdigit() else cell
