"""The vault's cost: writing and reading a person with five sealed identity fields (one request,
one commit each) against the same rows written with the same bytes unsealed. Also the password
hashing cost at production parameters and the application's start-up time."""

from __future__ import annotations

from bench.common import DATA, Result, app_on, ms, timed

PEOPLE = 300
FIELDS = {"given_name": "Benchmark", "family_name": "Person-Fictitious", "patronymic": "Testovich",
          "document_number": "AB1234567", "contact": "+996 000 000 000"}


def _write(sealed: bool, org_id: int) -> list[str]:
    from nrm.clock import now
    from nrm.extensions import db
    from nrm.models import Person

    ids = []
    for _ in range(PEOPLE):
        if sealed:
            person = Person(organisation_id=org_id, created_at=now(), **FIELDS)
        else:      # the same row, the same data key row, the values stored as they are
            person = Person(organisation_id=org_id, created_at=now())
            for name, value in FIELDS.items():
                setattr(person, f"_{name}", value.encode())
        db.session.add(person)
        db.session.commit()
        ids.append(person.id)
    return ids


def _read(ids: list[str], sealed: bool) -> None:
    from nrm.extensions import db
    from nrm.models import Person

    for person_id in ids:
        db.session.expire_all()
        person = db.session.get(Person, person_id)
        for name in FIELDS:
            value = getattr(person, name) if sealed else getattr(person, f"_{name}").decode()
            assert value


def run() -> tuple[list[Result], list[str]]:
    from nrm.extensions import db
    from nrm.security import passwords
    from tests.conftest import make_org

    path = DATA / "vault.sqlite3"
    if path.exists():
        path.unlink()
    app = app_on(path, PASSWORD_HASH_PARAMS=None)
    results = []
    with app.app_context():
        db.drop_all()
        db.create_all()
        org_id = make_org("bench-org", "police_unit").id
        db.session.commit()
        write_sealed = timed(lambda: _write(True, org_id), repeat=3) / PEOPLE
        write_plain = timed(lambda: _write(False, org_id), repeat=3) / PEOPLE
        sealed_ids, plain_ids = _write(True, org_id), _write(False, org_id)
        read_sealed = timed(lambda: _read(sealed_ids, True), repeat=3) / PEOPLE
        read_plain = timed(lambda: _read(plain_ids, False), repeat=3) / PEOPLE
        ratio = write_sealed / write_plain
        results.append(Result("vault", "write a person, 5 sealed fields (one commit)", ms(write_sealed),
                              f"unsealed {ms(write_plain)}", f"{ratio:.2f}×", "< 1.15×",
                              "yes" if ratio < 1.15 else "no"))
        results.append(Result("vault", "read a person, 5 sealed fields", ms(read_sealed),
                              f"unsealed {ms(read_plain)}", f"{read_sealed / read_plain:.2f}×", "—", "—"))
        hashing = timed(lambda: passwords.hash_password("correct horse battery staple"), repeat=3)
        import hashlib

        sha = timed(lambda: hashlib.sha256(b"correct horse battery staple").digest(), repeat=3)
        results.append(Result("accounts", "Argon2id hash at production parameters", ms(hashing),
                              f"SHA-256 {sha * 1e6:.1f} µs", f"{hashing / sha:,.0f}×",
                              "0.1–1 s (slow on purpose)", "yes" if 0.05 <= hashing <= 1 else "no"))
        db.session.remove()
        db.drop_all()
    # cold start-up, in a fresh interpreter each time, against a bare interpreter importing Flask
    import subprocess
    import sys

    from bench.common import ROOT

    def python(code):
        return lambda: subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)

    startup = timed(python("from pathlib import Path; from bench.common import DATA, app_on; "
                           "app_on(DATA / 'startup.sqlite3')"), repeat=3)
    baseline = timed(python("import flask; flask.Flask('baseline')"), repeat=3)
    results.append(Result("start-up", "new process: create_app (config, keys, SOP catalogue)", ms(startup),
                          f"python + import flask {ms(baseline)}", f"{startup / baseline:.1f}×", "< 5 s",
                          "yes" if startup < 5 else "no"))
    return results, [f"vault: {PEOPLE} people per run, SQLite, one commit per person as in a request."]
