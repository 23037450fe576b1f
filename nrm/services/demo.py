"""The demonstration data set: fictitious people taken through the real service layer.

Each person of ``nrm.core.demo`` is screened by a demo officer of their agency with the agency's
real script (answers sealed, assessment by the real engine), routed by the real routing engine,
sent, answered by the receiving services (a crisis centre's demo case worker accepts and opens a
case; the coordinator records the other services' answers on their behalf), decided by the
coordinator and, for some, closed — each step at the person's own date, through the same
functions the views call, so every sealed field, audit event, clock and statistics row is the one
the product would write. Demo accounts are created disabled-for-sign-in (``demo-data-*``, random
passwords never shown): they exist only to be the actors of these records.
"""

from __future__ import annotations

import json
import random
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from flask import current_app

from nrm.core import demo as core
from nrm.core.reference import ROLE_ORGANISATION_KINDS
from nrm.extensions import db
from nrm.models import Identification, Organisation, Referral, User
from nrm.services import accounts, calendar, cases, people, referrals, screening

PREFIX = "demo-data"
NEEDS = ("medical", "psychological", "legal", "shelter", "documents", "family_contact",
         "return_or_reintegration")


@contextmanager
def _clock(app):
    """Drive the application's one clock (``nrm.clock.now``) through each person's dates."""
    previous = app.config.get("CLOCK")
    box = {}
    app.config["CLOCK"] = lambda: box.get("at") or (previous() if previous else datetime.now(UTC))
    try:
        yield box
    finally:
        app.config["CLOCK"] = previous


class Actors:
    """The demo accounts that act in the demo records, created on first use."""

    def __init__(self):
        self._users: dict[str, User] = {}

    def _user(self, username: str, role: str, organisation: Organisation) -> User:
        if username not in self._users:
            user = db.session.scalar(db.select(User).where(User.username == username))
            if user is None:
                user, _password = accounts.create_user(None, username=username, role=role,
                                                       organisation=organisation, is_demo=True)
                user.active = False      # an actor of demo records, never a sign-in
            self._users[username] = user
        return self._users[username]

    def officer(self, agency: str) -> User:
        code = f"{PREFIX}-{agency}".replace("_", "-")
        if code in self._users:
            return self._users[code]
        org = db.session.scalar(db.select(Organisation).where(Organisation.code == code))
        if org is None:
            org = accounts.create_organisation(None, code=code, name=_demo_names(agency), kind=agency,
                                               region="KG-GB", is_demo=True)
        return self._user(code, "screening_officer", org)

    def case_worker(self, organisation: Organisation) -> User:
        return self._user(f"{PREFIX}-cw-{organisation.code}", "case_worker", organisation)

    def coordinator(self) -> User:
        if f"{PREFIX}-coordinator" in self._users:
            return self._users[f"{PREFIX}-coordinator"]
        org = db.session.scalar(db.select(Organisation).where(Organisation.kind == "mlssm_central"))
        return self._user(f"{PREFIX}-coordinator", "coordinator", org)


def answers_for(script, p: core.Profile) -> dict:
    """The answers this person would give, in the script's own question ids."""
    rng = random.Random(p.number)  # noqa: S311 - fictitious data, reproducible on purpose
    by_key = {q.maps_to: q for q in script.questions() if q.maps_to}
    given: dict = {}

    def put(key, value):
        if key in by_key and value is not None:
            given[by_key[key].id] = value

    put("age", p.age)
    put("age_uncertain", "yes" if p.age_uncertain else "no")
    put("sex", p.sex)
    status = {"KG": "kyrgyz", "stateless": "stateless"}.get(p.citizenship, "foreign")
    put("citizenship_status", status)
    if status == "foreign":
        put("citizenship_country", p.citizenship)
    put("stay_region", p.stay_region)
    put("exploitation_types", list(p.exploitation_types))
    if p.exploitation_country != "unknown":
        put("exploitation_country", p.exploitation_country)
    put("fear_of_return", "yes" if p.fear_of_return else "no")
    put("asylum_wish", "no")
    put("needs", sorted(rng.sample(NEEDS, rng.randint(1, 4))))
    put("consent_services", "yes" if p.consent_services else "no")
    put("consent_consular", "yes")
    put("consent_statistics", "yes" if p.consent_statistics else "no")
    indicator_questions = sorted(q.id for q in script.questions()
                                 if q.type == "yes_no" and q.raises.get("yes")
                                 and not q.maps_to and not q.emergency)
    wanted = {"strong": 12, "weak": 1, "none": 0}[p.strength]
    for question_id in rng.sample(indicator_questions, min(wanted, len(indicator_questions))):
        given[question_id] = "yes"
    return given


