"""Referrals, cases and the coordinator through the real app: proposals from a submitted screening,
sending, what each recipient sees, the state machine through every URL, letters in three
languages, the clocks and the scheduler (exactly once), identification, closure, retention."""

import json
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from nrm.core import lifecycle
from nrm.extensions import db
from nrm.models import (
    AccessNote,
    AuditEvent,
    Case,
    Escalation,
    Identification,
    Notification,
    Organisation,
    Referral,
    Screening,
    StatPerson,
    User,
)
from nrm.services import directory, referrals
from nrm.services import screening as screenings
from nrm.services import statistics as stats
from tests.conftest import make_user, post_form, sign_in

PRESUMED_ANSWERS = {
    "in_immediate_danger": "no", "age": 31, "sex": "female", "citizenship_status": "foreign",
    "citizenship_country": "UZ", "native_language": "uz", "interpreter_needed": "yes", "stay_region": "KG-GB",
    "recruited": "yes", "job_different": "yes", "pay_different": "yes", "reached_destination": "yes",
    "long_hours": "yes", "pay_problems": "little_or_none", "restricted_movement": "yes", "threats": "violence",
    "exploitation_types": ["ForcedLabour"], "exploitation_country": "RU",
    "needs": ["shelter", "medical", "documents"], "fear_of_return": "no", "asylum_wish": "no",
    "consent_explained_in_own_language": "yes", "consent_services": "yes", "consent_consular": "yes",
}
IDENTITY = {"family_name": "Testovamkhanova", "given_name": "Zarylkanbubu", "patronymic": "Kubanychbekovna",
            "document_number": "AN9876543", "contact": "via Tash-Kumyr"}


@pytest.fixture
def seeded(app):
    with app.app_context():
        directory.seed()
        db.session.commit()
    return app


def screen(app, officer_id, **answers):
    """A submitted screening made through the service layer, with its proposals; its id."""
    with app.app_context():
        officer = db.session.get(User, officer_id)
        script = screenings.catalogue().scripts["police"]
        screening = screenings.start(officer, script, "ru")
        screening.answers_json = json.dumps({**PRESUMED_ANSWERS, **answers})
        from datetime import date

        screenings.set_identity(officer, screening, {**IDENTITY, "birth_date": date(1994, 5, 1)})
        screenings.submit(officer, screening, True, None, None)
        referrals.propose(officer, screening)
        db.session.commit()
        return screening.id


def referral_of(app, screening_id, service):
    with app.app_context():
        return db.session.scalar(db.select(Referral.id).where(Referral.screening_id == screening_id,
                                                              Referral.service == service))


def state_of(app, referral_id):
    with app.app_context():
        return db.session.get(Referral, referral_id).state


@pytest.fixture
def officer(seeded, client, login):
    return login("screening_officer")


def test_a_presumed_foreign_victim_gets_the_proposals_of_the_rules(seeded, client, officer):
    sid = screen(seeded, officer.id)
    page = client.get(f"/referrals/screening/{sid}").get_data(as_text=True)
    with seeded.app_context():
        rows = {r.service: r for r in referrals.of_screening(db.session.get(Screening, sid))}
        assert set(rows) == {"consular_mission", "legal_aid", "crisis_centre", "health", "law_enforcement"}
        assert rows["consular_mission"].organisation.code == "mission-uz" and rows["consular_mission"].mandatory
        assert rows["crisis_centre"].organisation.code == "sezim" and rows["crisis_centre"].urgent
        assert rows["legal_aid"].legal_aid_categories == "11,12"
        assert db.session.scalar(db.select(Identification).where(Identification.screening_id == sid)).status \
            == lifecycle.POSSIBLE_VICTIM
    assert "Decision No. 493 of 19 September 2019" in page and "Sezim" in page
    assert ".txt" not in page and "R1" not in page      # provenance stays on the reviewers' sources page


def test_the_officer_removes_an_optional_referral_with_a_reason_but_never_a_mandatory_one(seeded, client, officer):
    sid = screen(seeded, officer.id)
    page = f"/referrals/screening/{sid}"
    health = referral_of(seeded, sid, "health")
    response = post_form(client, f"/referrals/{health}/remove", {"reason": "already_served"}, page=page)
    assert response.status_code == 302 and state_of(seeded, health) == "removed"
    mandatory = referral_of(seeded, sid, "consular_mission")
    response = post_form(client, f"/referrals/{mandatory}/remove", {"reason": "not_needed"}, page=page)
    assert state_of(seeded, mandatory) == "proposed"
    assert "cannot be removed" in client.get(page).get_data(as_text=True)


