"""Retention (DOMAIN.md §7, periods in ``RETENTION``): when a record's class runs out, the
person's data key is destroyed (crypto-shredding: every sealed value, here and in every backup,
goes dark) and the sealed values are deleted. The analytic columns stay for statistics; drafts
that were never submitted have none and are deleted whole. Reports counts only, never who.

Classes:
    no_indicators_screening  a screening that found no indicators, submitted more than
                             ``no_indicators_screening_days`` ago, of a person with nothing else
    closed_case              every case of the person closed more than ``closed_case_days`` ago,
                             no referral still open, no identification decision pending
    abandoned_draft          a draft screening untouched for ``abandoned_draft_days``
"""

from datetime import timedelta

from flask import current_app

from nrm.clock import now
from nrm.core.lifecycle import POSSIBLE_VICTIM, REFERRAL_OPEN
from nrm.extensions import db
from nrm.models import Case, Identification, Person, Referral, Screening
from nrm.security import audit
from nrm.services import people


def _periods() -> dict:
    return current_app.config["RETENTION"]


def _has_other_activity(person_id: str, closed_before=None) -> bool:
    open_referral = db.session.scalar(db.select(Referral.id).where(
        Referral.person_id == person_id, Referral.state.in_(REFERRAL_OPEN)).limit(1))
    pending = db.session.scalar(db.select(Identification.id).where(
        Identification.person_id == person_id, Identification.status == POSSIBLE_VICTIM).limit(1))
    cases = db.session.scalars(db.select(Case).where(Case.person_id == person_id)).all()
    live_case = any(c.status in ("Active", "FollowUp") or (closed_before and c.closed_at
                                                           and c.closed_at > closed_before) for c in cases)
    return bool(open_referral or pending or live_case)


def candidates() -> dict[str, list[str]]:
    """Person ids (and draft screening ids) due for each class now."""
    periods, at = _periods(), now()
    found = {"no_indicators_screening": [], "closed_case": [], "abandoned_draft": []}
    limit = at - timedelta(days=periods["no_indicators_screening_days"])
    for person_id in db.session.scalars(db.select(Screening.person_id).where(
            Screening.status == "submitted", Screening.result == "no_indicators",
            Screening.submitted_at < limit).distinct()):
        other = db.session.scalar(db.select(Screening.id).where(
            Screening.person_id == person_id, db.or_(Screening.result != "no_indicators",
                                                      Screening.submitted_at >= limit)).limit(1))
        if not other and not _has_other_activity(person_id) and not _erased(person_id):
            found["no_indicators_screening"].append(person_id)
    limit = at - timedelta(days=periods["closed_case_days"])
    for person_id in db.session.scalars(db.select(Case.person_id).where(
            Case.status.in_(("Closed", "ClosedReferred")), Case.closed_at < limit).distinct()):
        if not _has_other_activity(person_id, closed_before=limit) and not _erased(person_id):
            found["closed_case"].append(person_id)
    limit = at - timedelta(days=periods["abandoned_draft_days"])
    found["abandoned_draft"] = list(db.session.scalars(db.select(Screening.id).where(
        Screening.status == "draft", Screening.updated_at < limit)))
    return found


def _erased(person_id: str) -> bool:
    person = db.session.get(Person, person_id)
    return person is None or person.erased_at is not None


def run(dry_run: bool = False) -> dict[str, int]:
    found = candidates()
    counts = {name: len(ids) for name, ids in found.items()}
    if dry_run:
        return counts
    for name in ("no_indicators_screening", "closed_case"):
        for person_id in found[name]:
            people.erase_person(None, db.session.get(Person, person_id), "retention_expired")
    for screening_id in found["abandoned_draft"]:
        screening = db.session.get(Screening, screening_id)
        person = screening.person
        others = db.session.scalar(db.select(db.func.count()).select_from(Screening).where(
            Screening.person_id == person.id))
        db.session.delete(screening)
        if others == 1 and not person.erased_at:
            people.erase_person(None, person, "retention_expired")
    audit.record("retention.run", object_type="retention",
                 object_id=",".join(f"{k}={v}" for k, v in counts.items()))
    return counts
