"""Faults (issue 7): a submission racing another, a worker killed in the middle of one, two
schedulers — each screening submitted once, each referral once, nothing acknowledged lost, the
audit chain intact."""

import json
import os
import signal
import threading
import time

import pytest

from nrm.extensions import db
from nrm.models import Referral, Screening, User
from nrm.security import audit
from nrm.services import directory
from nrm.services import screening as screenings
from tests.conftest import make_user, post_form, sign_in
from tests.test_referrals import PRESUMED_ANSWERS


def _draft(app, account):
    with app.app_context():
        officer = db.session.get(User, account.id)
        draft = screenings.start(officer, screenings.script_for(officer), "ru")
        draft.answers_json = json.dumps(PRESUMED_ANSWERS)
        db.session.commit()
        return draft.id


def _once(app, sid):
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(Screening, sid).status == "submitted"
        services = [s for (s,) in db.session.execute(db.select(Referral.service).where(Referral.screening_id == sid))]
        assert services and len(services) == len(set(services)), services
        assert audit.verify().ok
        submits = db.session.scalar(db.select(db.func.count()).select_from(audit.AuditEvent).where(
            audit.AuditEvent.action == "screening.submit", audit.AuditEvent.object_id == sid))
        assert submits == 1


def test_two_submissions_of_one_draft_at_the_same_moment(app, clock):
    """A double click or two tabs: one submission wins, the other is shown the result."""
    with app.app_context():
        directory.seed()
        db.session.commit()
    account = make_user(app, "screening_officer", username="race-officer")
    sid = _draft(app, account)
    clients = [app.test_client(), app.test_client()]
    for client in clients:
        sign_in(app, client, account, clock)
        clock.advance(seconds=31)          # each sign-in needs a fresh TOTP step
    tokens = []
    for client in clients:
        page = client.get(f"/screening/{sid}/summary").get_data(as_text=True)
        from tests.conftest import csrf_from

        tokens.append(csrf_from(page))
    answers, barrier = [], threading.Barrier(2)

    def submit(client, token):
        barrier.wait()
        response = client.post(f"/screening/{sid}/summary", data={"agreement": "agree", "csrf_token": token})
        answers.append((response.status_code, response.headers.get("Location", "")))

    threads = [threading.Thread(target=submit, args=(c, t)) for c, t in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in answers] == [302, 302], answers
    assert all(location.endswith(f"/screening/{sid}") for _, location in answers)
    _once(app, sid)


def test_a_second_submission_after_a_lost_answer_shows_the_result(app, client, clock):
    with app.app_context():
        directory.seed()
        db.session.commit()
    account = make_user(app, "screening_officer", username="retry-officer")
    sign_in(app, client, account, clock)
    sid = _draft(app, account)
    first = post_form(client, f"/screening/{sid}/summary", {"agreement": "agree"})
    again = post_form(client, f"/screening/{sid}/summary", {"agreement": "agree"},
                      page=f"/screening/{sid}")
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"].endswith(f"/screening/{sid}")
    _once(app, sid)


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.06, 0.15])
def test_a_worker_killed_mid_submission_loses_nothing_and_the_draft_can_be_resubmitted(tmp_path, delay):
    """gunicorn with one worker; SIGKILL to the worker while it submits; the master starts another.
    Whatever moment the kill lands, a resubmission ends with the screening submitted exactly once."""
    from bench.server import Client, Server

    database_url = os.environ.get("NRM_TEST_DATABASE_URL")
    server = Server(tmp_path / "kill", database_url=database_url, workers=1)
    officer = server.prepare({"screening_officer": 1}, drafts_per_officer=1)[0]
    server.start()
    try:
        client = Client(server.url)
        client.sign_in(officer)
        sid = officer.drafts[0]
        client.request("GET", f"/screening/{sid}/summary")
        worker = server.worker_pids()[0]
        outcome = {}

        def submit():
            try:
                outcome["first"] = client.request("POST", f"/screening/{sid}/summary", {"agreement": "agree"})[0]
            except OSError as error:           # the connection died with the worker
                outcome["first"] = repr(error)

        thread = threading.Thread(target=submit)
        thread.start()
        time.sleep(delay)
        os.kill(worker, signal.SIGKILL)
        thread.join(timeout=60)
        deadline = time.monotonic() + 30       # the master replaces the worker
        while time.monotonic() < deadline and not [p for p in server.worker_pids() if p != worker]:
            time.sleep(0.2)
        client.request("GET", f"/screening/{sid}")     # a fresh page (and CSRF token) after the failure
        status, _text, _e, location = client.request("POST", f"/screening/{sid}/summary", {"agreement": "agree"})
        assert status == 302 and location.endswith(f"/screening/{sid}"), (status, outcome)
    finally:
        server.stop()
    from nrm import create_app

    app = create_app(server.config())
    _once(app, sid)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