def _one(actors: Actors, box: dict, p: core.Profile) -> None:
    officer = actors.officer(p.agency)
    script = screening.script_for(officer)
    box["at"] = p.when
    record = screening.start(officer, script, p.language if p.language in ("ky", "ru", "en") else "ru")
    people.update_identity(officer, record.person, given_name=p.given_name, family_name=p.family_name)
    record.answers_json = json.dumps(answers_for(script, p), ensure_ascii=False)
    box["at"] = p.when + timedelta(minutes=25)
    screening.submit(officer, record, True, None, None)
    proposed = referrals.propose(officer, record)
    if not proposed:
        return
    for referral in proposed:        # fictitious people carry no document: the officer says so
        if referrals.identity_gaps(referral):
            referrals.record_identity_gap(officer, referral, "no_documents", None)
    referrals.send_all(officer, record)
    coordinator = actors.coordinator()
    box["at"] = p.when + timedelta(hours=20)
    for referral in proposed:
        if referral.state != "sent" or p.outcome == "pending" and referral.service == "crisis_centre":
            continue
        org = referral.organisation
        receiver = actors.case_worker(org) if org.kind == "crisis_centre" else coordinator
        referrals.acknowledge(receiver, referral)
        if p.outcome == "declined" and referral.service == "crisis_centre":
            referrals.decline(receiver, referral, "no_capacity", None)
            continue
        case = referrals.accept(receiver, referral)
        if case is not None and p.closes:
            box["at"] = p.when + timedelta(days=45 + p.number % 120)
            cases.close(receiver, case, "goals_met", None, None)
            box["at"] = p.when + timedelta(hours=20)
    identification = db.session.scalar(
        db.select(Identification).where(Identification.screening_id == record.id))
    if identification is not None and p.decision != "pending":
        box["at"] = p.when + timedelta(days=9)
        referrals.decide_identification(coordinator, identification, p.decision, "Demonstration decision.")


def generate(n: int, seed: int, progress=None, batch: int = 100) -> dict:
    """Create ``n`` demo people through the service layer; commit every ``batch``."""
    app = current_app._get_current_object()
    if not any(db.session.scalars(db.select(Organisation.id).where(Organisation.kind == "crisis_centre"))):
        raise RuntimeError("the directory of services is empty: run `flask --app nrm init` first")
    actors = Actors()
    for agency in ROLE_ORGANISATION_KINDS["screening_officer"]:
        if agency in core.AGENCY_WEIGHTS:
            actors.officer(agency)
    actors.coordinator()
    db.session.commit()
    with _clock(app) as box:
        for done, p in enumerate(core.profiles(n, seed), start=1):
            _one(actors, box, p)
            if done % batch == 0 or done == n:
                db.session.commit()
                if progress:
                    progress(done, n)
    return {"people": n,
            "referrals": db.session.scalar(db.select(db.func.count(Referral.id)))}


# ------------------------------------------------------------------ the bulk path


def _row(record) -> dict:
    """A model instance's column values, for a multi-row INSERT."""
    from sqlalchemy import inspect

    mapper = inspect(type(record))
    row = {attr.key: getattr(record, attr.key) for attr in mapper.column_attrs}
    if "data_key_id" in row and getattr(record, "data_key", None) is not None:
        row["data_key_id"] = record.data_key.id      # the relationship is not flushed: set the key
    return row


class _Batch:
    """Rows of many people, written in one INSERT per table."""

    ORDER = ("DataKey", "Person", "Screening", "Referral", "Identification", "Case", "Escalation")

    def __init__(self):
        self.rows = {name: [] for name in self.ORDER}
        self.events: list[dict] = []
        self.screenings: list[str] = []

    def add(self, record):
        self.rows[type(record).__name__].append(_row(record))

    def event(self, action, at, actor, object_type, object_id):
        self.events.append({"action": action, "at": at, "actor": actor, "object_type": object_type,
                            "object_id": object_id})

    def write(self):
        from sqlalchemy import insert

        from nrm import models
        from nrm.security import audit
        from nrm.services import statistics

        for name in self.ORDER:
            if self.rows[name]:
                db.session.execute(insert(getattr(models, name)), self.rows[name])
        audit.record_many(sorted(self.events, key=lambda e: e["at"]))
        statistics.record_people(self.screenings)
        statistics.refresh([sid for sid, _profile, _result in self.screenings])


