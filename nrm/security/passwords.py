"""Password hashing (Argon2id via argon2-cffi) and the password policy.

Production uses argon2-cffi's RFC 9106 low-memory profile (t=3, m=64 MiB, p=4), above the OWASP
minimum (m=19 MiB, t=2, p=1). ``PASSWORD_HASH_PARAMS`` may raise it; only the test suite lowers it.
A hash made with older parameters is replaced at the next successful sign-in.
"""

import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

from nrm.errors import ValidationFailed

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")
# Unambiguous characters for one-time passwords read off a screen or a printout.
_OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def hasher() -> PasswordHasher:
    params = current_app.config.get("PASSWORD_HASH_PARAMS")
    return PasswordHasher(**params) if params else PasswordHasher()


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists: a missing hash verifies a dummy one."""
    ph = hasher()
    try:
        return ph.verify(stored_hash or _dummy_hash(ph), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return hasher().check_needs_rehash(stored_hash)


def _dummy_hash(ph: PasswordHasher) -> str:
    key = (ph.time_cost, ph.memory_cost, ph.parallelism)
    cache_ = current_app.extensions.setdefault("nrm_dummy_hashes", {})
    if key not in cache_:
        cache_[key] = ph.hash(secrets.token_urlsafe(16))
    return cache_[key]


def check_policy(password: str, username: str | None = None) -> None:
    """Raise ``ValidationFailed`` with a translated reason when the password is not acceptable."""
    cfg = current_app.config
    if len(password) < cfg["PASSWORD_MIN_LENGTH"]:
        raise ValidationFailed(
            _("Use at least %(n)d characters.", n=cfg["PASSWORD_MIN_LENGTH"]), field="password"
        )
    if len(password) > cfg["PASSWORD_MAX_LENGTH"]:
        raise ValidationFailed(
            _("Use at most %(n)d characters.", n=cfg["PASSWORD_MAX_LENGTH"]), field="password"
        )
    lowered = password.lower()
    # A common password with digits or symbols stuck on the end is still a common password.
    stem = lowered.rstrip("0123456789!@#$%^&*.?_-+= ")
    if lowered in common_passwords() or stem in common_passwords() or len(set(lowered)) < 4:
        raise ValidationFailed(
            _("This password is too common or too easy to guess. Choose another."), field="password"
        )
    if username and username.lower() in lowered:
        raise ValidationFailed(_("The password must not contain the user name."), field="password")


def one_time_password() -> str:
    """A 24-character random password in four groups, e.g. for a new account."""
    groups = ("".join(secrets.choice(_OTP_ALPHABET) for _ in range(5)) for _ in range(4))
    return "-".join(groups)
