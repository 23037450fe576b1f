"""Phone and tablet (issue 14): at 390×844 and 768×1024 every main page of every role fits the
screen (no sideways scrolling), the first answer of every screening step is on the first screen on
a phone, and axe finds no serious or critical violation at either size. Russian: its words are the
longest of the three."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import _serious
from tests.browser.test_words_not_codes import PAGES, world  # noqa: F401 - the same world and pages

pytestmark = pytest.mark.browser
SIZES = {"phone": (390, 844), "tablet": (768, 1024)}
WIDTH = "() => ({page: document.documentElement.scrollWidth, view: window.innerWidth})"
FIRST_FIELD = """() => {
  const field = document.querySelector('form.screening-step fieldset input, form.screening-step fieldset select,'
                                       + ' form.screening-step fieldset textarea');
  return field ? field.getBoundingClientRect().top : null;
}"""


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("role", list(PAGES))
def test_every_main_page_fits_a_phone_and_a_tablet(live_app, browser, world, role, size):  # noqa: F811
    accounts, ids, steps = world
    base = live_app.config["LIVE_URL"]
    width, height = SIZES[size]
    context = browser.new_context(locale="ru-RU", viewport={"width": width, "height": height},
                                  is_mobile=size == "phone", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, live_app, accounts[role])
    page.goto(base + "/")
    menu = page.locator("details.menu > summary")
    if menu.is_visible():                      # the compact header: language and account in a menu
        menu.click()
    page.locator("button[value=ru]:visible").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    paths = list(PAGES[role])
    if role == "screening_officer":
        paths += [f"/screening/{{draft}}/step/{step}" for step in steps]
    wide, late, violations = [], [], []
    for path in paths:
        response = page.goto(base + path.format(**ids))
        assert response.status == 200, (path, response.status)
        measured = page.evaluate(WIDTH)
        if measured["page"] > measured["view"]:
            wide.append(f"{path}: {measured['page']} px in {measured['view']} px")
        if "/step/" in path and size == "phone":
            top = page.evaluate(FIRST_FIELD)
            if top is None or top > height:
                late.append(f"{path}: first answer at {top} px")
        violations += [f"{path}: {problem}" for problem in _serious(page)]
    context.close()
    assert not wide, "wider than the screen:\n" + "\n".join(wide)
    assert not late, "first answer below the first screen:\n" + "\n".join(late)
    assert not violations, "\n".join(violations)
