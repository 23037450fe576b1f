"""Keyed pseudonyms: HMAC-SHA256 of a value under a key derived (HKDF) for one purpose from the
index key, which lives outside the database.

One function for every keyed hash the application stores:

* blind indexes of normalised identifiers (duplicate checks: ``document_number``, ``name_birth_date``);
* the keys of the statistics facts, which let the application find its own fact row for a screening
  or a referral while a reader of a database dump cannot join a fact row to any record
  (``stat_person``, ``stat_referral``);
* the sign-in throttle, keyed by what was typed as a user name (``login_throttle``): an unsalted
  hash of a typed name (a password typed in the wrong field included) could be reversed by guessing.

Without the index key nobody can compute a pseudonym, so nobody can test a guess against one.
"""

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PURPOSES = ("document_number", "name_birth_date", "stat_person", "stat_referral", "login_throttle")


def _subkey(purpose: str) -> bytes:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown pseudonym purpose {purpose!r}")
    cache = current_app.extensions.setdefault("nrm_index_subkeys", {})
    if purpose not in cache:
        cache[purpose] = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                              info=f"nrm blind index v1: {purpose}".encode()).derive(
                                  current_app.extensions["nrm_index_key"])
    return cache[purpose]


def pseudonym(purpose: str, value: str | None) -> str | None:
    """The keyed HMAC (hex) of ``value`` for ``purpose``; None for an empty value."""
    if not value:
        return None
    return hmac.new(_subkey(purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()
