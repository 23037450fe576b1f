"""The vault: the one place the application encrypts (AES-256-GCM, ``cryptography``).

Envelope encryption. Each person (or case) has a random 256-bit *data key*; it is stored only
wrapped (sealed) under a *master key* (key-encryption key) of the keyring. Every sealed value and
file carries the id of the key that sealed it and is bound, through the associated data, to its
*context* — table, column and row id — and to that key id. A ciphertext copied to another row or
column therefore fails to open. Destroying a data key shreds everything sealed under it.

Models declare sealed fields plainly::

    class Person(Sealable, db.Model):
        _given_name = mapped_column("given_name", LargeBinary)
        given_name = Sealed("_given_name")            # str
        _birth_date = mapped_column("birth_date", LargeBinary)
        birth_date = Sealed("_birth_date", kind=date)

Blob layout: ``0x01 | len(key id) | key id | 12-byte nonce | ciphertext+tag``.
Sealed files: a header then fixed-size chunks, each sealed with a nonce made of a random prefix,
the chunk number and a last-chunk flag (the STREAM construction), so chunks cannot be reordered,
dropped or truncated unnoticed.

Never Fernet (no associated data) and never a fixed IV.
"""

import os
import struct
import time
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

from nrm.clock import now
from nrm.security import keys as keyfiles
from nrm.security.keys import Keyring

FORMAT_VERSION = 1
NONCE_BYTES = 12
DATA_KEY_PREFIX = "dk:"
FILE_MAGIC = b"NRMSEAL1"
FILE_CHUNK = 64 * 1024
_RELOAD_EVERY = 5.0  # seconds between checks of instance/keys/master for a new key


class VaultError(Exception):
    """A sealed value could not be opened: wrong key, wrong place, or tampered with."""


class Erased(VaultError):
    """The data key was destroyed: the value is gone for good (crypto-shredding)."""