def test_sending_notifies_the_recipient_who_sees_only_its_minimised_payload(seeded, client, officer, app):
    sid = screen(seeded, officer.id)
    response = post_form(client, f"/referrals/screening/{sid}/send", page=f"/referrals/screening/{sid}")
    assert response.status_code == 302
    centre = referral_of(seeded, sid, "crisis_centre")
    consular = referral_of(seeded, sid, "consular_mission")
    assert state_of(seeded, centre) == "sent" and state_of(seeded, consular) == "sent"
    with app.app_context():
        raw = db.session.execute(text("SELECT payload FROM referral WHERE id = :i"), {"i": centre}).scalar()
        assert b"Zarylkanbubu" not in bytes(raw)  # sealed at rest

    worker_client = app.test_client()
    worker = make_user(app, "case_worker", username="sezim-worker", org_code="sezim")
    sign_in(app, worker_client, worker, app.config["CLOCK"])
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
            Notification.user_id == worker.id)) == 0  # made after sending: nothing retroactive
    inbox = worker_client.get("/referrals/inbox").get_data(as_text=True)
    assert centre in inbox and consular not in inbox
    page = worker_client.get(f"/referrals/{centre}").get_data(as_text=True)
    assert "Zarylkanbubu" in page and "Testovamkhanova" in page
    for hidden in ("AN9876543", "Kubanychbekovna", "ForcedLabour", "Tash-Kumyr"):
        assert hidden not in page, hidden
    # the recipient of another service cannot open it, nor the consular one
    assert worker_client.get(f"/referrals/{consular}").status_code == 403
    # the consular payload carries identity and document, not the story or the shelter
    with app.app_context():
        payload = referrals.payload(db.session.get(Referral, consular))
    assert payload["document_number"] == "AN9876543" and payload["document_needs"] == ["documents"]
    assert "needs" not in payload and "stay_region" not in payload and "exploitation_types" not in payload


def test_a_consular_referral_of_a_person_who_fears_return_waits_for_the_coordinator(seeded, client, officer, app):
    sid = screen(seeded, officer.id, fear_of_return="yes")
    consular = referral_of(seeded, sid, "consular_mission")
    post_form(client, f"/referrals/screening/{sid}/send", page=f"/referrals/screening/{sid}")
    assert state_of(seeded, consular) == "proposed"
    coordinator = make_user(app, "coordinator")
    other = app.test_client()
    sign_in(app, other, coordinator, app.config["CLOCK"])
    queue = other.get("/review/").get_data(as_text=True)
    assert consular in queue and "Zarylkanbubu" not in queue
    page = f"/review/referrals/{consular}"
    assert post_form(other, f"/review/referrals/{consular}/send", page=page).status_code == 302
    assert state_of(seeded, consular) == "proposed"  # still held: sending is refused
    post_form(other, f"/review/referrals/{consular}/release", {"note": "safety check reviewed"}, page=page)
    post_form(other, f"/review/referrals/{consular}/send", page=page)
    assert state_of(seeded, consular) == "sent"


def _send_all(client, sid):
    post_form(client, f"/referrals/screening/{sid}/send", page=f"/referrals/screening/{sid}")


def _coordinator_client(app):
    coordinator = make_user(app, "coordinator")
    other = app.test_client()
    sign_in(app, other, coordinator, app.config["CLOCK"])
    return other


@pytest.mark.parametrize("decision", ["keep", "withdraw", "lift"])
def test_the_coordinator_keeps_withdraws_or_lifts_a_hold_each_with_a_reason_checked_by_the_server(
        seeded, client, officer, app, decision):
    sid = screen(seeded, officer.id, fear_of_return="yes")
    consular = referral_of(seeded, sid, "consular_mission")
    _send_all(client, sid)
    other = _coordinator_client(app)
    page = f"/review/referrals/{consular}"
    body = other.get(page).get_data(as_text=True)
    for offered in ("Keep on hold", "Withdraw: do not send", "Lift the hold"):
        assert offered in body
    url, empty, good = {
        "keep": (f"{page}/keep-hold", {"review_on": "2026-03-16", "note": " "},
                 {"review_on": "2026-03-16", "note": "Asylum interview on 12 March"}),
        "withdraw": (f"{page}/withdraw-held", {"reason": "non_refoulement", "note": ""},
                     {"reason": "non_refoulement", "note": "Credible fear of persecution on return"}),
        "lift": (f"{page}/release", {"note": ""}, {"note": "Safety check reviewed with the person"}),
    }[decision]
    post_form(other, url, empty, page=page)              # the browser's `required` is not the check
    with app.app_context():
        held = db.session.get(Referral, consular)
        assert held.state == "proposed" and held.hold == "safety_check" and held.hold_review_on is None
    if decision == "keep":                               # a review date in the past is refused too
        post_form(other, url, {"review_on": "2026-02-01", "note": "x"}, page=page)
        with app.app_context():
            assert db.session.get(Referral, consular).hold_review_on is None
    post_form(other, url, good, page=page)
    with app.app_context():
        after = db.session.get(Referral, consular)
        expected = {"keep": ("proposed", "safety_check"), "withdraw": ("withdrawn", "safety_check"),
                    "lift": ("proposed", None)}[decision]
        assert (after.state, after.hold) == expected
        if decision == "keep":
            assert str(after.hold_review_on) == "2026-03-16"
        if decision == "withdraw":
            assert after.reason_code == "non_refoulement" and after.sent_at is None
            assert after.reason_text == "Credible fear of persecution on return"
    # the officer cannot withdraw a held mandatory referral on these grounds
    if decision == "keep":
        response = post_form(client, f"/referrals/{consular}/withdraw",
                             {"reason": "non_refoulement", "details": "x"}, page=f"/referrals/screening/{sid}")
        assert response.status_code in (302, 303, 403)
        assert state_of(seeded, consular) == "proposed"


