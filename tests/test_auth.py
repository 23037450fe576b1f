"""Sign-in as a user and an attacker see it: lockout, second factor, passwords, sessions."""

import re

import pytest

from nrm.extensions import db
from nrm.models import AuditEvent, AuthSession, User
from tests.conftest import TEST_PASSWORD, fresh_code, make_user, post_form, sign_in


def _login(client, username, password):
    return post_form(client, "/auth/login", {"username": username, "password": password})


def _text(response):
    return response.get_data(as_text=True)


# ------------------------------------------------------------------ lockout

def test_six_wrong_passwords_lock_the_account_and_the_right_one_is_refused(app, client, clock):
    account = make_user(app, "screening_officer")
    for attempt in range(4):
        response = _login(client, account.username, f"wrong password {attempt}")
        assert "not correct" in _text(response)
    response = _login(client, account.username, "wrong password 5")  # 5th failure within a minute
    assert "locked until" in _text(response)
    response = _login(client, account.username, "wrong password 6")
    assert "locked until" in _text(response)

    clock.advance(minutes=10)
    response = _login(client, account.username, TEST_PASSWORD)
    assert response.status_code == 200 and "locked until" in _text(response)
    assert client.get("/").status_code == 302

    clock.advance(minutes=6)  # the 15-minute lock has expired
    response = _login(client, account.username, TEST_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/code")


def test_failures_spread_over_more_than_a_minute_do_not_lock(app, client, clock):
    account = make_user(app, "case_worker")
    for attempt in range(8):
        _login(client, account.username, f"wrong {attempt}")
        clock.advance(seconds=20)
        if attempt % 3 == 2:
            clock.advance(seconds=60)
    response = _login(client, account.username, TEST_PASSWORD)
    assert response.status_code == 302


def test_unknown_user_name_locks_like_a_real_one(app, client):
    """The lock message must not reveal whether an account exists."""
    for attempt in range(5):
        response = _login(client, "nobody-here", f"wrong {attempt}")
    assert "locked until" in _text(response)


def test_wrong_second_factor_codes_count_towards_the_lock(app, client, clock):
    account = make_user(app, "coordinator")
    for _ in range(4):
        _login(client, account.username, TEST_PASSWORD)
        response = post_form(client, "/auth/code", {"code": "000000"})
        assert "not correct" in _text(response) or response.status_code == 302
    _login(client, account.username, TEST_PASSWORD)
    response = post_form(client, "/auth/code", {"code": "000000"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    response = _login(client, account.username, TEST_PASSWORD)
    assert "locked until" in _text(response)


def test_sign_in_failures_are_audited_without_the_typed_values(app, client):
    account = make_user(app, "auditor")
    _login(client, account.username, "a typed secret value")
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
        assert [e.outcome for e in events] == ["failed"]
        assert events[0].object_id == str(account.id)
        for event in events:
            row = " ".join(str(getattr(event, c.name)) for c in AuditEvent.__table__.columns)
            assert "typed secret" not in row


# ------------------------------------------------------------------ second factor

def test_enrolment_shows_a_qr_code_and_requires_a_working_code(app, client, clock):
    account = make_user(app, "screening_officer", enrolled=False)
    response = _login(client, account.username, TEST_PASSWORD)
    assert response.headers["Location"].endswith("/auth/enrol")
    page = _text(client.get("/auth/enrol"))
    assert "<svg" in page and "QR" in page
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)

    response = post_form(client, "/auth/enrol", {"code": "123456"})
    assert "not correct" in _text(response)

    import pyotp
    code = pyotp.TOTP(secret).at(clock())
    response = post_form(client, "/auth/enrol", {"code": code})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert client.get("/").status_code == 200
    with app.app_context():
        assert db.session.get(User, account.id).totp_enrolled_at is not None


def test_a_used_code_is_refused_the_second_time(app, client, clock):
    account = make_user(app, "case_worker")
    code = fresh_code(app, account, clock)
    _login(client, account.username, TEST_PASSWORD)
    assert post_form(client, "/auth/code", {"code": code}).status_code == 302
    post_form(client, "/auth/logout", page="/")

    _login(client, account.username, TEST_PASSWORD)
    response = post_form(client, "/auth/code", {"code": code})
    assert "already used" in _text(response)
    assert client.get("/").status_code == 302


def test_the_code_page_is_unreachable_without_the_password(app, client):
    make_user(app, "coordinator")
    assert client.get("/auth/code").headers["Location"].startswith("/auth/login")
    assert client.get("/auth/enrol").headers["Location"].startswith("/auth/login")
    assert client.get("/auth/new-password").headers["Location"].startswith("/auth/login")


def test_a_pending_sign_in_expires(app, client, clock):
    account = make_user(app, "analyst")
    _login(client, account.username, TEST_PASSWORD)
    clock.advance(minutes=6)
    response = post_form(client, "/auth/code", {"code": fresh_code(app, account, clock)},
                         page="/auth/login")
    assert response.headers["Location"].startswith("/auth/login")
    assert client.get("/").status_code == 302


# ------------------------------------------------------------------ passwords

def test_first_sign_in_forces_a_new_password_that_meets_the_policy(app, client, clock):
    account = make_user(app, "screening_officer", must_change=True)
    response = _login(client, account.username, TEST_PASSWORD)
    assert response.headers["Location"].endswith("/auth/new-password")
    assert client.get("/").status_code == 302  # not signed in yet

    cases = [
        ("short pw 1", "at least 12"),
        ("password1234", "too common"),
        (f"my {account.username} pass", "user name"),
        (TEST_PASSWORD, "different from the current"),
    ]
    for password, message in cases:
        response = post_form(client, "/auth/new-password", {"password": password, "confirm": password})
        assert response.status_code == 200 and message in _text(response), password
    response = post_form(client, "/auth/new-password", {"password": "a b", "confirm": "a c"})
    assert "differ" in _text(response)

    new = "Tulpar jumps over Ala-Too 2026"
    response = post_form(client, "/auth/new-password", {"password": new, "confirm": new})
    assert response.headers["Location"].endswith("/auth/code")
    response = post_form(client, "/auth/code", {"code": fresh_code(app, account, clock)})
    assert client.get("/").status_code == 200
    post_form(client, "/auth/logout", page="/")
    assert _login(client, account.username, TEST_PASSWORD).status_code == 200
    assert _login(client, account.username, new).status_code == 302


def test_the_common_password_list_ships_with_ten_thousand_entries():
    from nrm.security.passwords import common_passwords

    words = common_passwords()
    assert len(words) == 10000
    assert {"123456", "password", "qwerty", "iloveyou"} <= words


def test_changing_the_own_password_signs_out_other_sessions(app, clock):
    account = make_user(app, "coordinator")
    first, second = app.test_client(), app.test_client()
    sign_in(app, first, account, clock)
    sign_in(app, second, account, clock)
    new = "Kok-Boru on Saturday at noon"
    response = post_form(first, "/auth/password",
                         {"current_password": TEST_PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302


def test_a_hash_with_old_parameters_is_replaced_at_sign_in(app, client, clock):
    from argon2 import PasswordHasher

    account = make_user(app, "auditor")
    with app.app_context():
        user = db.session.get(User, account.id)
        user.password_hash = PasswordHasher(time_cost=2, memory_cost=8, parallelism=1).hash(TEST_PASSWORD)
        db.session.commit()
    sign_in(app, client, account, clock)
    with app.app_context():
        stored = db.session.get(User, account.id).password_hash
        assert stored.startswith("$argon2id$") and "t=1," in stored


# ------------------------------------------------------------------ sessions

def _sid(client):
    cookie = client.get_cookie("nrm_session")
    return cookie.value if cookie else None


def test_the_session_is_regenerated_at_sign_in(app, client, clock):
    account = make_user(app, "screening_officer")
    client.get("/auth/login")
    before = _sid(client)
    _login(client, account.username, TEST_PASSWORD)
    pending_cookie = _sid(client)
    post_form(client, "/auth/code", {"code": fresh_code(app, account, clock)})
    assert len({before, pending_cookie, _sid(client)}) == 3
    with app.app_context():
        states = db.session.execute(db.select(AuthSession.stage, AuthSession.ended_at)).all()
        assert sum(1 for _stage, ended in states if ended is None) == 1


def test_a_stolen_pre_login_cookie_is_worthless_after_sign_in(app, client, clock):
    account = make_user(app, "screening_officer")
    _login(client, account.username, TEST_PASSWORD)
    stolen = client.get_cookie("nrm_session").value
    post_form(client, "/auth/code", {"code": fresh_code(app, account, clock)})
    attacker = app.test_client()
    attacker.set_cookie("nrm_session", stolen)
    assert attacker.get("/").status_code == 302


def test_idle_timeout_after_fifteen_minutes(app, client, clock, login):
    login("case_worker")
    clock.advance(minutes=14)
    assert client.get("/").status_code == 200
    clock.advance(minutes=14)
    assert client.get("/").status_code == 200  # activity keeps it alive
    clock.advance(minutes=16)
    response = client.get("/")
    assert response.status_code == 302
    assert "15 minutes without activity" in _text(client.get(response.headers["Location"]))


def test_absolute_timeout_after_eight_hours_of_activity(app, client, clock, login):
    login("coordinator")
    for _ in range(8 * 6 - 1):
        clock.advance(minutes=10)
        assert client.get("/").status_code == 200
    clock.advance(minutes=11)
    response = client.get("/")
    assert response.status_code == 302
    assert "8-hour limit" in _text(client.get(response.headers["Location"]))


def test_sign_out_ends_the_session_on_the_server(app, client, login):
    login("analyst")
    stolen = client.get_cookie("nrm_session").value
    post_form(client, "/auth/logout", page="/")
    assert client.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("nrm_session", stolen)
    assert replay.get("/").status_code == 302


def test_only_an_opaque_token_is_in_the_cookie(app, client, login):
    from flask.sessions import SecureCookieSessionInterface

    account = login("screening_officer")
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    data = serializer.loads(client.get_cookie("nrm_session").value)
    assert set(data) <= {"sid", "csrf_token", "_fresh", "_permanent", "lang", "_flashes"}
    assert account.username not in str(data)


@pytest.mark.parametrize("target", [
    "//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "evil.example",
])
def test_no_open_redirect_after_sign_in(app, client, clock, target):
    account = make_user(app, "auditor")
    post_form(client, "/auth/login", {"username": account.username, "password": TEST_PASSWORD,
                                      "next": target}, page=f"/auth/login?next={target}")
    response = post_form(client, "/auth/code", {"code": fresh_code(app, account, clock)})
    assert response.headers["Location"] == "/"


def test_next_brings_the_user_back_to_a_local_page(app, client, clock):
    account = make_user(app, "administrator")
    response = client.get("/admin/accounts")
    assert response.headers["Location"] == "/auth/login?next=/admin/accounts"
    post_form(client, "/auth/login", {"username": account.username, "password": TEST_PASSWORD,
                                      "next": "/admin/accounts"}, page=response.headers["Location"])
    response = post_form(client, "/auth/code", {"code": fresh_code(app, account, clock)})
    assert response.headers["Location"] == "/admin/accounts"


def test_a_late_request_with_the_old_cookie_cannot_undo_sign_in(app, client, clock):
    """Browsers send requests in parallel (a favicon, a second tab). One that carries the
    cookie from before sign-in and answers last must not overwrite the new session cookie."""
    account = make_user(app, "coordinator")
    _login(client, account.username, TEST_PASSWORD)
    pending_cookie = client.get_cookie("nrm_session").value
    post_form(client, "/auth/code", {"code": fresh_code(app, account, clock)})
    late = app.test_client()
    late.set_cookie("nrm_session", pending_cookie)
    response = late.get("/favicon.ico")
    assert "Set-Cookie" not in response.headers
    assert client.get("/").status_code == 200
