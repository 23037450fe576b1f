"""The command line as an operator uses it: init (through the real `flask` entry point), users."""

import os
import re
import subprocess
import sys

import pytest

from nrm.extensions import db
from nrm.models import AuditEvent, User
from tests.conftest import make_user, post_form, reset_database


def _flask(instance, *args, env_extra=None, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NRM_")}
    env.update({"NRM_INSTANCE_PATH": str(instance), **(env_extra or {})})
    if os.environ.get("NRM_TEST_DATABASE_URL"):
        env["NRM_DATABASE_URL"] = os.environ["NRM_TEST_DATABASE_URL"]
    return subprocess.run([sys.executable, "-m", "flask", "--app", "nrm", *args], env=env,
                          input=stdin, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def clean_db():
    url = os.environ.get("NRM_TEST_DATABASE_URL", "sqlite://")
    reset_database(url)
    yield
    reset_database(url)


def test_init_demo_creates_everything_and_is_idempotent(tmp_path, clean_db):
    instance = tmp_path / "instance"
    first = _flask(instance, "init", "--demo", env_extra={"NRM_ENV": "development"})
    assert first.returncode == 0, first.stderr
    keys = sorted(p.relative_to(instance).as_posix() for p in (instance / "keys").rglob("*.key"))
    assert keys[:2] == ["keys/audit.key", "keys/index.key"] and len(keys) == 4
    assert keys[2].startswith("keys/master/kek-")
    for path in (instance / "keys").rglob("*.key"):
        assert path.stat().st_mode & 0o777 == 0o600
    assert (instance / "keys").stat().st_mode & 0o777 == 0o700
    rows = dict(re.findall(r"^(demo-[a-z]+)\s+\S+\s+\S+\s+(\S+)$", first.stdout, re.M))
    assert set(rows) == {"demo-officer", "demo-customs", "demo-caseworker", "demo-coordinator",
                         "demo-analyst", "demo-auditor", "demo-admin"}
    key_bytes = {p: p.read_bytes() for p in (instance / "keys").rglob("*.key")}

    second = _flask(instance, "init", "--demo", env_extra={"NRM_ENV": "development"})
    assert second.returncode == 0, second.stderr
    assert {p: p.read_bytes() for p in (instance / "keys").rglob("*.key")} == key_bytes
    assert "created instance/keys" not in second.stdout
    password = dict(re.findall(r"^(demo-[a-z]+)\s+\S+\s+\S+\s+(\S+)$", second.stdout, re.M))["demo-admin"]

    code = _flask(instance, "users", "code", "demo-admin")
    assert code.returncode == 0 and re.fullmatch(r"\d{6}\n", code.stdout)

    # the printed one-time password signs in to the app built from this instance
    from nrm import create_app

    app = create_app({"INSTANCE_PATH": str(instance), "RATELIMIT_ENABLED": False,
                      **({"DATABASE_URL": os.environ["NRM_TEST_DATABASE_URL"]}
                         if os.environ.get("NRM_TEST_DATABASE_URL") else {})})
    client = app.test_client()
    response = post_form(client, "/auth/login", {"username": "demo-admin", "password": password})
    assert response.headers["Location"].endswith("/auth/new-password")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 7
        db.session.remove()
        db.engine.dispose()


def test_init_demo_refuses_in_production(tmp_path, clean_db):
    result = _flask(tmp_path / "instance", "init", "--demo", env_extra={"NRM_ENV": "production"})
    assert result.returncode != 0
    assert "refuses" in result.stderr and "production" in result.stderr
    assert not (tmp_path / "instance" / "keys").exists()


def test_init_without_demo_creates_no_accounts(tmp_path, clean_db):
    result = _flask(tmp_path / "instance", "init")
    assert result.returncode == 0, result.stderr
    assert "demo-" not in result.stdout


def test_starting_without_keys_says_what_to_run(tmp_path):
    result = _flask(tmp_path / "empty-instance", "users", "disable", "x")
    assert result.returncode != 0
    assert "flask --app nrm init" in result.stderr


def test_users_create_prints_a_one_time_password(app, runner):
    from tests.conftest import make_org

    with app.app_context():
        make_org("police-osh", "police_unit", "KG-GO")
        db.session.commit()
    result = runner.invoke(args=["users", "create", "--username", "b.bakirov",
                                 "--role", "screening_officer", "--org", "police-osh"])
    assert result.exit_code == 0, result.output
    assert re.search(r"one-time password: [a-z2-9]{5}(-[a-z2-9]{5}){3}", result.output)
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "b.bakirov"))
        assert user.must_change_password and not user.is_demo
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "account.create"))


def test_users_create_reads_the_password_from_stdin_and_checks_it(app, runner):
    from tests.conftest import make_org

    with app.app_context():
        make_org("sezim", "crisis_centre")
        db.session.commit()
    args = ["users", "create", "--username", "c.worker", "--role", "case_worker", "--org", "sezim",
            "--password-stdin"]
    weak = runner.invoke(args=args, input="qwerty123456\n")
    assert weak.exit_code != 0 and "too common" in weak.output
    good = runner.invoke(args=args, input="Sunrise over Song-Kol lake\n")
    assert good.exit_code == 0 and "one-time password" not in good.output


@pytest.mark.parametrize(("args", "message"), [
    (["--username", "x.y", "--role", "coordinator", "--org", "nowhere"], "No organisation"),
    (["--username", "x.y", "--role", "dictator", "--org", "t-mlssm"], "Invalid value"),
    (["--username", "x", "--role", "coordinator", "--org", "t-mlssm"], "3 to 64"),
    (["--username", "x.y", "--role", "case_worker", "--org", "t-mlssm"], "cannot belong"),
])
def test_users_create_errors_are_clear(app, runner, args, message):
    from tests.conftest import make_org

    with app.app_context():
        make_org("t-mlssm", "mlssm_central")
        db.session.commit()
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code != 0 and message in result.output


def test_users_disable_ends_sessions(app, runner, client, clock):
    from tests.conftest import sign_in

    account = make_user(app, "coordinator")
    sign_in(app, client, account, clock)
    result = runner.invoke(args=["users", "disable", account.username])
    assert result.exit_code == 0
    assert client.get("/").status_code == 302
    assert runner.invoke(args=["users", "enable", account.username]).exit_code == 0
    assert runner.invoke(args=["users", "disable", "no-such-user"]).exit_code != 0


def test_users_code_is_refused_for_real_accounts(app, runner):
    account = make_user(app, "screening_officer")
    result = runner.invoke(args=["users", "code", account.username])
    assert result.exit_code != 0 and "only for demo accounts" in result.output
    with app.app_context():
        db.session.get(User, account.id).is_demo = True
        db.session.commit()
    result = runner.invoke(args=["users", "code", account.username])
    assert result.exit_code == 0 and re.fullmatch(r"\d{6}\n", result.output)