def test_a_mission_referral_without_identity_asks_the_officer_to_complete_it_or_say_why(
        seeded, client, officer, app):
    sid = screen(seeded, officer.id)
    with app.app_context():     # the person gave no document and no birth date
        person = db.session.get(Screening, sid).person
        person.document_number = None
        person.birth_date = None
        db.session.commit()
    consular = referral_of(seeded, sid, "consular_mission")
    response = post_form(client, f"/referrals/screening/{sid}/send", page=f"/referrals/screening/{sid}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert state_of(seeded, consular) == "proposed"
    assert state_of(seeded, referral_of(seeded, sid, "crisis_centre")) == "sent"    # the rest went
    assert "the mission needs the person&#39;s name" in page or "the mission needs the person's name" in page
    assert "Identity incomplete:" in page and "date of birth, identity document" in page
    assert f"/screening/{sid}/identity" in page              # complete it ...
    gap = f"/referrals/{consular}/identity-gap"
    post_form(client, gap, {"reason": "other", "details": ""}, page=f"/referrals/screening/{sid}")
    with app.app_context():
        assert db.session.get(Referral, consular).identity_reason is None   # "other" needs words
    post_form(client, gap, {"reason": "documents_held_by_others", "details": "The employer keeps the passport"},
              page=f"/referrals/screening/{sid}")                          # ... or say why
    _send_all(client, sid)
    with app.app_context():
        sent = db.session.get(Referral, consular)
        assert sent.state == "sent" and sent.identity_reason == "documents_held_by_others"
        assert sent.identity_note == "The employer keeps the passport"
        raw = db.session.execute(text("SELECT identity_note FROM referral WHERE id = :i"), {"i": consular}).scalar()
        assert b"employer keeps" not in bytes(raw)
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "referral.identity_missing"))


def test_the_state_machine_holds_whatever_url_is_called(seeded, client, officer, app):
    sid = screen(seeded, officer.id)
    _send_all(client, sid)
    centre = referral_of(seeded, sid, "crisis_centre")
    worker = make_user(app, "case_worker", username="sezim-worker", org_code="sezim")
    wc = app.test_client()
    sign_in(app, wc, worker, app.config["CLOCK"])
    page = f"/referrals/{centre}"
    # complete before accepting, decline without a reason: refused, nothing changes
    assert post_form(wc, f"/referrals/{centre}/complete", page=page).status_code == 303
    assert post_form(wc, f"/referrals/{centre}/decline", {"reason": ""}, page=page).status_code == 302
    assert state_of(seeded, centre) == "sent"
    assert post_form(wc, f"/referrals/{centre}/explode", page=page).status_code == 404
    # accept opens the case; accepting twice is refused
    response = post_form(wc, f"/referrals/{centre}/accept", page=page)
    assert re.search(r"/cases/[0-9a-f]{32}$", response.headers["Location"])
    assert post_form(wc, f"/referrals/{centre}/accept", page=page).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 1
    # the officer cannot answer for the centre, another centre's worker cannot see it
    assert post_form(client, f"/referrals/{centre}/complete", page=f"/referrals/screening/{sid}").status_code == 403
    other = make_user(app, "case_worker", username="osh-worker", org_code="ak-jurok")
    oc = app.test_client()
    sign_in(app, oc, other, app.config["CLOCK"])
    assert oc.get(page).status_code == 403
    assert oc.get(response.headers["Location"]).status_code == 403


@pytest.mark.parametrize(("state", "event"), [
    (s, e) for s in lifecycle.REFERRAL_STATES for e in lifecycle.REFERRAL_EVENTS
    if (s, e) not in lifecycle.REFERRAL_TRANSITIONS])
def test_no_transition_outside_the_table(state, event):
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.referral(lifecycle.ReferralState(state), event, "other")


@pytest.mark.parametrize(("status", "event"), [
    (s, e) for s in lifecycle.CASE_STATUSES for e in ("follow_up", "close", "reopen", "transfer")
    if (s, e) not in lifecycle.CASE_TRANSITIONS])
def test_no_case_transition_outside_the_table(status, event):
    from datetime import date

    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.case(status, event, "goals_met", date(2026, 1, 1))


def test_a_declined_referral_returns_to_the_coordinator_and_is_rerouted(seeded, client, officer, app):
    sid = screen(seeded, officer.id)
    _send_all(client, sid)
    centre = referral_of(seeded, sid, "crisis_centre")
    worker = make_user(app, "case_worker", username="sezim-worker", org_code="sezim")
    wc = app.test_client()
    sign_in(app, wc, worker, app.config["CLOCK"])
    post_form(wc, f"/referrals/{centre}/decline", {"reason": "no_capacity"}, page=f"/referrals/{centre}")
    assert state_of(seeded, centre) == "declined"
    coordinator = make_user(app, "coordinator")
    cc = app.test_client()
    sign_in(app, cc, coordinator, app.config["CLOCK"])
    assert "escalated" in cc.get("/review/").get_data(as_text=True)
    with app.app_context():
        osh = directory.by_code("ak-jurok").id
    response = post_form(cc, f"/review/referrals/{centre}/route", {"organisation": str(osh), "note": "room in Osh"},
                         page=f"/review/referrals/{centre}")
    assert response.status_code == 302
    with app.app_context():
        again = db.session.scalar(db.select(Referral).where(Referral.rerouted_from_id == centre))
        assert again.state == "sent" and again.organisation.code == "ak-jurok"
        assert db.session.scalar(db.select(Escalation).where(Escalation.subject_id == centre)).resolved_at


