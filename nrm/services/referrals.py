"""Referrals: from a submitted screening's facts to proposals (the routing engine), the officer's
review and sending, every later transition (the core state machine), the minimised payload each
recipient sees, re-routing of declined referrals, and the identification record the coordinator
decides on. Views call these; these call the pure core.
"""

import json
from datetime import date, timedelta

from flask import current_app

from nrm.clock import now, today
from nrm.core import lifecycle
from nrm.core import routing as rt
from nrm.core import screening as sc
from nrm.core.assessment import POSSIBLE, PRESUMED
from nrm.extensions import db, savepoint
from nrm.models import Escalation, Identification, Organisation, Referral, Screening, User
from nrm.security import audit
from nrm.services import directory, notifications
from nrm.services import screening as screenings

DOCUMENT_NEEDS = ("documents", "return_or_reintegration")


def routing() -> rt.Routing:
    return current_app.extensions["nrm_catalogue"].routing


def clocks() -> dict:
    return current_app.config["CLOCKS"]


def due(start, clock: str):
    """A clock's due time, counted where people live (nrm.services.calendar)."""
    from nrm.services import calendar

    return calendar.due(start, clock)


def reference_of(screening: Screening) -> str:
    """The case reference printed on letters: random, not derived from anything personal; the year is
    the local (Bishkek) year of the screening."""
    from nrm.clock import local

    return f"NRM-{local(screening.submitted_at or screening.started_at).year}-{screening.id[:8].upper()}"


def with_references(*path):
    """Loader option for a list that prints each row's reference: ``path`` is the chain of
    relationships from the listed rows to their screening (e.g. ``Case.referral, Referral.screening``).
    The screenings' id and dates come in one extra query for the whole list, not one per row."""
    from sqlalchemy.orm import selectinload

    loader = selectinload(path[0])
    for relationship in path[1:]:
        loader = loader.selectinload(relationship)
    return loader.load_only(Screening.id, Screening.submitted_at, Screening.started_at,
                            Screening.organisation_id)


def waiting_counts(screening_ids) -> dict[str, dict[str, int]]:
    """For each screening: how many of its referrals still wait on the officer (to send) or on the
    coordinator (held) — for the officer's list."""
    if not screening_ids:
        return {}
    rows = db.session.execute(db.select(Referral.screening_id, Referral.hold).where(
        Referral.screening_id.in_(list(screening_ids)), Referral.state == "proposed")).all()
    found: dict[str, dict[str, int]] = {}
    for screening_id, hold in rows:
        counts = found.setdefault(screening_id, {"to_send": 0, "held": 0})
        counts["held" if hold else "to_send"] += 1
    return found


def values_of(screening: Screening) -> tuple[dict, dict]:
    """(mapped values, all current answers) of a screening, from its own catalogue version."""
    _criteria, script = screenings.catalogue_of(screening)
    current = sc.effective_answers(script, screenings.answers(screening))
    return sc.mapped(script, current), current


def facts_of(screening: Screening) -> rt.Facts:
    values, _answers = values_of(screening)
    person = screening.person
    identity = None
    if not person.is_erased:
        identity = bool(person.document_number) or bool(person.given_name and person.family_name)
    return facts_from(values, screening.officer_result or screening.result, identity)


def facts_from(values: dict, result: str, identity_established: bool | None) -> rt.Facts:
    """The routing engine's facts from a screening's mapped values."""
    status = values.get("citizenship_status")
    citizenship = {"kyrgyz": "KG", "stateless": "stateless"}.get(status)
    if status == "foreign":
        citizenship = values.get("citizenship_country")
    consent = {
        scope
        for scope, key in (("services", "consent_services"), ("consular", "consent_consular"))
        if values.get(key) == "yes"
    }
    age = values.get("age")
    return rt.Facts(
        result=result,
        age=age if isinstance(age, int) else None,
        age_uncertain=values.get("age_uncertain") == "yes",
        citizenship=citizenship,
        stay_region=values.get("stay_region"),
        found_abroad_country=values.get("found_abroad_country"),
        needs=frozenset(values.get("needs") or ()),
        asylum_wish=values.get("asylum_wish") == "yes",
        fear_of_return=values.get("fear_of_return") == "yes",
        consent=frozenset(consent),
        suspect=values.get("suspect_of_offence") == "yes",
        identity_established=identity_established,
        sex=values.get("sex"),
    )


