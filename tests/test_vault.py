"""The vault as an attacker tests it: moved, altered and foreign ciphertexts; rotation; erasure."""

import io
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from nrm.core import identity
from nrm.extensions import db
from nrm.models import DataKey, Person
from nrm.security import vault
from nrm.services import keyring, people
from tests.conftest import make_org

PLANTED = {
    "given_name": "Zarylkanbubu", "family_name": "Testovamkhanova", "patronymic": "Kubanychbekovna",
    "document_number": "AN9876543", "document_country": "KG", "contact": "Tash-Kumyr Street 77-12",
    "birth_date": date(2004, 2, 29),
}
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def ctx(app):
    with app.app_context():
        org = make_org("t-police", "police_unit")
        db.session.commit()
        yield org
        db.session.rollback()


def _person(org, **fields):
    person = people.create_person(None, org.id, **{**PLANTED, **fields})
    db.session.commit()
    return person


# ------------------------------------------------------------------ sealed fields

def test_sealed_fields_read_back_and_are_not_plain_in_the_row(ctx):
    person = _person(ctx)
    person_id = person.id
    db.session.expire_all()
    again = db.session.get(Person, person_id)
    assert {k: getattr(again, k) for k in PLANTED} == PLANTED
    raw = db.session.execute(text("SELECT * FROM person WHERE id = :i"), {"i": person_id}).one()
    flat = b" ".join(v if isinstance(v, bytes) else str(v).encode() for v in raw)
    for value in PLANTED.values():
        assert str(value).encode() not in flat


@SETTINGS
@given(value=st.text(min_size=1, max_size=300))
def test_any_text_round_trips(ctx, value):
    person = Person(organisation_id=ctx.id, given_name=value)
    assert person.given_name == value


@SETTINGS
@given(value=st.text(min_size=1, max_size=100), flip=st.integers(min_value=0, max_value=10_000))
def test_any_altered_byte_is_detected(ctx, value, flip):
    person = Person(organisation_id=ctx.id, contact=value)
    blob = bytearray(person._contact)
    position = flip % len(blob)
    blob[position] ^= 0x01
    with pytest.raises(vault.VaultError):
        vault.open_field(person, "contact", bytes(blob))


def test_a_value_moved_to_another_column_or_row_does_not_open(ctx):
    first, second = _person(ctx), _person(ctx, given_name="Other")
    with pytest.raises(vault.VaultError):
        vault.open_field(first, "family_name", first._given_name)  # other column
    with pytest.raises(vault.VaultError):
        vault.open_field(second, "given_name", first._given_name)  # other row, other key
    # even sharing a data key, another row's value does not open
    twin = Person(organisation_id=ctx.id, data_key=first.data_key, given_name="Twin")
    with pytest.raises(vault.VaultError):
        vault.open_field(twin, "given_name", first._given_name)


def test_a_ciphertext_copied_between_rows_in_the_database_fails(ctx):
    first, second = _person(ctx), _person(ctx, given_name="Second")
    db.session.execute(text("UPDATE person SET given_name = (SELECT given_name FROM person WHERE id = :a) "
                            "WHERE id = :b"), {"a": first.id, "b": second.id})
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(vault.VaultError):
        _ = db.session.get(Person, second.id).given_name


