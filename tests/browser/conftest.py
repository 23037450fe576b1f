"""Browser fixtures: the real app served over HTTP on 127.0.0.1 and Debian's Chromium driven by
Playwright (it cannot download a browser of its own here). A missing browser is a failure."""

import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from nrm import create_app
from nrm.extensions import db as _db
from tests.conftest import TEST_PASSWORD, base_config, drop_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic"]


def serve(tmp_path, **config):
    """The real app over HTTP on 127.0.0.1 (a generator: yields the app, then stops it)."""
    app = create_app(base_config(tmp_path, **config))  # real clock: codes come from the wall time
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["LIVE_URL"] = f"http://127.0.0.1:{server.server_port}"
    yield app
    server.shutdown()
    thread.join(timeout=5)
    drop_database(app)


@pytest.fixture
def live_app(tmp_path):
    yield from serve(tmp_path)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def fresh_code(app, account):
    """The current TOTP code, waiting for the next 30-second step if this one was already used."""
    import pyotp

    from nrm.models import User
    from nrm.security import totp

    with app.app_context():
        user = _db.session.get(User, account.id)
        secret = totp.secret_of(user)
        last = user.totp_last_step
    while last is not None and pyotp.TOTP(secret).timecode(time.time()) <= last:
        time.sleep(1)
    return pyotp.TOTP(secret).now()


def sign_in(page, base, app, account):
    from playwright.sync_api import expect

    page.goto(base + "/auth/login")
    page.locator("#username").fill(account.username)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.locator("#code").fill(fresh_code(app, account))
    page.locator("main button[type=submit]").click()
    expect(page.locator("header")).to_contain_text(account.username)
