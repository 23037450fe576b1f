"""Shared fixtures: the app on a real database (SQLite per test, or the PostgreSQL named by
NRM_TEST_DATABASE_URL), a controllable clock, CSRF-aware form posting, and per-role sign-in."""

import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from nrm import create_app
from nrm.extensions import db as _db
from nrm.security.keys import b64encode

FAST_ARGON2 = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
TEST_PASSWORD = "correct horse battery staple 42"
ROLE_ORGS = {
    "screening_officer": ("t-police", "police_unit", "KG-GB"),
    "case_worker": ("t-sezim", "crisis_centre", "KG-GB"),
    "coordinator": ("t-mlssm", "mlssm_central", "KG-GB"),
    "analyst": ("t-gpo", "prosecutor_office", "KG-GB"),
    "auditor": ("t-ombudsman", "ombudsman", "KG-GB"),
    "administrator": ("t-mlssm", "mlssm_central", "KG-GB"),
}
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Distinctive personal values planted by tests. No audit event and no log line may ever hold one
# (checked after every test below). Add new planted values here.
PLANTED_VALUES = (
    "Zarylkanbubu", "Testovamkhanova", "Kubanychbekovna", "AN9876543", "Tash-Kumyr",
    "Cholponbubu", "Backupovna", "ID5550123", "Karakol", "a typed secret value", "Testova",
    "correct horse battery staple",
)


class FakeClock:
    def __init__(self, start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)):
        self.current = start

    def __call__(self):
        return self.current

    def advance(self, **delta):
        self.current += timedelta(**delta)


def fresh_keys() -> dict:
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "MASTER_KEYS": f"kek-test-1:{b64encode(secrets.token_bytes(32))}",
        "AUDIT_KEY": b64encode(secrets.token_bytes(32)),
        "INDEX_KEY": b64encode(secrets.token_bytes(32)),
    }


def base_config(tmp_path, **extra) -> dict:
    url = os.environ.get("NRM_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    config = {
        "ENV": "test",
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": url,
        "PASSWORD_HASH_PARAMS": FAST_ARGON2,
        "RATELIMIT_ENABLED": False,
        "BABEL_DEFAULT_LOCALE": "en",  # assertions read English unless a test picks a language
        **fresh_keys(),
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the .po catalogs, as `make` does, so pages render in ky/ru/en."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "nrm" / "translations"
    for po in root.glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        with po.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture(autouse=True)
def _push_request_context():
    """Override pytest-flask's: a context held open across test-client requests would share
    ``g`` (Flask-Login's cached user, the CSRF token) between them, which no real browser sees.
    Tests open ``with app.app_context():`` themselves, around database work only."""


@pytest.fixture
def client(app):
    """Override pytest-flask's, which keeps the last request's context pushed (``with client``)
    and so leaks one client's ``g`` into the requests of another."""
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def app(tmp_path, clock):
    app = create_app(base_config(tmp_path, CLOCK=clock))
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    assert_no_planted_values_in_audit(app)
    drop_database(app)


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs(caplog):
    import logging

    caplog.set_level("DEBUG")
    yield
    formatter = logging.Formatter()
    for phase in ("setup", "call"):
        for record in caplog.get_records(phase):
            line = formatter.format(record)
            for value in PLANTED_VALUES:
                assert value not in line, f"a log line holds the planted value {value!r}: {line[:200]}"


def assert_no_planted_values_in_audit(app):
    from nrm.models import AuditEvent

    with app.app_context():
        try:
            events = _db.session.scalars(_db.select(AuditEvent)).all()
        except Exception:  # noqa: BLE001 - a test that dropped the schema has no events to check
            _db.session.rollback()
            return
        for event in events:
            row = " ".join(str(getattr(event, c.name)) for c in AuditEvent.__table__.columns)
            for value in PLANTED_VALUES:
                assert value not in row, f"audit event {event.seq} holds the planted value {value!r}"


def drop_database(app):
    """Drop the test tables and close every pooled connection (PostgreSQL counts them)."""
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client, url, data=None, page=None, **kwargs):
    """POST like a browser: fetch the page that holds the form, then send its CSRF token."""
    html = client.get(page or url).get_data(as_text=True)
    payload = {"csrf_token": csrf_from(html), **(data or {})}
    return client.post(url, data=payload, **kwargs)


def make_org(code, kind, region="KG-GB"):
    from nrm.models import Organisation

    org = _db.session.scalar(_db.select(Organisation).where(Organisation.code == code))
    if org is None:
        org = Organisation(code=code, name=f"Test {code}", kind=kind, region=region)
        _db.session.add(org)
        _db.session.flush()
    return org


@dataclass(frozen=True)
class Account:
    """What a test needs of an account, usable outside an app context."""

    id: int
    username: str
    role: str
    organisation_id: int


def make_user(app, role, username=None, org_code=None, *, enrolled=True, must_change=False,
              password=TEST_PASSWORD, active=True, org_kind=None) -> Account:
    """A ready account with a known password and (by default) an enrolled second factor."""
    from nrm.clock import now
    from nrm.models import User
    from nrm.security import passwords, totp

    with app.app_context():
        code, kind, region = ROLE_ORGS[role]
        org = make_org(org_code or code, org_kind or kind, region)
        user = User(username=username or f"t-{role.replace('_', '-')}", role=role,
                    organisation=org, password_hash=passwords.hash_password(password),
                    must_change_password=must_change, active=active)
        _db.session.add(user)
        _db.session.flush()
        if enrolled:
            totp.new_secret(user)
            user.totp_enrolled_at = now()
        _db.session.commit()
        return Account(user.id, user.username, user.role, user.organisation_id)


def fresh_code(app, account, clock) -> str:
    """A TOTP code not used before: step the fake clock past the last accepted step if needed."""
    import pyotp

    from nrm.models import User
    from nrm.security import totp

    with app.app_context():
        user = _db.session.get(User, account.id)
        step = pyotp.TOTP(totp.secret_of(user)).timecode(clock())
        if user.totp_last_step is not None and step <= user.totp_last_step:
            clock.advance(seconds=30 * (user.totp_last_step - step + 1))
        return totp.current_code(user)


def sign_in(app, client, account, clock, password=TEST_PASSWORD):
    response = post_form(client, "/auth/login", {"username": account.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/auth/code"), response.headers["Location"]
    response = post_form(client, "/auth/code", {"code": fresh_code(app, account, clock)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def login(app, client, clock):
    """login(role, **make_user options) -> the signed-in Account of that role."""

    def _login(role, **kwargs):
        account = make_user(app, role, **kwargs)
        sign_in(app, client, account, clock)
        return account

    return _login


def reset_database(url: str) -> None:
    """Empty a test database completely (tables of the app and of Alembic)."""
    from sqlalchemy import create_engine, text

    if not url.startswith("postgresql"):
        return  # SQLite test databases are fresh files
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def pytest_report_header(config):
    url = os.environ.get("NRM_TEST_DATABASE_URL")
    return f"nrm database: {'PostgreSQL ' + url.rsplit('@', 1)[-1] if url else 'SQLite (a file per test)'}"