def _overdue_referral(app, client, officer):
    sid = screen(app, officer.id)
    _send_all(client, sid)
    return referral_of(app, sid, "crisis_centre")


def test_an_unacknowledged_referral_is_escalated_once_after_its_clock(seeded, client, officer, app, clock):
    from nrm import jobs

    centre = _overdue_referral(app, client, officer)
    coordinator = make_user(app, "coordinator")
    assert jobs.run(app, "escalate_overdue") == "0 escalated"
    clock.advance(hours=5)  # shelter: the urgent clock is 4 h (the centre's and the health referral's)
    assert jobs.run(app, "escalate_overdue") == "2 escalated"
    assert jobs.run(app, "escalate_overdue") == "0 escalated"
    with app.app_context():
        rows = db.session.scalars(db.select(Escalation).where(Escalation.subject_id == centre)).all()
        assert [r.kind for r in rows] == ["acknowledgement_overdue"]
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
            Notification.user_id == coordinator.id, Notification.kind == "acknowledgement_overdue")) == 2


def test_two_schedulers_at_once_escalate_each_referral_once(seeded, client, officer, app, clock):
    from nrm import jobs

    _overdue_referral(app, client, officer)
    clock.advance(hours=80)  # both the acknowledgement and the acceptance clocks ran out
    barrier = threading.Barrier(4)
    results, errors = [], []

    def scheduler():
        try:
            barrier.wait()
            results.append(jobs.run(app, "escalate_overdue"))
        except Exception as problem:  # noqa: BLE001 - reported below
            errors.append(problem)

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    # a run that found the lock taken returns None; reruns find nothing new
    for _ in range(3):
        jobs.run(app, "escalate_overdue")
    with app.app_context():
        sent = db.session.scalar(db.select(db.func.count()).select_from(Referral).where(Referral.state == "sent"))
        assert db.session.scalar(db.select(db.func.count()).select_from(Escalation)) == 2 * sent
        pairs = db.session.execute(text("SELECT kind, subject_id, count(*) FROM escalation GROUP BY kind, subject_id"))
        assert all(count == 1 for _kind, _subject, count in pairs)


def test_the_scheduler_command_runs_every_job_once(seeded, runner):
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    for name in ("escalate_overdue", "identification_due", "reflection_period", "case_reviews", "retention"):
        assert name in result.output


