"""Accessibility (issue 7): axe-core (axe-playwright-python, in Debian's Chromium) on every main page
of every role, in Kyrgyz, Russian and English — no serious or critical violation; and the main forms
work from the keyboard alone."""

import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from nrm.extensions import db
from nrm.models import User
from nrm.services import directory, referrals
from nrm.services import screening as screenings
from tests.browser.conftest import sign_in
from tests.conftest import make_user
from tests.test_referrals import PRESUMED_ANSWERS

pytestmark = pytest.mark.browser

LANGUAGE_BUTTONS = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
AXE = Axe()


@pytest.fixture
def world(live_app):
    with live_app.app_context():
        directory.seed()
        db.session.commit()
    accounts = {
        "screening_officer": make_user(live_app, "screening_officer", username="a11y-officer"),
        "case_worker": make_user(live_app, "case_worker", username="a11y-worker", org_code="sezim"),
        "coordinator": make_user(live_app, "coordinator", username="a11y-coordinator"),
        "analyst": make_user(live_app, "analyst", username="a11y-analyst", org_code="t-gpo",
                             org_kind="prosecutor_office"),
        "auditor": make_user(live_app, "auditor", username="a11y-auditor", org_code="t-omb", org_kind="ombudsman"),
        "administrator": make_user(live_app, "administrator", username="a11y-admin"),
    }
    with live_app.app_context():
        officer = db.session.get(User, accounts["screening_officer"].id)
        screening = screenings.start(officer, screenings.catalogue().scripts["police"], "ru")
        screening.answers_json = json.dumps(PRESUMED_ANSWERS)
        screenings.submit(officer, screening, True, None, None)
        referrals.propose(officer, screening)
        referrals.send_all(officer, screening)
        centre = next(r for r in referrals.of_screening(screening) if r.service == "crisis_centre")
        case = referrals.accept(db.session.get(User, accounts["case_worker"].id), centre)
        draft = screenings.start(officer, screenings.catalogue().scripts["police"], "ru")
        db.session.commit()
        ids = {"sid": screening.id, "draft": draft.id, "centre": centre.id, "case": case.id}
    return accounts, ids


PAGES = {
    "screening_officer": ["/", "/screening/", "/screening/{draft}/step/safety", "/screening/{draft}/step/person",
                          "/screening/{draft}/identity", "/screening/{sid}", "/referrals/screening/{sid}",
                          "/referrals/{centre}", "/referrals/{centre}/letter?lang=ky", "/notifications"],
    "case_worker": ["/", "/referrals/inbox", "/referrals/{centre}", "/cases/", "/cases/{case}",
                    "/cases/{case}?section=plan", "/cases/{case}?section=services", "/cases/{case}?section=notes",
                    "/cases/{case}?section=files", "/cases/{case}?section=history"],
    "coordinator": ["/", "/review/", "/review/referrals/{centre}", "/review/identifications", "/review/cases",
                    "/review/directory", "/statistics/", "/statistics/table?rows=region&cols=sex"],
    "analyst": ["/", "/statistics/", "/statistics/table?rows=age_band&cols=minor"],
    "auditor": ["/", "/audit/"],
    "administrator": ["/", "/admin/accounts", "/admin/organisations", "/review/directory", "/auth/password"],
}


def _serious(page):
    results = AXE.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("role", list(PAGES))
def test_no_serious_accessibility_violation_on_any_main_page(live_app, page, world, role):
    accounts, ids = world
    base = live_app.config["LIVE_URL"]
    sign_in(page, base, live_app, accounts[role])
    found = []
    for language, button in LANGUAGE_BUTTONS.items():
        page.goto(base + "/")
        page.get_by_role("button", name=button).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        for path in PAGES[role]:
            response = page.goto(base + path.format(**ids))
            assert response.status == 200, (role, path, response.status)
            found += [f"{language} {path}: {problem}" for problem in _serious(page)]
    assert not found, "\n".join(found)


def test_the_sign_in_page_in_three_languages(live_app, page):
    base = live_app.config["LIVE_URL"]
    found = []
    for language, button in LANGUAGE_BUTTONS.items():
        page.goto(base + "/auth/login")
        page.get_by_role("button", name=button).click()
        expect(page.locator("html")).to_have_attribute("lang", language)
        found += [f"{language}: {problem}" for problem in _serious(page)]
    assert not found, "\n".join(found)