def region_of(facts: rt.Facts) -> str | None:
    """The region of stay that the coordinators' queue is worked by (ISO 3166-2:KG), or None."""
    from nrm.core.reference import REGIONS

    return facts.stay_region if facts.stay_region in REGIONS else None


def proposal_columns(proposal: rt.Proposal, facts: rt.Facts, orgs: dict, screening, actor_id, at) -> dict:
    """The plain columns of a proposed referral (``orgs``: directory organisations by code)."""
    return {
        "screening_id": screening.id,
        "service": proposal.service,
        "organisation_id": orgs[proposal.organisation.code].id if proposal.organisation else None,
        "rule": "+".join(proposal.rules),
        "basis_source": "; ".join(b.source for b in proposal.basis)[:400],
        "mandatory": proposal.mandatory,
        "consent_gate": proposal.consent,
        "hold": proposal.hold,
        "state": "proposed",
        "urgent": facts.urgent,
        "non_punishment": proposal.non_punishment,
        "legal_aid_categories": ",".join(map(str, proposal.categories)) or None,
        "routing_note": proposal.note,
        "deadline_hours": proposal.deadline_hours,
        "clock": _clock_name(proposal),
        "created_at": at,
        "created_by_id": actor_id,
        "region": region_of(facts),
    }


def propose(actor, screening: Screening) -> list[Referral]:
    """Create the routing engine's proposals for a submitted screening (once)."""
    existing = list(db.session.scalars(db.select(Referral).where(Referral.screening_id == screening.id)))
    if existing:
        return existing
    facts = facts_of(screening)
    if facts.result not in (PRESUMED, POSSIBLE):
        return []
    orgs = {
        o.code: o
        for o in db.session.scalars(db.select(Organisation).where(Organisation.in_directory.is_(True)))
    }
    proposals = rt.route(routing(), facts, directory.entries(orgs.values()), clocks())
    created = []
    for proposal in proposals:
        referral = Referral(
            person=screening.person,
            data_key=screening.data_key,
            **proposal_columns(proposal, facts, orgs, screening, actor.id, now()),
        )
        db.session.add(referral)
        created.append(referral)
    db.session.flush()
    for referral in created:
        audit.record("referral.propose", object_type="referral", object_id=referral.id, actor=actor)
    if facts.result == PRESUMED:
        open_identification(actor, screening)
    return created


def _clock_name(proposal: rt.Proposal) -> str:
    rule = next(r for r in routing().rules if r.rule == proposal.rules[0] and r.service == proposal.service)
    if rule.urgent_clock and proposal.deadline_hours == clocks().get(rule.urgent_clock):
        return rule.urgent_clock
    return rule.clock


def of_screening(screening: Screening) -> list[Referral]:
    return list(
        db.session.scalars(
            db.select(Referral)
            .where(Referral.screening_id == screening.id)
            .order_by(Referral.created_at, Referral.id)
        )
    )


def rules_by_service() -> dict:
    return {r.service: r for r in routing().rules}


def basis_texts(referral: Referral) -> list:
    """The legal basis of each rule that proposed the referral (for the screen and the letter)."""
    numbers = referral.rule.split("+")
    return [r for r in routing().rules if r.rule in numbers and r.service == referral.service]


def _transition(referral: Referral, event: str, reason: str | None = None) -> None:
    referral.state = lifecycle.referral(
        lifecycle.ReferralState(referral.state, referral.mandatory, referral.hold), event, reason
    )


def require_recipient(organisation: Organisation | None, service: str) -> None:
    """A referral goes only to an organisation that is active, in the directory, taking referrals
    and receiving this service: checked here, whatever form or URL named it."""
    if organisation is None or service not in rt.SERVICE_TYPES or service not in organisation.service_list():
        raise lifecycle.IllegalTransition("service_not_offered")
    if not organisation.receives_referrals(today()):
        raise lifecycle.IllegalTransition("not_receiving")