def _bulk_one(batch: _Batch, ctx: dict, actors: Actors, box: dict, p: core.Profile) -> None:
    """What ``_one`` does through the services, as rows: the same engines, vault and clocks."""
    from nrm.core import lifecycle
    from nrm.core import routing as rt
    from nrm.core import screening as sc
    from nrm.models import Case, Escalation, Person, Screening
    from nrm.models.keys import new_id
    from nrm.security import vault

    officer = actors.officer(p.agency)
    script = ctx["scripts"][p.agency]
    at = box["at"] = p.when
    data_key = vault.new_data_key("person")
    person = Person(id=new_id(), data_key=data_key, organisation_id=officer.organisation_id,
                    created_at=at, given_name=p.given_name, family_name=p.family_name)
    people._reindex(person)
    given = answers_for(script, p)
    submitted = at + timedelta(minutes=25)
    record = Screening(
        id=new_id(), data_key=data_key, person_id=person.id, organisation_id=officer.organisation_id,
        officer_id=officer.id, script_id=script.id, script_version_id=ctx["versions"][p.agency],
        criteria_version_id=ctx["criteria_version"], interview_language=p.language if p.language in
        ("ky", "ru", "en") else "ru", status="submitted", current_step=script.steps[-1].id, started_at=at,
        updated_at=submitted, submitted_at=submitted)
    record.answers_json = json.dumps(given, ensure_ascii=False)
    outcome, values = screening.assessment_of(ctx["criteria"], script, given)
    record.result = record.officer_result = outcome.result
    record.assessment_json = screening.assessment_document(outcome)
    coarse = screening.profile_of(values, outcome, officer.organisation.kind, submitted)
    record.profile_json = json.dumps(coarse)
    batch.add(data_key)
    batch.add(person)
    batch.screenings.append((record.id, coarse, record.officer_result))
    for action, when, object_type, object_id in (
            ("person.create", at, "person", person.id), ("screening.create", at, "screening", record.id),
            ("person.update", at, "person", person.id),
            ("screening.submit", submitted, "screening", record.id)):
        batch.event(action, when, officer, object_type, object_id)
    if outcome.result not in ("presumed_victim", "possible"):
        batch.add(record)
        return
    facts = referrals.facts_from(values, outcome.result, True)
    proposals = rt.route(ctx["routing"], facts, ctx["entries"], ctx["clocks"])
    current = sc.effective_answers(script, given)
    reference = referrals.reference_of(record)
    made = []
    for proposal in proposals:
        columns = referrals.proposal_columns(proposal, facts, ctx["orgs"], record, officer.id, submitted)
        referral = Referral(id=new_id(), data_key=data_key, person_id=person.id, **columns)
        batch.event("referral.propose", submitted, officer, "referral", referral.id)
        if not referral.hold and referral.organisation_id is not None:
            referral.state = "sent"
            referral.sent_at, referral.sent_by_id = submitted, officer.id
            referral.acknowledge_due = calendar.due(submitted, referral.clock or "acknowledgement_hours")
            referral.accept_due = calendar.due(submitted, "acceptance_hours")
            referral.payload_json = json.dumps(referrals.payload_from(
                referral, values, current, person, reference, facts.citizenship), ensure_ascii=False)
            batch.event("referral.send", submitted, officer, "referral", referral.id)
        made.append((proposal, referral))
    identification = None
    if outcome.result == "presumed_victim":
        identification = Identification(
            id=new_id(), data_key=data_key, person_id=person.id, screening_id=record.id,
            status=lifecycle.POSSIBLE_VICTIM, created_at=submitted,
            due_at=calendar.due(submitted, "identification_decision_working_days"))
        batch.event("identification.open", submitted, officer, "identification", identification.id)
    coordinator = actors.coordinator()
    answered = p.when + timedelta(hours=20)
    for _proposal, referral in made:
        if referral.state != "sent" or p.outcome == "pending" and referral.service == "crisis_centre":
            continue
        org = ctx["by_id"][referral.organisation_id]
        receiver = actors.case_worker(org) if org.kind == "crisis_centre" else coordinator
        referral.state, referral.acknowledged_at = "acknowledged", answered
        batch.event("referral.acknowledge", answered, receiver, "referral", referral.id)
        referral.decided_at, referral.decided_by_id = answered, receiver.id
        if p.outcome == "declined" and referral.service == "crisis_centre":
            referral.state, referral.reason_code = "declined", "no_capacity"
            batch.event("referral.decline", answered, receiver, "referral", referral.id)
            batch.add(Escalation(kind="declined", subject_type="referral", subject_id=referral.id,
                                 created_at=answered))
            batch.event("escalation.declined", answered, None, "referral", referral.id)
            continue
        referral.state = "accepted"
        batch.event("referral.accept", answered, receiver, "referral", referral.id)
        if receiver.role != "case_worker":
            continue
        case = Case(id=new_id(), data_key=data_key, person_id=person.id, referral_id=referral.id,
                    organisation_id=referral.organisation_id, status="Active", opened_at=answered,
                    opened_by_id=receiver.id,
                    reflection_ends_at=calendar.due(submitted, "reflection_period_days"),
                    next_review_at=calendar.due(answered, "case_review_days"))
        case.intake_json = json.dumps({}, ensure_ascii=False)
        case.needs_json = json.dumps({}, ensure_ascii=False)
        batch.event("case.open", answered, receiver, "case", case.id)
        if p.closes:
            closed = p.when + timedelta(days=45 + p.number % 120)
            case.status = lifecycle.case("Active", "close", "goals_met")
            case.closure_reason, case.closed_at = "goals_met", closed
            batch.event("case.close", closed, receiver, "case", case.id)
        batch.add(case)
    if identification is not None and p.decision != "pending":
        decided = p.when + timedelta(days=9)
        identification.status = lifecycle.identification(lifecycle.POSSIBLE_VICTIM, p.decision,
                                                         "Demonstration decision.")
        identification.decided_at, identification.decided_by_id = decided, coordinator.id
        identification.reasons = "Demonstration decision."
        batch.event("identification.decide", decided, coordinator, "identification", identification.id)
    batch.add(record)
    for _proposal, referral in made:
        batch.add(referral)
    if identification is not None:
        batch.add(identification)


