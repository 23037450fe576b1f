"""Issue 4: each agency's script walked end to end in a real browser, in two pairs of languages
(the officer's screen in one, the person's interview wording in another): every step reachable,
every required question answerable, the summary, the submission and the explained result."""

import re

import pytest
from playwright.sync_api import expect

from nrm.extensions import db
from nrm.models import Screening
from tests.browser.conftest import sign_in
from tests.browser.test_referral_journey import ANSWERS
from tests.conftest import make_user

pytestmark = pytest.mark.browser

SCRIPTS = {  # script id: the organisation kind whose officers use it
    "police": "police_unit", "customs": "customs_post", "health": "health_facility",
    "mlssm": "mlssm_regional", "ombudsman": "ombudsman", "ngo": "ngo",
}
LANGUAGE_BUTTONS = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}


def _answer(block, question_id):
    """The journey's answer where it has one; otherwise a plain one of the right kind."""
    value = ANSWERS.get(question_id)
    if block.locator("select").count():
        select = block.locator("select")
        select.select_option(value if value else select.locator("option").nth(1).get_attribute("value"))
    elif block.locator("input[type=radio]").count():
        choice = block.locator(f"input[value='{value}']") if value else block.locator("input[value='no']")
        (choice if choice.count() else block.locator("input[type=radio]").first).check()
    elif block.locator("input[type=checkbox]").count():
        for item in value if isinstance(value, list) else [None]:
            box = block.locator(f"input[value='{item}']") if item else block.locator("input[type=checkbox]").first
            box.check()
    elif block.locator("input[type=number]").count():
        block.locator("input").fill(str(value or 30))
    elif block.locator("textarea").count():
        block.locator("textarea").fill("Answered in the walk.")
    elif block.locator("input").count():
        block.locator("input").first.fill(str(value or "x"))


@pytest.mark.parametrize(("officer_language", "person_language"), [("ky", "ru"), ("ru", "en")])
@pytest.mark.parametrize("script_id", list(SCRIPTS))
def test_each_agency_script_end_to_end(live_app, page, script_id, officer_language, person_language):
    base = live_app.config["LIVE_URL"]
    officer = make_user(live_app, "screening_officer", username=f"walk-{script_id}",
                        org_code=f"t-walk-{script_id}", org_kind=SCRIPTS[script_id])
    sign_in(page, base, live_app, officer)
    page.get_by_role("button", name=LANGUAGE_BUTTONS[officer_language]).click()
    expect(page.locator("html")).to_have_attribute("lang", officer_language)
    page.goto(base + "/screening/")
    page.locator("#interview_language").select_option(person_language)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/step/safety$"))
    expect(page.locator(f".script[lang={person_language}]").first).to_be_visible()

    answered, steps = set(), 0
    while not page.url.endswith("/summary"):
        steps += 1
        assert steps < 60, "the screening never reached its summary"
        for block in page.locator("main fieldset.question").all():
            question_id = block.get_attribute("id")[2:]
            if question_id in answered or (ANSWERS.get(question_id) is None and not block.locator(
                    ".required, [required], [aria-required=true]").count()):
                continue
            _answer(block, question_id)
            answered.add(question_id)
        page.locator("button[value=next]").click()
        for block in page.locator("main fieldset.question.has-error").all():   # a required one we skipped
            _answer(block, block.get_attribute("id")[2:])
        if page.locator("main fieldset.question.has-error").count():
            page.locator("button[value=next]").click()

    page.locator("input[name=agreement][value=agree]").check()
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/screening/[0-9a-f]{32}$"))
    expect(page.locator("html")).to_have_attribute("lang", officer_language)
    expect(page.locator("#why")).to_be_visible()
    expect(page.locator("main .dimension").first).to_be_visible()
    with live_app.app_context():
        screening = db.session.scalar(db.select(Screening))
        assert screening.status == "submitted" and screening.script_id == script_id
        assert screening.interview_language == person_language and screening.result is not None