def add(actor, screening: Screening, service: str, organisation: Organisation, reason_text: str) -> Referral:
    """An optional referral the officer adds by hand, with a reason."""
    require_recipient(organisation, service)
    if not (reason_text or "").strip():
        raise lifecycle.IllegalTransition("reason_required")
    facts = facts_of(screening)
    hold = "awaiting_consent" if not facts.child and "services" not in facts.consent else None
    referral = Referral(
        person=screening.person,
        data_key=screening.data_key,
        screening_id=screening.id,
        service=service,
        organisation_id=organisation.id,
        rule="added",
        basis_source="officer",
        mandatory=False,
        consent_gate="services",
        hold=hold,
        state="proposed",
        urgent=facts.urgent,
        deadline_hours=clocks()["acknowledgement_hours"],
        clock="acknowledgement_hours",
        created_at=now(),
        created_by_id=actor.id,
        region=region_of(facts),
    )
    referral.reason_text = reason_text.strip()
    db.session.add(referral)
    db.session.flush()
    audit.record("referral.add", object_type="referral", object_id=referral.id, actor=actor)
    return referral


def remove(actor, referral: Referral, reason_code: str, reason_text: str | None) -> None:
    _transition(referral, "remove", reason_code)
    referral.reason_code, referral.closed_at = reason_code, now()
    referral.reason_text = (reason_text or "").strip() or None
    audit.record("referral.remove", object_type="referral", object_id=referral.id, actor=actor)


def record_consent(actor, referral: Referral) -> None:
    """The officer records that the person has now consented: the consent hold is lifted."""
    if referral.hold != "awaiting_consent":
        raise lifecycle.IllegalTransition("not_allowed_in_state")
    referral.hold = None
    audit.record("referral.consent", object_type="referral", object_id=referral.id, actor=actor)


def release_hold(actor, referral: Referral, note: str) -> None:
    """The coordinator lifts a hold (safety check reviewed, person returned, organisation found)."""
    if not referral.hold or referral.state != "proposed":
        raise lifecycle.IllegalTransition("not_allowed_in_state")
    if not (note or "").strip():
        raise lifecycle.IllegalTransition("reason_required")
    if referral.hold == "no_organisation" and referral.organisation_id is None:
        raise lifecycle.IllegalTransition("organisation_required")
    referral.hold, referral.hold_released_at, referral.hold_released_by_id = None, now(), actor.id
    referral.hold_note = note.strip()
    audit.record("referral.release_hold", object_type="referral", object_id=referral.id, actor=actor)


def keep_hold(actor, referral: Referral, review_on: date, note: str) -> None:
    """The coordinator keeps a held referral held (the safety check stands) until ``review_on``."""
    if not referral.hold or referral.state != "proposed":
        raise lifecycle.IllegalTransition("not_allowed_in_state")
    if not (note or "").strip():
        raise lifecycle.IllegalTransition("reason_required")
    if review_on is None or review_on < today():
        raise lifecycle.IllegalTransition("review_date_required")
    referral.hold_review_on = review_on
    referral.hold_note = note.strip()
    audit.record("referral.hold_kept", object_type="referral", object_id=referral.id, actor=actor)


def withdraw_held(actor, referral: Referral, reason_code: str, note: str) -> None:
    """The coordinator withdraws a held proposal: it is never sent (non-refoulement, or the person's
    wish). Allowed for a mandatory referral too; the reason and the coordinator's words are kept."""
    if not (note or "").strip():
        raise lifecycle.IllegalTransition("reason_required")
    _transition(referral, "withdraw", reason_code)
    referral.reason_code, referral.closed_at = reason_code, now()
    referral.reason_text = note.strip()
    audit.record("referral.withdraw", object_type="referral", object_id=referral.id, actor=actor)
    resolve_escalations("referral", referral.id, actor)


IDENTITY_SERVICES = ("consular_mission", "kyrgyz_mission_abroad")


