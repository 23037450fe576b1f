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


def _escalation_counts(app) -> tuple[int, int, int, dict]:
    """(escalations, escalation audit events, coordinator notifications, the largest count of any one
    (kind, subject) pair) — read afresh from the database."""
    from nrm.models import Escalation, Notification

    with app.app_context():
        db.session.expire_all()
        escalations = db.session.scalar(db.select(db.func.count()).select_from(Escalation))
        events = db.session.scalar(db.select(db.func.count()).select_from(audit.AuditEvent).where(
            audit.AuditEvent.action.like("escalation.%")))
        notes = db.session.scalar(db.select(db.func.count()).select_from(Notification).where(
            Notification.kind.in_(("acknowledgement_overdue", "acceptance_overdue"))))
        doubled = db.session.scalar(
            db.select(db.func.count()).select_from(
                db.select(Escalation.kind, Escalation.subject_id).group_by(Escalation.kind, Escalation.subject_id)
                .having(db.func.count() > 1).subquery()))
        db.session.remove()
        return escalations, events, notes, doubled


def test_schedulers_killed_mid_job_restarted_and_doubled_apply_each_job_once(tmp_path):
    """Two real scheduler processes (`flask scheduler`, APScheduler) on one database; the one running
    the escalation job is SIGKILLed in the middle of it and a third is started. Every overdue referral
    ends escalated exactly once, with one audit event and one notification per coordinator — the
    killed run left nothing half-done, and no run repeated another's work."""
    import subprocess
    import sys
    from datetime import timedelta

    from sqlalchemy import update

    from bench.common import ROOT
    from bench.server import Server
    from nrm import create_app
    from nrm.clock import now
    from nrm.models import JobLock
    from nrm.services import referrals
    from tests.test_referrals import screen

    server = Server(tmp_path / "sched", database_url=os.environ.get("NRM_TEST_DATABASE_URL"), workers=1)
    officer, *_coordinators = server.prepare({"screening_officer": 1, "coordinator": 2})
    app = create_app(server.config())
    with app.app_context():
        officer_id = db.session.scalar(db.select(User.id).where(User.username == officer.username))
    for _ in range(40):
        sid = screen(app, officer_id)
        with app.app_context():
            referrals.send_all(db.session.get(User, officer_id), db.session.get(Screening, sid))
            db.session.commit()
    with app.app_context():
        # the clocks ran out while no scheduler was running: every due date is ten days past
        past = now() - timedelta(days=10)
        db.session.execute(update(Referral).where(Referral.state == "sent")
                           .values(acknowledge_due=past, accept_due=past))
        expected = 2 * db.session.scalar(db.select(db.func.count()).select_from(Referral)
                                         .where(Referral.state == "sent"))
        db.session.commit()
    assert expected >= 200

    env = server.env(SCHEDULER_INTERVAL_SECONDS=1, SCHEDULER_LOCK_SECONDS=4)
    logs, processes = [], []

    def scheduler():
        logs.append((tmp_path / f"scheduler-{len(logs)}.log").open("w"))
        processes.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"], cwd=ROOT,
                                          env=env, stdout=logs[-1], stderr=subprocess.STDOUT))

    def holder_of_escalation_job():
        with app.app_context():
            db.session.expire_all()
            lock = db.session.get(JobLock, "escalate_overdue")
            holder = lock.holder if lock is not None and lock.locked_until is not None else None
            db.session.remove()
            return int(holder.rsplit(":", 1)[1]) if holder else None

    try:
        scheduler()
        scheduler()
        deadline, victim = time.monotonic() + 60, None
        while victim is None and time.monotonic() < deadline:
            victim = holder_of_escalation_job()
            time.sleep(0.01)
        assert victim in [p.pid for p in processes], (victim, "no scheduler took the escalation job")
        os.kill(victim, signal.SIGKILL)            # in the middle of the job: its transaction is open
        killed_at = _escalation_counts(app)
        assert killed_at[0] in (0, expected), ("a killed run left part of its work", killed_at, expected)
        scheduler()                                 # the replacement, beside the survivor
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and _escalation_counts(app)[0] < expected:
            time.sleep(0.5)
        time.sleep(4)                               # several more runs of every job on both schedulers
        escalations, events, notes, doubled = _escalation_counts(app)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
        for log in logs:
            log.close()
    assert (escalations, events, notes, doubled) == (expected, expected, 2 * expected, 0)
    with app.app_context():
        assert audit.verify().ok
        db.session.remove()
        db.engine.dispose()


