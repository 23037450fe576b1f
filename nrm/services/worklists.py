"""What work lists show about each row: who the person is in coarse words (age band, sex,
nationality), who sent it, what is due next and how late it is. Lists are ordered by what is due:
overdue first, then by due date.

The coarse profile comes from the sealed profile of the screening (coordinators, and the officer
for their own screenings); a receiving service sees only what its minimised payload holds, so its
inbox shows what the referral told it and "—" for the rest.
"""

import json
from datetime import datetime

from flask_babel import gettext as _

from nrm import labels, names
from nrm.extensions import db
from nrm.models import Organisation, Referral


def person_words(profile: dict | None, language: str) -> dict[str, str]:
    """Age band, sex and nationality in words, "—" where not known."""
    profile = profile or {}
    band = profile.get("age_band")
    if band in (None, "unknown"):
        age = _("child, age not known") if profile.get("minor") else _("age not known")
    else:
        age = str(labels.STAT_VALUE_LABELS["age_band"].get(band, band.replace("-", "–")))
    sex = labels.STAT_VALUE_LABELS["sex"].get(profile.get("sex")) if profile.get("sex") else None
    return {"age": age, "sex": str(sex) if sex else "—",
            "nationality": nationality(profile.get("citizenship"), language)}


def profiles(screening_ids) -> dict[str, dict]:
    """The sealed coarse profiles of these screenings, in one query ({} for a draft or an erased
    person); for a page of a list, not for the whole table."""
    from sqlalchemy.orm import selectinload

    from nrm.models import Screening

    ids = list({i for i in screening_ids if i})
    if not ids:
        return {}
    rows = db.session.scalars(db.select(Screening).where(Screening.id.in_(ids))
                              .options(selectinload(Screening.data_key))
                              .execution_options(populate_existing=True)).all()
    return {s.id: ({} if s.is_erased else json.loads(s.profile_json or "{}")) for s in rows}


def nationality(code: str | None, language: str) -> str:
    if not code or code == "unknown":
        return "—"
    if code == "stateless":
        return _("Stateless")
    if code == "KG":
        return _("Kyrgyz citizen")
    return names.country_name(code, language)


def payload_words(referral: Referral, language: str) -> dict[str, str]:
    """The same words from what the referral told its recipient (its sealed payload), no more."""
    payload = json.loads(referral.payload_json or "{}") if referral.sent_at else {}
    age = payload.get("age")
    known = isinstance(age, int)
    profile = {"sex": payload.get("sex"), "citizenship": payload.get("citizenship"),
               "age_band": _band(age) if known else None, "minor": known and age < 18}
    words = person_words(profile, language)
    if not known:
        words["age"] = "—"
    return words


def _band(age: int) -> str:
    from nrm.services.screening import AGE_BANDS

    return next((label for low, high, label in AGE_BANDS if low <= age <= high), "unknown")


def next_due(referral: Referral) -> datetime | None:
    """The time the referral's next step is due: acknowledgement, then acceptance."""
    if referral.state == "sent":
        return referral.acknowledge_due
    if referral.state == "acknowledged":
        return referral.accept_due
    return None


def due_order():
    """SQL: the next due time of a referral (for ordering: overdue first, then soonest)."""
    return db.case((Referral.state == "sent", Referral.acknowledge_due),
                   (Referral.state == "acknowledged", Referral.accept_due), else_=None)


def organisation_names(ids, language: str) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {o.id: o.name_in(language) for o in db.session.scalars(
        db.select(Organisation).where(Organisation.id.in_(ids)))}
