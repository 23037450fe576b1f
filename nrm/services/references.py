"""A record named in words: a case by its reference (NRM-2026-1A2B3C4D), a referral by its
reference and service, an account by its user name, an organisation by its name in the reader's
language, a statistics table by its dimensions and period — never a table name and an id. Used by
the audit trail and the notifications; ``objects_of`` finds every record of one case reference."""

import re

from flask_babel import lazy_gettext as _l

from nrm import labels
from nrm.extensions import db
from nrm.models import AccessNote, Case, Identification, Organisation, Referral, Screening, User

REFERENCE = re.compile(r"\s*(?:NRM-\d{4}-)?([0-9A-Fa-f]{8})\s*")


def objects_of(reference: str) -> list[str]:
    """Every record id that belongs to the case with this reference (NRM-2026-1A2B3C4D, or just its
    last eight characters): its screening, person, referrals, cases, identification, reasoned accesses."""
    found = REFERENCE.fullmatch(reference or "")
    if not found:
        return []
    prefix = found.group(1).lower()
    screenings = db.session.execute(db.select(Screening.id, Screening.person_id).where(
        Screening.id.like(f"{prefix}%"))).all()
    if not screenings:
        return []
    screening_ids = [row.id for row in screenings]
    person_ids = [row.person_id for row in screenings]
    referral_ids = db.session.scalars(db.select(Referral.id).where(
        Referral.screening_id.in_(screening_ids))).all()
    ids = [*screening_ids, *person_ids, *referral_ids]
    ids += db.session.scalars(db.select(Case.id).where(Case.referral_id.in_(referral_ids))).all()
    ids += db.session.scalars(db.select(Identification.id).where(
        Identification.screening_id.in_(screening_ids))).all()
    ids += db.session.scalars(db.select(AccessNote.id).where(AccessNote.person_id.in_(person_ids))).all()
    return [str(i) for i in ids]


def describe(pairs, language: str) -> dict[tuple[str, str], str]:
    """{(object type, id): words} for the records named by ``pairs`` (a few queries for a whole page)."""
    from nrm.services.referrals import reference_of

    wanted: dict[str, set] = {}
    for kind, identifier in pairs:
        wanted.setdefault(kind, set()).add(str(identifier))

    def screenings_where(*conditions):
        return db.session.scalars(db.select(Screening).where(*conditions)).all()

    found: dict[tuple[str, str], str] = {}
    if ids := wanted.get("screening"):
        found.update({("screening", s.id): reference_of(s) for s in screenings_where(Screening.id.in_(ids))})
    if ids := wanted.get("identification"):
        for record in db.session.scalars(db.select(Identification).where(Identification.id.in_(ids))):
            found["identification", record.id] = reference_of(record.screening)
    if ids := wanted.get("referral"):
        for referral in db.session.scalars(db.select(Referral).where(Referral.id.in_(ids))):
            service = labels.SERVICE_LABELS.get(referral.service, referral.service)
            found["referral", referral.id] = f"{reference_of(referral.screening)} · {service}"
    if ids := wanted.get("case"):
        for case in db.session.scalars(db.select(Case).where(Case.id.in_(ids))):
            found["case", case.id] = reference_of(case.referral.screening)
    people = set(wanted.get("person", ()))
    notes = {}
    if ids := wanted.get("access_note"):
        notes = dict(db.session.execute(db.select(AccessNote.id, AccessNote.person_id).where(
            AccessNote.id.in_(ids))).all())
        people |= set(notes.values())
    if people:
        by_person = {s.person_id: reference_of(s) for s in screenings_where(Screening.person_id.in_(people))}
        found.update({("person", p): by_person[p] for p in people if p in by_person})
        found.update({("access_note", n): by_person[p] for n, p in notes.items() if p in by_person})
    if ids := wanted.get("user"):
        numbers = [int(i) for i in ids if str(i).isdigit()]
        rows = db.session.execute(db.select(User.id, User.username).where(User.id.in_(numbers)))
        for user_id, username in rows:
            found["user", str(user_id)] = username
    if ids := wanted.get("organisation"):
        numbers = [int(i) for i in ids if str(i).isdigit()]
        for org in db.session.scalars(db.select(Organisation).where(Organisation.id.in_(numbers))):
            found["organisation", str(org.id)] = org.name_in(language)
    if ids := wanted.get("transfer"):
        from nrm.models.exchange import Transfer
        from nrm.services import exchange

        for transfer in db.session.scalars(db.select(Transfer).where(Transfer.id.in_(ids))):
            reference = (exchange.summary(transfer).get("reference")
                         or transfer.exchange_id.rsplit(":", 1)[-1][:8])
            found["transfer", transfer.id] = f"{transfer.partner.name_in(language)} · {reference}"
    if ids := wanted.get("statistics"):
        found.update({("statistics", i): _statistics_table(i) for i in ids})
    return found


def _statistics_table(object_id: str) -> str:
    """ "region x sex:2024" (a table, its period) in words."""
    spec = object_id.removeprefix("cli:")
    if spec == "summary":
        return str(_l("summary"))
    if spec.startswith("htcds:"):
        return str(_l("HTCDS data set"))
    if spec.startswith(("ctdc:", "public:")):
        return str(_l("row-level data set")) + f" ({spec.split(':')[0]})"
    if spec.startswith("agreement:"):
        return spec.split(":", 1)[1]
    dimensions, _sep, period = spec.partition(":")
    known = labels.STAT_DIMENSION_LABELS
    splits = [(dimensions[:i], dimensions[i + 1:]) for i, ch in enumerate(dimensions) if ch == "x"]
    rows, cols = next(((r, c) for r, c in splits if r in known and (c in known or c == "-")),
                      (dimensions, "-"))
    named = [str(known.get(d, d)) for d in (rows, cols) if d and d != "-"]
    when = (str(_l("by year")) if period in ("trend", "None", "") else
            str(_l("all years")) if period == "all" else period)
    return f"{' × '.join(named)}, {when}"