@pytest.mark.parametrize("language", ["ky", "ru", "en"])
def test_letters_print_in_each_language_with_nothing_beyond_the_payload(seeded, client, officer, app, language):
    sid = screen(seeded, officer.id)
    _send_all(client, sid)
    centre = referral_of(seeded, sid, "crisis_centre")
    html = client.get(f"/referrals/{centre}/letter?lang={language}").get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert "Zarylkanbubu" in html and "No. 55" in html or "№ 55" in html
    for internal in (".txt", "seeds/", "DOMAIN", "§", "R3"):
        assert internal not in html
    for hidden in ("AN9876543", "Kubanychbekovna", "Tash-Kumyr", "ForcedLabour"):
        assert hidden not in html
    with app.app_context():
        sezim = directory.by_code("sezim")
        assert sezim.name_in(language) in html
    pdf = client.get(f"/referrals/{centre}/letter.pdf?lang={language}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert pdf.headers["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Zarylkanbubu" in text and "AN9876543" not in text
    with app.app_context():
        assert directory.by_code("sezim").name_in(language).split()[0] in text


def pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def test_a_printed_letter_to_an_embassy_is_an_official_document(seeded, client, officer, app):
    """Letterhead, the sender in the letter's language, the officer's name, position and telephone,
    the acknowledgement request, a signature and stamp block, page numbers; left-aligned."""
    with app.app_context():
        user = db.session.get(User, officer.id)
        user.full_name, user.position = "Asanova Aigul", "Senior inspector"
        user.work_phone, user.email = "+996 312 000 000", "a.asanova@police.example.kg"
        db.session.commit()
    sid = screen(seeded, officer.id)
    _send_all(client, sid)
    consular = referral_of(seeded, sid, "consular_mission")
    for language, words in (("ru", ("Кыргызская Республика", "Подпись", "М.П.", "Страница 1 из")),
                            ("en", ("Kyrgyz Republic", "Signature", "Place of the seal", "Page 1 of"))):
        text = pdf_text(client.get(f"/referrals/{consular}/letter.pdf?lang={language}").data)
        for expected in (*words, "Asanova Aigul", "Senior inspector", "+996 312 000 000",
                         referrals.reference_of(_screening(app, sid))):
            assert expected.casefold() in text.casefold(), (language, expected)
        with app.app_context():
            sender = db.session.get(Organisation, db.session.get(Screening, sid).organisation_id).name_in(language)
        assert sender.split()[0] in text
        assert ("acknowledge receipt" in text.lower()) if language == "en" else ("подтвердить получение" in text.lower())
        assert not re.search(r"\S {3,}\S", text), "wide gaps between words"
        for internal in (".txt", "seeds/", "DOMAIN", "§", "R1", "consular_mission"):
            assert internal not in text, internal
    css = (Path(__file__).parents[1] / "static" / "letter.css").read_text()
    assert "text-align: justify" not in css and "text-align: left" in css


def _screening(app, sid):
    with app.app_context():
        screening = db.session.get(Screening, sid)
        db.session.expunge(screening)
        return screening


def test_the_journey_to_identification_and_closure(seeded, client, officer, app, clock):
    sid = screen(seeded, officer.id)
    _send_all(client, sid)
    centre = referral_of(seeded, sid, "crisis_centre")
    worker = make_user(app, "case_worker", username="sezim-worker", org_code="sezim")
    wc = app.test_client()
    sign_in(app, wc, worker, clock)
    case_url = post_form(wc, f"/referrals/{centre}/accept", page=f"/referrals/{centre}").headers["Location"]
    case_path = case_url[case_url.index("/cases/"):]
    page = wc.get(case_path).get_data(as_text=True)
    assert "Zarylkanbubu" in page and "AN9876543" not in page
    assert post_form(wc, case_path + "/services", {"service-need": "shelter", "service-delivered_on": "2026-03-02",
                                                   "service-note": "room 4"}, page=case_path).status_code == 302
    bad = post_form(wc, case_path + "/services", {"service-need": "medical", "service-delivered_on": "2027-01-01",
                                                  "service-note": "kept text"}, page=case_path)
    assert bad.status_code == 422 and "kept text" in bad.get_data(as_text=True)
    post_form(wc, case_path + "/notes", {"note-body": "first talk went well"}, page=case_path)
    with app.app_context():
        raw = db.session.execute(text("SELECT body FROM case_note")).scalar()
        assert b"first talk" not in bytes(raw)

    coordinator = make_user(app, "coordinator")
    cc = app.test_client()
    sign_in(app, cc, coordinator, clock)
    with app.app_context():
        ident = db.session.scalar(db.select(Identification.id).where(Identification.screening_id == sid))
    decision_page = cc.get(f"/review/identifications/{ident}").get_data(as_text=True)
    assert "Zarylkanbubu" not in decision_page  # a summary: indicators, not identity
    missing = post_form(cc, f"/review/identifications/{ident}", {"decision": lifecycle.ACTUAL_VICTIM},
                        page=f"/review/identifications/{ident}")
    assert missing.status_code == 422
    post_form(cc, f"/review/identifications/{ident}", {"decision": lifecycle.ACTUAL_VICTIM,
                                                       "reasons": "three dimensions, consistent account"},
              page=f"/review/identifications/{ident}")
    with app.app_context():
        assert db.session.get(Identification, ident).status == lifecycle.ACTUAL_VICTIM

    post_form(wc, case_path + "/close", {"close-reason": "goals_met"}, page=case_path)
    with app.app_context():
        assert db.session.scalar(db.select(Case)).status == "Closed"
    assert "Closed" in wc.get(case_path).get_data(as_text=True)


def test_the_coordinator_opens_personal_data_only_with_a_reason_flagged_in_the_trail(seeded, client, officer, app):
    sid = screen(seeded, officer.id)
    coordinator = make_user(app, "coordinator")
    cc = app.test_client()
    sign_in(app, cc, coordinator, app.config["CLOCK"])
    with app.app_context():
        person_id = db.session.get(Screening, sid).person_id
    assert cc.get(f"/referrals/{referral_of(app, sid, 'legal_aid')}").status_code == 403
    form = cc.get(f"/review/people/{person_id}/access").get_data(as_text=True)
    assert "Zarylkanbubu" not in form
    shown = post_form(cc, f"/review/people/{person_id}/access", {"reason": "identification_decision"},
                      page=f"/review/people/{person_id}/access").get_data(as_text=True)
    assert "Zarylkanbubu" in shown
    with app.app_context():
        from nrm.models import AuditEvent

        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.outcome == "flagged"))
        assert event.action == "person.view_with_reason.identification_decision"
        note = db.session.get(AccessNote, event.object_id)
        assert event.object_type == "access_note" and note.person_id == person_id
    erased = post_form(cc, f"/review/people/{person_id}/erase", {"reason": "consent_withdrawn", "confirm": "erase"},
                       page=f"/review/people/{person_id}/access")
    assert erased.status_code == 302
    with app.app_context():
        screening = db.session.get(Screening, sid)
        assert screening.person.is_erased
        assert db.session.get(StatPerson, stats.person_key(sid)).region == "KG-GB"  # statistics stay


@pytest.mark.parametrize(("role", "url", "allowed"), [
    ("screening_officer", "/review/", False), ("case_worker", "/review/", False), ("analyst", "/review/", False),
    ("auditor", "/review/", False), ("administrator", "/review/", False), ("coordinator", "/review/", True),
    ("screening_officer", "/referrals/inbox", False), ("coordinator", "/referrals/inbox", False),
    ("case_worker", "/referrals/inbox", True), ("case_worker", "/cases/", True),
    ("coordinator", "/cases/", False), ("administrator", "/cases/", False), ("analyst", "/cases/", False),
    ("administrator", "/review/directory", True), ("analyst", "/review/directory", False),
    ("coordinator", "/review/identifications", True), ("case_worker", "/review/identifications", False),
])
def test_workspaces_by_role(seeded, client, login, role, url, allowed):
    login(role)
    assert client.get(url).status_code == (200 if allowed else 403)


