"""Nothing lost to a timeout (issue 14): the page warns before the idle sign-out with a button to
stay; what the officer typed on a screening step is sealed into the draft before the session ends,
so signing in again finds every answer there. Real browser, real server, short timeouts."""

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve, sign_in
from tests.conftest import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def short_app(tmp_path):
    yield from serve(tmp_path, SESSION_IDLE_TIMEOUT=timedelta(seconds=25), SESSION_WARNING_SECONDS=12,
                     AUTOSAVE_SECONDS=2)


def _start_screening(page, base):
    page.goto(base + "/screening/")
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/step/safety$"))
    return re.search(r"/screening/([0-9a-f]{32})/", page.url).group(1)


def test_answers_typed_on_a_step_survive_the_idle_sign_out(short_app, page):
    base = short_app.config["LIVE_URL"]
    officer = make_user(short_app, "screening_officer", username="slow-officer")
    sign_in(page, base, short_app, officer)
    sid = _start_screening(page, base)
    page.goto(f"{base}/screening/{sid}/step/person")
    page.locator("#age").fill("34")
    page.locator("input[name=sex][value=female]").check()
    # nobody presses Next: the warning comes, then the session ends
    expect(page.locator(".idle-warning")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"/auth/login"), timeout=40_000)
    sign_in(page, base, short_app, officer)
    page.goto(f"{base}/screening/{sid}/step/person")
    expect(page.locator("#age")).to_have_value("34")
    expect(page.locator("input[name=sex][value=female]")).to_be_checked()


def test_stay_signed_in_keeps_the_session(short_app, page):
    base = short_app.config["LIVE_URL"]
    officer = make_user(short_app, "screening_officer", username="staying-officer")
    sign_in(page, base, short_app, officer)
    page.goto(base + "/screening/")
    expect(page.locator(".idle-warning")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Stay signed in").click()
    expect(page.locator(".idle-warning")).to_be_hidden()
    time.sleep(15)                        # past the first deadline: still signed in
    page.goto(base + "/screening/")
    expect(page).to_have_url(re.compile(r"/screening/$"))
