"""Row-level exports a partner can validate: two profiles, versioned and documented
(docs/statistics.md), built from the screenings themselves (through the vault) and the code lists
kept as data in nrm/standards (HTCDS 2.0, the CTDC Global Dataset, our mapping between them).

- ``ctdc``: exactly the CTDC Global Dataset columns and value sets (63 columns, CTDC age bands from
  the exact age, one 0/1 column per type of exploitation and per method of control, ISO 3166-1
  codes, -99 for missing), identified and possible victims only. No anonymisation of our own: CTDC
  applies k = 11 after pooling. Refused unless an administrator has recorded the data-sharing
  agreement it is sent under.
- ``public``: CTDC column names where CTDC has the variable and the HTCDS field name where it does
  not (vic_TraffickingStatus), k-anonymous at ``STATS_EXPORT_K`` over all its columns: single rare
  values are replaced by -99 first, then the values of the records still in a group smaller than k,
  column by column in the order of ``STATS_EXPORT_GENERALISE``; the identification status is never
  blanked; what is still below k is withheld. Never a year range, never a group label.

Beside each file, a JSON sidecar says what it is: profile and version, the standards and their
versions, the code lists, the years covered, the rows, k, and what was generalised or withheld.
``validate`` checks any file against its profile and names line and column of each fault.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import yaml

from nrm.names import country_codes

STANDARDS = Path(__file__).resolve().parents[1] / "standards"
PROFILES = ("ctdc", "public")
PROFILE_VERSION = "2026.1"
MISSING = "-99"
COUNTED_RESULTS = ("presumed_victim", "possible")
PUBLIC_COLUMNS = ("yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation",
                  "typeOfExploitConcatenated", "vic_TraffickingStatus")
EXPLOIT_COMPONENTS = {"isForcedLabour": "Forced labour and/or services",
                      "isSexualExploit": "Sexual exploitation"}
# each meansOfControl* column and the name CTDC's concatenated list gives it (ctdc.yaml components;
# the list also holds "Minor sexually exploited or abused", which has no column of its own)
CONTROL_COMPONENTS = {
    "meansOfControlDebtBondage": "Debt bondage",
    "meansOfControlTakesEarnings": "Takes/Withholds Earnings",
    "meansOfControlRestrictsFinancialAccess": "Restricts access to finances",
    "meansOfControlThreats": "Threats to individual or others",
    "meansOfControlPsychologicalAbuse": "Psychological abuse",
    "meansOfControlPhysicalAbuse": "Physical abuse",
    "meansOfControlSexualAbuse": "Sexual abuse",
    "meansOfControlFalsePromises": "False promises/deception",
    "meansOfControlPsychoactiveSubstances": "Use of psychoactive substances",
    "meansOfControlRestrictsMovement": "Denied freedom of movement/kept in isolation",
    "meansOfControlRestrictsMedicalCare": "Limits/restricts medical services",
    "meansOfControlExcessiveWorkingHours": "Excessive working hours",
    "meansOfControlUsesChildren": "Restricts access to/manipulates children",
    "meansOfControlThreatOfLawEnforcement": "Threat of action by law enforcement",
    "meansOfControlWithholdsNecessities": "Withholds/denies basic necessities",
    "meansOfControlWithholdsDocuments": "Withholds/Destroys Important Documents",
    "meansOfControlOther": "Other",
    "meansOfControlNotSpecified": "Not Specified",
}
LABOUR_COMPONENTS = {
    "typeOfLabourAgriculture": "Agriculture/Farms/Animal Husbandry",
    "typeOfLabourAquafarming": "Aquafarming/Fishing",
    "typeOfLabourBegging": "Begging",
    "typeOfLabourConstruction": "Construction",
    "typeOfLabourDomesticWork": "Domestic Work",
    "typeOfLabourHospitality": "Hospitality/Restaurant/Food Service/Hotel",
    "typeOfLabourIllicitActivities": "Illicit Activities",
    "typeOfLabourManufacturing": "Manufacturing/Factory work",
    "typeOfLabourMiningOrDrilling": "Mining, Quarrying, Oil/Gas Extraction",
    "typeOfLabourPeddling": "Peddling/informal street commerce",
    "typeOfLabourTransportation": "Transportation",
    "typeOfLabourOther": "Other",
    "typeOfLabourNotSpecified": "Not Specified",
}


@cache
def standard(name: str) -> dict:
    return yaml.safe_load((STANDARDS / f"{name}.yaml").read_text(encoding="utf-8"))


def ctdc_columns() -> list[dict]:
    return standard("ctdc")["columns"]


def htcds_codes(list_name: str) -> list[str]:
    return [v["code"] for v in standard("htcds")["lists"][list_name]["values"]]


def htcds_label(list_name: str, code: str, language: str) -> str:
    """An HTCDS value in the reader's language (htcds.yaml keeps ky/ru/en labels); the code itself
    only for a value the list does not hold."""
    for value in standard("htcds")["lists"][list_name]["values"]:
        if value["code"] == code:
            return value["label"].get(language) or value["label"]["en"]
    return code


# ------------------------------------------------------------------ one record per counted person

def records() -> list[dict]:
    """What the exports are made of: one dict per submitted screening of a presumed or possible
    victim who did not refuse statistics (an erased person is not exported), read through the vault."""
    from nrm.clock import local
    from nrm.extensions import db
    from nrm.models import Case, Identification, Organisation, Referral, Screening
    from nrm.services import referrals

    statuses = dict(db.session.execute(db.select(Identification.screening_id, Identification.status)).all())
    case_status = dict(db.session.execute(db.select(Referral.screening_id, Case.status)
                                          .join(Case, Case.referral_id == Referral.id)).all())
    kinds = dict(db.session.execute(db.select(Organisation.id, Organisation.kind)).all())
    found = []
    query = db.select(Screening).where(Screening.status == "submitted",
                                       Screening.officer_result.in_(COUNTED_RESULTS))
    for screening in db.session.scalars(query.execution_options(yield_per=500)):
        if screening.is_erased:
            continue
        values, current = referrals.values_of(screening)
        if values.get("consent_statistics") == "no":
            continue
        assessment = json.loads(screening.assessment_json or "{}")
        dimensions = assessment.get("dimensions", {}).values()
        indicators = sorted({i for d in dimensions for i in d.get("indicators", [])})
        facts = referrals.facts_from(values, screening.officer_result, None)
        age = values.get("age") if values.get("age_uncertain") != "yes" else None
        found.append({
            "year": local(screening.detected_at).year,
            "agency": kinds.get(screening.organisation_id),
            "encounter": values.get("encounter_kind"),
            "gender": values.get("sex"),
            "age": age if isinstance(age, int) else None,
            "child": bool(assessment.get("child")),
            "citizenship": facts.citizenship,
            "exploitation": sorted(set(values.get("exploitation_types") or [])),
            "exploitation_country": values.get("exploitation_country"),
            "indicators": indicators,
            "recruiter": current.get("recruiter_kind"),
            "status": statuses.get(screening.id, "PossibleVictimOfTrafficking"),
            "case_status": case_status.get(screening.id),
        })
    return found


# ------------------------------------------------------------------ the CTDC profile

def _age_broad(age):
    if age is None:
        return MISSING
    return next(label for low, high, label in standard("mapping")["age_broad"] if low <= age <= high)


def _iso(code):
    return code if isinstance(code, str) and code in country_codes() else MISSING


def ctdc_row(record: dict) -> dict:
    """One CTDC Global Dataset row (column -> value as text) for ``record``."""
    mapping = standard("mapping")
    row = {c["name"]: MISSING for c in ctdc_columns()}
    row["yearOfRegistration"] = str(record["year"])
    row["Datasource"] = mapping["datasource"].get(record["encounter"], mapping["datasource"]["default"])
    gender = mapping["gender"].get(record["gender"])
    row["gender"] = gender["ctdc"] if gender else MISSING
    row["ageBroad"] = _age_broad(record["age"])
    row["majorityStatus"] = ("Minor" if record["child"] else
                             "Adult" if record["age"] is not None else "Unknown")
    row["citizenship"] = _iso(record["citizenship"])
    row["CountryOfExploitation"] = _iso(record["exploitation_country"])
    # exploitation: one 0/1 column per type (several may be 1), the concatenated list of CTDC's names
    flags = set()
    for kind in record["exploitation"]:
        flags |= set(mapping["exploitation"][kind]["ctdc"])
    type_flags = ("isForcedLabour", "isSexualExploit", "isOtherExploit", "isForcedMarriage",
                  "isForcedMilitary", "isOrganRemoval", "isSlaveryAndPractices")
    if record["exploitation"]:
        for name in type_flags:
            row[name] = "1" if name in flags else "0"
        row["isSexAndLabour"] = "1" if {"isForcedLabour", "isSexualExploit"} <= flags else "0"
        parts = [EXPLOIT_COMPONENTS[f] for f in ("isForcedLabour", "isSexualExploit") if f in flags]
        if flags - {"isForcedLabour", "isSexualExploit"}:
            parts.append("Other")
        row["typeOfExploitConcatenated"] = ";".join(parts)
    if "isForcedLabour" in flags:
        named = [f for f in flags if f in LABOUR_COMPONENTS]
        for name in LABOUR_COMPONENTS:
            row[name] = "1" if name in named else "0"
        if not named:
            row["typeOfLabourNotSpecified"] = "1"
        row["typeOfLabourConcatenated"] = ";".join(label for name, label in LABOUR_COMPONENTS.items()
                                                   if row[name] == "1")
    # methods of control, from the indicators the assessment found
    found = {mapping["methods_of_control"][i]["ctdc"] for i in record["indicators"]
             if i in mapping["methods_of_control"]}
    for name in CONTROL_COMPONENTS:
        row[name] = "1" if name in found else "0"
    if not found:
        row["meansOfControlNotSpecified"] = "1"
    row["meansOfControlConcatenated"] = ";".join(label for name, label in CONTROL_COMPONENTS.items()
                                                 if row[name] == "1")
    abduction = any(mapping["methods_of_control"].get(i, {}).get("ctdc_also") == "isAbduction"
                    for i in record["indicators"])
    row["isAbduction"] = "1" if abduction else "0"
    # who recruited the person
    recruiter = mapping["recruiter"].get(record["recruiter"])
    relation = [c["name"] for c in ctdc_columns() if c["name"].startswith("recruiterRelation")]
    for name in relation:
        row[name] = "0"
    if recruiter:
        row[recruiter["ctdc"]] = "1"
        row["RecruiterRelationship"] = recruiter["ctdc_label"]
    else:
        row["recruiterRelationUnknown"] = "1"
        row["RecruiterRelationship"] = "Not Specified"
    return row


def _components(column: str) -> list[str]:
    return next(c["components"] for c in ctdc_columns() if c["name"] == column)


# ------------------------------------------------------------------ the public profile

def public_row(record: dict) -> dict:
    ctdc = ctdc_row(record)
    row = {name: ctdc[name] for name in PUBLIC_COLUMNS if name in ctdc}
    row["vic_TraffickingStatus"] = record["status"]
    return row


@dataclass
class Report:
    profile: str
    rows: int
    withheld: int = 0
    k: int | None = None
    generalised: dict = field(default_factory=dict)      # column -> values replaced by -99
    years: tuple = ()


def generalise(column: str, value: str) -> str | None:
    """One step up a column's hierarchy: an age band to its broad group (mapping.yaml
    public_age_groups), anything else to -99; None when there is nothing left to generalise."""
    if value == MISSING:
        return None
    if column == "ageBroad":
        group = standard("mapping")["public_age_groups"].get(value)
        if group and group != value:
            return group
    return MISSING


def anonymise(rows: list[dict], k: int, order: list[str], keep: tuple = ("vic_TraffickingStatus",)):
    """k-anonymity over every column, by local recoding that keeps as much as it can:

    1. a value shared by fewer than k records goes one step up its hierarchy (to a broad age group,
       or to -99), column by column in ``order`` (first the columns that say least);
    2. a group of records smaller than k is merged into another group by generalising the one
       column, earliest in ``order``, that makes the merged group reach k;
    3. when no such merge exists, the earliest column in ``order`` that still has values goes one
       step up for every record of a small group, and 2 starts again;
    4. what is still in a group smaller than k is withheld. The columns in ``keep`` (the
       identification status) are never generalised.

    Returns (kept rows, {column: values generalised}, withheld)."""
    columns = list(rows[0]) if rows else []
    order = [c for c in order if c in columns and c not in keep]
    position = {c: i for i, c in enumerate(columns)}
    changed = Counter()

    def key(row):
        return tuple(row[c] for c in columns)

    for name in order:
        while True:
            counts, moved = Counter(r[name] for r in rows), False
            for row in rows:
                if counts[row[name]] < k and (up := generalise(name, row[name])) is not None:
                    row[name], moved = up, True
                    changed[name] += 1
            if not moved:
                break
    for _round in range(10 * len(rows) + 10):
        groups: dict = {}
        for row in rows:
            groups.setdefault(key(row), []).append(row)
        small = sorted((g for g in groups if len(groups[g]) < k), key=lambda g: -len(groups[g]))
        if not small:
            break
        merged = False
        for group in small:
            members = groups.get(group)
            if not members or len(members) >= k:
                continue
            for name in order:
                up = generalise(name, group[position[name]])
                if up is None:
                    continue
                target = group[:position[name]] + (up,) + group[position[name] + 1:]
                if len(members) + len(groups.get(target, ())) >= k:
                    for row in members:
                        row[name] = up
                        changed[name] += 1
                    groups[target] = groups.get(target, []) + members
                    del groups[group]
                    merged = True
                    break
        if merged:
            continue
        stuck = [row for group in small for row in groups[group]]
        name = next((n for n in order if any(generalise(n, r[n]) is not None for r in stuck)), None)
        if name is None:
            break
        for row in stuck:
            if (up := generalise(name, row[name])) is not None:
                row[name] = up
                changed[name] += 1
    sizes = Counter(key(r) for r in rows)
    kept = [r for r in rows if sizes[key(r)] >= k]
    return kept, dict(changed), len(rows) - len(kept)


# ------------------------------------------------------------------ writing and checking

def export(path: Path, profile: str, config, agreement=None) -> Report:
    """Write ``path`` (CSV) and ``path``.json (the sidecar) for ``profile``."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (ctdc or public)")
    found = records()
    years = (min(r["year"] for r in found), max(r["year"] for r in found)) if found else ()
    if profile == "ctdc":       # identified and possible victims only
        columns = [c["name"] for c in ctdc_columns()]
        rows = [ctdc_row(r) for r in found if r["status"] != "NotAVictimOfTrafficking"]
        report = Report(profile, len(rows), years=years)
    else:
        columns = list(PUBLIC_COLUMNS)
        k = int(config["STATS_EXPORT_K"])
        rows, blanked, withheld = anonymise([public_row(r) for r in found], k,
                                            list(config["STATS_EXPORT_GENERALISE"]))
        report = Report(profile, len(rows), withheld=withheld, k=k, generalised=blanked, years=years)
    rows.sort(key=lambda r: tuple(r[c] for c in columns))
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([r[c] for c in columns] for r in rows)
    sidecar(path, report, agreement).write_text(json.dumps(describe(report, agreement), indent=2,
                                                           ensure_ascii=False) + "\n", encoding="utf-8")
    return report