def test_a_screening_step_works_from_the_keyboard_alone(live_app, page, world):
    accounts, ids = world
    base = live_app.config["LIVE_URL"]
    sign_in(page, base, live_app, accounts["screening_officer"])
    page.goto(f"{base}/screening/{ids['draft']}/step/safety")
    # Tab to the first answer of the first question, choose it with the space bar, submit with Enter
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.name")
        if focused == "in_immediate_danger":
            break
    else:
        pytest.fail("the first question cannot be reached with Tab")
    page.keyboard.press("Space")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.value") == "next":
            break
    else:
        pytest.fail("the Next button cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"/step/safety$"))


PRINTED = {
    "screening_officer": ["/screening/{sid}", "/referrals/{centre}/letter?lang=ky"],
    "case_worker": ["/cases/{case}"],
    "coordinator": ["/review/referrals/{centre}", "/review/cases", "/statistics/table?rows=region&cols=sex"],
    "auditor": ["/audit/"],
}
# in print, nothing to click or type, no navigation, black text, and no table cut at the page edge
PRINT_CHECK = """() => {
  const shown = el => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();
                        return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0; };
  const controls = [...document.querySelectorAll('button, input:not([type=hidden]), select, textarea, nav')]
    .filter(shown).map(el => el.outerHTML.slice(0, 80));
  const clipped = [...document.querySelectorAll('.table-wrap')].filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => el.outerHTML.slice(0, 80));
  const h1 = document.querySelector('h1');
  return {controls, clipped, heading: !!h1 && shown(h1), color: getComputedStyle(document.body).color};
}"""


@pytest.mark.parametrize("role", list(PRINTED))
def test_printed_pages_are_documents(live_app, page, world, role):
    accounts, ids = world
    base = live_app.config["LIVE_URL"]
    sign_in(page, base, live_app, accounts[role])
    page.emulate_media(media="print")
    for path in PRINTED[role]:
        response = page.goto(base + path.format(**ids))
        assert response.status == 200, (role, path)
        found = page.evaluate(PRINT_CHECK)
        assert found["heading"] and not found["controls"] and not found["clipped"], (path, found)
        assert found["color"] == "rgb(0, 0, 0)", (path, found["color"])
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 1, path


# a control is known by its HTML; a radio group by its name; a control inside a closed <details> by
# the details' <summary>, which the keyboard opens with Enter (the browser's own behaviour)
KEY = """const key = el => {
  const closed = el.closest('details:not([open])');
  if (closed && el.tagName !== 'SUMMARY') return 'summary:' + closed.querySelector('summary').textContent.trim();
  if (el.tagName === 'SUMMARY') return 'summary:' + el.textContent.trim();
  return el.type === 'radio' ? 'radio:' + el.name : el.outerHTML.slice(0, 120);
};"""
REACHED = """() => {""" + KEY + """
  const el = document.activeElement;
  return el && el !== document.body ? key(el) : null;
}"""
CONTROLS = """() => {""" + KEY + """
  const shown = el => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();
                        return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0; };
  return [...document.querySelectorAll('main form input:not([type=hidden]), main form select, main form textarea, main form button')]
    .filter(el => (shown(el) || el.closest('details:not([open])')) && !el.disabled).map(key);
}"""


@pytest.mark.parametrize("role", list(PAGES))
def test_every_control_of_every_form_is_reached_with_the_tab_key(live_app, page, world, role):
    """Keyboard alone: from the top of each main page, Tab reaches every field and button of every
    form on it (a radio group is one stop: the arrow keys move inside it; a form folded in a
    <details> is reached through its summary, which Enter opens)."""
    accounts, ids = world
    base = live_app.config["LIVE_URL"]
    sign_in(page, base, live_app, accounts[role])
    missed = {}
    for path in PAGES[role]:
        page.goto(base + path.format(**ids))
        wanted = set(page.evaluate(CONTROLS))
        stops = page.evaluate("document.querySelectorAll('a[href], button, input, select, textarea, summary, "
                              "[tabindex]').length")
        reached = set()
        for _ in range(stops + 20):           # once round the page, whatever its length
            page.keyboard.press("Tab")
            reached.add(page.evaluate(REACHED))
            if wanted <= reached:
                break
        if wanted - reached:
            missed[path] = sorted(wanted - reached)[:5]
    assert not missed, missed