def identity_gaps(referral: Referral) -> list[str]:
    """What a diplomatic mission needs to know the person and is missing: name, birth date, document."""
    if referral.service not in IDENTITY_SERVICES:
        return []
    person = referral.person
    gaps = []
    if not (person.given_name or person.family_name):
        gaps.append("name")
    if not person.birth_date:
        gaps.append("birth_date")
    if not person.document_number:
        gaps.append("document")
    return gaps


def record_identity_gap(actor, referral: Referral, reason_code: str, note: str | None) -> None:
    """The officer confirms why a mission referral goes without a full identity (recorded, sealed)."""
    if referral.state != "proposed" or not identity_gaps(referral):
        raise lifecycle.IllegalTransition("not_allowed_in_state")
    if reason_code not in lifecycle.IDENTITY_GAP_REASONS:
        raise lifecycle.IllegalTransition("reason_required")
    if reason_code == "other" and not (note or "").strip():
        raise lifecycle.IllegalTransition("reason_required")
    referral.identity_reason = reason_code
    referral.identity_note = (note or "").strip() or None
    audit.record("referral.identity_missing", object_type="referral", object_id=referral.id, actor=actor)


def send(actor, referral: Referral) -> None:
    if referral.organisation_id is None:
        raise lifecycle.IllegalTransition("organisation_required")
    require_recipient(referral.organisation, referral.service)
    if identity_gaps(referral) and not referral.identity_reason:
        raise lifecycle.IllegalTransition("identity_incomplete")
    _transition(referral, "send")
    at = now()
    referral.sent_at, referral.sent_by_id = at, actor.id
    referral.acknowledge_due = due(at, referral.clock or "acknowledgement_hours")
    referral.accept_due = due(at, "acceptance_hours")
    referral.payload_json = json.dumps(build_payload(referral), ensure_ascii=False)
    audit.record("referral.send", object_type="referral", object_id=referral.id, actor=actor)
    notifications.notify_organisation(referral.organisation_id, "referral_received", "referral", referral.id)


def send_all(actor, screening: Screening) -> tuple[int, int, int]:
    """Send every proposal that is ready; return (sent, still held, waiting for the identity a
    diplomatic mission needs or the officer's recorded reason why it cannot be given)."""
    sent = held = incomplete = 0
    for referral in of_screening(screening):
        if referral.state != "proposed":
            continue
        if referral.hold or referral.organisation_id is None:
            held += 1
            continue
        if identity_gaps(referral) and not referral.identity_reason:
            incomplete += 1
            continue
        if not referral.organisation.receives(referral.service, today()):
            # the organisation stopped taking referrals since the proposal: the coordinator places it
            referral.hold = "no_organisation"
            audit.record("referral.hold", object_type="referral", object_id=referral.id, actor=actor)
            held += 1
            continue
        send(actor, referral)
        sent += 1
    return sent, held, incomplete


def acknowledge(actor, referral: Referral) -> None:
    _transition(referral, "acknowledge")
    referral.acknowledged_at = now()
    audit.record("referral.acknowledge", object_type="referral", object_id=referral.id, actor=actor)


def accept(actor, referral: Referral):
    """Accept; a receiving service's own acceptance opens its case."""
    from nrm.services import cases

    _transition(referral, "accept")
    at = now()
    referral.acknowledged_at = referral.acknowledged_at or at
    referral.decided_at, referral.decided_by_id = at, actor.id
    audit.record("referral.accept", object_type="referral", object_id=referral.id, actor=actor)
    resolve_escalations("referral", referral.id, actor)
    if actor.role == "case_worker":
        return cases.open_case(actor, referral)
    return None


def decline(actor, referral: Referral, reason_code: str, reason_text: str | None) -> None:
    """Decline with a reason; the referral returns to the coordinators' queue for re-routing."""
    _transition(referral, "decline", reason_code)
    at = now()
    referral.acknowledged_at = referral.acknowledged_at or at
    referral.decided_at, referral.decided_by_id, referral.reason_code = at, actor.id, reason_code
    referral.reason_text = (reason_text or "").strip() or None
    audit.record("referral.decline", object_type="referral", object_id=referral.id, actor=actor)
    resolve_escalations("referral", referral.id, actor)
    escalate("declined", "referral", referral.id)


