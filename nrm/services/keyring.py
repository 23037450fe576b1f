"""Master-key lifecycle: status, rotation (re-wrapping every data key online), retirement.

Rotation never decrypts a record: it unwraps each 32-byte data key with the old master key and
wraps it with the new one, in batches, each batch its own transaction, so the application keeps
serving throughout. TOTP seeds (sealed directly under a master key) are re-sealed too.
"""

import os
from collections import Counter
from pathlib import Path

from nrm.clock import now
from nrm.extensions import db
from nrm.models import DataKey, User
from nrm.security import audit, keys, vault


def usage() -> dict[str, Counter]:
    """How many data keys and TOTP seeds each master key id still protects."""
    data_keys = Counter(dict(db.session.execute(
        db.select(DataKey.kek_id, db.func.count()).where(DataKey.destroyed_at.is_(None))
        .group_by(DataKey.kek_id)).all()))
    seeds = Counter(vault.key_id_of(blob) for blob in db.session.scalars(
        db.select(User.totp_secret).where(User.totp_secret.is_not(None))))
    destroyed = db.session.scalar(db.select(db.func.count()).select_from(DataKey)
                                  .where(DataKey.destroyed_at.is_not(None)))
    return {"data_keys": data_keys, "totp_seeds": seeds, "destroyed": Counter({"*": destroyed})}


def add_master_key() -> str:
    """Write a new master key file; it becomes the active key (the newest id)."""
    source = vault.source()
    if source.from_environment:
        raise RuntimeError(
            "Master keys come from NRM_MASTER_KEYS. Add a new 'key-id:base64url' entry (newest id "
            "last in sort order) on every server, restart them, then run `keys rotate --rewrap-only`.")
    key_id = keys.new_master_key_id(now())
    if any(existing >= key_id for existing in source.ring.keys):
        raise RuntimeError(f"The clock is behind the newest master key id ({max(source.ring.keys)}); "
                           "correct the system time first.")
    path = source.key_dir / "master" / f"{key_id}.key"
    keys._write_secret(path, keys.b64encode(os.urandom(keys.KEY_BYTES)))
    source.reload()
    audit.record("keys.add", object_type="master_key", object_id=key_id)
    db.session.commit()
    return key_id


def rewrap_all(batch: int = 500, progress=None) -> int:
    """Re-wrap every live data key (and TOTP seed) not under the active master key."""
    ring = vault.source().reload()
    total = db.session.scalar(db.select(db.func.count()).select_from(DataKey).where(
        DataKey.destroyed_at.is_(None), DataKey.kek_id != ring.active_id))
    done = 0
    while True:
        chunk = db.session.scalars(
            db.select(DataKey).where(DataKey.destroyed_at.is_(None), DataKey.kek_id != ring.active_id)
            .order_by(DataKey.id).limit(batch)).all()
        if not chunk:
            break
        for data_key in chunk:
            vault.rewrap(data_key, ring)
        done += len(chunk)
        db.session.commit()
        if progress:
            progress(done, total)
    for user in db.session.scalars(db.select(User).where(User.totp_secret.is_not(None))):
        if vault.key_id_of(user.totp_secret) != ring.active_id:
            context = f"user_account.totp_secret:{user.id}"
            user.totp_secret = vault.seal(vault.unseal(user.totp_secret, context), context)
    audit.record("keys.rewrap", object_type="master_key", object_id=ring.active_id)
    db.session.commit()
    return done


def retire(key_id: str) -> Path:
    """Move a master key no longer used by anything out of the keyring (to keys/retired/).

    Keep retired keys with the backups made before the rotation until those backups expire:
    restoring such a backup needs them."""
    source = vault.source()
    ring = source.reload()
    if source.from_environment:
        raise RuntimeError("Master keys come from NRM_MASTER_KEYS: remove the entry there instead.")
    if key_id not in ring.keys:
        raise RuntimeError(f"No master key {key_id!r} in the keyring.")
    if key_id == ring.active_id:
        raise RuntimeError(f"{key_id} is the active key; rotate to a new one first.")
    current = usage()
    in_use = current["data_keys"].get(key_id, 0) + current["totp_seeds"].get(key_id, 0)
    if in_use:
        raise RuntimeError(f"{key_id} still protects {in_use} keys; run `keys rotate --rewrap-only`.")
    retired = source.key_dir / "retired"
    retired.mkdir(mode=0o700, exist_ok=True)
    target = retired / f"{key_id}.key"
    (source.key_dir / "master" / f"{key_id}.key").replace(target)
    source.reload()
    audit.record("keys.retire", object_type="master_key", object_id=key_id)
    db.session.commit()
    return target
