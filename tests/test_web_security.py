"""The web security baseline as an attacker probes it."""

import pytest

from nrm.extensions import db
from nrm.models import AuditEvent
from nrm.web import PUBLIC_ENDPOINTS
from tests.conftest import ROLE_ORGS, drop_database, make_user, post_form

ROLES = list(ROLE_ORGS)


def _routes(app, method):
    for rule in app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint != "static":
            url = rule.rule
            for arg in rule.arguments:
                url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "x")
            yield rule.endpoint, url


def _assert_security_headers(response, authenticated):
    h = response.headers
    csp = h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert h["Referrer-Policy"] == "no-referrer"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    if authenticated:
        assert "no-store" in h["Cache-Control"]


def test_every_route_is_gated_for_anonymous_users(app, client):
    for endpoint, url in _routes(app, "GET"):
        response = client.get(url)
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        if endpoint.startswith("api."):       # the API answers a problem document, never a redirect
            assert response.status_code == 401 and response.mimetype == "application/problem+json", endpoint
            continue
        assert response.status_code == 302, endpoint
        assert response.headers["Location"].startswith("/auth/login"), endpoint
    for endpoint, url in _routes(app, "POST"):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        if endpoint.startswith("api."):
            assert client.post(url, json={}).status_code == 401, endpoint
            continue
        # even with a valid CSRF token, an anonymous POST never reaches a view
        response = post_form(client, url, page="/auth/login")
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], endpoint


@pytest.mark.parametrize("role", ROLES)
def test_security_headers_on_every_page_of_every_role(app, client, login, role):
    login(role)
    for endpoint, url in _routes(app, "GET"):
        response = client.get(url)
        # a page's session never opens the API: 401 there
        allowed = (200, 302, 403, 404) if not endpoint.startswith("api.") else (200, 401)
        assert response.status_code in allowed, (endpoint, response.status_code)
        _assert_security_headers(response, authenticated=True)


def test_security_headers_on_anonymous_pages_and_errors(app, client):
    for url in ("/auth/login", "/health", "/no-such-page"):
        _assert_security_headers(client.get(url), authenticated=True)


def test_static_files_are_served_without_inline_script(app, client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "<script>" not in page and " on" + "click=" not in page and "style=" not in page
    assert client.get("/static/nrm.css").status_code == 200


def test_no_external_resources_are_referenced(app, client, login):
    login("administrator")
    for url in ("/", "/admin/accounts", "/admin/organisations", "/auth/password"):
        page = client.get(url).get_data(as_text=True)
        assert "http://" not in page and "https://" not in page and "//cdn" not in page, url


def test_a_post_without_csrf_token_is_rejected(app, client, login):
    login("administrator")
    for endpoint, url in _routes(app, "POST"):
        if endpoint == "api.exchange_inbox":    # opened by the package's signature alone, never a cookie
            assert client.post(url, data={"username": "x"}).status_code == 415, endpoint
            continue
        if endpoint.startswith("api."):     # token-authenticated: a cookie opens nothing there (401)
            assert client.post(url, data={"username": "x"}).status_code == 401, endpoint
            continue
        response = client.post(url, data={"username": "x", "code": "kg-x"})
        assert response.status_code == 400, endpoint
        assert "expired or was sent from elsewhere" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_rejected(app, client):
    account = make_user(app, "screening_officer")
    response = client.post("/auth/login", data={"username": account.username, "password": "x"})
    assert response.status_code == 400


def test_csrf_token_of_another_session_is_rejected(app, client, login):
    login("administrator")
    other = app.test_client()
    foreign_token = post_form.__globals__["csrf_from"](other.get("/auth/login").get_data(as_text=True))
    response = client.post("/admin/organisations", data={"csrf_token": foreign_token, "code": "x"})
    assert response.status_code == 400


def test_not_found_page_leaks_nothing(app, client, login):
    login("coordinator")
    response = client.get("/admin/../../etc/passwd")
    body = client.get("/no/such/thing").get_data(as_text=True)
    assert response.status_code in (403, 404)
    assert "Traceback" not in body and "werkzeug" not in body.lower() and "sqlalchemy" not in body.lower()


def test_internal_error_page_leaks_nothing(app, client, login):
    typed = "Aigerim Testova passport AN1234567"  # as if it came from a form

    @app.route("/boom")
    def boom():
        raise RuntimeError(f"could not parse {typed}")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    login("screening_officer")
    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in body
    assert "Testova" not in body and "Traceback" not in body and "RuntimeError" not in body
    # the log keeps where it happened, not what the message said (checked by conftest for every test)


def test_health_reveals_nothing(app, client):
    response = client.get("/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_session_cookie_flags(app, client):
    account = make_user(app, "auditor")
    response = post_form(client, "/auth/login", {"username": account.username,
                                                 "password": "correct horse battery staple 42"})
    header = response.headers["Set-Cookie"]
    assert header.startswith("nrm_session=") and "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # test/development over plain http; production below


def test_secure_cookies_in_production(tmp_path):
    from nrm import create_app
    from tests.conftest import base_config

    app = create_app(base_config(tmp_path, ENV="production"))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_login_rate_limit_per_address(tmp_path):
    from nrm import create_app
    from tests.conftest import base_config

    app = create_app(base_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute"))
    with app.app_context():
        db.create_all()
    client = app.test_client()
    statuses = [post_form(client, "/auth/login", {"username": f"u{i}", "password": "x"}).status_code
                for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == 3
    drop_database(app)


def test_behind_one_trusted_proxy_the_client_address_is_the_real_one(tmp_path):
    from nrm import create_app
    from tests.conftest import base_config

    app = create_app(base_config(tmp_path, TRUSTED_PROXIES=1))
    with app.app_context():
        db.create_all()
    client = app.test_client()
    headers = {"X-Forwarded-For": "10.20.30.40", "X-Forwarded-Proto": "https"}
    html = client.get("/auth/login", headers=headers).get_data(as_text=True)
    from tests.conftest import csrf_from

    response = client.post("/auth/login", headers=headers, base_url="http://localhost",
                           data={"csrf_token": csrf_from(html), "username": "x", "password": "y"})
    assert "max-age" in response.headers["Strict-Transport-Security"]
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent))
        assert event.client_addr == "10.20.30.40"
    drop_database(app)


def test_a_post_the_browser_marks_cross_site_is_refused(app, client, login):
    login("administrator")
    response = post_form(client, "/admin/organisations", {"code": "xs", "name_en": "x", "name_ru": "x", "name_ky": "x",
                         "kind": "ngo", "region": "", "parent": 0},
                         headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    response = post_form(client, "/admin/organisations", {"code": "xs", "name_en": "x", "name_ru": "x", "name_ky": "x",
                         "kind": "ngo", "region": "", "parent": 0},
                         headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 302
