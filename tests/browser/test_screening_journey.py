"""Issue 4 acceptance in a real browser: a customs officer screens in Russian with the person's
script in Kyrgyz, leaves mid-way, resumes after signing in again, submits, and reads the reasons."""

import json
import re

import pytest
from playwright.sync_api import expect

from nrm.extensions import db
from nrm.models import Screening
from tests.browser.conftest import sign_in
from tests.conftest import make_user

pytestmark = pytest.mark.browser


def _answer(page, question, value):
    page.locator(f"#q-{question} input[value='{value}']").check()


def _next(page):
    page.locator("button[value=next]").click()


def test_customs_officer_screens_leaves_resumes_and_submits(live_app, page):
    base = live_app.config["LIVE_URL"]
    officer = make_user(live_app, "screening_officer", username="customs-officer",
                        org_code="t-customs-manas", org_kind="customs_post")
    sign_in(page, base, live_app, officer)
    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    page.goto(base + "/screening/")
    page.locator("#interview_language").select_option("ky")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/step/safety$"))
    with live_app.app_context():
        from nrm.services import screening as service

        script = service.catalogue().scripts["customs"]
    first = script.steps[0].questions[0]
    expect(page.locator("legend").first).to_contain_text(first.label["ru"])
    expect(page.locator(f"#q-{first.id} .script[lang=ky]")).to_contain_text(first.ask["ky"])

    _answer(page, "in_immediate_danger", "no")
    _next(page)
    expect(page).to_have_url(re.compile(r"/step/person$"))
    page.locator("#age").fill("24")
    _answer(page, "sex", "female")
    _answer(page, "citizenship_status", "foreign")
    _next(page)  # the country question opens on this page
    page.locator("#citizenship_country").select_option("KZ")
    _next(page)
    expect(page).to_have_url(re.compile(r"/step/encounter$"))
    _answer(page, "stay_region", "KG-C")
    _next(page)
    expect(page).to_have_url(re.compile(r"/step/crossing_point$"))
    _next(page)
    _answer(page, "recruited", "yes")
    _next(page)  # the recruitment follow-ups open
    _answer(page, "job_different", "yes")
    _answer(page, "pay_different", "yes")
    _next(page)
    expect(page).to_have_url(re.compile(r"/step/travel$"))

    # leave mid-way: save, sign out
    page.locator("button[value=save]").click()
    expect(page).to_have_url(re.compile(r"/screening/$"))
    page.locator("form[action$='/auth/logout'] button:visible").first.click()
    expect(page).to_have_url(re.compile(r"/auth/login"))

    # come back later, resume at the same step, nothing lost
    sign_in(page, base, live_app, officer)
    page.goto(base + "/screening/")
    page.locator("a[href$='/resume']").first.click()
    expect(page).to_have_url(re.compile(r"/step/travel$"))
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.locator("button[value=back]").click()
    expect(page.locator("#q-job_different input[value=yes]")).to_be_checked()
    _next(page)

    # travel, work and living, control: answers that carry the three adult dimensions
    _next(page)
    expect(page).to_have_url(re.compile(r"/step/work_and_living$"))
    _answer(page, "reached_destination", "yes")
    _next(page)
    _answer(page, "long_hours", "yes")
    _answer(page, "pay_problems", "little_or_none")
    _next(page)
    expect(page).to_have_url(re.compile(r"/step/control_and_coercion$"))
    _answer(page, "restricted_movement", "yes")
    _answer(page, "threats", "violence")
    _next(page)
    for step in ("documents", "debts", "exploitation", "needs"):
        expect(page).to_have_url(re.compile(rf"/step/{step}$"))
        _next(page)
    expect(page).to_have_url(re.compile(r"/step/consent$"))
    _answer(page, "consent_explained_in_own_language", "yes")
    _answer(page, "consent_services", "yes")
    _next(page)

    expect(page).to_have_url(re.compile(r"/summary$"))
    page.locator("input[name=agreement][value=agree]").check()
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/screening/[0-9a-f]{32}$"))
    with live_app.app_context():
        criteria = service.catalogue().criteria
    for dimension in ("deceptive_recruitment", "exploitative_conditions", "coercion_at_destination"):
        expect(page.locator("main")).to_contain_text(criteria.dimensions[dimension].text["ru"])
    expect(page.locator("main")).to_contain_text(criteria.indicators["excessive_hours"].text["ru"])
    with live_app.app_context():
        screening = db.session.scalar(db.select(Screening))
        assert screening.result == "presumed_victim" and screening.status == "submitted"
        profile = json.loads(screening.profile_json)
        assert profile["citizenship"] == "KZ" and profile["region"] == "KG-C"