def test_a_wrong_master_key_fails_clearly_and_changes_nothing(app, tmp_path):
    from nrm import create_app
    from tests.conftest import base_config

    with app.app_context():
        org = make_org("t-police", "police_unit")
        person_id = _person(org).id
        before = db.session.execute(text("SELECT given_name FROM person")).scalar()
    other = create_app(base_config(tmp_path / "other", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"]))
    with other.app_context():
        with pytest.raises(Exception) as problem:
            _ = db.session.get(Person, person_id).given_name
        assert "not in the keyring" in str(problem.value) or isinstance(problem.value, vault.VaultError)
        db.session.rollback()
        db.engine.dispose()
    with app.app_context():
        assert db.session.execute(text("SELECT given_name FROM person")).scalar() == before


# ------------------------------------------------------------------ blind indexes

@pytest.mark.parametrize(("first", "second"), [
    ({"document_number": "AN 1234567"}, {"document_number": "an-1234567"}),
    ({"document_number": "AN1234567"}, {"document_number": "АН1234567"}),  # Cyrillic А, Н
    ({"given_name": "Айгерим", "family_name": "Асанова"}, {"given_name": "ASANOVA", "family_name": "Aigerim"}),
    ({"given_name": "Жылдыз", "family_name": "Токтогулова"}, {"given_name": "Zhyldyz", "family_name": "Toktogulova"}),
])
def test_the_same_person_written_differently_is_found(ctx, first, second):
    base = {"document_number": None, "given_name": "X", "family_name": "Y", "birth_date": date(1999, 5, 1)}
    earlier = _person(ctx, **{**base, **first})
    found = people.find_matches(**{**base, **second})
    assert earlier.id in found


def test_different_people_are_not_matched_and_nothing_is_decrypted_to_search(ctx, monkeypatch):
    _person(ctx)
    monkeypatch.setattr(vault, "open_field", lambda *a: pytest.fail("search decrypted a value"))
    assert people.find_matches(document_number="AN0000001") == []
    assert people.find_matches(given_name="Zarylkanbubu", family_name="Testovamkhanova",
                               birth_date=date(2004, 3, 1)) == []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_document_normalisation_is_idempotent_and_ascii(raw):
    once = identity.document_number(raw)
    assert once is None or (once.isascii() and identity.document_number(once) == once)


# ------------------------------------------------------------------ rotation

def _file_keyring_app(app, tmp_path):
    """The same database, with master keys in instance/keys/master (rotation writes files there)."""
    from nrm import create_app
    from nrm.security.keys import ensure_key_files
    from tests.conftest import base_config

    instance = tmp_path / "file-keys-instance"
    ensure_key_files(instance / "keys")
    config = base_config(tmp_path)
    del config["MASTER_KEYS"]
    config.update(INSTANCE_PATH=str(instance), DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    return create_app(config)


def test_rotation_of_ten_thousand_people_rewraps_every_key_and_all_data_reads(app, tmp_path):
    with _file_keyring_app(app, tmp_path).app_context():
        org = make_org("t-police", "police_unit")
        for i in range(10_000):
            person = Person(organisation_id=org.id, given_name=f"Name{i}", document_number=f"DOC{i}")
            db.session.add(person)
            if i % 2000 == 1999:
                db.session.commit()
        db.session.commit()
        old_id = vault.keyring().active_id
        assert keyring.usage()["data_keys"][old_id] == 10_000

        seen = []
        new_id = keyring.add_master_key()
        count = keyring.rewrap_all(batch=1000, progress=lambda d, t: seen.append((d, t)))
        assert count == 10_000 and seen[-1] == (10_000, 10_000) and len(seen) == 10
        usage = keyring.usage()["data_keys"]
        assert usage[new_id] == 10_000 and usage.get(old_id, 0) == 0

        keyring.retire(old_id)
        assert old_id not in vault.source().reload().keys
        db.session.expire_all()
        sample = db.session.scalars(db.select(Person).order_by(Person.id).limit(50)).all()
        assert all(p.given_name.startswith("Name") for p in sample)
        names = {p.given_name for p in db.session.scalars(db.select(Person))}
        assert len(names) == 10_000
        db.session.remove()
        db.engine.dispose()


def test_retiring_a_key_still_in_use_is_refused(app, tmp_path):
    with _file_keyring_app(app, tmp_path).app_context():
        org = make_org("t-police", "police_unit")
        _person(org)
        old_id = vault.keyring().active_id
        keyring.add_master_key()
        with pytest.raises(RuntimeError, match="still protects 1"):
            keyring.retire(old_id)
        db.session.remove()
        db.engine.dispose()


def test_keys_commands(app, runner):
    result = runner.invoke(args=["keys", "status"])
    assert result.exit_code == 0 and "(active)" in result.output
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code != 0 and "NRM_MASTER_KEYS" in result.output  # test keys come from config


# ------------------------------------------------------------------ erasure

def test_erasure_shreds_the_live_row_and_every_earlier_copy(app, ctx, tmp_path):
    person = _person(ctx)
    person_id, data_key_id = person.id, person.data_key_id
    # an earlier copy of the row, as a backup would hold it
    before = dict(db.session.execute(text("SELECT * FROM person WHERE id = :i"), {"i": person_id}).mappings().one())
    people.erase_person(None, person, "consent_withdrawn")
    db.session.commit()
    db.session.expire_all()

    erased = db.session.get(Person, person_id)
    assert erased.is_erased and erased.given_name is None and erased.erasure_reason == "consent_withdrawn"
    assert people.find_matches(document_number=PLANTED["document_number"]) == []
    data_key = db.session.get(DataKey, data_key_id)
    assert data_key.wrapped is None and data_key.destroyed_at is not None

    # restore the old sealed values into the row: they no longer open, the key is gone
    db.session.execute(text("UPDATE person SET given_name = :g WHERE id = :i"),
                       {"g": before["given_name"], "i": person_id})
    db.session.commit()
    db.session.expire_all()
    restored = db.session.get(Person, person_id)
    with pytest.raises(vault.Erased):
        vault.open_field(restored, "given_name", restored._given_name)


# ------------------------------------------------------------------ sealed files

PDF = b"%PDF-1.7\n" + os.urandom(200_000)


def test_a_sealed_file_streams_back_and_holds_no_plaintext(ctx, tmp_path):
    person = _person(ctx)
    target = tmp_path / "attachments" / "a.sealed"
    mime, size = vault.seal_file(person, "attachment", io.BytesIO(PDF), target, max_bytes=1_000_000)
    assert (mime, size) == ("application/pdf", len(PDF))
    assert target.stat().st_mode & 0o777 == 0o600
    assert PDF[100:140] not in target.read_bytes()
    assert b"".join(vault.open_file(person, "attachment", target)) == PDF


@pytest.mark.parametrize("damage", ["flip", "truncate", "drop_chunk", "swap_chunks"])
def test_a_damaged_sealed_file_is_refused(ctx, tmp_path, damage):
    person = _person(ctx)
    target = tmp_path / "f.sealed"
    vault.seal_file(person, "attachment", io.BytesIO(PDF), target, max_bytes=1_000_000)
    data = bytearray(target.read_bytes())
    header = len(vault.FILE_MAGIC) + 1 + data[len(vault.FILE_MAGIC)] + 7
    block = vault.FILE_CHUNK + 16
    if damage == "flip":
        data[header + 5000] ^= 1
    elif damage == "truncate":
        data = data[: header + 2 * block]
    elif damage == "drop_chunk":
        data = data[:header] + data[header + block:]
    else:
        data = data[:header] + data[header + block: header + 2 * block] + data[header: header + block] + data[header + 2 * block:]
    target.write_bytes(bytes(data))
    with pytest.raises(vault.VaultError):
        b"".join(vault.open_file(person, "attachment", target))


@pytest.mark.parametrize(("content", "limit", "reason"), [
    (b"MZ\x90\x00 an executable", 10_000, "type"),
    (b"<html><script>alert(1)</script>", 10_000, "type"),
    (b"%PDF-1.4" + b"x" * 300_000, 200_000, "too_large"),
])
def test_wrong_type_or_oversized_files_are_refused_and_leave_nothing(ctx, tmp_path, content, limit, reason):
    person = _person(ctx)
    target = tmp_path / "up" / "x.sealed"
    with pytest.raises(vault.FileRejected) as problem:
        vault.seal_file(person, "attachment", io.BytesIO(content), target, max_bytes=limit)
    assert problem.value.reason == reason
    assert not any(Path(tmp_path / "up").iterdir())


def test_copying_a_sealed_file_to_another_person_fails(ctx, tmp_path):
    owner, other = _person(ctx), _person(ctx, given_name="Other")
    source = tmp_path / "mine.sealed"
    vault.seal_file(owner, "attachment", io.BytesIO(PDF), source, max_bytes=1_000_000)
    shutil.copy(source, tmp_path / "theirs.sealed")
    with pytest.raises(vault.VaultError):
        b"".join(vault.open_file(other, "attachment", tmp_path / "theirs.sealed"))
