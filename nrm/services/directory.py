"""The directory of services: seeded from ``sops/directory.yaml``, kept by coordinators in the UI,
and handed to the routing engine as plain ``nrm.core.routing.Organisation`` values.

Seeding adds the organisations the database does not have yet and marks existing ones (by code)
as directory entries, filling only fields that are empty: what a coordinator changed in the UI
(the crisis-centre region split, capacity, contacts) is never overwritten by a later seed.
"""

import json

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func

from nrm.clock import now, today
from nrm.core import routing as rt
from nrm.errors import ValidationFailed
from nrm.extensions import db
from nrm.models import Case, Organisation
from nrm.security import audit

# What a coordinator keeps up to date. Intake (accepts_referrals, with a reason and an optional end
# date) is not access: disabling an organisation, which ends its staff's sessions, is an
# administrator's act (nrm.services.accounts.set_organisation_active).
EDITABLE = ("serves_regions", "services", "accepts_sex", "min_age", "max_age", "capacity", "address",
            "phone", "email", "accepts_referrals", "intake_paused_reason", "intake_paused_until")


def seed(entries=None) -> tuple[int, int]:
    """Apply the directory seed; return (added, updated)."""
    entries = entries if entries is not None else current_app.extensions["nrm_catalogue"].directory
    existing = {o.code: o for o in db.session.scalars(db.select(Organisation))}
    added = updated = 0
    for entry in entries:
        org = existing.get(entry["code"])
        if org is None:
            org = Organisation(code=entry["code"], name=entry["name"]["en"], kind=entry["kind"],
                               region=entry["region"], created_at=now())
            db.session.add(org)
            added += 1
        elif org.in_directory:
            continue
        else:
            updated += 1
        org.in_directory = True
        org.names = org.names or json.dumps(entry["name"], ensure_ascii=False)
        org.services = org.services or ",".join(entry["services"])
        org.serves_regions = org.serves_regions or ",".join(entry["serves_regions"])
        org.accepts_sex = org.accepts_sex or (",".join(entry["accepts_sex"]) or None)
        org.min_age = org.min_age if org.min_age is not None else entry["min_age"]
        org.max_age = org.max_age if org.max_age is not None else entry["max_age"]
        org.country = org.country or entry["country"]
        org.city = org.city or (json.dumps(entry["city"], ensure_ascii=False) if entry["city"] else None)
        org.post = org.post or entry["post"]
        org.resident = org.resident if org.resident is not None else entry["resident"]
        org.source = org.source or entry["source"]
        org.region = org.region or entry["region"]
    db.session.flush()
    if added or updated:
        audit.record("directory.seed", object_type="directory", object_id=f"{added}+{updated}")
    return added, updated


def occupancy() -> dict[int, int]:
    """Open cases per organisation (for the capacity check of the routing engine)."""
    rows = db.session.execute(db.select(Case.organisation_id, func.count()).where(
        Case.status == "Active").group_by(Case.organisation_id))
    return dict(rows.all())


def entries(organisations=None) -> list[rt.Organisation]:
    """The directory as the routing engine sees it, in a stable order."""
    if organisations is None:
        organisations = db.session.scalars(db.select(Organisation).where(
            Organisation.in_directory.is_(True)).order_by(Organisation.id))
    taken = occupancy()
    return [as_entry(org, taken.get(org.id, 0)) for org in organisations]


def as_entry(org: Organisation, occupied: int = 0) -> rt.Organisation:
    return rt.Organisation(
        code=org.code, kind=org.kind, name=json.loads(org.names) if org.names else {"en": org.name},
        services=tuple(org.service_list()), region=org.region, serves_regions=tuple(org.region_list()),
        country=org.country, accepts_sex=tuple(s for s in (org.accepts_sex or "").split(",") if s),
        min_age=org.min_age, max_age=org.max_age, capacity=org.capacity, occupied=occupied,
        post=org.post, resident=org.resident, active=org.receives_referrals(today()))


def by_code(code: str) -> Organisation | None:
    return db.session.scalar(db.select(Organisation).where(Organisation.code == code))


def update(actor, org: Organisation, **fields) -> None:
    """A coordinator's change to a directory entry (region split, capacity, profile, contacts,
    intake). Pausing intake needs a reason and is its own audit event; resuming clears the pause."""
    was_accepting = org.accepts_referrals
    for name, value in fields.items():
        if name not in EDITABLE:
            raise ValueError(f"not an editable directory field: {name}")
        if name in ("serves_regions", "services", "accepts_sex") and isinstance(value, (list, tuple)):
            value = ",".join(value) or None
        setattr(org, name, value)
    if org.accepts_referrals:
        org.intake_paused_reason = org.intake_paused_until = None
    elif not (org.intake_paused_reason or "").strip():
        raise ValidationFailed(_("Say why this organisation is not taking referrals."),
                               field="intake_paused_reason")
    org.updated_at = now()
    audit.record("directory.update", object_type="organisation", object_id=str(org.id), actor=actor)
    if was_accepting != org.accepts_referrals:
        audit.record("directory.intake_resumed" if org.accepts_referrals else "directory.intake_paused",
                     object_type="organisation", object_id=str(org.id), actor=actor)


def entries_or_seed() -> list[rt.Organisation]:
    """The directory from the database, or from sops/directory.yaml before `init` has run."""
    found = entries()
    if found:
        return found
    return [rt.Organisation(
        code=e["code"], kind=e["kind"], name=e["name"], services=tuple(e["services"]), region=e["region"],
        serves_regions=tuple(e["serves_regions"]), country=e["country"], accepts_sex=tuple(e["accepts_sex"]),
        min_age=e["min_age"], max_age=e["max_age"], post=e["post"], resident=e["resident"])
        for e in current_app.extensions["nrm_catalogue"].directory]
