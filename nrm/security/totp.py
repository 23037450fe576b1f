"""Time-based one-time passwords (RFC 6238, via pyotp) with the seed sealed in the vault.

A code is accepted for the current 30-second step or one step either side (clock drift), and only
if its step is later than the last accepted one, so an observed code cannot be replayed.
"""

import pyotp
import segno
from flask import current_app

from nrm.clock import now
from nrm.security import vault

VALID_WINDOW = 1


def _context(user) -> str:
    return f"user_account.totp_secret:{user.id}"


def new_secret(user) -> None:
    """Give the user a fresh, not yet confirmed seed (sealed)."""
    user.totp_secret = vault.seal(pyotp.random_base32().encode("ascii"), _context(user))
    user.totp_enrolled_at = None
    user.totp_last_step = None


def secret_of(user) -> str:
    return vault.unseal(user.totp_secret, _context(user)).decode("ascii")


def provisioning_uri(user) -> str:
    return pyotp.TOTP(secret_of(user)).provisioning_uri(
        name=user.username, issuer_name=current_app.config["TOTP_ISSUER"]
    )


def qr_svg(user) -> str:
    """The enrolment QR code as inline SVG markup (no script, no external request)."""
    return segno.make(provisioning_uri(user), error="m").svg_inline(
        scale=5, border=2, title="QR", dark="#000", light="#fff"
    )


def current_code(user) -> str:
    return pyotp.TOTP(secret_of(user)).at(now())


def accept(user, code: str) -> bool:
    """Check a code and, if good, remember its step so it cannot be used again."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if user.totp_secret is None or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret_of(user))
    step_now = totp.timecode(now())
    for step in range(step_now - VALID_WINDOW, step_now + VALID_WINDOW + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False