def sidecar(path: Path, *_args) -> Path:
    return Path(str(path) + ".json")


def describe(report: Report, agreement=None) -> dict:
    htcds, ctdc = standard("htcds"), standard("ctdc")
    return {
        "profile": report.profile,
        "profile_version": PROFILE_VERSION,
        "produced_on": date.today().isoformat(),
        "standards": {
            "ctdc": {"dataset": ctdc["dataset"], "missing_value": ctdc["missing_value"]},
            "htcds": {"standard": htcds["standard"], "version": htcds["version"],
                      "source": f"{htcds['source_repository']} @ {htcds['source_commit']}"},
            "mapping_version": standard("mapping")["version"],
        },
        "code_lists": {"gender": "ctdc gender", "ageBroad": "ctdc ageBroad",
                       "citizenship": "ISO 3166-1 alpha-2",
                       "CountryOfExploitation": "ISO 3166-1 alpha-2",
                       "vic_TraffickingStatus": "HTCDS 2.0 trafficking_status"},
        "years": list(report.years),
        "rows": report.rows,
        "k": report.k,
        "k_note": ("no anonymisation of ours: CTDC applies k = 11 after pooling" if report.profile == "ctdc"
                   else "every combination of all columns occurs at least k times"),
        "generalised": report.generalised,
        "withheld": report.withheld,
        "missing": MISSING,
        "agreement": ({"reference": agreement.reference, "partner": agreement.partner}
                      if agreement is not None else None),
    }


