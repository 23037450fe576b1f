"""The vault: authenticated encryption of everything personal (AES-256-GCM, ``cryptography``).

Every sealed value carries the id of the key that sealed it and is bound, through the associated
data, to a *context* naming where it belongs (``table.column:row-id``). A ciphertext copied to
another row or column therefore fails to open.

Blob layout (bytes): ``0x01 | len(key_id) | key_id | 12-byte nonce | ciphertext+tag``.

This module is the one place the application encrypts. Per-person data keys (envelope
encryption, crypto-shredding) build on ``seal_with``/``open_with`` below.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

from nrm.security.keys import Keyring

FORMAT_VERSION = 1
NONCE_BYTES = 12


class VaultError(Exception):
    """A sealed value could not be opened: wrong key, wrong place, or tampered with."""


def _aad(context: str, key_id: str) -> bytes:
    return f"nrm:v{FORMAT_VERSION}|{context}|{key_id}".encode()


def seal_with(key: bytes, key_id: str, plaintext: bytes, context: str) -> bytes:
    kid = key_id.encode("ascii")
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, _aad(context, key_id))
    return bytes([FORMAT_VERSION, len(kid)]) + kid + nonce + sealed


def key_id_of(blob: bytes) -> str:
    if len(blob) < 2 or blob[0] != FORMAT_VERSION:
        raise VaultError("not a sealed value of a known format")
    return blob[2 : 2 + blob[1]].decode("ascii")


def open_with(key: bytes, blob: bytes, context: str) -> bytes:
    key_id = key_id_of(blob)
    start = 2 + blob[1]
    nonce, sealed = blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, sealed, _aad(context, key_id))
    except InvalidTag:
        raise VaultError(f"sealed value does not open in context {context.split(':')[0]}") from None


def keyring() -> Keyring:
    return current_app.extensions["nrm_keyring"]


def seal(plaintext: bytes, context: str) -> bytes:
    """Seal a small system secret (e.g. a TOTP seed) directly under the active master key."""
    ring = keyring()
    return seal_with(ring.get(ring.active_id), ring.active_id, plaintext, context)


def unseal(blob: bytes, context: str) -> bytes:
    return open_with(keyring().get(key_id_of(blob)), blob, context)