def complete(actor, referral: Referral) -> None:
    _transition(referral, "complete")
    referral.completed_at = now()
    audit.record("referral.complete", object_type="referral", object_id=referral.id, actor=actor)


def withdraw(actor, referral: Referral, reason_code: str, reason_text: str | None) -> None:
    _transition(referral, "withdraw", reason_code)
    referral.reason_code, referral.closed_at = reason_code, now()
    referral.reason_text = (reason_text or "").strip() or None
    audit.record("referral.withdraw", object_type="referral", object_id=referral.id, actor=actor)
    resolve_escalations("referral", referral.id, actor)


def reroute(actor, referral: Referral, organisation: Organisation, note: str) -> Referral:
    """Send a declined referral's service to another organisation, as a new referral."""
    if referral.state != "declined":
        raise lifecycle.IllegalTransition("not_allowed_in_state")
    if organisation.id == referral.organisation_id:
        raise lifecycle.IllegalTransition("service_not_offered")
    require_recipient(organisation, referral.service)
    if not (note or "").strip():
        raise lifecycle.IllegalTransition("reason_required")
    again = resend_to(actor, referral, organisation)
    again.hold_note = note.strip()
    audit.record("referral.reroute", object_type="referral", object_id=again.id, actor=actor)
    send(actor, again)
    resolve_escalations("referral", referral.id, actor)
    return again


def resend_to(actor, referral: Referral, organisation: Organisation) -> Referral:
    """A new proposed referral for the same service and person to another organisation (re-routing
    a declined referral, transferring a case), linked to the one it replaces. Not sent yet."""
    again = Referral(
        person=referral.person,
        data_key=referral.data_key,
        screening_id=referral.screening_id,
        service=referral.service,
        organisation_id=organisation.id,
        rule=referral.rule,
        basis_source=referral.basis_source,
        mandatory=referral.mandatory,
        consent_gate=referral.consent_gate,
        hold=None,
        state="proposed",
        urgent=referral.urgent,
        non_punishment=referral.non_punishment,
        legal_aid_categories=referral.legal_aid_categories,
        deadline_hours=referral.deadline_hours,
        clock=referral.clock,
        rerouted_from_id=referral.id,
        created_at=now(),
        created_by_id=actor.id,
        region=referral.region,
    )
    db.session.add(again)
    db.session.flush()
    return again


def assign(actor, referral: Referral, organisation: Organisation) -> None:
    """The coordinator chooses the organisation of a proposal the directory could not place."""
    if referral.state != "proposed":
        raise lifecycle.IllegalTransition("not_allowed_in_state")
    require_recipient(organisation, referral.service)
    referral.organisation_id = organisation.id
    if referral.hold == "no_organisation":
        referral.hold = None
    audit.record("referral.assign", object_type="referral", object_id=referral.id, actor=actor)


# ------------------------------------------------------------------ the minimised payload


def build_payload(referral: Referral) -> dict:
    """Exactly the fields routing.yaml allows this service type to see (DOMAIN.md §5)."""
    screening = db.session.get(Screening, referral.screening_id)
    values, current = values_of(screening)
    return payload_from(referral, values, current, referral.person, reference_of(screening),
                        facts_of(screening).citizenship)