def test_the_coordinator_edits_the_directory_and_routing_follows(seeded, client, app, login):
    login("coordinator")
    with app.app_context():
        sezim = directory.by_code("sezim")
        org_id = sezim.id
    page = f"/review/directory/{org_id}"
    bad = post_form(client, page, {"services": "crisis_centre", "serves_regions": ["KG-GB"], "capacity": "-3",
                                   "email": "not an address", "accepts_referrals": "y"}, page=page)
    assert bad.status_code == 422 and "not an address" in bad.get_data(as_text=True)
    ok = post_form(client, page, {"services": "crisis_centre", "serves_regions": ["KG-GB"], "capacity": "0",
                                  "accepts_referrals": "y"}, page=page)
    assert ok.status_code == 302
    with app.app_context():
        assert directory.by_code("sezim").region_list() == ["KG-GB"]
        from nrm.core import routing as rt

        facts = rt.facts_from_json({"result": "presumed_victim", "age": 30, "citizenship": "KG",
                                    "stay_region": "KG-C", "consent": ["services"]})
        proposals = rt.route(referrals.routing(), facts, directory.entries(), app.config["CLOCKS"])
        centre = next(p for p in proposals if p.service == "crisis_centre")
        assert centre.organisation.code == "ak-jurok"  # Chui is no longer Sezim's, and Sezim is full


def test_retention_dry_run_counts_and_run_shreds(seeded, app, runner, clock, login):
    account = make_user(app, "screening_officer")
    with app.app_context():
        officer = db.session.get(User, account.id)
        screening = screenings.start(officer, screenings.catalogue().scripts["police"], "ru")
        screening.answers_json = json.dumps({"in_immediate_danger": "no", "age": 40})
        screenings.submit(officer, screening, True, None, None)
        db.session.commit()
        sid = screening.id
    clock.advance(days=91)
    dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert "no_indicators_screening: 1 due" in dry.output
    with app.app_context():
        assert not db.session.get(Screening, sid).person.is_erased
    done = runner.invoke(args=["retention", "run"])
    assert "no_indicators_screening: 1 erased" in done.output, done.output
    with app.app_context():
        screening = db.session.get(Screening, sid)
        assert screening.person.is_erased and screening.submitted_at is not None


def test_organisations_seeded_from_the_directory_carry_no_contacts(seeded, app):
    with app.app_context():
        orgs = db.session.scalars(db.select(Organisation).where(Organisation.in_directory.is_(True))).all()
        assert len(orgs) > 60
        assert all(o.address is None and o.phone is None and o.email is None for o in orgs)
        # seeding again adds nothing and keeps a coordinator's change
        sezim = directory.by_code("sezim")
        sezim.capacity = 12
        assert directory.seed() == (0, 0)
        assert directory.by_code("sezim").capacity == 12


def test_notification_mails_say_nothing_but_that_there_is_something(seeded, client, officer, app, monkeypatch):
    """smtplib is the standard library's, replaced here by a recorder: the test checks what we hand it."""
    import smtplib

    from nrm import jobs

    sent = []

    class Recorder:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("message", message["To"], message.get_content()))

    monkeypatch.setattr(smtplib, "SMTP", Recorder)
    worker = make_user(app, "case_worker", username="sezim-worker", org_code="sezim")
    with app.app_context():
        db.session.get(User, worker.id).email = "worker@example.kg"
        db.session.commit()
    sid = screen(seeded, officer.id)
    _send_all(client, sid)
    assert jobs.run(app, "mail_notifications") == "0 mailed"  # no MAIL_SERVER: in-app only
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_SENDER="nrm@example.kg")
    assert jobs.run(app, "mail_notifications") == "1 mailed"
    assert jobs.run(app, "mail_notifications") == "0 mailed"
    messages = [item for item in sent if item[0] == "message"]
    assert len(messages) == 1 and messages[0][1] == "worker@example.kg"
    assert "You have new notifications: 1." in messages[0][2]
    for secret in ("Zarylkanbubu", "Sezim", "crisis", sid):
        assert secret not in messages[0][2]


def test_values_typed_into_the_real_forms_never_reach_the_database_file_or_a_backup(seeded, client, officer, app,
                                                                                      runner, tmp_path):
    """Issue 3 acceptance: names, document numbers and note text planted through the forms."""
    from pathlib import Path

    from tests.test_screening import _start

    sid, _first = _start(client)
    response = post_form(client, f"/screening/{sid}/identity", {
        "family_name": "Testovamkhanova", "given_name": "Zarylkanbubu", "document_number": "AN9876543",
        "contact": "Tash-Kumyr"})
    assert response.status_code in (200, 302)
    planted_sid = screen(seeded, officer.id)
    _send_all(client, planted_sid)
    centre = referral_of(seeded, planted_sid, "crisis_centre")
    worker = make_user(app, "case_worker", username="sezim-worker", org_code="sezim")
    wc = app.test_client()
    sign_in(app, wc, worker, app.config["CLOCK"])
    case_url = post_form(wc, f"/referrals/{centre}/accept", page=f"/referrals/{centre}").headers["Location"]
    case_path = case_url[case_url.index("/cases/"):]
    post_form(wc, case_path + "/notes", {"note-body": "Cholponbubu said a typed secret value"}, page=case_path)
    post_form(wc, case_path + "/intake", {"intake-accommodation": "Karakol flat",
                                          "intake-notes": "Backupovna came"}, page=case_path)
    with app.app_context():
        url = db.engine.url
        assert db.session.get(Screening, sid).person.given_name == "Zarylkanbubu"
    target = tmp_path / "planted-backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    raw = b"".join(p.read_bytes() for p in sorted(target.rglob("*")) if p.is_file())
    if url.get_backend_name() == "sqlite":
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        raw += b"".join(Path(f).read_bytes() for f in (url.database, url.database + "-wal") if Path(f).exists())
    for value in ("Zarylkanbubu", "Testovamkhanova", "AN9876543", "Tash-Kumyr", "Cholponbubu",
                  "a typed secret value", "Karakol", "Backupovna"):
        assert value.encode() not in raw, value


