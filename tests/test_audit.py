"""The audit trail: chained, keyed, serialised; tampering is found and named."""

import os
import re
import threading

import pytest
from sqlalchemy import text

from nrm.extensions import db
from nrm.models import AuditEvent
from nrm.security import audit
from tests.conftest import make_user, post_form


def _record_some(app, n=6):
    with app.app_context():
        for i in range(n):
            audit.record(f"test.action{i % 3}", object_type="user", object_id=i)
            db.session.commit()


def _verify(app):
    with app.app_context():
        return audit.verify()


def _exec(app, sql):
    with app.app_context():
        for statement in sql.split("; "):
            db.session.execute(text(statement))
        db.session.commit()


def test_events_form_an_unbroken_numbered_chain(app):
    _record_some(app, 10)
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert [e.seq for e in events] == list(range(1, 11))
        assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    result = _verify(app)
    assert result.ok and result.checked == 10 and result.head_seq == 10


TAMPERING = [
    ("edit the object id", "UPDATE audit_event SET object_id = '999' WHERE seq = 4", 4),
    ("edit the action", "UPDATE audit_event SET action = 'auth.login' WHERE seq = 2", 2),
    ("edit the actor", "UPDATE audit_event SET actor_id = 77 WHERE seq = 5", 5),
    ("edit the outcome", "UPDATE audit_event SET outcome = 'failed' WHERE seq = 1", 1),
    ("edit the time", "UPDATE audit_event SET at = '2020-01-01 00:00:00' WHERE seq = 3", 3),
    ("edit the address", "UPDATE audit_event SET client_addr = '10.0.0.1' WHERE seq = 6", 6),
    ("delete an event", "DELETE FROM audit_event WHERE seq = 3", 4),
    ("delete the first event", "DELETE FROM audit_event WHERE seq = 1", 2),
    ("reorder two events", "UPDATE audit_event SET seq = -1 WHERE seq = 2; "
     "UPDATE audit_event SET seq = 2 WHERE seq = 3; UPDATE audit_event SET seq = 3 WHERE seq = -1", 2),
    ("delete the last event", "DELETE FROM audit_event WHERE seq = 6", 6),
    ("forge a hash", "UPDATE audit_event SET hash = prev_hash WHERE seq = 4", 4),
]


@pytest.mark.parametrize(("what", "sql", "named"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_is_found_and_the_first_broken_event_named(app, what, sql, named):
    _record_some(app, 6)
    assert _verify(app).ok
    _exec(app, sql)
    result = _verify(app)
    assert not result.ok
    assert result.broken_seq == named, (what, result)


def test_a_rewritten_chain_without_the_key_does_not_verify(app):
    """An attacker who recomputes plain SHA-256 hashes (no key) is caught at the first event."""
    import hashlib

    _record_some(app, 3)
    with app.app_context():
        prev = audit.GENESIS
        for event in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.seq)):
            event.object_id = "forged"
            event.prev_hash = prev
            event.hash = hashlib.sha256(audit._canonical(event)).hexdigest()
            prev = event.hash
        db.session.commit()
    assert _verify(app).broken_seq == 1


def test_audit_verify_command(app, runner):
    _record_some(app, 4)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "intact: 4 events" in result.output
    _exec(app, "UPDATE audit_event SET object_type = 'person' WHERE seq = 3")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at event 3" in result.output and "edited" in result.output


def test_a_rolled_back_change_leaves_no_event_and_no_gap(app):
    with app.app_context():
        audit.record("test.kept")
        db.session.commit()
        audit.record("test.rolled_back")
        db.session.rollback()
        audit.record("test.kept_too")
        db.session.commit()
        actions = db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions == ["test.kept", "test.kept_too"]
    assert _verify(app).ok


def test_concurrent_writers_never_fork_the_chain(app):
    errors = []

    def writer(worker):
        try:
            with app.app_context():
                for i in range(15):
                    audit.record("test.concurrent", object_type="worker", object_id=f"{worker}-{i}")
                    db.session.commit()
                db.session.remove()
        except Exception as problem:  # noqa: BLE001 - reported below
            errors.append(repr(problem))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    result = _verify(app)
    assert result.ok and result.checked == 90
    with app.app_context():
        db.engine.dispose()