def payload_from(referral, values: dict, current: dict, person, reference: str, citizenship) -> dict:
    """The minimised payload of ``referral`` from the screening's values and the person's identity."""
    needs = list(values.get("needs") or [])
    available = {
        "reference": reference,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "patronymic": person.patronymic,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "age": values.get("age") if values.get("age_uncertain") != "yes" else None,
        "sex": values.get("sex"),
        "citizenship": citizenship,
        "document_number": person.document_number,
        "document_country": person.document_country,
        "document_needs": [n for n in needs if n in DOCUMENT_NEEDS],
        "native_language": values.get("native_language"),
        "languages_spoken": values.get("languages_spoken"),
        "interpreter_needed": values.get("interpreter_needed"),
        "needs": needs,
        "medical_needs": "medical" in needs,
        "urgent": referral.urgent,
        "stay_region": values.get("stay_region"),
        "found_abroad_country": values.get("found_abroad_country"),
        "contact": person.contact,
        "legal_aid_categories": [int(c) for c in (referral.legal_aid_categories or "").split(",") if c],
        "child_views": current.get("child_views"),
        "asylum_wish": values.get("asylum_wish"),
        "exploitation_types": values.get("exploitation_types"),
        "exploitation_country": values.get("exploitation_country"),
        "non_punishment": referral.non_punishment,
    }
    allowed = routing().payloads.get(referral.service, ("reference",))
    return {name: available.get(name) for name in allowed}


def payload(referral: Referral) -> dict:
    """What the recipient sees: the payload sealed at sending (or, before sending, a preview)."""
    if referral.payload_json:
        return json.loads(referral.payload_json)
    return build_payload(referral)


# ------------------------------------------------------------------ identification decision


def open_identification(actor, screening: Screening) -> Identification:
    existing = db.session.scalar(db.select(Identification).where(Identification.screening_id == screening.id))
    if existing:
        return existing
    at = now()
    record = Identification(
        person=screening.person,
        data_key=screening.data_key,
        screening_id=screening.id,
        status=lifecycle.POSSIBLE_VICTIM,
        created_at=at,
        # the decision clock starts when the person was met (a paper screening: the interview's date)
        due_at=due(min(at, screening.detected_at), "identification_decision_working_days"),
    )
    db.session.add(record)
    db.session.flush()
    audit.record("identification.open", object_type="identification", object_id=record.id, actor=actor)
    notifications.notify_role("coordinator", "identification_pending", "identification", record.id)
    return record


def decide_identification(actor, record: Identification, decision: str, reasons: str) -> None:
    record.status = lifecycle.identification(record.status, decision, reasons)
    record.decided_at, record.decided_by_id = now(), actor.id
    record.reasons = reasons.strip()
    audit.record("identification.decide", object_type="identification", object_id=record.id, actor=actor)
    resolve_escalations("identification", record.id, actor)


# ------------------------------------------------------------------ escalations


def escalate(kind: str, subject_type: str, subject_id: str) -> bool:
    """Raise an escalation once: a second call (another scheduler, a retry) changes nothing."""
    from sqlalchemy.exc import IntegrityError

    exists = db.session.scalar(
        db.select(Escalation.id).where(
            Escalation.kind == kind,
            Escalation.subject_type == subject_type,
            Escalation.subject_id == subject_id,
        )
    )
    if exists:
        return False
    try:
        with savepoint():
            db.session.add(
                Escalation(kind=kind, subject_type=subject_type, subject_id=subject_id, created_at=now())
            )
    except IntegrityError:
        return False  # another process raised it between our check and our insert
    audit.record(f"escalation.{kind}", object_type=subject_type, object_id=subject_id)
    notifications.notify_role("coordinator", kind, subject_type, subject_id)
    return True


def resolve_escalations(subject_type: str, subject_id: str, actor) -> None:
    for escalation in db.session.scalars(
        db.select(Escalation).where(
            Escalation.subject_type == subject_type,
            Escalation.subject_id == subject_id,
            Escalation.resolved_at.is_(None),
        )
    ):
        escalation.resolved_at, escalation.resolved_by_id = now(), actor.id


def overdue_query(at):
    """Sent or acknowledged referrals whose acknowledgement or acceptance clock has run out."""
    return db.select(Referral).where(
        db.or_(
            db.and_(Referral.state == "sent", Referral.acknowledge_due <= at),
            db.and_(Referral.state.in_(("sent", "acknowledged")), Referral.accept_due <= at),
        )
    )


def recipients_of(organisation_id: int) -> list[User]:
    return list(
        db.session.scalars(
            db.select(User).where(
                User.organisation_id == organisation_id, User.role == "case_worker", User.active.is_(True)
            )
        )
    )


def since(at, hours: int):
    return at - timedelta(hours=hours)