def allowed(profile: str) -> dict[str, object]:
    """Column -> allowed values (a set of text values; None = checked by type) for ``profile``."""
    rules = {}
    for column in ctdc_columns():
        kind = column["type"]
        if kind == "flag":
            rules[column["name"]] = {"0", "1", MISSING}
        elif kind == "category":
            rules[column["name"]] = set(column["values"]) | {MISSING}
        else:
            rules[column["name"]] = kind
    rules["vic_TraffickingStatus"] = set(htcds_codes("trafficking_status"))
    if profile == "public":      # the broad age groups the public profile generalises to
        rules["ageBroad"] = rules["ageBroad"] | set(standard("mapping")["public_age_groups"].values())
    names = [c["name"] for c in ctdc_columns()] if profile == "ctdc" else list(PUBLIC_COLUMNS)
    return {name: rules[name] for name in names}


@dataclass
class Fault:
    line: int
    column: str
    problem: str

    def __str__(self):
        return f"line {self.line}, column {self.column}: {self.problem}"


def validate(path: Path, profile: str | None = None) -> tuple[str, list[Fault]]:
    """Check a CSV against its profile (from ``--profile`` or the sidecar); every fault by line and
    column: missing or extra columns, values outside the code lists, ISO codes, ranges, -99."""
    path = Path(path)
    if profile is None:
        side = sidecar(path)
        profile = json.loads(side.read_text(encoding="utf-8"))["profile"] if side.exists() else None
    if profile not in PROFILES:
        return str(profile), [Fault(1, "-", "unknown profile: give --profile ctdc or public, or keep the "
                                                 ".json sidecar beside the file")]
    rules = allowed(profile)
    faults = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        for missing in [c for c in rules if c not in header]:
            faults.append(Fault(1, missing, "column missing"))
        for extra in [c for c in header if c not in rules]:
            faults.append(Fault(1, extra, "column not in the profile"))
        for number, row in enumerate(reader, start=2):
            if len(row) != len(header):
                faults.append(Fault(number, "-", f"{len(row)} values for {len(header)} columns"))
                continue
            for name, value in zip(header, row, strict=True):
                rule = rules.get(name)
                problem = _check(rule, value, name)
                if problem:
                    faults.append(Fault(number, name, problem))
    return profile, faults


def _check(rule, value: str, name: str) -> str | None:
    if rule is None:
        return None
    if isinstance(rule, set):
        return None if value in rule else f"{value!r} is not one of its values"
    if value == MISSING:
        return None
    if rule == "year":
        return None if value.isdigit() and len(value) == 4 else f"{value!r} is not a year (YYYY; no ranges)"
    if rule == "iso3166_alpha2":
        return None if value in country_codes() else f"{value!r} is not an ISO 3166-1 alpha-2 code"
    if rule == "concatenated_list":
        components = set(_components(name))
        wrong = [part for part in (p.strip() for p in value.split(";")) if part not in components]
        return f"{', '.join(map(repr, wrong))} not in its list" if wrong else None
    return None
