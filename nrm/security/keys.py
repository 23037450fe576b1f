"""Loading, checking and creating the deployment's secrets.

Three kinds of secret, all outside the database:

* the Flask secret key (signs the session cookie and CSRF tokens): ``instance/keys/secret.key``
  or ``NRM_SECRET_KEY``;
* the vault's key-encryption keys: ``instance/keys/master/<key-id>.key`` (one file per key id) or
  ``NRM_MASTER_KEYS`` = ``"key-id:base64url,key-id:base64url"``;
* the audit trail's HMAC key: ``instance/keys/audit.key`` or ``NRM_AUDIT_KEY``;
* the blind-index root key (keyed HMACs of normalised identifiers, for duplicate checks):
  ``instance/keys/index.key`` or ``NRM_INDEX_KEY``. It is separate from the master keys so that
  rotating those never changes an index.

The application fails closed: a missing, short, low-entropy or world-readable key stops start-up
with a ``StartupError`` that says what to run.
"""

import base64
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nrm.errors import StartupError

KEY_BYTES = 32
INIT_HINT = "Run `flask --app nrm init` (or `make run`) to create instance/keys/"
_PLACEHOLDERS = {"dev", "development", "secret", "changeme", "change-me", "please-change-me", "test"}


def b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def b64decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Keyring:
    """The vault's key-encryption keys by key id; ``active_id`` seals new data."""

    keys: dict[str, bytes]
    active_id: str

    def get(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise StartupError(
                f"Master key '{key_id}' is needed to read stored data but is not in the keyring. "
                "Restore instance/keys/master/ from the key backup (see docs/operations.md)."
            ) from None


def _weak(raw: bytes) -> bool:
    return len(raw) < KEY_BYTES or len(set(raw)) < 16


def _read_key_file(path: Path) -> str:
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise StartupError(
            f"Key file {path} is readable by other users. Run `chmod 600 {path}` and start again."
        )
    return path.read_text(encoding="ascii").strip()


def check_exchange_keys(key_dir: Path) -> None:
    """Our exchange keys (docs/exchange.md), if there are any: each file a private P-256 JWK of its
    use, mode 0600 — else no start, with what to do. (No exchange keys at all is allowed: the
    exchange is then off until ``init`` or ``exchange keys create`` makes them.)"""
    import json

    from joserfc.errors import JoseError
    from joserfc.jwk import ECKey

    directory = key_dir / "exchange"
    for path in sorted(directory.glob("*.jwk")) if directory.is_dir() else ():
        text = _read_key_file(path)
        try:
            data = json.loads(text)
            key = ECKey.import_key(data)
            good = (key.is_private and data.get("crv") == "P-256" and data.get("use") in ("sig", "enc")
                    and path.name.endswith(f"-{data['use']}.jwk") and data.get("kid") == key.thumbprint())
        except (ValueError, TypeError, KeyError, AttributeError, JoseError):
            good = False
        if not good:
            raise StartupError(
                f"The exchange key file {path} is not one of our private P-256 keys. Restore it from the "
                "key backup, or move it away and run `flask --app nrm exchange keys rotate` and give the "
                "partner NRMs the new public keys."
            )


def check_secret_key(value) -> None:
    if not value:
        raise StartupError(
            f"No secret key. {INIT_HINT}, or set NRM_SECRET_KEY to at least 32 random characters."
        )
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    if len(text) < KEY_BYTES or len(set(text)) < 10 or text.lower() in _PLACEHOLDERS:
        raise StartupError(
            "The secret key is too weak (it needs at least 32 random characters). "
            f"Remove it and {INIT_HINT[0].lower()}{INIT_HINT[1:]}, or set NRM_SECRET_KEY to a strong value."
        )


def load_secret_key(config: dict, key_dir: Path) -> str:
    value = config.get("SECRET_KEY")
    path = key_dir / "secret.key"
    if not value and path.exists():
        value = _read_key_file(path)
    check_secret_key(value)
    return value


def _decode_checked(text: str, what: str) -> bytes:
    try:
        raw = b64decode(text)
    except (ValueError, TypeError):
        raise StartupError(f"{what} is not valid base64url. {INIT_HINT}.") from None
    if _weak(raw):
        raise StartupError(
            f"{what} is too weak: it must be {KEY_BYTES} random bytes. {INIT_HINT} "
            "(a new deployment), or restore the key from its backup."
        )
    return raw[:KEY_BYTES] if len(raw) > KEY_BYTES else raw


def load_keyring(config: dict, key_dir: Path) -> Keyring:
    keys: dict[str, bytes] = {}
    configured = config.get("MASTER_KEYS")
    if configured:
        for part in str(configured).split(","):
            key_id, sep, text = part.strip().partition(":")
            if not sep or not key_id:
                raise StartupError("NRM_MASTER_KEYS must look like 'key-id:base64url,key-id:base64url'.")
            keys[key_id] = _decode_checked(text, f"Master key '{key_id}' in NRM_MASTER_KEYS")
    else:
        master_dir = key_dir / "master"
        if master_dir.is_dir():
            for path in sorted(master_dir.glob("*.key")):
                keys[path.stem] = _decode_checked(_read_key_file(path), f"Master key file {path}")
    if not keys:
        raise StartupError(f"No master keys. {INIT_HINT}, or set NRM_MASTER_KEYS.")
    return Keyring(keys=keys, active_id=sorted(keys)[-1])


def _load_single_key(config: dict, key_dir: Path, name: str, what: str) -> bytes:
    setting = f"{name.upper()}_KEY"
    value = config.get(setting)
    path = key_dir / f"{name}.key"
    if not value and path.exists():
        value = _read_key_file(path)
    if not value:
        raise StartupError(f"No {what}. {INIT_HINT}, or set NRM_{setting}.")
    return _decode_checked(str(value), f"The {what}")


def load_audit_key(config: dict, key_dir: Path) -> bytes:
    return _load_single_key(config, key_dir, "audit", "audit key")


def load_index_key(config: dict, key_dir: Path) -> bytes:
    return _load_single_key(config, key_dir, "index", "blind-index key")


def new_master_key_id(when: datetime | None = None) -> str:
    when = when or datetime.now(UTC)
    # fixed width, so that the newest key id also sorts last (it becomes the active key)
    return "kek-" + when.strftime("%Y%m%dT%H%M%S%fZ")


def _write_secret(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text + "\n")


def ensure_key_files(key_dir: Path) -> list[str]:
    """Create whichever key files are missing (never overwrite one). Returns what was created."""
    created = []
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(key_dir, 0o700)
    if not (key_dir / "secret.key").exists():
        _write_secret(key_dir / "secret.key", b64encode(secrets.token_bytes(48)))
        created.append("secret.key")
    for name in ("audit", "index"):
        if not (key_dir / f"{name}.key").exists():
            _write_secret(key_dir / f"{name}.key", b64encode(secrets.token_bytes(KEY_BYTES)))
            created.append(f"{name}.key")
    master_dir = key_dir / "master"
    if not (master_dir.is_dir() and any(master_dir.glob("*.key"))):
        key_id = new_master_key_id()
        _write_secret(master_dir / f"{key_id}.key", b64encode(secrets.token_bytes(KEY_BYTES)))
        os.chmod(master_dir, 0o700)
        created.append(f"master/{key_id}.key")
    return created
