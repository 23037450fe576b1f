"""Backup and restore: nothing lost, nothing readable without the keys, erasure survives restore."""

import io
import os
from datetime import date
from pathlib import Path

import pytest

from nrm.extensions import db
from nrm.models import AuditEvent, Person
from nrm.security import audit, vault
from nrm.services import backup, people
from tests.conftest import make_org

PLANTED = {"given_name": "Cholponbubu", "family_name": "Backupovna-Testova",
           "document_number": "ID5550123", "contact": "Karakol, Abdrakhmanov St 155",
           "birth_date": date(1998, 7, 14)}
PDF = b"%PDF-1.5\n" + b"Attachment text of Backupovna-Testova " * 500


def _seed(app):
    with app.app_context():
        org = make_org("t-police", "police_unit")
        kept = people.create_person(None, org.id, **PLANTED)
        other = people.create_person(None, org.id, given_name="Erasable", family_name="Person",
                                     document_number="ZZ0000001")
        vault.seal_file(kept, "attachment", io.BytesIO(PDF),
                        backup.attachments_dir() / f"{kept.id}.sealed", max_bytes=10**6)
        db.session.commit()
        return kept.id, other.id


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_round_trip_loses_nothing_and_the_backup_holds_no_plaintext_and_no_keys(app, runner, tmp_path):
    kept_id, _ = _seed(app)
    target = tmp_path / "backup-1"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "keys are NOT in it" in result.output
    assert target.stat().st_mode & 0o777 == 0o700
    raw = _all_bytes(target)
    for value in list(PLANTED.values()) + [b"Attachment text"]:
        token = value if isinstance(value, bytes) else str(value).encode()
        assert token not in raw, token
    for key_file in (Path(app.instance_path) / "keys").rglob("*.key") if (Path(app.instance_path) / "keys").exists() else []:
        assert key_file.read_bytes().strip() not in raw

    with app.app_context():  # damage after the backup: change a name, lose the attachment
        people.update_identity(None, db.session.get(Person, kept_id), given_name="Changed")
        db.session.commit()
    with app.app_context():
        for path in backup.attachments_dir().glob("*"):
            path.unlink()

    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output
    with app.app_context():
        person = db.session.get(Person, kept_id)
        assert {k: getattr(person, k) for k in PLANTED} == PLANTED
        sealed = backup.attachments_dir() / f"{kept_id}.sealed"
        assert b"".join(vault.open_file(person, "attachment", sealed)) == PDF
        assert audit.verify().ok
        db.engine.dispose()


def test_a_person_erased_after_a_backup_stays_erased_when_it_is_restored(app, runner, tmp_path):
    kept_id, erased_id = _seed(app)
    target = tmp_path / "before-erasure"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    with app.app_context():
        people.erase_person(None, db.session.get(Person, erased_id), "consent_withdrawn")
        db.session.commit()
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        erased = db.session.get(Person, erased_id)
        assert erased._given_name is not None  # the backup's ciphertext is back ...
        assert erased.given_name is None and erased.is_erased  # ... and opens with no key anywhere
        with pytest.raises(vault.Erased):
            vault.open_field(erased, "given_name", erased._given_name)
        assert db.session.get(Person, kept_id).given_name == PLANTED["given_name"]
        db.engine.dispose()


def test_after_losing_the_database_a_key_export_brings_it_back(app, runner, tmp_path):
    kept_id, _ = _seed(app)
    target, export = tmp_path / "b", tmp_path / "keys.json"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    assert runner.invoke(args=["keys", "export", str(export)]).exit_code == 0
    assert export.stat().st_mode & 0o777 == 0o600
    assert PLANTED["given_name"].encode() not in export.read_bytes()
    with app.app_context():  # the whole database is lost
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    result = runner.invoke(args=["restore", str(target), "--yes", "--data-keys", str(export)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Person, kept_id).document_number == PLANTED["document_number"]
        db.engine.dispose()


def test_a_damaged_backup_is_refused_and_nothing_changes(app, runner, tmp_path):
    kept_id, _ = _seed(app)
    target = tmp_path / "b"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    database_file = next(p for p in target.iterdir() if p.name.startswith("database."))
    data = bytearray(database_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database_file.write_bytes(bytes(data))
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count(AuditEvent.id)))
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code != 0 and "missing or damaged" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id))) == count
        assert db.session.get(Person, kept_id).given_name == PLANTED["given_name"]


def test_backup_refuses_a_non_empty_directory(app, runner, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = runner.invoke(args=["backup", str(tmp_path / "full")])
    assert result.exit_code != 0 and "not empty" in result.output
    assert os.listdir(tmp_path / "full") == ["x"]


def test_the_raw_database_file_holds_no_planted_value(app):
    _seed(app)
    with app.app_context():
        url = db.engine.url
        db.session.remove()
        db.engine.dispose()
    if url.get_backend_name() != "sqlite":
        return  # the PostgreSQL run checks the pg_dump bytes in the round-trip test above
    files = [Path(url.database), Path(url.database + "-wal")]
    raw = b"".join(p.read_bytes() for p in files if p.exists())
    assert len(raw) > 10_000
    for value in PLANTED.values():
        assert str(value).encode() not in raw
