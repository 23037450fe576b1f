"""Screenings: start, save step by step (sealed drafts), identity and duplicate check, submit with
the assessment, and the coarse analytic columns. Views call these; these call the pure core."""

import json
from functools import lru_cache

from flask import current_app
from sqlalchemy import update

from nrm.clock import local, now
from nrm.core import screening as sc
from nrm.core.assessment import assess
from nrm.core.reference import REGIONS
from nrm.extensions import db
from nrm.models import CatalogueVersion, Organisation, Screening
from nrm.security import audit
from nrm.services import people, statistics

AGE_BANDS = ((0, 11, "0-11"), (12, 17, "12-17"), (18, 24, "18-24"), (25, 34, "25-34"),
             (35, 49, "35-49"), (50, 200, "50+"))


def catalogue():
    return current_app.extensions["nrm_catalogue"]


def script_for(user) -> sc.Script | None:
    return catalogue().script_for(user.organisation.kind)


def _version(kind: str, version: str) -> str:
    version_id = f"{kind}:{version}"[:80]
    if db.session.get(CatalogueVersion, version_id) is None:
        db.session.add(CatalogueVersion(id=version_id, kind=kind, created_at=now(),
                                        content=json.dumps(catalogue().snapshot(kind), ensure_ascii=False)))
        db.session.flush()
    return version_id


@lru_cache(maxsize=32)
def _snapshot(version_ids: tuple[str, str], contents: tuple[str, str]):
    from sops.loader import load_snapshot

    files = {}
    for content in contents:
        files.update(json.loads(content))
    return load_snapshot(files)


def catalogue_of(screening: Screening):
    """The criteria and script exactly as they were when the screening was made.

    A catalogue version row is written once and never changed (its id names the version), so each
    app process keeps the parsed snapshot by the two ids and reads the (large) rows only the first
    time it meets them."""
    ids = (screening.script_version_id, screening.criteria_version_id)
    known = current_app.extensions.setdefault("nrm_snapshots", {})
    snapshot = known.get(ids)
    if snapshot is None:
        contents = tuple(db.session.get(CatalogueVersion, version_id).content for version_id in ids)
        snapshot = known[ids] = _snapshot(ids, contents)
    return snapshot.criteria, snapshot.scripts[screening.script_id]


def start(officer, script: sc.Script, interview_language: str, paper_interview_on=None,
          paper_place: str | None = None) -> Screening:
    """A new draft. A screening recorded from the paper prompt sheet says so: the interview's date
    (never in the future) and place are kept, and the clocks that start at detection use the date."""
    from nrm.clock import today

    if paper_interview_on is not None and paper_interview_on > today():
        raise ValueError("a paper interview cannot be in the future")
    person = people.create_person(officer, officer.organisation_id)
    screening = Screening(
        person=person, data_key=person.data_key, organisation_id=officer.organisation_id,
        officer_id=officer.id, script_id=script.id,
        script_version_id=_version(f"script:{script.id}", script.catalogue_version),
        criteria_version_id=_version("criteria", catalogue().criteria.catalogue_version),
        interview_language=interview_language, status="draft", current_step=script.steps[0].id,
        started_at=now(), updated_at=now(), paper_interview_on=paper_interview_on)
    if paper_interview_on is not None:
        screening.paper_place = (paper_place or "").strip() or None
    screening.answers_json = "{}"
    db.session.add(screening)
    db.session.flush()
    audit.record("screening.create", object_type="screening", object_id=screening.id, actor=officer)
    return screening


def answers(screening: Screening) -> dict:
    return json.loads(screening.answers_json or "{}")


def save_step(actor, screening: Screening, script: sc.Script, step: sc.Step, values: dict,
              go_to: str | None) -> None:
    """Keep the answers of one step (sealed); empty values remove earlier answers."""
    if screening.status != "draft":
        raise ValueError("a submitted screening cannot be changed")
    current = answers(screening)
    for question in step.questions:
        if question.id in values:
            if sc.answered(values[question.id]):
                current[question.id] = values[question.id]
            else:
                current.pop(question.id, None)
    screening.answers_json = json.dumps(current, ensure_ascii=False)
    screening.current_step = go_to or step.id
    screening.updated_at = now()
    audit.record("screening.update", object_type="screening", object_id=screening.id, actor=actor)


def next_step(script: sc.Script, given: dict, step_id: str) -> str | None:
    steps = sc.visible_steps(script, sc.effective_answers(script, given))
    ids = [s.id for s in steps]
    if step_id not in ids:
        return ids[0] if ids else None
    index = ids.index(step_id)
    return ids[index + 1] if index + 1 < len(ids) else None


def previous_step(script: sc.Script, given: dict, step_id: str) -> str | None:
    ids = [s.id for s in sc.visible_steps(script, sc.effective_answers(script, given))]
    if step_id not in ids:
        return None
    index = ids.index(step_id)
    return ids[index - 1] if index > 0 else None