def test_long_lists_are_paged_and_a_page_number_never_breaks_them(seeded, client, officer, app, monkeypatch):
    from nrm import views_common

    monkeypatch.setattr(views_common, "PAGE_SIZE", 3)
    for _ in range(2):
        _send_all(client, screen(app, officer.id))
    coordinator = make_user(app, "coordinator")
    cc = app.test_client()
    sign_in(app, cc, coordinator, app.config["CLOCK"])
    with app.app_context():
        open_referrals = db.session.scalar(db.select(db.func.count()).select_from(Referral).where(
            Referral.state.in_(("sent", "acknowledged", "declined"))))
    assert open_referrals > 6
    pages = -(-open_referrals // 3)
    seen = []
    for number in range(1, pages + 1):
        page = cc.get(f"/review/?page={number}").get_data(as_text=True)
        assert f"{open_referrals} in all — page {number} of {pages}" in page
        assert (f"page={number + 1}" in page) == (number < pages)
        seen += re.findall(r'href="/review/referrals/([0-9a-f]+)"', page)
    assert len(seen) == len(set(seen)) == open_referrals      # every referral once, none skipped
    for hostile in ("abc", "-1", "0", "99999999999999999999", "1e9", "%C2%B2"):
        assert cc.get(f"/review/?page={hostile}").status_code == 200
    assert cc.get("/review/?page=%00").status_code == 400         # a NUL is refused before anything
    assert "page 1 of" in cc.get("/review/?page=abc&state=sent").get_data(as_text=True)
    # the filters are kept on the next page's link
    assert "state=sent" in cc.get("/review/?state=sent").get_data(as_text=True).split('class="pager"')[-1]


def test_the_trail_names_each_case_by_its_reference_and_filters_by_it(seeded, client, officer, app, login):
    first, second = screen(seeded, officer.id), screen(seeded, officer.id)
    _send_all(client, first)
    with app.app_context():
        reference = referrals.reference_of(db.session.get(Screening, first))
        other = referrals.reference_of(db.session.get(Screening, second))
    post_form(client, "/auth/logout", page="/")
    login("auditor")
    page = client.get("/audit/", query_string={"reference": reference}).get_data(as_text=True)
    rows = page.split("<tbody>")[1]
    assert f"Referral: {reference} · Crisis centre" in rows and f"Screening: {reference}" in rows
    assert other not in rows and "referral:" not in rows and "screening:" not in rows
    # a reference typed in lower case, or just its last part, finds the same events
    short = client.get("/audit/", query_string={"reference": reference[-8:].lower()}).get_data(as_text=True)
    assert short.split("<tbody>")[1].count("<tr>") == rows.count("<tr>")
    nothing = client.get("/audit/", query_string={"reference": "NRM-2026-00000000"}).get_data(as_text=True)
    assert "No events match" in nothing


def test_a_customs_child_who_needs_a_safe_place_gets_shelter_proposed_even_as_a_possible_victim(
        seeded, client, login, app):
    customs = login("screening_officer", org_code="t-customs", org_kind="customs_post")
    with app.app_context():
        officer = db.session.get(User, customs.id)
        script = screenings.catalogue().scripts["customs"]
        screening = screenings.start(officer, script, "ky")
        # a 15-year-old, recruited and deceived, who needs somewhere safe to sleep tonight
        screening.answers_json = json.dumps({
            "in_immediate_danger": "no", "age": 15, "sex": "female", "citizenship_status": "kyrgyz",
            "stay_region": "KG-C", "accompanying_adult": "unrelated_adult", "recruited": "yes",
            "job_different": "yes", "needs": ["shelter", "food"],
            "consent_explained_in_own_language": "yes"})
        screenings.submit(officer, screening, True, None, None)
        proposed = {r.service: r for r in referrals.propose(officer, screening)}
        db.session.commit()
        assert screening.result in ("possible", "presumed_victim")
        assert {"child_protection", "crisis_centre"} <= set(proposed), (screening.result, set(proposed))
        shelter = proposed["crisis_centre"]
        assert shelter.organisation.code == "sezim" and shelter.consent_gate == "none"


def test_forty_cases_in_their_reflection_period_give_one_notification_each_linking_to_it(
        seeded, client, officer, app, clock):
    from nrm import jobs

    worker = make_user(app, "case_worker", username="sezim-forty", org_code="sezim")
    case_ids = []
    with app.app_context():
        worker_user = db.session.get(User, worker.id)
    for _ in range(40):
        sid = screen(seeded, officer.id)
        with app.app_context():
            screening = db.session.get(Screening, sid)
            referrals.send_all(db.session.get(User, officer.id), screening)
            centre = next(r for r in referrals.of_screening(screening) if r.service == "crisis_centre")
            case_ids.append(referrals.accept(db.session.merge(worker_user), centre).id)
            db.session.commit()
    clock.advance(days=28)                     # the 30-day periods end within three days
    for _ in range(3):                         # the job runs every hour: nothing is repeated
        jobs.run(app, "reflection_period")
    with app.app_context():
        rows = db.session.execute(text(
            "SELECT subject_id, count(*) FROM notification WHERE user_id = :u AND kind = 'reflection_period_ending' "
            "GROUP BY subject_id"), {"u": worker.id}).all()
        assert sorted(r[0] for r in rows) == sorted(case_ids) and all(r[1] == 1 for r in rows)
        references_of = {c: referrals.reference_of(db.session.get(Case, c).referral.screening) for c in case_ids}
    wc = app.test_client()
    sign_in(app, wc, worker, clock)
    page = wc.get("/notifications").get_data(as_text=True)
    assert page.count("A recovery and reflection period ends within 3 days") == 40
    for reference in references_of.values():
        assert reference in page
    first = re.search(r'href="(/notifications/\d+)"', page).group(1)
    response = wc.get(first)
    assert response.status_code == 302 and response.headers["Location"].rsplit("/", 1)[1] in case_ids
    with app.app_context():
        unread = db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
            Notification.user_id == worker.id, Notification.kind == "reflection_period_ending",
            Notification.read_at.is_(None)))
        assert unread == 39                    # opening one marked that one read, not the others
    # a period that has long ended is not announced again
    clock.advance(days=30)
    assert jobs.run(app, "reflection_period") == "0 notified"


