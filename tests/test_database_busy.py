"""Issue 7 faults: a locked database (SQLite's whole-database write lock, held by another process
longer than the wait allowed) gives the user a clear 503 that says nothing was saved; once the lock
is gone the same form goes through. PostgreSQL locks rows, not the database: this drill is SQLite's."""

import os
import sqlite3

import pytest

from nrm import create_app
from nrm.extensions import db
from nrm.models import Screening
from nrm.services import screening as screenings
from tests.conftest import base_config, drop_database, make_user, post_form, sign_in

pytestmark = pytest.mark.skipif(bool(os.environ.get("NRM_TEST_DATABASE_URL")),
                                reason="SQLite's database lock; PostgreSQL waits on row locks instead")


@pytest.fixture
def busy_app(tmp_path, clock):
    app = create_app(base_config(tmp_path, CLOCK=clock, SQLITE_BUSY_TIMEOUT_MS=300))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    drop_database(app)


def test_a_locked_database_says_nothing_was_saved_and_the_form_can_be_sent_again(busy_app, clock):
    app = busy_app
    account = make_user(app, "screening_officer", username="busy-officer")
    client = app.test_client()
    sign_in(app, client, account, clock)
    with app.app_context():
        from nrm.models import User

        officer = db.session.get(User, account.id)
        draft = screenings.start(officer, screenings.script_for(officer), "ru")
        db.session.commit()
        sid = draft.id
    page = f"/screening/{sid}/step/safety"
    assert client.get(page).status_code == 200

    blocker = sqlite3.connect(app.config["DATABASE_URL"].removeprefix("sqlite:///"), timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = post_form(client, page, {"in_immediate_danger": "no", "action": "next"}, page=page)
    finally:
        blocker.rollback()
        blocker.close()
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "nothing was saved" in body and "send the form" in body
    with app.app_context():
        assert "in_immediate_danger" not in screenings.answers(db.session.get(Screening, sid))

    again = post_form(client, page, {"in_immediate_danger": "no", "action": "next"}, page=page)
    assert again.status_code == 302
    with app.app_context():
        assert screenings.answers(db.session.get(Screening, sid))["in_immediate_danger"] == "no"