class FileRejected(ValueError):
    """An upload refused before anything was kept: ``reason`` is ``too_large`` or ``type``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# ------------------------------------------------------------------ primitives

def _aad(context: str, key_id: str) -> bytes:
    return f"nrm:v{FORMAT_VERSION}|{context}|{key_id}".encode()


def seal_with(key: bytes, key_id: str, plaintext: bytes, context: str) -> bytes:
    kid = key_id.encode("ascii")
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, _aad(context, key_id))
    return bytes([FORMAT_VERSION, len(kid)]) + kid + nonce + sealed


def key_id_of(blob: bytes) -> str:
    if not blob or len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise VaultError("not a sealed value of a known format")
    return bytes(blob[2 : 2 + blob[1]]).decode("ascii")


def open_with(key: bytes, blob: bytes, context: str) -> bytes:
    key_id = key_id_of(blob)
    start = 2 + blob[1]
    nonce, sealed = bytes(blob[start : start + NONCE_BYTES]), bytes(blob[start + NONCE_BYTES :])
    try:
        return AESGCM(key).decrypt(nonce, sealed, _aad(context, key_id))
    except InvalidTag:
        raise VaultError(f"sealed value does not open in context {context.split(':')[0]}") from None


# ------------------------------------------------------------------ the keyring

class KeyringSource:
    """The app's keyring. When keys live in instance/keys/master, a key added there (by
    ``keys rotate`` in another process) is picked up within a few seconds, without a restart."""

    def __init__(self, ring: Keyring, key_dir: Path, from_environment: bool):
        self.ring, self.key_dir, self.from_environment = ring, key_dir, from_environment
        self._checked = time.monotonic()
        self._stamp = self._dir_stamp()

    def _dir_stamp(self):
        master = self.key_dir / "master"
        return sorted(p.name for p in master.glob("*.key")) if master.is_dir() else []

    def reload(self) -> Keyring:
        if not self.from_environment:
            self.ring = keyfiles.load_keyring({}, self.key_dir)
            self._stamp = self._dir_stamp()
        return self.ring

    def current(self) -> Keyring:
        if not self.from_environment and time.monotonic() - self._checked > _RELOAD_EVERY:
            self._checked = time.monotonic()
            if self._dir_stamp() != self._stamp:
                self.reload()
        return self.ring

    def key(self, key_id: str) -> bytes:
        ring = self.current()
        if key_id not in ring.keys:
            ring = self.reload()
        return ring.get(key_id)


def source() -> KeyringSource:
    return current_app.extensions["nrm_keyring"]


def keyring() -> Keyring:
    return source().current()


# ------------------------------------------------------------------ system secrets

def seal(plaintext: bytes, context: str) -> bytes:
    """Seal a small system secret (a TOTP seed) directly under the active master key."""
    ring = keyring()
    return seal_with(ring.get(ring.active_id), ring.active_id, plaintext, context)


def unseal(blob: bytes, context: str) -> bytes:
    return open_with(source().key(key_id_of(blob)), blob, context)


# ------------------------------------------------------------------ data keys

def _data_key_context(data_key) -> str:
    return f"data_key.wrapped:{data_key.id}"


def new_data_key(subject: str):
    from nrm.models.keys import DataKey, new_id

    ring = keyring()
    data_key = DataKey(id=new_id(), subject=subject, kek_id=ring.active_id, created_at=now())
    plain = os.urandom(32)
    data_key.wrapped = seal_with(ring.get(ring.active_id), ring.active_id, plain,
                                 _data_key_context(data_key))
    data_key.__dict__["_plain"] = plain
    return data_key


def data_key_bytes(data_key) -> bytes:
    if data_key.destroyed_at is not None or data_key.wrapped is None:
        raise Erased("this record was erased")
    cached = data_key.__dict__.get("_plain")
    if cached is None:
        cached = open_with(source().key(data_key.kek_id), data_key.wrapped, _data_key_context(data_key))
        data_key.__dict__["_plain"] = cached
    return cached


def rewrap(data_key, ring: Keyring) -> bool:
    """Re-wrap a data key under the active master key. Returns False if nothing was to do."""
    if data_key.destroyed_at is not None or data_key.kek_id == ring.active_id:
        return False
    plain = data_key_bytes(data_key)
    data_key.wrapped = seal_with(ring.get(ring.active_id), ring.active_id, plain,
                                 _data_key_context(data_key))
    data_key.kek_id = ring.active_id
    data_key.rewrapped_at = now()
    return True


def destroy(data_key, reason: str) -> None:
    """Crypto-shred: forget the wrapped key. Irreversible, by design."""
    data_key.wrapped = None
    data_key.kek_id = None
    data_key.destroyed_at = now()
    data_key.destroy_reason = reason
    data_key.__dict__.pop("_plain", None)


# ------------------------------------------------------------------ sealed fields

def _encode(kind, value) -> bytes:
    if kind is date:
        return value.isoformat().encode("ascii")
    if kind is bytes:
        return bytes(value)
    return str(value).encode("utf-8")


def _decode(kind, raw: bytes):
    if kind is date:
        return date.fromisoformat(raw.decode("ascii"))
    if kind is bytes:
        return raw
    return raw.decode("utf-8")


def field_context(record, column: str) -> str:
    return f"{record.__tablename__}.{column}:{record.id}"


def seal_field(record, column: str, plaintext: bytes) -> bytes:
    data_key = record.data_key
    return seal_with(data_key_bytes(data_key), DATA_KEY_PREFIX + data_key.id, plaintext,
                     field_context(record, column))


def open_field(record, column: str, blob: bytes) -> bytes:
    data_key = record.data_key
    if key_id_of(blob) != DATA_KEY_PREFIX + data_key.id:
        raise VaultError(f"sealed value of {record.__tablename__}.{column} belongs to another record")
    return open_with(data_key_bytes(data_key), blob, field_context(record, column))


class Sealed:
    """A model attribute stored sealed in the column attribute named ``column``.

    Reading gives the plaintext (``None`` when empty or erased); writing seals it. The model must
    be ``Sealable`` (an id known before insert and a ``data_key``).
    """

    def __init__(self, column: str, kind=str):
        self.column, self.kind = column, kind

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, record, owner=None):
        if record is None:
            return self
        blob = getattr(record, self.column)
        if blob is None:
            return None
        try:
            return _decode(self.kind, open_field(record, self.name, blob))
        except Erased:
            return None

    def __set__(self, record, value):
        if value is None or value == "":
            setattr(record, self.column, None)
        else:
            setattr(record, self.column, seal_field(record, self.name, _encode(self.kind, value)))


class Sealable:
    """Mixin for models with sealed fields. The constructor assigns the id and the data key before
    any sealed field is set; pass ``data_key=`` to share another record's key (a screening is
    sealed under its person's key, so erasing the person shreds it too)."""

    def __init__(self, **kwargs):
        from nrm.models.keys import new_id

        sealed = {k: kwargs.pop(k) for k in list(kwargs) if isinstance(getattr(type(self), k, None), Sealed)}
        super().__init__(**kwargs)
        if self.id is None:
            self.id = new_id()
        if self.data_key is None:
            self.data_key = new_data_key(self.__tablename__)
        for name, value in sealed.items():
            setattr(self, name, value)

    @property
    def is_erased(self) -> bool:
        return self.data_key is not None and self.data_key.destroyed_at is not None