def test_a_case_due_for_review_again_renews_its_notification_instead_of_adding_one(
        seeded, client, officer, app, clock):
    from datetime import timedelta

    from nrm import jobs

    worker = make_user(app, "case_worker", username="sezim-review", org_code="sezim")
    sid = screen(seeded, officer.id)
    with app.app_context():
        screening = db.session.get(Screening, sid)
        referrals.send_all(db.session.get(User, officer.id), screening)
        centre = next(r for r in referrals.of_screening(screening) if r.service == "crisis_centre")
        case_id = referrals.accept(db.session.get(User, worker.id), centre).id
        db.session.commit()
    clock.advance(days=15)
    jobs.run(app, "case_reviews")
    clock.advance(hours=2)                     # the worker reads it and reviews the case
    with app.app_context():
        first = db.session.scalar(db.select(Notification).where(Notification.kind == "case_review_due"))
        first.read_at = clock()
        case = db.session.get(Case, case_id)
        case.next_review_at = clock() + timedelta(days=14)   # reviewed today
        db.session.commit()
    clock.advance(days=15)
    jobs.run(app, "case_reviews")
    with app.app_context():
        found = db.session.scalars(db.select(Notification).where(Notification.kind == "case_review_due")).all()
        assert len(found) == 1 and found[0].read_at is None            # the same one, unread again


def test_work_lists_say_who_from_whom_and_what_is_due_first(seeded, client, officer, app, clock):
    """The inbox, the officer's screenings, the queue and the case lists show the reference, the
    local date, the person in coarse words, the sender, and what is due — the soonest on top."""
    first = screen(seeded, officer.id)
    _send_all(client, first)
    clock.advance(minutes=10)
    second = screen(seeded, officer.id)
    _send_all(client, second)
    first_centre = referral_of(seeded, first, "crisis_centre")
    worker = make_user(app, "case_worker", username="sezim-lists", org_code="sezim")
    wc = app.test_client()
    sign_in(app, wc, worker, clock)
    post_form(wc, f"/referrals/{first_centre}/acknowledge", page=f"/referrals/{first_centre}")
    with app.app_context():
        refs = {sid: referrals.reference_of(db.session.get(Screening, sid)) for sid in (first, second)}
        sender = db.session.get(Organisation, db.session.get(Screening, first).organisation_id).name_in("en")
    inbox = wc.get("/referrals/inbox").get_data(as_text=True).split("Waiting for your answer")[1]
    # the second was sent later but is due first (acknowledgement), so it is on top
    assert inbox.index(refs[second]) < inbox.index(refs[first])
    for words in ("25–34", "Female", "Uzbekistan", sender, "02.03.2026", "Acknowledge by", "Accept or decline by"):
        assert words in inbox, words
    clock.advance(hours=6)                                   # the 4-hour urgent clock has run out
    sign_in(app, wc, worker, clock)
    inbox = wc.get("/referrals/inbox").get_data(as_text=True)
    assert "overdue by" in inbox
    # the officer's screenings: reference, result and the person in words
    sign_in(app, client, officer, clock)
    screenings_page = client.get("/screening/").get_data(as_text=True)
    assert refs[first] in screenings_page and "Presumed victim of trafficking" in screenings_page
    assert "25–34 · Female · Uzbekistan" in screenings_page
    # the coordinator's queue: the same, and the sender and the recipient
    queue = _coordinator_client(app).get("/review/").get_data(as_text=True)
    assert refs[second] in queue and "25–34 · Female · Uzbekistan" in queue and sender in queue
    assert "Sezim" in queue and "Zarylkanbubu" not in queue
