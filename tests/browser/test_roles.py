"""One journey per role in a real browser: sign in with a TOTP code, switch language, see the
role's home, sign out. Plus a newcomer's first sign-in with the QR enrolment."""

import re

import pyotp
import pytest
from flask_babel import force_locale
from playwright.sync_api import expect

from nrm import labels
from nrm.extensions import db
from nrm.models import User
from nrm.security import totp
from tests.conftest import ROLE_ORGS, TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser


def _label(app, role, language):
    with app.test_request_context(), force_locale(language):
        return str(labels.ROLE_LABELS[role])


def _code(app, account):
    with app.app_context():
        return totp.current_code(db.session.get(User, account.id))


@pytest.mark.parametrize("role", list(ROLE_ORGS))
def test_role_journey(live_app, page, role):
    account = make_user(live_app, role)
    base = live_app.config["LIVE_URL"]

    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.get_by_label("User name").fill(account.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Two-step verification")).to_be_visible()
    page.get_by_label("6-digit code").fill(_code(live_app, account))
    page.keyboard.press("Enter")  # keyboard submission works

    expect(page.get_by_role("heading", level=1)).to_have_text(_label(live_app, role, "en"))
    expect(page.locator("header")).to_contain_text(account.username)

    page.get_by_role("button", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", level=1)).to_have_text(_label(live_app, role, "ru"))

    page.get_by_role("button", name="Кыргызча").click()
    expect(page.locator("html")).to_have_attribute("lang", "ky")
    expect(page.get_by_role("heading", level=1)).to_have_text(_label(live_app, role, "ky"))

    with live_app.test_request_context(), force_locale("ky"):
        from flask_babel import gettext

        sign_out, signed_out = gettext("Sign out"), gettext("You are signed out.")
    page.get_by_role("button", name=sign_out).click()
    expect(page.get_by_role("status")).to_have_text(signed_out)
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/auth/login"))


def test_newcomer_sets_a_password_and_enrols_with_the_qr_code(live_app, page):
    account = make_user(live_app, "screening_officer", enrolled=False, must_change=True)
    base = live_app.config["LIVE_URL"]
    page.goto(base + "/auth/login")
    page.get_by_label("User name").fill(account.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Repeat the new password").fill("short")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator(".error")).to_contain_text("at least 12")

    new = "Apricots from Batken in July"
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("Repeat the new password").fill(new)
    page.get_by_role("button", name="Set password").click()

    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    expect(page.locator("figure.qr svg")).to_be_visible()
    secret = page.locator("code.secret").inner_text()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        _label(live_app, "screening_officer", "en"))
    expect(page.get_by_role("status")).to_contain_text("Two-step verification is on")