# ------------------------------------------------------------------ blind indexes

def blind_index(purpose: str, normalised: str | None) -> str | None:
    """Keyed HMAC of a normalised identifier (``nrm.security.pseudonyms``)."""
    from nrm.security.pseudonyms import pseudonym

    return pseudonym(purpose, normalised)


# ------------------------------------------------------------------ sealed files

ALLOWED_FILE_TYPES = {  # sniffed from the first bytes, never taken from the upload's claim
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


def sniff_type(head: bytes) -> str | None:
    for mime, signatures in ALLOWED_FILE_TYPES.items():
        if any(head.startswith(sig) for sig in signatures):
            return mime
    return None


def _chunk_nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


def seal_file(record, column: str, source_stream, target: Path, max_bytes: int) -> tuple[str, int]:
    """Stream ``source_stream`` into ``target`` sealed under the record's data key.

    Returns (sniffed mime type, plaintext size). Refuses (FileRejected) a file over ``max_bytes``
    or of a type not in ALLOWED_FILE_TYPES; nothing is left on disk then.
    """
    data_key = record.data_key
    key_id = DATA_KEY_PREFIX + data_key.id
    aead, aad = AESGCM(data_key_bytes(data_key)), _aad(field_context(record, column), key_id)
    prefix = os.urandom(7)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = target.with_name(target.name + ".part")
    size, index, mime = 0, 0, None
    try:
        with temporary.open("wb") as out:
            kid = key_id.encode("ascii")
            out.write(FILE_MAGIC + bytes([len(kid)]) + kid + prefix)
            chunk = source_stream.read(FILE_CHUNK)
            mime = sniff_type(chunk)
            if mime is None:
                raise FileRejected("type")
            while True:
                following = source_stream.read(FILE_CHUNK)
                size += len(chunk)
                if size > max_bytes:
                    raise FileRejected("too_large")
                out.write(aead.encrypt(_chunk_nonce(prefix, index, not following), chunk, aad))
                if not following:
                    break
                chunk, index = following, index + 1
        os.chmod(temporary, 0o600)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return mime, size


def open_file(record, column: str, path: Path):
    """The plaintext chunks of a sealed file, as an iterator; it raises VaultError on any tampering.
    The key is taken now, so the iterator needs no database session (a streamed response outlives
    the request's session)."""
    data_key = record.data_key
    key_id = DATA_KEY_PREFIX + data_key.id
    aead, aad = AESGCM(data_key_bytes(data_key)), _aad(field_context(record, column), key_id)

    def chunks():
        with path.open("rb") as handle:
            if handle.read(len(FILE_MAGIC)) != FILE_MAGIC:
                raise VaultError("not a sealed file")
            kid = handle.read(handle.read(1)[0]).decode("ascii")
            if kid != key_id:
                raise VaultError("sealed file belongs to another record")
            prefix = handle.read(7)
            index, block = 0, handle.read(FILE_CHUNK + 16)
            while True:
                following = handle.read(FILE_CHUNK + 16)
                try:
                    yield aead.decrypt(_chunk_nonce(prefix, index, not following), block, aad)
                except InvalidTag:
                    raise VaultError("sealed file was altered or cut short") from None
                if not following:
                    return
                block, index = following, index + 1

    return chunks()
