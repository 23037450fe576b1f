"""Backup and restore of the database and the sealed attachments.

A backup is a directory (mode 0700): ``database.sqlite3`` (SQLite online backup API: consistent
while the app runs) or ``database.pgdump`` (``pg_dump --format=custom``), ``attachments/``
(already sealed files, copied as they are), and ``manifest.json`` with a SHA-256 of every file.

No key is ever in a backup — not the master keys, and not the (wrapped) per-person data keys:
the ``data_key`` rows are blanked in the SQLite copy and left out of the PostgreSQL dump. A restore
takes the data keys from the live key store (the ``data_key`` table of the database being
replaced) or, after the loss of the whole database, from the latest ``keys export``. So a person
erased after a backup was taken stays erased when that backup is restored: their key exists
nowhere any more (crypto-shredding reaches the backups). docs/operations.md says how long to keep
key exports.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - pg_dump/pg_restore with fixed arguments, no shell
from base64 import b64decode, b64encode
from datetime import datetime
from pathlib import Path

import sqlalchemy
from flask import current_app
from sqlalchemy.engine import make_url

from nrm.clock import now
from nrm.extensions import db

FORMAT = 1


class BackupError(RuntimeError):
    """Says what went wrong and what to do; never contains data."""


def attachments_dir() -> Path:
    return Path(current_app.instance_path) / "attachments"


def _pg_tool(name: str) -> str:
    configured = current_app.config.get("PG_BIN")
    candidates = [Path(configured) / name] if configured else []
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    found = shutil.which(name)
    for candidate in candidates + ([Path(found)] if found else []):
        if candidate.exists():
            return str(candidate)
    raise BackupError(f"{name} not found: install postgresql-client (or set PG_BIN).")


def _pg_args(url) -> tuple[list[str], dict]:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    args = ["--dbname", url.database or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    if url.query.get("host"):
        args += ["--host", url.query["host"]]
    return args, env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _revision() -> str | None:
    try:
        return db.session.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - a database made without migrations (tests) has none
        db.session.rollback()
        return None


def create(target: Path) -> dict:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} exists and is not empty; choose a new directory.")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(target, 0o700)
    db.session.commit()
    if url.get_backend_name() == "sqlite":
        database_file = "database.sqlite3"
        source = sqlite3.connect(url.database)
        dest = sqlite3.connect(target / database_file)
        try:
            source.backup(dest)
            dest.execute("PRAGMA secure_delete=ON")
            dest.execute("UPDATE data_key SET wrapped = NULL, kek_id = NULL")
            dest.commit()
            dest.execute("VACUUM")
        finally:
            dest.close()
            source.close()
    else:
        database_file = "database.pgdump"
        args, env = _pg_args(url)
        result = subprocess.run(  # noqa: S603
            [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--exclude-table-data=data_key",
             "--file", str(target / database_file), *args], env=env, capture_output=True, text=True,
            check=False)
        if result.returncode != 0:
            raise BackupError("pg_dump failed: " + result.stderr.strip().splitlines()[-1])
    if attachments_dir().is_dir():
        shutil.copytree(attachments_dir(), target / "attachments")
    files = {}
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        os.chmod(path, 0o600)
        files[path.relative_to(target).as_posix()] = _sha256(path)
    manifest = {"format": FORMAT, "created_at": now().isoformat(), "database": url.get_backend_name(),
                "revision": _revision(), "data_keys": "not included", "files": files}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.chmod(target / "manifest.json", 0o600)
    return manifest


def verify(source: Path) -> dict:
    manifest_file = source / "manifest.json"
    if not manifest_file.exists():
        raise BackupError(f"{source} is not an NRM backup (no manifest.json).")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    for name, digest in manifest["files"].items():
        path = source / name
        if not path.exists() or _sha256(path) != digest:
            raise BackupError(f"backup file {name} is missing or damaged; nothing was restored.")
    return manifest


KEY_COLUMNS = ("id", "subject", "kek_id", "wrapped", "created_at", "rewrapped_at", "destroyed_at",
               "destroy_reason")


def live_data_keys() -> list[dict]:
    """The key store as it is now (empty if the database has no data_key table yet)."""
    from nrm.models import DataKey

    try:
        rows = db.session.execute(db.select(DataKey.__table__)).mappings().all()
    except Exception:  # noqa: BLE001 - a lost or empty database has no key store
        db.session.rollback()
        return []
    return [dict(row) for row in rows]


def export_data_keys(target: Path) -> int:
    """Write the key store (data keys, still wrapped under master keys) for disaster recovery."""
    keys = live_data_keys()
    serialisable = [{k: (b64encode(v).decode() if isinstance(v, bytes) else
                         v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}
                    for row in keys]
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"format": FORMAT, "exported_at": now().isoformat(), "data_keys": serialisable}, handle)
    return len(keys)


def _read_export(path: Path) -> list[dict]:
    rows = json.loads(path.read_text(encoding="utf-8"))["data_keys"]
    for row in rows:
        if row.get("wrapped"):
            row["wrapped"] = b64decode(row["wrapped"])
        for column in ("created_at", "rewrapped_at", "destroyed_at"):
            if row.get(column):
                row[column] = datetime.fromisoformat(row[column])
    return rows


def _reattach_keys(keys: list[dict], engine) -> None:
    """Put the key store back beside the restored rows; a key that is not in the store (the
    person was erased since the backup) is recorded as destroyed."""
    from nrm.models import DataKey

    stamp = now()
    with engine.begin() as conn:
        present = set(conn.execute(db.select(DataKey.id)).scalars())
        for row in keys:
            values = {k: row.get(k) for k in KEY_COLUMNS}
            if row["id"] in present:
                conn.execute(DataKey.__table__.update().where(DataKey.__table__.c.id == row["id"])
                             .values(**{k: v for k, v in values.items() if k != "id"}))
            else:
                conn.execute(DataKey.__table__.insert().values(**values))
        referenced = set()
        for table in db.metadata.sorted_tables:
            for fk in table.foreign_keys:
                if fk.column.table.name == "data_key":
                    referenced |= set(conn.execute(db.select(fk.parent).distinct()).scalars())
        known = set(conn.execute(db.select(DataKey.id)).scalars())
        for key_id in referenced - known - {None}:
            conn.execute(DataKey.__table__.insert().values(
                id=key_id, subject="unknown", created_at=stamp, destroyed_at=stamp,
                destroy_reason="not_in_key_store"))
        conn.execute(DataKey.__table__.update()
                     .where(DataKey.__table__.c.wrapped.is_(None), DataKey.__table__.c.destroyed_at.is_(None))
                     .values(destroyed_at=stamp, destroy_reason="not_in_key_store"))


def restore(source: Path, data_keys_file: Path | None = None) -> dict:
    """Replace the database and attachments with the backup's. Stop the app servers first."""
    manifest = verify(source)
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if manifest["database"] != url.get_backend_name():
        raise BackupError(f"this backup is of a {manifest['database']} database; "
                          f"the configured one is {url.get_backend_name()}.")
    keys = _read_export(data_keys_file) if data_keys_file else live_data_keys()
    db.session.remove()
    db.engine.dispose()
    if manifest["database"] == "sqlite":
        backup = sqlite3.connect(source / "database.sqlite3")
        live = sqlite3.connect(url.database)
        try:
            backup.backup(live)
        finally:
            live.close()
            backup.close()
        _reattach_keys(keys, db.engine)
    else:
        args, env = _pg_args(url)
        dump = str(source / "database.pgdump")
        existing = sqlalchemy.MetaData()
        existing.reflect(db.engine)  # whatever is there now, in dependency order
        existing.drop_all(db.engine)
        for section in ("pre-data", "data"):
            _pg_restore(section, args, env, dump)
        _reattach_keys(keys, db.engine)  # between data and the foreign keys of post-data
        _pg_restore("post-data", args, env, dump)
    db.engine.dispose()
    if attachments_dir().exists():
        shutil.rmtree(attachments_dir())
    if (source / "attachments").is_dir():
        shutil.copytree(source / "attachments", attachments_dir())
    return manifest


def _pg_restore(section: str, args: list[str], env: dict, dump: str) -> None:
    result = subprocess.run(  # noqa: S603
        [_pg_tool("pg_restore"), "--no-owner", "--single-transaction", f"--section={section}",
         *args, dump], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"pg_restore ({section}) failed: " + result.stderr.strip().splitlines()[-1])