def test_a_backup_taken_after_a_crash_restores_every_acknowledged_submission(tmp_path):
    """Officers submit screenings through gunicorn; the whole server (master and workers) is
    SIGKILLed in the middle of the traffic, as a power cut would. A backup is then taken of what the
    crash left, the database is lost, and the backup restored: every submission the officers saw
    acknowledged is there exactly once with its referrals, and the audit chain verifies."""
    import subprocess
    import sys

    from bench.common import ROOT
    from bench.server import Client, Server
    from nrm import create_app
    from tests.conftest import reset_database

    database_url = os.environ.get("NRM_TEST_DATABASE_URL")
    server = Server(tmp_path / "crash", database_url=database_url, workers=2)
    officers = server.prepare({"screening_officer": 4}, drafts_per_officer=8)
    server.start()
    acknowledged, stop = [], threading.Event()

    def officer_at_work(account):
        client = Client(server.url)
        try:
            client.sign_in(account)
        except OSError:                    # the crash came before this officer had signed in
            return
        for sid in account.drafts:
            if stop.is_set():
                return
            try:
                client.request("GET", f"/screening/{sid}/summary")
                status, _t, _e, location = client.request("POST", f"/screening/{sid}/summary",
                                                          {"agreement": "agree"})
            except OSError:                # the server died under this request: not acknowledged
                return
            if status == 302 and location.endswith(f"/screening/{sid}"):
                acknowledged.append(sid)

    threads = [threading.Thread(target=officer_at_work, args=(account,)) for account in officers]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(server.process.pid, signal.SIGKILL)      # the crash: no worker finishes, no shutdown runs
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    server.process.wait(timeout=10)
    server.log.close()
    assert len(acknowledged) >= 6, "the officers' submissions did not get through before the crash"
    seen = list(acknowledged)

    env = server.env()

    def flask(*args):
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
        return done.stdout

    flask("backup", str(tmp_path / "after-crash"))
    if database_url:                                   # the database is lost
        reset_database(database_url)
    else:
        for path in (tmp_path / "crash").glob("load.sqlite3*"):
            path.unlink()
    assert "audit trail intact" in flask("restore", str(tmp_path / "after-crash"), "--yes")

    app = create_app(server.config())
    for sid in seen:
        _once(app, sid)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_savepoint_write_is_undone_by_the_rollback_of_its_transaction(app):
    """On SQLite a SAVEPOINT outside a transaction is the transaction, and its release commits: an
    escalation or notification would be committed alone, at once, and survive a rollback (a killed
    scheduler left an escalation without its audit event that way). nrm.extensions.savepoint nests
    it in the transaction on both databases."""
    from sqlalchemy import create_engine

    from nrm.extensions import savepoint
    from nrm.models import JobLock

    with app.app_context():
        db.session.scalar(db.select(db.func.count()).select_from(JobLock))   # reads only, so far
        with savepoint():
            db.session.add(JobLock(name="savepoint-drill"))
        other = create_engine(app.config["DATABASE_URL"])
        with other.connect() as connection:
            seen = connection.exec_driver_sql("SELECT count(*) FROM job_lock WHERE name = 'savepoint-drill'")
            assert seen.scalar() == 0, "another connection sees a write its transaction has not committed"
        db.session.rollback()
        assert db.session.get(JobLock, "savepoint-drill") is None
        other.dispose()