def generate_bulk(n: int, seed: int, progress=None, batch_size: int = 2000) -> dict:
    """The same people as ``generate``, written many rows per INSERT: for a million people.

    The rows are those the service layer writes — made by the same engines (assessment, routing,
    clocks), sealed by the same vault under a data key per person, with the same audit events
    (chained by ``audit.record_many``) and statistics rows (``statistics.refresh``). Two things
    differ, on purpose: in-app notifications are not written (at a million people they would only
    fill the demo accounts' inboxes), and crisis-centre occupancy for routing is counted once per
    batch rather than once per person."""
    from nrm.core.reference import ROLE_ORGANISATION_KINDS as KINDS
    from nrm.services import directory

    app = current_app._get_current_object()
    orgs = {o.code: o for o in db.session.scalars(
        db.select(Organisation).where(Organisation.in_directory.is_(True)))}
    if not any(o.kind == "crisis_centre" for o in orgs.values()):
        raise RuntimeError("the directory of services is empty: run `flask --app nrm init` first")
    actors = Actors()
    ctx = {"scripts": {}, "versions": {}, "orgs": orgs, "by_id": {o.id: o for o in orgs.values()},
           "routing": referrals.routing(), "clocks": referrals.clocks()}
    for agency in KINDS["screening_officer"]:
        if agency in core.AGENCY_WEIGHTS:
            officer = actors.officer(agency)
            script = screening.script_for(officer)
            ctx["scripts"][agency] = script
            ctx["versions"][agency] = screening._version(f"script:{script.id}", script.catalogue_version)
    ctx["criteria"] = screening.catalogue().criteria
    ctx["criteria_version"] = screening._version("criteria", ctx["criteria"].catalogue_version)
    for org in orgs.values():
        if org.kind == "crisis_centre":
            actors.case_worker(org)
    actors.coordinator()
    db.session.commit()
    with _clock(app) as box:
        batch = _Batch()
        ctx["entries"] = directory.entries(orgs.values())
        for done, p in enumerate(core.profiles(n, seed), start=1):
            _bulk_one(batch, ctx, actors, box, p)
            if done % batch_size == 0 or done == n:
                batch.write()
                db.session.commit()
                batch = _Batch()
                ctx["entries"] = directory.entries(orgs.values())
                if progress:
                    progress(done, n)
    return {"people": n, "referrals": db.session.scalar(db.select(db.func.count(Referral.id)))}


def _demo_names(kind: str) -> dict:
    """"Demo data: <kind of organisation>" in each language (the organisation of fictitious records)."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from nrm import labels

    names = {}
    for language in ("ky", "ru", "en"):
        with force_locale(language):
            names[language] = _("Demo data: %(kind)s", kind=labels.ORGANISATION_KIND_LABELS[kind])
    return names
