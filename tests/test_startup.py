"""The application fails closed: no strong keys, no start — and it says what to run."""

import os
import secrets

import pytest

from nrm import create_app
from nrm.errors import StartupError
from nrm.security.keys import b64encode, ensure_key_files
from tests.conftest import base_config


def _config(tmp_path, **overrides):
    config = base_config(tmp_path)
    for key in ("SECRET_KEY", "MASTER_KEYS", "AUDIT_KEY", "INDEX_KEY"):
        config.pop(key)
    config.update(overrides)
    return config


@pytest.mark.parametrize(("missing", "message"), [
    ("SECRET_KEY", "No secret key"),
    ("MASTER_KEYS", "No master keys"),
    ("AUDIT_KEY", "No audit key"),
    ("INDEX_KEY", "No blind-index key"),
])
def test_missing_key_refuses_to_start_and_says_what_to_run(tmp_path, missing, message):
    config = base_config(tmp_path)
    config.pop(missing)
    with pytest.raises(StartupError) as problem:
        create_app(config)
    assert message in str(problem.value)
    assert "flask --app nrm init" in str(problem.value)


@pytest.mark.parametrize(("overrides", "message"), [
    ({"SECRET_KEY": "dev"}, "too weak"),
    ({"SECRET_KEY": "a" * 64}, "too weak"),
    ({"MASTER_KEYS": f"k1:{b64encode(bytes(32))}"}, "too weak"),
    ({"MASTER_KEYS": f"k1:{b64encode(secrets.token_bytes(16))}"}, "too weak"),
    ({"MASTER_KEYS": "k1:!!!not-base64!!!"}, "base64"),
    ({"MASTER_KEYS": "no-colon-here"}, "key-id:base64url"),
    ({"AUDIT_KEY": b64encode(b"x" * 32)}, "too weak"),
])
def test_weak_or_malformed_keys_refuse_to_start(tmp_path, overrides, message):
    with pytest.raises(StartupError, match=message):
        create_app({**base_config(tmp_path), **overrides})


def test_keys_are_read_from_the_instance_folder(tmp_path):
    instance = tmp_path / "instance"
    created = ensure_key_files(instance / "keys")
    assert {"secret.key", "audit.key", "index.key"} <= set(created)
    for path in (instance / "keys").rglob("*.key"):
        assert oct(path.stat().st_mode & 0o777) == "0o600", path
    app = create_app(_config(tmp_path))
    assert len(app.extensions["nrm_keyring"].ring.keys) == 1
    assert ensure_key_files(instance / "keys") == []  # never overwrites


def test_a_key_file_readable_by_others_refuses_to_start(tmp_path):
    keys = tmp_path / "instance" / "keys"
    ensure_key_files(keys)
    os.chmod(keys / "audit.key", 0o644)
    with pytest.raises(StartupError, match="chmod 600"):
        create_app(_config(tmp_path))


def test_several_master_keys_the_newest_seals(tmp_path):
    ring = ",".join(f"kek-2026010{i}:{b64encode(secrets.token_bytes(32))}" for i in (1, 3, 2))
    app = create_app({**base_config(tmp_path), "MASTER_KEYS": ring})
    assert app.extensions["nrm_keyring"].ring.active_id == "kek-20260103"


def test_environment_variables_override_the_instance_config(tmp_path, monkeypatch):
    monkeypatch.setenv("NRM_LOCKOUT_THRESHOLD", "7")
    app = create_app(base_config(tmp_path))
    assert app.config["LOCKOUT_THRESHOLD"] == 7


def test_unknown_environment_name_refuses_to_start(tmp_path):
    with pytest.raises(StartupError, match="NRM_ENV"):
        create_app({**base_config(tmp_path), "ENV": "staging"})


def test_sqlite_runs_with_foreign_keys_wal_and_secure_delete(app):
    from sqlalchemy import text

    from nrm.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return  # the PostgreSQL run: these pragmas are SQLite's
        conn = db.session.connection()
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not one of our private P-256 keys"),
    ('{"kty": "oct", "k": "AAAA"}', "not one of our private P-256 keys"),
    (None, "chmod 600"),
])
def test_a_damaged_exchange_key_refuses_to_start_and_says_what_to_do(tmp_path, content, message):
    from nrm.services.exchange import create_key_pair

    config = base_config(tmp_path)
    directory = tmp_path / "keys" / "exchange"
    config["KEY_DIR"] = str(tmp_path / "keys")
    create_key_pair(directory)
    create_app(config)                                   # a sound pair starts
    target = next(directory.glob("*-sig.jwk"))
    if content is None:
        os.chmod(target, 0o644)
    else:
        target.write_text(content)
    with pytest.raises(StartupError, match=message) as problem:
        create_app(config)
    assert str(target) in str(problem.value)