def set_identity(actor, screening: Screening, fields: dict) -> list[str]:
    """Add or change the person's identity (all optional); return ids of *other* people who match
    (the officer learns that a match exists, not who)."""
    person = screening.person
    people.update_identity(actor, person, **fields)
    return people.find_matches(
        document_number=person.document_number, given_name=person.given_name,
        family_name=person.family_name, birth_date=person.birth_date, exclude_id=person.id)


def _age_band(age, uncertain) -> str:
    if uncertain or age is None:
        return "unknown"
    return next(label for low, high, label in AGE_BANDS if low <= age <= high)


def assessment_of(criteria, script, given: dict):
    current = sc.effective_answers(script, given)
    values = sc.mapped(script, current)
    ids = sc.raised(script, current)
    age = values.get("age")
    return assess(criteria, age=age if isinstance(age, int) else None,
                  age_uncertain=values.get("age_uncertain") == "yes",
                  facts={i for i in ids if i in criteria.facts},
                  indicators={i for i in ids if i in criteria.indicators}), values


def assessment_document(outcome) -> str:
    """The sealed record of why the engine decided what it did."""
    return json.dumps({
        "dimensions": {d: {"positive": r.positive, "indicators": r.indicators}
                       for d, r in outcome.dimensions.items()},
        "elements": outcome.elements, "facts": outcome.facts, "not_applicable": outcome.not_applicable,
        "child": outcome.child, "catalogue_version": outcome.catalogue_version})


def profile_of(values: dict, outcome, agency: str, at) -> dict:
    """The coarse codes of a submitted screening: what work lists show (to those allowed to see the
    screening) and what the statistics count. Sealed on the screening; in plain only in the
    statistics facts, which nothing joins to a record."""
    region = values.get("stay_region")
    status = values.get("citizenship_status")
    types = values.get("exploitation_types") or []
    return {
        "year": local(at).year,
        "region": region if region in REGIONS else ("abroad" if region == "abroad" else None),
        "sex": values.get("sex"),
        "age_band": _age_band(values.get("age"), values.get("age_uncertain") == "yes"),
        "minor": bool(outcome.child),
        "citizenship": {"kyrgyz": "KG", "stateless": "stateless"}.get(
            status, values.get("citizenship_country") if status == "foreign" else "unknown"),
        "exploitation_types": sorted(types) if isinstance(types, list) else [],
        "exploitation_country": values.get("exploitation_country"),
        "agency": agency,
        "consent_services": {"yes": True, "no": False}.get(values.get("consent_services")),
        "consent_statistics": {"yes": True, "no": False}.get(values.get("consent_statistics")),
    }


def profile(screening: Screening) -> dict:
    """The sealed profile of a submitted screening ({} for a draft or an erased person)."""
    return json.loads(screening.profile_json or "{}")


class AlreadySubmitted(Exception):
    """Another request (a double click, a retry after a lost answer) submitted this screening first."""


def submit(actor, screening: Screening, officer_agrees: bool, officer_result: str | None,
           justification: str | None):
    """Submit once: the status moves from draft by a conditional UPDATE, which waits for any other
    transaction submitting the same screening and then finds nothing to do (AlreadySubmitted)."""
    claimed = db.session.execute(update(Screening).where(
        Screening.id == screening.id, Screening.status == "draft").values(status="submitted"))
    if claimed.rowcount != 1:
        raise AlreadySubmitted(screening.id)
    criteria, script = catalogue_of(screening)
    outcome, values = assessment_of(criteria, script, answers(screening))
    if not officer_agrees and (not officer_result or not (justification or "").strip()):
        raise ValueError("disagreement needs a result and a written justification")
    at = now()
    screening.status, screening.submitted_at, screening.updated_at = "submitted", at, at
    screening.result = outcome.result
    screening.officer_result = outcome.result if officer_agrees else officer_result
    screening.justification = None if officer_agrees else justification.strip()
    screening.assessment_json = assessment_document(outcome)
    agency = db.session.get(Organisation, screening.organisation_id).kind
    coarse = profile_of(values, outcome, agency, screening.detected_at)   # the interview's year
    screening.profile_json = json.dumps(coarse)
    statistics.record_person(screening.id, coarse, screening.officer_result)
    audit.record("screening.submit", object_type="screening", object_id=screening.id, actor=actor)
    return outcome


def statistics_profiles():
    """(screening id, profile, officer result) of every submitted screening whose profile can still
    be read, for ``stats rebuild`` (an erased person's facts are kept as they are)."""
    query = db.select(Screening).where(Screening.status == "submitted").execution_options(yield_per=500)
    for screening in db.session.scalars(query):
        if screening.is_erased:
            continue
        coarse = profile(screening)
        if coarse:
            yield screening.id, coarse, screening.officer_result


def visible_to_org(organisation_id: int):
    return db.select(Screening).where(Screening.organisation_id == organisation_id)