def test_an_open_transaction_does_not_hold_the_trail_until_it_commits(app):
    """Events are chained at commit: a long request that has recorded an event but not committed
    (routing a screening, say) does not make every other writer wait for it."""
    from nrm.models import JobLock

    recorded, finished = threading.Event(), threading.Event()

    def long_request():
        with app.app_context():
            audit.record("test.long_request")
            db.session.add(JobLock(name="long-request"))      # and it writes rows of its own
            db.session.flush()
            recorded.set()
            finished.wait(timeout=60)
            db.session.commit()
            db.session.remove()

    with app.app_context():
        db.session.commit()
    other = threading.Thread(target=long_request)
    other.start()
    assert recorded.wait(timeout=60)
    try:
        with app.app_context():
            audit.record("test.short_request")
            if os.environ.get("NRM_TEST_DATABASE_URL"):      # SQLite has one writer at a time anyway
                db.session.commit()                          # did not wait for the long request
            db.session.rollback()
    finally:
        finished.set()
        other.join(timeout=60)
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.seq)).all()
        if os.environ.get("NRM_TEST_DATABASE_URL"):
            assert actions[-2:] == ["test.short_request", "test.long_request"]
        else:
            assert actions[-1] == "test.long_request"
        with pytest.raises(RuntimeError), db.session.begin_nested():
            audit.record("test.in_a_savepoint")                # refused: its rollback would not undo it
        db.session.rollback()
    assert _verify(app).ok


# ------------------------------------------------------------------ the auditor's screen

@pytest.mark.parametrize("role", ["screening_officer", "case_worker", "coordinator", "analyst",
                                  "administrator"])
def test_only_auditors_read_the_trail(app, client, login, role):
    login(role)
    assert client.get("/audit/").status_code == 403
    assert post_form(client, "/audit/verify", page="/").status_code == 403


def test_auditor_lists_filters_and_verifies(app, client, login):
    make_user(app, "screening_officer", username="someone")
    post_form(client, "/auth/login", {"username": "someone", "password": "wrong"})
    login("auditor")
    page = client.get("/audit/").get_data(as_text=True)
    rows = page.split("<tbody>")[1]
    # words, not codes: the action, the object (an account by its user name) and the outcome
    assert "<td>Sign-in: password</td>" in rows and "Account: someone" in rows and "<td>Failed</td>" in rows
    assert "auth.login" not in rows and "user:" not in rows and "<code>" not in rows
    page = client.get("/audit/?outcome=failed").get_data(as_text=True)
    assert page.split("<tbody>")[1].count("<td>Sign-in: password</td>") == 1
    assert '<option value="auth.login">Sign-in: password</option>' in page      # the filter in words too
    page = client.get("/audit/?action=auth.logout").get_data(as_text=True)
    assert "No events match" in page
    page = post_form(client, "/audit/verify", page="/audit/").get_data(as_text=True)
    assert "The trail is intact" in page

    _exec(app, "UPDATE audit_event SET outcome = 'ok' WHERE outcome = 'failed'")
    page = post_form(client, "/audit/verify", page="/audit/").get_data(as_text=True)
    assert "BROKEN at event 1" in page


def test_a_long_trail_is_paged_without_counting_it_all_and_the_filters_list_what_is_there(app, client, login,
                                                                                           monkeypatch):
    from nrm import views_common
    from nrm.trail import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    monkeypatch.setattr(views_common, "COUNT_LIMIT", 5)
    with app.app_context():
        for n in range(7):
            audit.record("directory.update", object_type="organisation", object_id=str(n),
                         outcome="ok" if n % 2 else "refused")
        db.session.commit()
    login("auditor")
    page = client.get("/audit/").get_data(as_text=True)
    assert "More than 5 events, newest first — page 1" in page and "page=2" in page
    # the filter lists every action, outcome and object type present, and nothing else
    options = set(re.findall(r'<option value="([^"]+)"', page))
    assert {"directory.update", "ok", "refused", "organisation", "auth.login", "user"} <= options
    assert "screening.submit" not in options
    # a short filtered list is still counted exactly, and has no next page
    page = client.get("/audit/?outcome=refused").get_data(as_text=True)
    assert "4 events, newest first — page 1 of 2" in page
    page = client.get("/audit/?outcome=refused&page=2").get_data(as_text=True)
    assert "page 2 of 2" in page and "page=3" not in page


def test_reading_the_trail_is_itself_recorded(app, client, login):
    auditor = login("auditor")
    client.get("/audit/")
    client.get("/audit/?page=2")
    with app.app_context():
        views = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "audit.view")).all()
    assert len(views) == 2 and all(v.actor_id == auditor.id for v in views)


@pytest.mark.parametrize(("query", "status"), [
    ("page=0", 200), ("page=abc", 200), ("date_from=2026-13-45", 200), ("page=99999999999", 200),
    ("object_id=" + "9" * 5000, 200), ("action=%00", 400), ("actor=a%00b", 400),
])
def test_bad_filter_values_never_break_the_page(app, client, login, query, status):
    login("auditor")
    assert client.get(f"/audit/?{query}").status_code == status
