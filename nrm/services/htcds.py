"""Row-level anonymised export in the vocabulary of the Human Trafficking Case Data Standard
(HTCDS, as contributed to the Counter-Trafficking Data Collaborative), k-anonymous over all its
columns.

One row per counted person (the statistics fact table; never a sealed column). Every column is
treated as a quasi-identifier. Generalisation is global (a whole column moves up its hierarchy:
age band → child/adult → withheld; country → group → withheld; year → two years → four years),
chosen greedily, most varied column first, until no more than ``STATS_EXPORT_MAX_WITHHELD`` of the
records sit in groups smaller than k; those records are then left out entirely. No free text, no
date finer than a year, no identifier of ours.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from nrm.extensions import db
from nrm.models.statistics import StatPerson

CENTRAL_ASIA = ("UZ", "TJ", "KZ", "TM")
EAEU = ("RU", "KZ", "BY", "AM")
LAW_ENFORCEMENT = ("police_unit", "customs_post")
LABOUR = ("ForcedLabour", "DomesticServitude", "ChildLabour", "ForcedBegging", "ForcedCriminality")
SEXUAL = ("SexualExploitation",)


def _year(value, level):
    two, four = value - value % 2, value - value % 4
    return [str(value), f"{two}-{two + 1}", f"{four}-{four + 3}",
            ""][level]


def _datasource(value, level):
    sector = "Law enforcement" if value in LAW_ENFORCEMENT else "NGO" if value == "ngo" else "Government"
    return [value, sector, ""][level]


def _gender(value, level):
    return [{"female": "Female", "male": "Male"}.get(value, "Unknown"), ""][level]


def _age(value, level):
    majority = "Unknown" if value == "unknown" else "Minor" if value in ("0-11", "12-17") else "Adult"
    return [value.replace("-", "--") if value != "unknown" else "Unknown", majority, ""][level]


def _majority(value, level):
    return [{"child": "Minor", "adult": "Adult"}.get(value, "Unknown"), ""][level]


def _citizenship(value, level):
    group = ("KG" if value == "KG" else "Stateless" if value == "stateless"
             else "Unknown" if value == "unknown"
             else "Central Asia" if value in CENTRAL_ASIA else "Other")
    return [value if value not in ("stateless", "unknown") else group, group, ""][level]


def _exploitation_country(value, level):
    group = ("KG" if value == "KG" else "Unknown" if value == "unknown" else "EAEU" if value in EAEU
             else "Other")
    return [value if value != "unknown" else group, group, ""][level]


def _exploit(value, level):
    group = "Labour" if value in LABOUR else "Sexual" if value in SEXUAL else "Other"
    return [value, group, ""][level]


def _status(value, level):
    pending = "PossibleVictimOfTrafficking"
    return [{"pending": pending, "none": pending}.get(value, value),
            ""][level]


def _case_status(value, level):
    return [value if value != "no_case" else "None", ""][level]


# HTCDS column -> (fact column, hierarchy)
COLUMNS = {
    "yearOfRegistration": ("year", _year, 4),
    "Datasource": ("agency", _datasource, 3),
    "gender": ("sex", _gender, 2),
    "ageBroad": ("age_band", _age, 3),
    "majorityStatus": ("minor", _majority, 2),
    "citizenship": ("citizenship", _citizenship, 3),
    "CountryOfExploitation": ("exploitation_country", _exploitation_country, 3),
    "typeOfExploit": ("exploitation", _exploit, 3),
    "identificationStatus": ("decision", _status, 2),
    "caseStatus": ("case_status", _case_status, 2),
}


@dataclass
class Report:
    rows: int
    dropped: int
    k: int
    generalised: list[str]


def anonymise(records: list[dict], k: int, max_withheld: float) -> tuple[list[tuple], Report]:
    """Generalise and suppress ``records`` (fact rows) into k-anonymous HTCDS rows."""
    levels = dict.fromkeys(COLUMNS, 0)

    def recode(record):
        return tuple(fn(record[fact], levels[name]) for name, (fact, fn, _n) in COLUMNS.items())

    while True:
        rows = [recode(r) for r in records]
        sizes = Counter(rows)
        small = sum(count for count in sizes.values() if count < k)
        if small <= max_withheld * len(rows):
            break
        raisable = [name for name, (_f, _fn, depth) in COLUMNS.items() if levels[name] < depth - 1]
        if not raisable:
            break
        # the column whose values vary most (at its current level) is generalised first
        position = {name: i for i, name in enumerate(COLUMNS)}
        variety = {name: len({row[position[name]] for row in rows}) for name in raisable}
        levels[max(raisable, key=lambda name: (variety[name], -position[name]))] += 1
    kept = [row for row in rows if sizes[row] >= k]
    return kept, Report(rows=len(kept), dropped=len(rows) - len(kept), k=k,
                        generalised=[f"{name} (level {level})" for name, level in levels.items() if level])


def export(path: Path) -> Report:
    config = current_app.config
    columns = [StatPerson.__table__.c[fact] for fact, _fn, _n in COLUMNS.values()]
    records = [dict(row._mapping) for row in db.session.execute(select(*columns))]
    rows, report = anonymise(records, config["STATS_K"], config["STATS_EXPORT_MAX_WITHHELD"])
    rows.sort()
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(COLUMNS))
        writer.writerows(rows)
    return report
