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
from datetime import timedelta

from flask import current_app

from nrm.core import demo as core
from nrm.core.reference import ROLE_ORGANISATION_KINDS
from nrm.extensions import db
from nrm.models import Identification, Organisation, Referral, User
from nrm.services import accounts, cases, people, referrals, screening

PREFIX = "demo-data"
NEEDS = ("medical", "psychological", "legal", "shelter", "documents", "family_contact",
         "return_or_reintegration")


@contextmanager
def _clock(app):
    """Drive the application's one clock (``nrm.clock.now``) through each person's dates."""
    previous = app.config.get("CLOCK")
    box = {}
    app.config["CLOCK"] = lambda: box["at"]
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
        org = db.session.scalar(db.select(Organisation).where(Organisation.code == code))
        if org is None:
            org = accounts.create_organisation(None, code=code, name=f"Demo data: {agency}", kind=agency,
                                               region="KG-GB", is_demo=True)
        return self._user(code, "screening_officer", org)

    def case_worker(self, organisation: Organisation) -> User:
        return self._user(f"{PREFIX}-cw-{organisation.code}", "case_worker", organisation)

    def coordinator(self) -> User:
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
