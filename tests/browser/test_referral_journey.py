"""Issue 5 acceptance in a real browser: a police officer screens a foreign adult and sends the
referrals; the Sezim case worker accepts and records a service; the MLSSM coordinator decides
identification; the case closes. Each party sees only its minimised data."""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from nrm.extensions import db
from nrm.models import Case, Identification, Referral
from nrm.services import directory
from tests.browser.conftest import sign_in
from tests.conftest import make_user

pytestmark = pytest.mark.browser

ANSWERS = {
    "in_immediate_danger": "no", "age": "31", "sex": "female", "citizenship_status": "foreign",
    "citizenship_country": "UZ", "stay_region": "KG-GB", "recruited": "yes", "job_different": "yes",
    "pay_different": "yes", "reached_destination": "yes", "long_hours": "yes", "pay_problems": "little_or_none",
    "restricted_movement": "yes", "threats": "violence", "needs": ["shelter", "medical"],
    "consent_explained_in_own_language": "yes", "consent_services": "yes", "consent_consular": "yes",
}


def _answer_what_is_on_the_page(page, done):
    for question, value in ANSWERS.items():
        block = page.locator(f"#q-{question}")
        if question in done or block.count() == 0:
            continue
        if block.locator("select").count():
            block.locator("select").select_option(value)
        elif block.locator("input[type=radio], input[type=checkbox]").count():
            for item in value if isinstance(value, list) else [value]:
                block.locator(f"input[value='{item}']").check()
        else:
            block.locator("input").fill(value)
        done.add(question)


def _screen_to_summary(page):
    done = set()
    for _ in range(60):
        if re.search(r"/summary$", page.url):
            return
        _answer_what_is_on_the_page(page, done)
        page.locator("button[value=next]").click()
    pytest.fail("the screening never reached its summary")


def _sign_out(page):
    page.locator("form[action$='/auth/logout'] button:visible").first.click()
    expect(page).to_have_url(re.compile(r"/auth/login"))


def test_officer_to_crisis_centre_to_coordinator_to_closure(live_app, page):
    base = live_app.config["LIVE_URL"]
    with live_app.app_context():
        directory.seed()
        db.session.commit()
    officer = make_user(live_app, "screening_officer", username="police-officer")
    worker = make_user(live_app, "case_worker", username="sezim-worker", org_code="sezim")
    coordinator = make_user(live_app, "coordinator", username="mlssm-coordinator")

    # the officer screens, adds the person's name, submits and sends the proposed referrals
    sign_in(page, base, live_app, officer)
    page.goto(base + "/screening/")
    page.locator("main form button[type=submit]").click()
    _screen_to_summary(page)
    screening_id = re.search(r"/screening/([0-9a-f]{32})/", page.url).group(1)
    page.goto(f"{base}/screening/{screening_id}/identity")
    page.locator("#family_name").fill("Testovamkhanova")
    page.locator("#given_name").fill("Zarylkanbubu")
    page.locator("#document_number").fill("AN9876543")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/summary$"))
    page.locator("input[name=agreement][value=agree]").check()
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(rf"/screening/{screening_id}$"))
    page.locator(f"a[href$='/referrals/screening/{screening_id}']").click()
    expect(page.locator("main table")).to_contain_text("Sezim")
    expect(page.locator("main table")).to_contain_text("Uzbekistan")
    page.get_by_role("button", name="Send the referrals that are ready").click()
    expect(page.locator(".alert-success")).to_contain_text("sent")
    # the embassy needs the date of birth, which the person does not know: the officer says so
    expect(page.locator(".alert-error")).to_contain_text("diplomatic mission")
    expect(page.locator("main table")).to_contain_text("Identity incomplete: date of birth")
    gap = page.locator("details", has_text="Send without the full identity")
    gap.locator("summary").click()
    gap.locator("select[name=reason]").select_option("identity_unknown_to_person")
    page.get_by_role("button", name="Record the reason").click()
    expect(page.locator(".alert-success")).to_contain_text("The reason is recorded")
    page.get_by_role("button", name="Send the referrals that are ready").click()
    expect(page.locator(".alert-success")).to_contain_text("1 referral sent")
    _sign_out(page)

    # the Sezim case worker: the inbox, the minimised referral, accept, record a service
    sign_in(page, base, live_app, worker)
    page.goto(base + "/referrals/inbox")
    rows = page.locator("main table").first.locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.first.locator("a").click()
    expect(page.locator("main")).to_contain_text("Zarylkanbubu")
    expect(page.locator("main")).not_to_contain_text("AN9876543")
    page.get_by_role("button", name="Accept").click()
    expect(page).to_have_url(re.compile(r"/cases/[0-9a-f]{32}$"))
    case_url = page.url
    page.get_by_role("link", name="Services").click()          # the case page, one section at a time
    page.locator("#service-need").select_option("shelter")
    page.locator("#service-delivered_on").fill(datetime.now(UTC).date().isoformat())
    page.get_by_role("button", name="Record service").click()
    expect(page.locator(".alert-success")).to_contain_text("Service recorded")
    _sign_out(page)

    # the coordinator: the queue shows codes, never the name; the decision with reasons
    sign_in(page, base, live_app, coordinator)
    page.goto(base + "/review/")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Zarylkanbubu")
    page.goto(base + "/review/identifications")
    page.locator("main table tbody tr a").first.click()
    expect(page.locator("main")).not_to_contain_text("Zarylkanbubu")
    page.locator("#decision").select_option("ActualVictimOfTrafficking")
    page.locator("#reasons").fill("Deception, exploitative conditions and coercion, consistent account.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".alert-success")).to_contain_text("Decision recorded")
    _sign_out(page)

    # the case worker closes the case
    sign_in(page, base, live_app, worker)
    page.goto(case_url)
    page.locator("summary", has_text="Close the case").click()
    page.locator("#close-reason").select_option("goals_met")
    page.get_by_role("button", name="Close or move to follow-up").click()
    expect(page.locator(".alert-success")).to_contain_text("Closed")

    with live_app.app_context():
        assert db.session.scalar(db.select(Case)).status == "Closed"
        assert db.session.scalar(db.select(Identification)).status == "ActualVictimOfTrafficking"
        states = {r.service: r.state for r in db.session.scalars(db.select(Referral))}
        assert states["crisis_centre"] == "accepted" and states["consular_mission"] == "sent"
